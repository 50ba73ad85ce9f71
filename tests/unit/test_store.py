"""store: the encrypted mapping, damage vs wrong key, records and runs."""
from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from pseudocal import crypto
from pseudocal.errors import AlreadyExists, InputError, IntegrityError, KeyError_, StoreError
from pseudocal.models import ClientIdentity, Record
from pseudocal.store import SCHEMA_VERSION, Store, with_parsed_phone

KEY = bytes(range(32))
WRONG = bytes(range(1, 33))


def identity(i: int) -> ClientIdentity:
    return ClientIdentity(name=f"Zebulon Quartermaine{i:02d}", email=f"zq{i:02d}@mail.example",
                          phone=f"+44 7700 900{i:03d}", timezone="Europe/Paris",
                          country="France", notes=f"synthetic notes {i:02d}")


def secrets_of(ident: ClientIdentity) -> list[bytes]:
    return [t.encode("utf-8") for t in (ident.name, ident.email, ident.phone, ident.notes)]


def files_bytes(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file())


def raw(path: Path, sql: str, *params) -> None:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(sql, params)
    conn.close()


def cell(path: Path, sql: str, *params):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql, params).fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "store.db"


@pytest.fixture
def filled(db_path: Path) -> Path:
    """A closed store with 30 clients."""
    with Store.create(db_path, KEY) as store:
        for i in range(30):
            store.add_client(identity(i))
    return db_path

# ---------------------------------------------------------------- lifecycle


def test_create_open_round_trip_with_30_clients(db_path):
    with Store.create(db_path, KEY) as store:
        added = {store.add_client(identity(i)).id: with_parsed_phone(identity(i))
                 for i in range(30)}
        tag_key = store.tag_key
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(db_path.parent.stat().st_mode) == 0o700
    with Store.open(db_path, KEY) as store:
        clients = store.list_clients()
        assert {c.id: c.identity for c in clients} == added
        assert [c.pseudonym.casefold() for c in clients] == sorted(
            c.pseudonym.casefold() for c in clients)
        assert store.tag_key == tag_key
        assert store.identities() and len(store.pseudonyms()) == 30


def test_tag_key_is_the_same_for_a_recreated_store(tmp_path):
    with Store.create(tmp_path / "a.db", KEY) as a, Store.create(tmp_path / "b.db", KEY) as b:
        assert a.tag_key == b.tag_key == crypto.derive_key(KEY, "uid-tag")
    with Store.create(tmp_path / "c.db", WRONG) as c:
        assert c.tag_key != crypto.derive_key(KEY, "uid-tag")


def test_create_over_an_existing_file_is_refused(filled):
    before = filled.read_bytes()
    with pytest.raises(AlreadyExists) as caught:
        Store.create(filled, KEY)
    assert caught.value.exit_code == 10
    assert filled.read_bytes() == before


def test_open_missing_store_creates_nothing(tmp_path):
    path = tmp_path / "nowhere" / "store.db"
    with pytest.raises(StoreError) as caught:
        Store.open(path, KEY)
    assert caught.value.exit_code == 5 and "pseudocal init" in caught.value.next_step
    assert str(path) in caught.value.message
    assert not path.parent.exists() and not Store.exists(path)


def test_wrong_key_is_a_key_error_and_changes_nothing(filled):
    before = filled.read_bytes()
    with pytest.raises(KeyError_) as caught:
        Store.open(filled, WRONG, key_source="/etc/pseudocal/store-key")
    assert caught.value.exit_code == 4
    assert "/etc/pseudocal/store-key" in caught.value.message
    assert filled.read_bytes() == before
    assert [p.name for p in filled.parent.iterdir()] == [filled.name]


