"""Built-in words for drawn pseudonyms ("Adjective Noun").

Curated to be neutral: colours, materials, weather, landscape and wildlife.
Left out on purpose: words that hint at mood or mental health (calm, blue,
lost, storm, anchor, haven…), words with an unkind sense (cuckoo, loon,
shrew…), and words that are common first names or surnames (Rose, Amber,
Hazel, Robin, Fox, Swift, Green, Hunter, Baker…). Every word is one ASCII
token, and no word is in both lists.
"""
from __future__ import annotations

ADJECTIVES: tuple[str, ...] = tuple("""
Azure Cobalt Copper Bronze Crimson Vermilion Ochre Umber Russet Tawny Emerald
Turquoise Cyan Lilac Mauve Magenta Burgundy Peach Apricot Lemon Lime Mint
Ivory Charcoal Sable Cinnamon Caramel Cocoa Mocha Sepia Cerulean Carmine Cerise
Fuchsia Amethyst Topaz Onyx Pewter Platinum Chrome Brass Saffron Khaki Taupe
Plum Indigo Auburn Chartreuse Aquamarine Periwinkle Beige Tangerine Mustard
Mossy Leafy Grassy Ferny Pebbly Stony Foggy Hazy Dewy Frosty Snowy Icy Rainy
Windy Breezy Cloudy Starry Sunlit Moonlit Starlit Shady Reedy Dusty Silky
Velvet Woolly Feathered Speckled Spotted Striped Dappled Mottled Ringed Crested
Tufted Horned Hooded Banded Barred Glossy Gleaming Shimmering Glinting
Sparkling Twinkling Glowing Lustrous Polished Burnished Gilded Frosted Glazed
Crystalline Pearly Milky Inky Smoky Alpine Arctic Polar Tropical Coastal Nordic
Boreal Austral Lunar Solar Stellar Cosmic Oceanic Marine Tidal Riverine
Volcanic Glacial Vernal Autumnal Wintry Summery Morning Evening Midnight
Twilight Lofty Tiny Rapid Nimble Agile Quick Spry Deft Curious Humming Chiming
Rustling Whistling Murmuring Soaring Gliding Roaming Darting Leaping Climbing
Rolling Flowing Winding Rippling Swirling Floating Sprouting Blooming
Budding Ripening Orchard Meadowy Hillside Upland Lowland Highland Inland
Northern Southern Eastern Western Granite Basalt Marbled Slatey Sandstone
Chalky Flinty Pine Cedarwood Oaken Maplewood Willowy Bamboo Coral Sunbaked
""".split())

NOUNS: tuple[str, ...] = tuple("""
Falcon Otter Badger Heron Kestrel Plover Curlew Lapwing Puffin Gannet Osprey
Pelican Magpie Starling Wagtail Warbler Kingfisher Woodpecker Dipper Bittern
Egret Ibis Avocet Godwit Dunlin Sanderling Turnstone Shearwater Petrel Fulmar
Razorbill Guillemot Cormorant Grebe Moorhen Wigeon Pintail Goldeneye Eider
Skylark Nuthatch Treecreeper Goldcrest Chiffchaff Linnet Siskin Redstart
Stonechat Wheatear Yellowhammer Thrush Redwing Fieldfare Swallow Buzzard
Harrier Kite Owl Jackdaw Chough Hedgehog Squirrel Hare Stoat Beaver Marten
Elk Moose Bison Ibex Chamois Lynx Ocelot Puma Panther Jaguar Cheetah Leopard
Zebra Giraffe Gazelle Antelope Okapi Tapir Panda Koala Wombat Wallaby Platypus
Dolphin Porpoise Walrus Narwhal Orca Manatee Turtle Tortoise Gecko Iguana
Salamander Newt Beetle Cricket Firefly Dragonfly Mayfly Damselfly Ladybird
Bumblebee Trout Minnow Mackerel Marlin Sturgeon Stickleback Grayling Maple
Alder Cypress Sequoia Spruce Larch Poplar Sycamore Walnut Linden Magnolia
Acacia Baobab Bracken Thistle Sorrel Yarrow Lupin Foxglove Bluebell Snowdrop
Cowslip Harebell Meadowsweet Tansy Teasel Thyme Fennel Chicory Gorse Bilberry
Bramble Sedge Glacier Canyon Delta Estuary Fjord Tundra Prairie Savanna Lagoon
Reef Atoll Cove Inlet Dune Pebble Boulder Crag Cairn Creek Rapids Waterfall
Cascade Geyser Volcano Comet Meteor Nebula Galaxy Quartz Marble Slate Obsidian
Agate Cobble Acorn Pinecone Seashell Conch Lichen Mushroom Orchid Cactus Fig
Almond Hazelnut Chestnut Caribou Yak Llama Alpaca Heronry Kelp Plankton
""".split())
