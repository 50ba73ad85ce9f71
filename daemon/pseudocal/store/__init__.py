"""The local store: the encrypted client mapping, sync records and sync runs.

All SQL of pseudocal lives in this package (SQLAlchemy Core over SQLite):

    schema.py    tables and SCHEMA_VERSION
    db.py        engine, pragmas, transactions, health checks, SQLite errors
    keyring.py   key_check, tag_key and index_key in `meta`
    clients.py   sealing and opening client rows
    records.py   SQL for sync records and runs

`Store.create` refuses to overwrite; `Store.open` never creates or changes a
file it cannot fully trust: damage is a StoreError, a wrong key a KeyError_.
Each method is one short transaction.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import delete, insert, select, update
from sqlalchemy import exc as sa_exc

from ..crypto import seal, wrap_key
from ..errors import InputError
from ..identity import phones
from ..identity.pseudonyms import check, draw, normalise, tidy
from ..models import GOOD_RESULT, Client, ClientIdentity, Failure, Record
from . import db
from . import records as runs_sql
from .clients import (
    aad,
    blind_index,
    dek_of,
    encode_field,
    open_client,
    open_pseudonym,
    seal_client,
    seal_pseudonym,
)
from .keyring import Keys, check_version, meta_rows, new_keys, read_keys
from .schema import (
    ADDED_TABLES,
    IDENTITY_COLUMNS,
    SCHEMA_VERSION,
    UPGRADES,
    added_tables_ddl,
    clients,
    meta,
    metadata,
    retired_pseudonyms,
)

__all__ = ["Store", "GOOD_RESULT", "SCHEMA_VERSION"]

_DRAW_TRIES = 5


class Store:
    """An open store. Build one with `Store.create` or `Store.open`."""

    def __init__(self, path: Path, engine, keys: Keys) -> None:
        self._path, self._engine, self._keys = path, engine, keys
        # the last listing's rows as read and the clients opened from them: rows that did
        # not change are not decrypted again (the same sealed bytes open to the same client)
        self._opened: tuple[tuple, list[Client]] | None = None

    # ------------------------------------------------------------ lifecycle

    @classmethod
    def create(cls, path: Path, master_key: bytes) -> "Store":
        """A new, empty store at `path`; AlreadyExists if anything is there."""
        path = Path(path)
        db.create_file(path)
        engine = db.make_engine(path)
        try:
            keys = new_keys(master_key)
            with db.transaction(engine, path, write=True) as conn:
                metadata.create_all(conn)
                conn.execute(insert(meta), meta_rows(keys))
            db.checkpoint(engine, path)
        except BaseException:
            engine.dispose()
            db.remove_files(path)
            raise
        return cls(path, engine, keys)

    @classmethod
    def open(cls, path: Path, master_key: bytes, *, key_source: str = "the key file") -> "Store":
        """Open an existing store; StoreError when missing or damaged, KeyError_
        when `master_key` (read from `key_source`) is not its key."""
        path = Path(path)
        db.precheck(path)
        keys = _validate(path, master_key, key_source)
        return cls(path, db.make_engine(path), keys)

    @staticmethod
    def exists(path: Path) -> bool:
        return Path(path).exists()

    @property
    def path(self) -> Path:
        return self._path

    @property
    def tag_key(self) -> bytes:
        """The key that makes and recognises pseudocal's UIDs."""
        return self._keys.tag_key

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def backup(self, dest: Path) -> None:
        """A consistent copy of the store in a new file `dest` (SQLite backup API)."""
        db.backup(self._engine, self._path, Path(dest))

    def _tx(self, write: bool = False):
        return db.transaction(self._engine, self._path, write=write)

    # ------------------------------------------------------------ clients

    def add_client(self, identity: ClientIdentity, pseudonym: str | None = None) -> Client:
        """Store a new client under a chosen or drawn pseudonym (its phone parsed too)."""
        _check_identity(identity)
        identity = with_parsed_phone(identity)
        if pseudonym is not None:
            check(pseudonym, identity.name)
            return self._insert(identity, tidy(pseudonym))
        for _ in range(_DRAW_TRIES):  # a concurrent add may take the same draw
            drawn = draw(identity.name, self.pseudonyms())
            try:
                return self._insert(identity, drawn)
            except InputError:
                continue
        raise InputError("could not draw an unused pseudonym", next_step=_CHOOSE)

    def _insert(self, identity: ClientIdentity, pseudonym: str) -> Client:
        client = Client(id=secrets.token_hex(8), pseudonym=pseudonym, identity=identity,
                        created_at=datetime.now(timezone.utc).replace(microsecond=0))
        try:
            with self._tx(write=True) as conn:
                values = seal_client(self._keys, client)
                _ensure_free(conn, values["pseudonym_idx"], client.id, pseudonym)
                conn.execute(insert(clients).values(**values))
        except sa_exc.IntegrityError:
            raise _taken(pseudonym) from None
        return client

    def list_clients(self) -> "ClientList":
        """Every client, decrypted, sorted by pseudonym; with the pseudonyms they had
        before (`ClientList.replaced_by`), read in the same transaction."""
        rows, retired = self._client_rows()
        raw = tuple(tuple(row) for row in rows)
        if self._opened is not None and self._opened[0] == raw:
            found = self._opened[1]
        else:
            found = sorted((open_client(self._keys, row) for row in rows),
                           key=lambda c: (normalise(c.pseudonym), c.id))
            self._opened = (raw, found)
        return ClientList(found, self._keys.index_key, retired, _fingerprint(raw, retired))

    def clients_fingerprint(self) -> bytes:
        """Equal while no client was added, edited, renamed or removed (by any process):
        the rows as stored, sealed, without opening one (the daemon looks every few s)."""
        rows, retired = self._client_rows()
        return _fingerprint(tuple(tuple(row) for row in rows), retired)

    def _client_rows(self) -> tuple[list, dict[bytes, str]]:
        with self._tx() as conn:
            rows = list(conn.execute(select(clients)).all())
            retired = dict(conn.execute(select(retired_pseudonyms.c.pseudonym_idx,
                                               retired_pseudonyms.c.client_id)).all())
        return rows, retired

    def retired_owner(self, pseudonym: str) -> str | None:
        """The id of the client who had `pseudonym` before a rename or rotation (None:
        nobody, or it is somebody's pseudonym now). Matched by blind index only."""
        if not isinstance(pseudonym, str) or not tidy(pseudonym):
            return None
        index = blind_index(self._keys.index_key, pseudonym)
        query = select(retired_pseudonyms.c.client_id).where(
            retired_pseudonyms.c.pseudonym_idx == index)
        with self._tx() as conn:
            return conn.execute(query).scalar()

    def find_client(self, pseudonym: str) -> Client | None:
        """The client with this pseudonym (case- and space-insensitive)."""
        if not isinstance(pseudonym, str) or not tidy(pseudonym):
            return None
        index = blind_index(self._keys.index_key, pseudonym)
        with self._tx() as conn:
            row = conn.execute(select(clients).where(clients.c.pseudonym_idx == index)).first()
        return open_client(self._keys, row) if row else None

    def get_client(self, client_id: str) -> Client | None:
        with self._tx() as conn:
            row = conn.execute(select(clients).where(clients.c.id == client_id)).first()
        return open_client(self._keys, row) if row else None

    def pseudonyms(self) -> dict[str, str]:
        """pseudonym -> client id, for every client."""
        columns = (clients.c.id, clients.c.dek, clients.c.pseudonym_ct, clients.c.pseudonym_idx)
        with self._tx() as conn:
            rows = conn.execute(select(*columns)).all()
        return {open_pseudonym(self._keys, row): row.id for row in rows}

    def identities(self) -> list[ClientIdentity]:
        return [client.identity for client in self.list_clients()]

    def rename_client(self, client_id: str, new_pseudonym: str) -> Client:
        """Give a client a chosen pseudonym; InputError if unsafe or taken."""
        with self._tx(write=True) as conn:
            row = _fetch(conn, client_id)
            client = open_client(self._keys, row)
            check(new_pseudonym, client.identity.name)
            pseudonym = tidy(new_pseudonym)
            values = seal_pseudonym(self._keys, dek_of(self._keys, row), client_id, pseudonym)
            _ensure_free(conn, values["pseudonym_idx"], client_id, pseudonym)
            _retire(conn, row.pseudonym_idx, values["pseudonym_idx"], client_id)
            conn.execute(update(clients).where(clients.c.id == client_id).values(**values))
        return Client(client.id, pseudonym, client.identity, client.created_at)

    def edit_client(self, client_id: str, identity: ClientIdentity, *,
                    pseudonym: str | None = None) -> Client:
        """Replace a client's identity fields (its phone parsed again), re-sealed with the
        client's own data key: row id, data key and creation time stay. With `pseudonym`
        the pseudonym changes in the same transaction. InputError without a name, or when
        the pseudonym (kept or new) does not fit the new name (pseudonyms.check)."""
        _check_identity(identity)
        identity = with_parsed_phone(identity)
        with self._tx(write=True) as conn:
            row = _fetch(conn, client_id)
            client = open_client(self._keys, row)
            dek = dek_of(self._keys, row)
            new = client.pseudonym if pseudonym is None else tidy(pseudonym)
            check(new, identity.name)
            values = {column: seal(dek, encode_field(getattr(identity, attribute)),
                                   aad(column, client_id))
                      for attribute, column in IDENTITY_COLUMNS.items()}
            if pseudonym is not None:
                sealed = seal_pseudonym(self._keys, dek, client_id, new)
                _ensure_free(conn, sealed["pseudonym_idx"], client_id, new)
                _retire(conn, row.pseudonym_idx, sealed["pseudonym_idx"], client_id)
                values.update(sealed)
            conn.execute(update(clients).where(clients.c.id == client_id).values(**values))
        return Client(client.id, new, identity, client.created_at)

    def rotate_client(self, client_id: str) -> Client:
        """Give a client a freshly drawn pseudonym."""
        client = self.get_client(client_id)
        if client is None:
            raise _unknown(client_id)
        return self.rename_client(client_id, draw(client.identity.name, self.pseudonyms()))

    def forget_client(self, client_id: str) -> None:
        """Delete the client's row and its wrapped data key (crypto-shredding)."""
        with self._tx(write=True) as conn:
            gone = conn.execute(delete(clients).where(clients.c.id == client_id)).rowcount
            conn.execute(delete(retired_pseudonyms)
                         .where(retired_pseudonyms.c.client_id == client_id))
        if not gone:
            raise _unknown(client_id)
        db.checkpoint(self._engine, self._path)  # old WAL frames still hold the row

    def rotate_master_key(self, new_master: bytes) -> None:
        """Re-wrap every client's data key and the store's own keys under `new_master`,
        in one transaction: the store then opens with the new key only. The sealed
        fields, pseudonyms and UIDs do not change."""
        keys = Keys(new_master, self._keys.tag_key, self._keys.index_key)
        with self._tx(write=True) as conn:
            for row in conn.execute(select(clients.c.id, clients.c.dek)).all():
                dek = dek_of(self._keys, row)
                conn.execute(update(clients).where(clients.c.id == row.id)
                             .values(dek=wrap_key(new_master, dek, aad("dek", row.id))))
            for entry in meta_rows(keys):
                if entry["key"] != "schema_version":
                    conn.execute(update(meta).where(meta.c.key == entry["key"])
                                 .values(value=entry["value"]))
        db.checkpoint(self._engine, self._path)  # no WAL frame keeps the old wrapping
        self._keys = keys

    # ------------------------------------------------------------ records

    def records(self) -> dict[str, Record]:
        with self._tx() as conn:
            return runs_sql.all_records(conn)

    def put_record(self, rec: Record) -> None:
        with self._tx(write=True) as conn:
            runs_sql.put_record(conn, rec)

    def drop_record(self, uid: str) -> None:
        with self._tx(write=True) as conn:
            runs_sql.drop_record(conn, uid)

    def drop_all_records(self) -> None:
        with self._tx(write=True) as conn:
            runs_sql.drop_all_records(conn)

    # ------------------------------------------------------------ ownership and failures

    def foreign_objects(self) -> dict[str, frozenset[str]]:
        """calendar -> digests of the objects there already read and found not ours."""
        with self._tx() as conn:
            return runs_sql.foreign_digests(conn)

    def remember_foreign(self, calendar: str, digests: set[str]) -> None:
        """The foreign objects now on `calendar` (replacing what was remembered)."""
        with self._tx(write=True) as conn:
            runs_sql.replace_foreign(conn, calendar, digests)

    def failed_actions(self) -> list[dict]:
        """Each event whose last write failed: reason, next step, syncs in a row."""
        with self._tx() as conn:
            return runs_sql.failed_actions(conn)

    def note_failures(self, failed: list[Failure], succeeded: set[str],
                      complete: bool) -> None:
        """After a sync: count each failure one sync more (or start it), forget the events
        whose write succeeded, and after a complete sync every event not failing now."""
        with self._tx(write=True) as conn:
            runs_sql.note_failures(conn, failed, succeeded, complete)

    # ------------------------------------------------------------ sync runs

    def begin_run(self) -> int:
        with self._tx(write=True) as conn:
            return runs_sql.begin_run(conn)

    def finish_run(self, run_id: int, result: str, created: int, updated: int,
                   deleted: int, error: str | None = None) -> None:
        """Close a run; `result` is GOOD_RESULT ("ok") for a successful sync."""
        with self._tx(write=True) as conn:
            runs_sql.finish_run(conn, run_id, result, (created, updated, deleted), error)

    def last_runs(self, limit: int = 10) -> list[dict]:
        with self._tx() as conn:
            return runs_sql.last_runs(conn, limit)

    def last_good_run(self) -> dict | None:
        with self._tx() as conn:
            return runs_sql.last_good_run(conn)


