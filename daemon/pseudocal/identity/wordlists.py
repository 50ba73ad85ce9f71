"""Built-in words for drawn pseudonyms ("Adjective Noun").

Curated to be neutral: colours, materials, weather, landscape and wildlife.
Left out on purpose: words that hint at mood or mental health (calm, blue,
foggy, polar, lunar, storm, anchor, haven…), words with an unkind or loaded
sense (cuckoo, loon, shrew, shady, gannet…), and words that are common first
names or surnames (Rose, Amber, Hazel, Robin, Fox, Swift, Green, Hunter,
Baker…). Every word is one ASCII token, and no word is in both lists.
"""
from __future__ import annotations

ADJECTIVES: tuple[str, ...] = tuple("""
Azure Cobalt Copper Bronze Crimson Vermilion Ochre Umber Russet Tawny Emerald
Turquoise Cyan Lilac Mauve Magenta Burgundy Peach Apricot Lemon Lime Mint
Ivory Charcoal Sable Cinnamon Caramel Cocoa Mocha Sepia Cerulean Fuchsia
Amethyst Topaz Onyx Pewter Platinum Chrome Brass Khaki Taupe Plum Auburn
Chartreuse Aquamarine Periwinkle Beige Tangerine Mustard Graphite Silvery
Bronzed Pistachio Mulberry Cranberry Raspberry Vanilla Butterscotch Toffee
Oatmeal Pumpkin Paprika Nutmeg Lemony Minty
Mossy Leafy Grassy Ferny Pebbly Stony Dewy Frosty Snowy Rainy Windy Breezy
Starry Sunlit Moonlit Starlit Reedy Dusty Silky Velvet Woolly Feathered
Speckled Spotted Striped Dappled Mottled Ringed Crested Tufted Hooded Banded
Barred Glossy Gleaming Shimmering Glinting Sparkling Twinkling Glowing
Lustrous Polished Burnished Gilded Frosted Crystalline Pearly Milky Inky Smoky
Briny Grainy Pebbled Windswept Snowcapped Rainwashed Sunbaked
Alpine Arctic Tropical Coastal Nordic Boreal Austral Solar Stellar Cosmic
Oceanic Tidal Riverine Glacial Vernal Autumnal Wintry Summery Morning
Evening Midnight Twilight Woodland Seaside Lakeland Riverside Clifftop Treetop
Hilltop Moorland Meadowy Hillside Upland Lowland Highland Inland Northern
Southern Eastern Western Granite Basalt Marbled Slatey Sandstone Chalky Flinty
Cedarwood Oaken Willowy Bamboo
Lofty Tiny Rapid Nimble Agile Quick Spry Deft Curious Humming Chiming Rustling
Whistling Soaring Gliding Roaming Darting Leaping Climbing Rolling Flowing
Winding Rippling Swirling Floating Sprouting Blooming Budding Ripening Skipping
Hopping Paddling Diving Burrowing Nesting Grazing Foraging Migrating Trotting
Galloping Prancing Splashing
""".split())

NOUNS: tuple[str, ...] = tuple("""
Falcon Otter Badger Heron Kestrel Plover Curlew Lapwing Puffin Osprey Pelican
Magpie Starling Wagtail Warbler Kingfisher Woodpecker Dipper Bittern Egret Ibis
Avocet Godwit Dunlin Sanderling Turnstone Shearwater Petrel Fulmar Razorbill
Guillemot Cormorant Grebe Moorhen Wigeon Pintail Goldeneye Eider Skylark
Nuthatch Treecreeper Goldcrest Chiffchaff Linnet Siskin Redstart Stonechat
Wheatear Yellowhammer Redwing Fieldfare Swallow Buzzard Harrier Kite Owl
Jackdaw Chough Oriole Tanager Waxwing Firecrest Crossbill Bullfinch Hawfinch
Goldfinch Sandpiper Redshank Greenshank Whimbrel Woodlark Pipit Toucan Parrot
Macaw Cockatoo Flamingo Penguin Condor Kookaburra Hummingbird Kiwi Emu
Hedgehog Squirrel Stoat Elk Moose Bison Ibex Chamois Lynx Ocelot Puma Panther
Jaguar Cheetah Leopard Zebra Giraffe Gazelle Antelope Okapi Tapir Panda Koala
Wombat Wallaby Platypus Meerkat Mongoose Armadillo Anteater Pangolin Aardvark
Chinchilla Capybara Lemur Gibbon Marmot Pika Quokka Caribou Yak Llama Alpaca
Dolphin Porpoise Walrus Narwhal Orca Manatee Turtle Tortoise Gecko Iguana
Salamander Beetle Cricket Firefly Dragonfly Mayfly Damselfly Ladybird
Bumblebee Cicada Grasshopper Caterpillar Butterfly Moth Oyster Scallop
Starfish Seahorse Anemone Trout Minnow Mackerel Stickleback Halibut Tench
Barbel Anchovy Sardine Swordfish Sailfish
Maple Alder Cypress Sequoia Spruce Larch Poplar Sycamore Walnut Magnolia
Acacia Baobab Bracken Thistle Yarrow Lupin Foxglove Bluebell Snowdrop Cowslip
Harebell Meadowsweet Teasel Thyme Fennel Chicory Gorse Bilberry Bramble Sedge
Acorn Pinecone Chestnut Almond Fig Cactus Orchid Lichen Kelp Plankton
Glacier Canyon Delta Estuary Fjord Tundra Prairie Steppe Mesa Butte Plateau
Ravine Glade Thicket Copse Spinney Moraine Crevasse Iceberg Lagoon Reef Atoll
Cove Inlet Dune Pebble Boulder Crag Cairn Creek Rapids Waterfall Cascade
Geyser Monsoon Mistral Sirocco Cumulus Nimbus Cirrus Comet Meteor Nebula
Galaxy Quasar Pulsar Asteroid Crescent Equinox Solstice Quartz Marble Slate
Obsidian Agate Zircon Feldspar Mica Geode Pumice Cobble Seashell Conch
""".split())
