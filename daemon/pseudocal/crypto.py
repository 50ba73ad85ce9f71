"""The whole crypto interface: keys, sealing with associated data, and UIDs.

    generate_key / write_key_file / load_key_file   the master key on disk
    seal / open_sealed                              AEAD (AES-256-GCM) with AAD
    wrap_key / unwrap_key                           a data key sealed by a key
    derive_key                                      HKDF-SHA256 sub-keys
    make_uid / is_own_uid / uid_from_href           keyed, self-recognising UIDs
    keyed_digest                                    a keyed digest that names nothing

A sealed blob is `version (1 byte) | nonce (12) | ciphertext+tag`. The AAD
binds a blob to where it lives, so a blob moved elsewhere fails to open.
Nothing here ever puts key material into a message.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from .errors import AlreadyExists, KeyError_

if TYPE_CHECKING:
    from cryptography.exceptions import InvalidTag

__all__ = [
    "InvalidTag", "KEY_BYTES", "generate_key", "write_key_file", "load_key_file",
    "seal", "open_sealed", "wrap_key", "unwrap_key", "derive_key",
    "make_uid", "is_own_uid", "uid_from_href", "keyed_digest",
]

KEY_BYTES = 32
KEY_HEADER = "pseudocal-key-v1:"
SEAL_VERSION = b"\x01"
NONCE_BYTES = 12
TAG_BYTES = 16
MAX_KEY_FILE = 4096  # a key file is one short line; anything bigger is not one

_B64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")

# ---------------------------------------------------------------- key files


def generate_key() -> bytes:
    """A fresh random 256-bit key."""
    return secrets.token_bytes(KEY_BYTES)


def encode_key(key: bytes) -> str:
    """The key file's text: one line, header plus unpadded base64url."""
    _check_key(key)
    return KEY_HEADER + base64.urlsafe_b64encode(key).decode("ascii").rstrip("=") + "\n"