# ---------------------------------------------------------------- helpers

_CHOOSE = "choose a pseudonym yourself with --pseudonym"


def _validate(path: Path, master_key: bytes, key_source: str) -> Keys:
    """Structure, then schema version, then key: damage is never called a wrong key."""
    tables, stored = db.inspect(path)
    if not {"meta", "clients", "records", "sync_runs"} <= tables:
        raise db.not_a_store(path)
    version = check_version(stored, path)
    keys = read_keys(stored, master_key, path, key_source)
    missing = {t.name for t in ADDED_TABLES} - tables  # also a v2 store from before them
    if version != SCHEMA_VERSION or missing:  # only after the key is proven: never write
        db.upgrade(path, UPGRADES.get(version, ()), SCHEMA_VERSION, added_tables_ddl())
    return keys


def with_parsed_phone(identity: ClientIdentity) -> ClientIdentity:
    """`identity` with `phone_e164` set from its phone (and country), for number matching."""
    return replace(identity, phone_e164=phones.to_e164(identity.phone, identity.country))


def _check_identity(identity: ClientIdentity) -> None:
    if not isinstance(identity.name, str) or not identity.name.strip():
        raise InputError("a client needs a name", next_step="give the client's name")


def _fetch(conn, client_id: str):
    row = conn.execute(select(clients).where(clients.c.id == client_id)).first()
    if row is None:
        raise _unknown(client_id)
    return row