def cut_points(size: int) -> list[int]:
    return sorted({0, 50, 100, 4096, 8192, size // 3, size // 2, size - 4096, size - 1})


def test_truncated_store_is_damaged_not_wrong_key(filled, tmp_path):
    data = filled.read_bytes()
    for cut in cut_points(len(data)):
        path = tmp_path / f"cut{cut}" / "store.db"
        path.parent.mkdir()
        path.write_bytes(data[:cut])
        with pytest.raises(StoreError) as caught:
            Store.open(path, KEY)
        assert not isinstance(caught.value, KeyError_)
        assert "damaged" in caught.value.message and "backup" in caught.value.next_step
        assert path.read_bytes() == data[:cut], cut
        assert [p.name for p in path.parent.iterdir()] == ["store.db"], cut


def test_corrupt_page_is_damaged(filled):
    data = bytearray(filled.read_bytes())
    data[len(data) // 2:len(data) // 2 + 4096] = bytes(range(256)) * 16
    filled.write_bytes(bytes(data))
    with pytest.raises(StoreError) as caught:
        Store.open(filled, KEY)
    assert type(caught.value) is StoreError and "damaged" in caught.value.message


def test_not_a_database_is_damaged(tmp_path):
    path = tmp_path / "store.db"
    path.write_bytes(b"this is not SQLite at all\n" * 400)
    with pytest.raises(StoreError, match="damaged"):
        Store.open(path, KEY)


def test_foreign_sqlite_file_is_not_a_store(tmp_path):
    path = tmp_path / "other.db"
    raw(path, "CREATE TABLE t (x)")
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a pseudocal store"):
        Store.open(path, KEY)
    assert path.read_bytes() == before


def test_unknown_schema_version_is_refused(filled):
    raw(filled, "UPDATE meta SET value = ? WHERE key = 'schema_version'", b"99")
    with pytest.raises(StoreError) as caught:
        Store.open(filled, KEY)
    assert "version 99" in caught.value.message
    assert f"version {SCHEMA_VERSION}" in caught.value.message


@pytest.mark.parametrize("value, words", [(99, "version 99"), ("99", "version 99"),
                                          (b"banana", "no schema version pseudocal can read")])
def test_a_version_stored_another_way_is_named_as_a_version_never_as_damage(filled, value,
                                                                            words):
    raw(filled, "UPDATE meta SET value = ? WHERE key = 'schema_version'", value)
    before = filled.read_bytes()
    with pytest.raises(StoreError) as caught:
        Store.open(filled, KEY)
    assert words in caught.value.message and "damaged" not in caught.value.message
    assert filled.read_bytes() == before


def test_store_left_with_a_wal_by_a_crash_opens(db_path, tmp_path):
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    with Store.create(db_path, KEY) as store:
        added = [store.add_client(identity(i)).id for i in range(5)]
        for name in ("store.db", "store.db-wal"):  # a copy taken as if the power failed
            (crashed / name).write_bytes((db_path.parent / name).read_bytes())
    assert (crashed / "store.db-wal").stat().st_size > 0
    with Store.open(crashed / "store.db", KEY) as store:
        assert sorted(c.id for c in store.list_clients()) == sorted(added)


def test_backup_opens_with_the_same_key(filled, tmp_path):
    with Store.open(filled, KEY) as store:
        store.backup(tmp_path / "backup.db")
        with pytest.raises(AlreadyExists):
            store.backup(tmp_path / "backup.db")
    with Store.open(tmp_path / "backup.db", KEY) as copy:
        assert len(copy.list_clients()) == 30

# ---------------------------------------------------------------- tampering


def two_ids(path: Path) -> tuple[str, str]:
    conn = sqlite3.connect(path)
    ids = [r[0] for r in conn.execute("SELECT id FROM clients ORDER BY id LIMIT 2")]
    conn.close()
    return ids[0], ids[1]


def test_swapped_name_ciphertexts_fail_without_leaking(filled):
    first, second = two_ids(filled)
    a = cell(filled, "SELECT name_ct FROM clients WHERE id = ?", first)
    b = cell(filled, "SELECT name_ct FROM clients WHERE id = ?", second)
    raw(filled, "UPDATE clients SET name_ct = ? WHERE id = ?", b, first)
    raw(filled, "UPDATE clients SET name_ct = ? WHERE id = ?", a, second)
    with Store.open(filled, KEY) as store:
        with pytest.raises(IntegrityError) as caught:
            store.list_clients()
    error = caught.value
    text = f"{error.message} {error.next_step} {error.where}"
    assert "clients" in text and "name_ct" in text and (first in text or second in text)
    assert "Zebulon" not in text and "Quartermaine" not in text
    assert error.exit_code == 5 and "backup" in error.next_step


def test_ciphertext_moved_to_another_column_fails(filled):
    first, _ = two_ids(filled)
    name = cell(filled, "SELECT name_ct FROM clients WHERE id = ?", first)
    raw(filled, "UPDATE clients SET email_ct = ? WHERE id = ?", name, first)
    with Store.open(filled, KEY) as store:
        with pytest.raises(IntegrityError, match=f"email_ct of row {first}"):
            store.list_clients()


def test_swapped_blind_index_is_detected(filled):
    first, second = two_ids(filled)
    a = cell(filled, "SELECT pseudonym_idx FROM clients WHERE id = ?", first)
    b = cell(filled, "SELECT pseudonym_idx FROM clients WHERE id = ?", second)
    raw(filled, "UPDATE clients SET pseudonym_idx = ? WHERE id = ?", b"x", first)
    raw(filled, "UPDATE clients SET pseudonym_idx = ? WHERE id = ?", a, second)
    raw(filled, "UPDATE clients SET pseudonym_idx = ? WHERE id = ?", b, first)
    with Store.open(filled, KEY) as store:
        with pytest.raises(IntegrityError, match="pseudonym_idx"):
            store.pseudonyms()


def test_dek_moved_between_rows_fails(filled):
    first, second = two_ids(filled)
    dek = cell(filled, "SELECT dek FROM clients WHERE id = ?", second)
    raw(filled, "UPDATE clients SET dek = ? WHERE id = ?", dek, first)
    with Store.open(filled, KEY) as store:
        with pytest.raises(IntegrityError, match=f"dek of row {first}"):
            store.get_client(first)

# ---------------------------------------------------------------- privacy at rest


def test_no_identity_in_any_file_while_open_or_closed(db_path):
    idents = [identity(i) for i in range(30)]
    with Store.create(db_path, KEY) as store:
        pseudonyms = [store.add_client(ident).pseudonym for ident in idents]
        store.rename_client(store.list_clients()[0].id, "Chosen Alias")
        assert Path(f"{db_path}-wal").exists()
        blob = files_bytes(db_path.parent)
        needles = [s for ident in idents for s in secrets_of(ident)]
        needles += [p.encode() for p in pseudonyms] + [b"Chosen Alias", b"Zebulon"]
        assert not [n for n in needles if n in blob]
    blob = files_bytes(db_path.parent)
    assert not [n for n in needles if n in blob]


def test_forget_client_shreds_the_row(db_path):
    with Store.create(db_path, KEY) as store:
        keep = store.add_client(identity(1))
        gone = store.add_client(identity(2))
        wrapped = cell(db_path, "SELECT dek FROM clients WHERE id = ?", gone.id)
        store.forget_client(gone.id)
        assert [c.id for c in store.list_clients()] == [keep.id]
        assert store.get_client(gone.id) is None and store.find_client(gone.pseudonym) is None
        assert wrapped not in files_bytes(db_path.parent)
        with pytest.raises(InputError):
            store.forget_client(gone.id)

# ---------------------------------------------------------------- pseudonyms


def test_chosen_pseudonym_is_unique_case_and_space_insensitively(db_path):
    with Store.create(db_path, KEY) as store:
        store.add_client(identity(1), "Cobalt Otter")
        for clash in ("cobalt otter", "  COBALT   Otter "):
            with pytest.raises(InputError, match="already in use"):
                store.add_client(identity(2), clash)
        with pytest.raises(InputError, match="spaces other than the ordinary one"):
            store.add_client(identity(2), "Cobalt\u00a0Otter")  # refused at input already
        assert len(store.list_clients()) == 1


def test_find_client_ignores_case_and_spaces(db_path):
    with Store.create(db_path, KEY) as store:
        added = store.add_client(identity(3), "  Tidal   Heron ")
        assert added.pseudonym == "Tidal Heron"
        assert store.find_client("tidal HERON").id == added.id
        assert store.find_client(" Tidal  Heron ").identity == with_parsed_phone(identity(3))
        assert store.find_client("Tidal Egret") is None and store.find_client("") is None


def test_chosen_pseudonym_is_checked_against_the_name(db_path):
    with Store.create(db_path, KEY) as store:
        for bad in ("Zebulon Otter", "ZQ", "", "{pseudonym}"):
            with pytest.raises(InputError):
                store.add_client(identity(4), bad)
        with pytest.raises(InputError):
            store.add_client(ClientIdentity(name="  "))
        assert store.list_clients() == []


def test_rename_and_rotate(db_path):
    with Store.create(db_path, KEY) as store:
        one = store.add_client(identity(5), "Cobalt Otter")
        two = store.add_client(identity(6), "Amber Falcon")
        with pytest.raises(InputError, match="already in use"):
            store.rename_client(one.id, "amber falcon")
        with pytest.raises(InputError):
            store.rename_client(one.id, "Quartermaine05 Heron")
        renamed = store.rename_client(one.id, "cobalt OTTER")  # its own, recased
        assert store.pseudonyms() == {"cobalt OTTER": one.id, "Amber Falcon": two.id}
        rotated = store.rotate_client(two.id)
        assert rotated.pseudonym not in ("Amber Falcon", renamed.pseudonym)
        assert store.find_client(rotated.pseudonym).id == two.id
        assert store.find_client("Amber Falcon") is None
        with pytest.raises(InputError):
            store.rename_client("0000", "Tidal Heron")


def test_drawn_pseudonym_shares_no_word_with_the_name(db_path):
    with Store.create(db_path, KEY) as store:
        for i in range(10):
            client = store.add_client(identity(i))
            name_words = {"zebulon", f"quartermaine{i:02d}"}
            assert not set(client.pseudonym.casefold().split()) & name_words

def test_two_handles_on_one_store_see_each_other(db_path):
    with Store.create(db_path, KEY) as first, Store.open(db_path, KEY) as second:
        for i in range(5):
            first.add_client(identity(i))
            second.add_client(identity(10 + i))
            second.put_record(record(f"u{i}"))
        assert len(first.list_clients()) == 10 and len(first.records()) == 5
        assert first.pseudonyms() == second.pseudonyms()

# ---------------------------------------------------------------- records and runs


def record(uid: str, etag: str | None = "e1", client_id: str | None = None) -> Record:
    return Record(uid=uid, calendar="main", href=f"/cal/{uid}.ics", etag=etag,
                  content_hash="h1", kind="session", label="Cobalt Otter 2026-12-01 10:00",
                  client_id=client_id)


def test_records_put_update_drop(db_path):
    with Store.create(db_path, KEY) as store:
        store.put_record(record("u1", etag=None))
        store.put_record(record("u2"))
        store.put_record(record("u1", etag="e9"))
        assert store.records() == {"u1": record("u1", etag="e9"), "u2": record("u2")}
        store.drop_record("u2")
        store.drop_record("missing")
        assert list(store.records()) == ["u1"]
        store.drop_all_records()
        assert store.records() == {}


def test_records_survive_reopen(db_path):
    with Store.create(db_path, KEY) as store:
        store.put_record(record("u1", client_id="abc"))
    with Store.open(db_path, KEY) as store:
        assert store.records() == {"u1": record("u1", client_id="abc")}


def test_sync_runs(db_path):
    with Store.create(db_path, KEY) as store:
        assert store.last_runs() == [] and store.last_good_run() is None
        first = store.begin_run()
        store.finish_run(first, "ok", 3, 1, 0, None)
        second = store.begin_run()
        store.finish_run(second, "failed", 0, 0, 0, "ServerError: unreachable")
        third = store.begin_run()
        runs = store.last_runs()
        assert [r["id"] for r in runs] == [third, second, first]
        assert runs[0]["finished_at"] is None and runs[0]["result"] is None
        assert runs[1]["error"] == "ServerError: unreachable"
        good = store.last_good_run()
        assert good["id"] == first and (good["created"], good["updated"]) == (3, 1)
        assert len(store.last_runs(limit=2)) == 2


def test_master_key_rotation_keeps_clients_and_uids_and_retires_the_old_key(tmp_path):
    from pseudocal.crypto import generate_key
    from pseudocal.errors import KeyError_ as _KeyError
    from pseudocal.models import ClientIdentity as _Identity
    from pseudocal.store import Store as _Store
    path, old, new = tmp_path / "s.db", generate_key(), generate_key()
    with _Store.create(path, old) as store:
        store.add_client(_Identity("Test Rotation Person", email="r@example.org"))
        before = [(c.pseudonym, c.identity.email) for c in store.list_clients()]
        tag = store.tag_key
        store.rotate_master_key(new)
    with _Store.open(path, new) as store:
        assert [(c.pseudonym, c.identity.email) for c in store.list_clients()] == before
        assert store.tag_key == tag
    try:
        _Store.open(path, old)
    except _KeyError:
        pass
    else:
        raise AssertionError("the old key still opens the store")


def test_a_version_1_store_gains_the_new_columns_once_its_key_is_proven(tmp_path):
    """A store written by schema 1 (no contact route, no parsed phone) opens, keeps its
    clients, and is version 2 afterwards; with a wrong key it is left as it was."""
    path = tmp_path / "old.db"
    with Store.create(path, KEY) as store:
        client = store.add_client(ClientIdentity(name="Odile Quenneville", phone="07700 900461"))
    conn = sqlite3.connect(path)
    conn.execute("ALTER TABLE clients DROP COLUMN contact_ct")
    conn.execute("ALTER TABLE clients DROP COLUMN phone_e164_ct")
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (b"1",))
    conn.commit()
    conn.close()
    with pytest.raises(KeyError_):
        Store.open(path, WRONG)
    assert _version(path) == b"1"
    with Store.open(path, KEY) as store:
        (found,) = store.list_clients()
    assert found.id == client.id and found.identity.name == "Odile Quenneville"
    assert found.identity.contact is None and found.identity.phone_e164 is None
    assert _version(path) == str(SCHEMA_VERSION).encode()


def _version(path: Path) -> bytes:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    finally:
        conn.close()
