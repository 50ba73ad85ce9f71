"""Sealing and opening client rows.

Each client has its own data key (dek), wrapped by the master key with AAD
`clients:dek:<id>`. Every field is sealed with the dek and AAD
`clients:<column>:<id>`, so a ciphertext moved to another row or column fails
to open. Field plaintexts are padded to a multiple of PAD bytes so lengths say
little, and a missing value is sealed too, so presence says nothing.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from ..crypto import InvalidTag, generate_key, open_sealed, seal, unwrap_key, wrap_key
from ..errors import IntegrityError
from ..identity.pseudonyms import normalise
from ..models import Client, ClientIdentity
from .keyring import Keys
from .schema import ADDED_COLUMNS, IDENTITY_COLUMNS

PAD = 32
_PRESENT, _ABSENT, _END = b"\x01", b"\x00", b"\x80"


def aad(column: str, client_id: str) -> bytes:
    return f"clients:{column}:{client_id}".encode("utf-8")


def blind_index(index_key: bytes, pseudonym: str) -> bytes:
    """A keyed digest of the normalised pseudonym (case- and space-insensitive)."""
    return hmac.new(index_key, normalise(pseudonym).encode("utf-8"), hashlib.sha256).digest()


def integrity_error(column: str, client_id: str) -> IntegrityError:
    """Names table, column and row only; never content."""
    return IntegrityError(
        f"clients.{column} of row {client_id} fails authentication "
        "(tampered with, moved or damaged)",
        where=f"clients.{column} row {client_id}",
        next_step="restore the store from a backup; do not edit it by hand")

# ---------------------------------------------------------------- fields


def encode_field(value: str | None) -> bytes:
    """Flag byte, UTF-8 text, then 0x80 and zero padding to a multiple of PAD."""
    body = _ABSENT if value is None else _PRESENT + value.encode("utf-8")
    body += _END
    return body + b"\x00" * (-len(body) % PAD)


def decode_field(data: bytes) -> str | None:
    """Inverse of encode_field; ValueError on anything it did not write."""
    body = data.rstrip(b"\x00")
    if not body.endswith(_END) or len(body) < 2:
        raise ValueError("bad field padding")
    flag, text = body[:1], body[1:-1]
    if flag == _ABSENT and not text:
        return None
    if flag != _PRESENT:
        raise ValueError("bad field flag")
    return text.decode("utf-8")


def _seal_field(dek: bytes, column: str, client_id: str, value: str | None) -> bytes:
    return seal(dek, encode_field(value), aad(column, client_id))


def _open_field(dek: bytes, row: Any, column: str) -> str | None:
    if column in ADDED_COLUMNS and getattr(row, column) is None:
        return None  # a row written before the column existed
    try:
        return decode_field(open_sealed(dek, getattr(row, column), aad(column, row.id)))
    except (InvalidTag, ValueError):
        raise integrity_error(column, row.id) from None

# ---------------------------------------------------------------- rows


def dek_of(keys: Keys, row: Any) -> bytes:
    try:
        return unwrap_key(keys.master, row.dek, aad("dek", row.id))
    except InvalidTag:
        raise integrity_error("dek", row.id) from None


def seal_client(keys: Keys, client: Client) -> dict:
    """The `clients` row for a new client, with a fresh data key."""
    dek = generate_key()
    row = {
        "id": client.id,
        "dek": wrap_key(keys.master, dek, aad("dek", client.id)),
        "created_at": client.created_at.isoformat(),
        **seal_pseudonym(keys, dek, client.id, client.pseudonym),
    }
    for attribute, column in IDENTITY_COLUMNS.items():
        row[column] = _seal_field(dek, column, client.id, getattr(client.identity, attribute))
    return row


def seal_pseudonym(keys: Keys, dek: bytes, client_id: str, pseudonym: str) -> dict:
    """The pseudonym columns (blind index and sealed text) of a row."""
    return {
        "pseudonym_idx": blind_index(keys.index_key, pseudonym),
        "pseudonym_ct": _seal_field(dek, "pseudonym_ct", client_id, pseudonym),
    }


def open_pseudonym(keys: Keys, row: Any, dek: bytes | None = None) -> str:
    """The pseudonym of a row, checked against its blind index."""
    pseudonym = _open_field(dek or dek_of(keys, row), row, "pseudonym_ct")
    if pseudonym is None:
        raise integrity_error("pseudonym_ct", row.id)
    if not hmac.compare_digest(blind_index(keys.index_key, pseudonym), row.pseudonym_idx):
        raise integrity_error("pseudonym_idx", row.id)
    return pseudonym


def open_client(keys: Keys, row: Any) -> Client:
    """The decrypted client of a full `clients` row."""
    dek = dek_of(keys, row)
    fields = {attr: _open_field(dek, row, column) for attr, column in IDENTITY_COLUMNS.items()}
    name = fields.pop("name")
    if not name:
        raise integrity_error("name_ct", row.id)
    return Client(id=row.id, pseudonym=open_pseudonym(keys, row, dek),
                  identity=ClientIdentity(name, **fields), created_at=_parse_time(row))


def _parse_time(row: Any) -> datetime:
    try:
        return datetime.fromisoformat(row.created_at)
    except (TypeError, ValueError):
        raise integrity_error("created_at", row.id) from None