def write_key_file(path: Path, key: bytes) -> None:
    """Create `path` (mode 0600, parents 0700) holding `key`; never overwrite."""
    path = Path(path)
    if path.exists() or path.is_symlink():
        raise _key_exists(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    data = encode_key(key).encode("ascii")
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    _write_new(tmp, data)
    try:
        _publish(tmp, path, data)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(path.parent)


def _publish(tmp: Path, path: Path, data: bytes) -> None:
    """Link the complete file into place; fall back to O_EXCL without links."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise _key_exists(path) from None
    except OSError:  # a file system without hard links
        try:
            _write_new(path, data)
        except FileExistsError:
            raise _key_exists(path) from None


def _write_new(path: Path, data: bytes) -> None:
    """Write `data` to a file that must not exist yet, mode 0600, synced."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _key_exists(path: Path) -> AlreadyExists:
    return AlreadyExists(
        f"a key file already exists at {path}", where=str(path),
        next_step="pseudocal never overwrites a key; keep it (and its backup), "
                  "or move it away yourself if you are sure it is not needed")


def load_key_file(path: Path) -> bytes:
    """Read a master key written by `write_key_file` (or a systemd credential)."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_KEY_FILE + 1)
    except FileNotFoundError:
        raise _key_error(path, "no key file at {path}",
                         "run `pseudocal init` for a new store, or restore the key "
                         "file from your backup") from None
    except PermissionError:
        raise _key_error(path, "cannot read the key file {path} (permission denied)",
                         "make it readable by the user pseudocal runs as "
                         "(owner only, mode 0600)") from None
    except OSError as exc:
        raise _key_error(path, f"cannot read the key file {{path}} ({exc.strerror})",
                         "check that the path names a regular file") from None
    return _parse_key(path, raw)


def _parse_key(path: Path, raw: bytes) -> bytes:
    """The key inside a key file's bytes, or KeyError_ (without echoing them)."""
    try:
        text = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        text = ""
    if len(raw) > MAX_KEY_FILE or not text.startswith(KEY_HEADER):
        raise _key_error(path, "{path} is not a pseudocal key file "
                               f"(expected one line starting with '{KEY_HEADER}')",
                         _RESTORE_KEY)
    body = text[len(KEY_HEADER):]
    key = _decode_b64url(body)
    if key is None or len(key) != KEY_BYTES:
        raise _key_error(path, "the key in {path} is malformed (wrong encoding or length)",
                         _RESTORE_KEY)
    return key


_RESTORE_KEY = "restore the key file from your backup; pseudocal will not replace it"


def _decode_b64url(body: str) -> bytes | None:
    if not _B64URL.fullmatch(body):
        return None
    try:
        return base64.urlsafe_b64decode(body.rstrip("=") + "=" * (-len(body.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        return None


def _key_error(path: Path, template: str, next_step: str) -> KeyError_:
    return KeyError_(template.format(path=path), next_step=next_step, where=str(path))


def _check_key(key: bytes) -> None:
    if not isinstance(key, (bytes, bytearray)) or len(key) != KEY_BYTES:
        raise ValueError(f"a key must be {KEY_BYTES} bytes")

# ---------------------------------------------------------------- sealing


def __getattr__(name: str) -> Any:
    # cryptography is imported when a key is first used, not by every command that
    # imports this module (`--help`, `status` and the UID helpers need none of it)
    if name == "InvalidTag":
        from cryptography.exceptions import InvalidTag
        return InvalidTag
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """Encrypt and authenticate `plaintext`, bound to `aad`."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    _check_key(key)
    nonce = secrets.token_bytes(NONCE_BYTES)
    return SEAL_VERSION + nonce + AESGCM(bytes(key)).encrypt(nonce, plaintext, aad)


def open_sealed(key: bytes, blob: bytes, aad: bytes) -> bytes:
    """The plaintext of a sealed blob; `InvalidTag` if anything does not match."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    _check_key(key)
    if not isinstance(blob, (bytes, bytearray)):
        raise InvalidTag()
    blob = bytes(blob)
    if len(blob) < 1 + NONCE_BYTES + TAG_BYTES or blob[:1] != SEAL_VERSION:
        raise InvalidTag()
    nonce, body = blob[1:1 + NONCE_BYTES], blob[1 + NONCE_BYTES:]
    return AESGCM(bytes(key)).decrypt(nonce, body, aad)


def wrap_key(kek: bytes, dek: bytes, aad: bytes) -> bytes:
    """Seal a data key with a key-encryption key."""
    _check_key(dek)
    return seal(kek, bytes(dek), b"wrap:" + aad)


def unwrap_key(kek: bytes, blob: bytes, aad: bytes) -> bytes:
    """The data key inside a wrapped blob; `InvalidTag` on any mismatch."""
    from cryptography.exceptions import InvalidTag
    dek = open_sealed(kek, blob, b"wrap:" + aad)
    if len(dek) != KEY_BYTES:
        raise InvalidTag()
    return dek


def derive_key(master: bytes, purpose: str) -> bytes:
    """A sub-key of `master` for one purpose (HKDF-SHA256)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    _check_key(master)
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None,
                info=b"pseudocal:" + purpose.encode("utf-8"))
    return hkdf.derive(bytes(master))

# ---------------------------------------------------------------- UIDs

UID_BODY_BYTES = 16
UID_TAG_BYTES = 10
_UID_SHAPE = re.compile(r"([a-z2-7]{26})-([a-z2-7]{16})")


def _mac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=").lower()


def _uid_tag(tag_key: bytes, body: str) -> str:
    return _b32(_mac(tag_key, "tag:" + body)[:UID_TAG_BYTES])


def make_uid(tag_key: bytes, object_key: str) -> str:
    """A UID for `object_key`: stable for this key, random-looking to others."""
    _check_key(tag_key)
    body = _b32(_mac(tag_key, "uid:" + object_key)[:UID_BODY_BYTES])
    return f"{body}-{_uid_tag(tag_key, body)}"


def is_own_uid(tag_key: bytes, uid: str) -> bool:
    """True when `uid` carries a valid tag for this key (made by `make_uid`)."""
    _check_key(tag_key)
    match = _UID_SHAPE.fullmatch(uid) if isinstance(uid, str) else None
    if match is None:
        return False
    body, tag = match.groups()
    return hmac.compare_digest(tag, _uid_tag(tag_key, body))


def uid_from_href(href: str) -> str | None:
    """The UID an href names (`…/<uid>.ics`), or None for any other href."""
    path = urlsplit(href).path
    segment = unquote(path.rsplit("/", 1)[-1])
    if not segment.endswith(".ics") or len(segment) == len(".ics"):
        return None
    return segment[:-len(".ics")]


def keyed_digest(key: bytes, *parts: str) -> str:
    """A keyed digest of `parts` (hex, 128 bits): remembers that something was seen
    without keeping what it was."""
    _check_key(key)
    return _mac(key, "digest:" + "\0".join(parts))[:16].hex()
