"""A rotated pseudonym shares no word with the one it replaces: "Hilltop Mica", retired
for a new client Mica Jones, never becomes "Hilltop Rapids" (a random draw did, about one
rotation in two hundred, and the daemon's log then echoed the retired pseudonym).
Synthetic names only."""
from __future__ import annotations

from pseudocal.crypto import generate_key
from pseudocal.identity import naming, pseudonyms
from pseudocal.models import ClientIdentity
from pseudocal.store import Store


def test_a_rotation_never_keeps_a_word_of_the_retired_pseudonym(tmp_path, monkeypatch):
    store = Store.create(tmp_path / "store.db", generate_key())
    try:
        old = store.add_client(ClientIdentity("Test Person Alpha"), "Hilltop Mica")
        draws = iter(["Hilltop Rapids", "Amber Mica", "Quiet Lagoon"])
        monkeypatch.setattr(pseudonyms, "draw", lambda name, taken: next(draws))
        newcomer = ClientIdentity("Mica Jones")
        (rotation,) = naming.rotate_clashing(store, store.list_clients(), newcomer,
                                             {old.id: old.identity}, {"Hilltop Mica"}, None)
        assert (rotation.old, rotation.new) == ("Hilltop Mica", "Quiet Lagoon")
        assert [c.pseudonym for c in store.list_clients()] == ["Quiet Lagoon"]
    finally:
        store.close()
