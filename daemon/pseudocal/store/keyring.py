"""The store's own keys, kept in `meta` under the master key.

    key_check   a known constant sealed with the master key: proves the key
    tag_key     wrapped; derive_key(master, "uid-tag") at creation, so a store
                recreated with the same master key recognises the same UIDs
    index_key   wrapped; random; keys the pseudonym blind index
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..crypto import InvalidTag, derive_key, generate_key, open_sealed, seal, unwrap_key, wrap_key
from ..errors import IntegrityError, KeyError_, StoreError
from .db import damaged
from .schema import SCHEMA_VERSION, UPGRADES

KEY_CHECK = b"pseudocal key check v1"
KEY_CHECK_AAD = b"meta:key_check"


@dataclass(frozen=True)
class Keys:
    master: bytes
    tag_key: bytes
    index_key: bytes

    def __repr__(self) -> str:
        return "Keys(<hidden>)"


def new_keys(master: bytes) -> Keys:
    return Keys(master, derive_key(master, "uid-tag"), generate_key())


def meta_rows(keys: Keys) -> list[dict]:
    """The `meta` rows of a new store."""
    values = {
        "schema_version": str(SCHEMA_VERSION).encode("ascii"),
        "key_check": seal(keys.master, KEY_CHECK, KEY_CHECK_AAD),
        "tag_key": wrap_key(keys.master, keys.tag_key, b"meta:tag_key"),
        "index_key": wrap_key(keys.master, keys.index_key, b"meta:index_key"),
    }
    return [{"key": key, "value": value} for key, value in values.items()]


def check_version(meta: dict[str, bytes], path: Path) -> int:
    """The store's schema version: this one, or an older one `UPGRADES` knows how to
    extend in place; StoreError for any other."""
    version = _version_number(meta.get("schema_version"))
    if version is None:
        raise StoreError(
            f"the store {path} records no schema version pseudocal can read, so it was not "
            "written by pseudocal, or by a version unlike this one", where=str(path),
            next_step="open it with the program that wrote it, or restore a pseudocal "
                      "backup; pseudocal will not convert or overwrite it")
    if version != SCHEMA_VERSION and version not in UPGRADES:
        raise StoreError(
            f"the store {path} has schema version {version}; this pseudocal "
            f"understands version {SCHEMA_VERSION}", where=str(path),
            next_step="run the pseudocal version that wrote it, or restore a backup "
                      "made by this version; pseudocal will not convert it blindly")
    return version


def _version_number(raw: object) -> int | None:
    """The schema version as stored (text, bytes or an integer), or None if it is none."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    try:
        text = bytes(raw).decode("ascii") if isinstance(raw, (bytes, memoryview)) else str(raw)
        return int(text.strip()) if raw is not None else None
    except (UnicodeDecodeError, ValueError, AttributeError):
        return None


def read_keys(meta: dict[str, bytes], master: bytes, path: Path, key_source: str) -> Keys:
    """Prove the master key against key_check, then unwrap the store's keys."""
    if meta.get("key_check") is None:
        raise damaged(path)
    try:
        proof = open_sealed(master, meta["key_check"], KEY_CHECK_AAD)
    except InvalidTag:
        proof = None
    if proof != KEY_CHECK:
        raise KeyError_(f"the key in {key_source} does not open the store {path}",
                        where=str(path),
                        next_step="use the key file that was created with this store "
                                  "(restore it from your key backup)")
    return Keys(master, _unwrap(meta, master, "tag_key", path),
                _unwrap(meta, master, "index_key", path))


def _unwrap(meta: dict[str, bytes], master: bytes, name: str, path: Path) -> bytes:
    try:
        return unwrap_key(master, meta.get(name) or b"", f"meta:{name}".encode())
    except InvalidTag:
        raise IntegrityError(f"meta.{name} in the store {path} fails authentication",
                             where=f"meta.{name}",
                             next_step="restore the store from a backup") from None