def _ensure_free(conn, index: bytes, client_id: str, pseudonym: str) -> None:
    """InputError when another client has the pseudonym, or had it before (a config that
    still names a retired pseudonym means its old client, never a new one)."""
    query = select(clients.c.id).where(clients.c.pseudonym_idx == index)
    holder = conn.execute(query).scalar()
    if holder is None:
        holder = conn.execute(select(retired_pseudonyms.c.client_id).where(
            retired_pseudonyms.c.pseudonym_idx == index)).scalar()
    if holder is not None and holder != client_id:
        raise _taken(pseudonym)


def _retire(conn, old_index: bytes, new_index: bytes, client_id: str) -> None:
    """Remember the pseudonym a client leaves (its blind index only), and forget a
    retired one the client takes back."""
    if old_index == new_index:
        return
    conn.execute(delete(retired_pseudonyms).where(
        retired_pseudonyms.c.pseudonym_idx.in_([old_index, new_index])))
    conn.execute(insert(retired_pseudonyms).values(
        pseudonym_idx=old_index, client_id=client_id,
        retired_at=datetime.now(timezone.utc).replace(microsecond=0).isoformat()))


class ClientList(list):
    """`Store.list_clients()`: the clients, and the pseudonyms they had before, read in
    one transaction, so code handed the clients can map a config that still names a
    retired pseudonym to its client (`replaced_by`)."""

    def __init__(self, found: list[Client], index_key: bytes,
                 retired: dict[bytes, str], fingerprint: bytes | None = None) -> None:
        super().__init__(found)
        self._index_key, self._retired = index_key, retired
        self.fingerprint = fingerprint  # of the rows read: equal when nothing changed

    def replaced_by(self, pseudonym: str) -> Client | None:
        """The client whose earlier pseudonym this is (matched by blind index), or None."""
        if not self._retired or not isinstance(pseudonym, str) or not tidy(pseudonym):
            return None
        owner = self._retired.get(blind_index(self._index_key, pseudonym))
        return next((c for c in self if c.id == owner), None)


def _taken(pseudonym: str) -> InputError:
    return InputError(f"the pseudonym {pseudonym!r} is already in use",
                      next_step="choose another, or leave it out to have one drawn")


def _unknown(client_id: str) -> InputError:
    return InputError(f"no client with id {client_id}",
                      next_step="see `pseudocal client list`")


def _fingerprint(raw: tuple[tuple, ...], retired: dict[bytes, str]) -> bytes:
    digest = hashlib.sha256()
    for value in (*(v for row in raw for v in row), *sorted(retired.items())):
        digest.update(repr(value).encode() if not isinstance(value, bytes) else value)
        digest.update(b"\0")
    return digest.digest()
