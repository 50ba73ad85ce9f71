"""The store's tables (SQLAlchemy Core). Bump SCHEMA_VERSION on any change.

    meta       key/value: schema_version, key_check, tag_key, index_key
    clients    one row per client; every field sealed with the client's own
               data key (dek, wrapped by the master key); pseudonym_idx is a
               keyed blind index of the normalised pseudonym (UNIQUE)
    records    what was pushed to which calendar (no identity)
    sync_runs  one row per sync attempt, for `status`
"""
from __future__ import annotations

from sqlalchemy import (Column, Integer, LargeBinary, MetaData, Table, Text)

SCHEMA_VERSION = 2
# Versions this code upgrades in place (additive changes only): version -> what it lacks.
# 1 -> 2: the contact route and the parsed phone number (nullable: absent in old rows).
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
