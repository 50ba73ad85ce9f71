"""The store's tables (SQLAlchemy Core). Bump SCHEMA_VERSION on any change.

    meta       key/value: schema_version, key_check, tag_key, index_key
    clients    one row per client; every field sealed with the client's own
               data key (dek, wrapped by the master key); pseudonym_idx is a
               keyed blind index of the normalised pseudonym (UNIQUE)
    records    what was pushed to which calendar (no identity)
    sync_runs  one row per sync attempt, for `status`
    foreign_objects  objects read once and found not to be ours: a keyed digest of
               (calendar, href, ETag) each, so they are not read again while unchanged
    failed_actions   one row per event whose last write the server refused, with the
               reason and the number of syncs in a row it failed (labels: pseudonym and
               time; no identity)
    retired_pseudonyms  a pseudonym a client had before a rename or rotation: its keyed
               blind index (as clients.pseudonym_idx; never the text) -> the client's id,
               so a config still naming it maps to the client's current pseudonym
"""
from __future__ import annotations

from sqlalchemy import Column, Integer, LargeBinary, MetaData, Table, Text
from sqlalchemy.dialects import sqlite
from sqlalchemy.schema import CreateTable

SCHEMA_VERSION = 2
# Versions this code upgrades in place (additive changes only): version -> what it lacks.
# 1 -> 2: the contact route and the parsed phone number (nullable: absent in old rows),
# and the tables ADDED_TABLES (foreign_objects, failed_actions, retired_pseudonyms).
UPGRADES = {1: ("contact_ct", "phone_e164_ct")}

metadata = MetaData()

meta = Table(
    "meta", metadata,
    Column("key", Text, primary_key=True),
    Column("value", LargeBinary),
)

# identity attribute -> sealed column, in a fixed order
IDENTITY_COLUMNS: dict[str, str] = {
    "name": "name_ct",
    "email": "email_ct",
    "phone": "phone_ct",
    "timezone": "timezone_ct",
    "country": "country_ct",
    "notes": "notes_ct",
    "contact": "contact_ct",
    "phone_e164": "phone_e164_ct",
}
ADDED_COLUMNS = frozenset(c for added in UPGRADES.values() for c in added)

clients = Table(
    "clients", metadata,
    Column("id", Text, primary_key=True),
    Column("pseudonym_idx", LargeBinary, unique=True, nullable=False),
    Column("pseudonym_ct", LargeBinary),
    Column("dek", LargeBinary, nullable=False),
    *(Column(column, LargeBinary) for column in IDENTITY_COLUMNS.values()),
    Column("created_at", Text),
)

records = Table(
    "records", metadata,
    Column("uid", Text, primary_key=True),
    Column("calendar", Text),
    Column("href", Text),
    Column("etag", Text, nullable=True),
    Column("content_hash", Text),
    Column("kind", Text),
    Column("label", Text),
    Column("client_id", Text, nullable=True),
    Column("updated_at", Text),
)

sync_runs = Table(
    "sync_runs", metadata,
    Column("id", Integer, primary_key=True),
    Column("started_at", Text),
    Column("finished_at", Text, nullable=True),
    Column("result", Text, nullable=True),
    Column("created", Integer),
    Column("updated", Integer),
    Column("deleted", Integer),
    Column("error", Text, nullable=True),
)

foreign_objects = Table(
    "foreign_objects", metadata,
    Column("calendar", Text, primary_key=True),
    Column("digest", Text, primary_key=True),
)

failed_actions = Table(
    "failed_actions", metadata,
    Column("uid", Text, primary_key=True),
    Column("op", Text),
    Column("calendar", Text),
    Column("label", Text),
    Column("kind", Text),
    Column("reason", Text),
    Column("next_step", Text),
    Column("first_seen", Text),
    Column("last_seen", Text),
    Column("syncs", Integer),
)

retired_pseudonyms = Table(
    "retired_pseudonyms", metadata,
    Column("pseudonym_idx", LargeBinary, primary_key=True),
    Column("client_id", Text, nullable=False),
    Column("retired_at", Text),
)

# created in place by the 1 -> 2 upgrade (and in a version 2 store made before them)
ADDED_TABLES = (foreign_objects, failed_actions, retired_pseudonyms)


def added_tables_ddl() -> list[str]:
    """CREATE TABLE IF NOT EXISTS for each of ADDED_TABLES, in SQLite's dialect."""
    return [str(CreateTable(t, if_not_exists=True).compile(dialect=sqlite.dialect()))
            for t in ADDED_TABLES]
