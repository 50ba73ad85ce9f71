"""crypto: sealing, key files and self-recognising UIDs."""
from __future__ import annotations

import base64
import re
import stat

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pseudocal import crypto
from pseudocal.crypto import InvalidTag
from pseudocal.errors import AlreadyExists, KeyError_

KEY = bytes(range(32))
OTHER = bytes(range(1, 33))
UID_CHARS = re.compile(r"[A-Za-z0-9_.-]+")

# ---------------------------------------------------------------- sealing


def test_seal_round_trip():
    blob = crypto.seal(KEY, b"session notes", b"clients:notes_ct:abc")
    assert blob[:1] == crypto.SEAL_VERSION
    assert b"session notes" not in blob
    assert crypto.open_sealed(KEY, blob, b"clients:notes_ct:abc") == b"session notes"


def test_seal_uses_a_fresh_nonce():
    assert crypto.seal(KEY, b"x", b"a") != crypto.seal(KEY, b"x", b"a")


def test_wrong_aad_fails():
    blob = crypto.seal(KEY, b"x", b"clients:name_ct:1")
    with pytest.raises(InvalidTag):
        crypto.open_sealed(KEY, blob, b"clients:name_ct:2")


def test_wrong_key_fails():
    blob = crypto.seal(KEY, b"x", b"a")
    with pytest.raises(InvalidTag):
        crypto.open_sealed(OTHER, blob, b"a")


@pytest.mark.parametrize("mangle", [
    lambda b: b[:-1],
    lambda b: b[:5],
    lambda b: b"",
    lambda b: b"\x02" + b[1:],
    lambda b: b[:20] + bytes([b[20] ^ 1]) + b[21:],
])
def test_damaged_blob_fails(mangle):
    blob = crypto.seal(KEY, b"some text", b"a")
    with pytest.raises(InvalidTag):
        crypto.open_sealed(KEY, mangle(blob), b"a")


def test_wrap_round_trip_and_binding():
    dek = crypto.generate_key()
    blob = crypto.wrap_key(KEY, dek, b"clients:dek:1")
    assert crypto.unwrap_key(KEY, blob, b"clients:dek:1") == dek
    with pytest.raises(InvalidTag):
        crypto.unwrap_key(KEY, blob, b"clients:dek:2")
    with pytest.raises(InvalidTag):  # a sealed field is not a wrapped key
        crypto.unwrap_key(KEY, crypto.seal(KEY, dek, b"clients:dek:1"), b"clients:dek:1")


def test_derive_key_is_deterministic_and_separated():
    assert crypto.derive_key(KEY, "uid-tag") == crypto.derive_key(KEY, "uid-tag")
    assert crypto.derive_key(KEY, "uid-tag") != crypto.derive_key(KEY, "other")
    assert crypto.derive_key(KEY, "uid-tag") != crypto.derive_key(OTHER, "uid-tag")
    assert len(crypto.derive_key(KEY, "uid-tag")) == 32


def test_generate_key_is_random_32_bytes():
    assert len(crypto.generate_key()) == 32
    assert crypto.generate_key() != crypto.generate_key()

# ---------------------------------------------------------------- key files


def test_key_file_round_trip_and_mode(tmp_path):
    path = tmp_path / "state" / "keys" / "store-key"
    crypto.write_key_file(path, KEY)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    text = path.read_text("ascii")
    assert text.startswith("pseudocal-key-v1:") and text.endswith("\n")
    assert text.count("\n") == 1
    assert crypto.load_key_file(path) == KEY
    assert [p.name for p in path.parent.iterdir()] == ["store-key"]  # no temp file left


def test_write_key_file_refuses_existing_file(tmp_path):
    path = tmp_path / "store-key"
    crypto.write_key_file(path, KEY)
    before = path.read_bytes()
    with pytest.raises(AlreadyExists) as caught:
        crypto.write_key_file(path, OTHER)
    assert caught.value.exit_code == 10
    assert path.read_bytes() == before


def test_padded_key_file_is_accepted(tmp_path):
    path = tmp_path / "k"
    path.write_text("pseudocal-key-v1:" + base64.urlsafe_b64encode(KEY).decode() + "\r\n")
    assert crypto.load_key_file(path) == KEY


def test_missing_key_file(tmp_path):
    with pytest.raises(KeyError_) as caught:
        crypto.load_key_file(tmp_path / "nope")
    assert caught.value.exit_code == 4
    assert "nope" in caught.value.message and caught.value.next_step


def test_key_file_that_is_a_directory(tmp_path):
    with pytest.raises(KeyError_):
        crypto.load_key_file(tmp_path)


SECRETISH = base64.urlsafe_b64encode(bytes(range(100, 132))).decode().rstrip("=")


@pytest.mark.parametrize("content", [
    b"",
    b"\n",
    SECRETISH.encode(),  # no header
    b"pseudocal-key-v2:" + SECRETISH.encode(),
    b"pseudocal-key-v1:",
    b"pseudocal-key-v1:" + SECRETISH[:-4].encode(),  # too short
    b"pseudocal-key-v1:" + SECRETISH.encode() + b"AAAA",  # too long
    b"pseudocal-key-v1:" + SECRETISH.encode()[:-1] + b"!",  # bad alphabet
    b"\xff\xfe" + SECRETISH.encode(),
    b"pseudocal-key-v1:" + b"A" * 10000,
])
def test_malformed_key_file(tmp_path, content):
    path = tmp_path / "store-key"
    path.write_bytes(content)
    with pytest.raises(KeyError_) as caught:
        crypto.load_key_file(path)
    text = f"{caught.value.message} {caught.value.next_step}"
    assert str(path) in text
    assert SECRETISH[:8] not in text and SECRETISH[-8:] not in text

# ---------------------------------------------------------------- UIDs


def test_uid_shape_and_determinism():
    uid = crypto.make_uid(KEY, "session:abc:2026-12-01T10:00")
    assert UID_CHARS.fullmatch(uid) and uid == uid.lower()
    assert uid == crypto.make_uid(KEY, "session:abc:2026-12-01T10:00")
    assert uid != crypto.make_uid(KEY, "session:abc:2026-12-08T10:00")
    assert uid != crypto.make_uid(OTHER, "session:abc:2026-12-01T10:00")
    assert "session" not in uid and "abc" not in uid and "2026" not in uid


def test_own_uid_is_recognised_only_with_the_key():
    uid = crypto.make_uid(KEY, "break:1")
    assert crypto.is_own_uid(KEY, uid)
    assert not crypto.is_own_uid(OTHER, uid)
    assert not crypto.is_own_uid(KEY, uid.upper())
    assert not crypto.is_own_uid(KEY, uid + "x")


@given(st.text(max_size=80))
def test_random_text_is_not_an_own_uid(text):
    assert not crypto.is_own_uid(KEY, text)


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz234567", min_size=26, max_size=26),
       st.text(alphabet="abcdefghijklmnopqrstuvwxyz234567", min_size=16, max_size=16))
def test_well_shaped_foreign_uid_is_not_own(body, tag):
    assert not crypto.is_own_uid(KEY, f"{body}-{tag}")


@settings(max_examples=300)
@given(st.text(max_size=40), st.data())
def test_single_character_tampering_is_detected(object_key, data):
    uid = crypto.make_uid(KEY, object_key)
    position = data.draw(st.integers(0, len(uid) - 1))
    replacement = data.draw(st.characters(codec="utf-8").filter(lambda c: c != uid[position]))
    tampered = uid[:position] + replacement + uid[position + 1:]
    assert crypto.is_own_uid(KEY, uid)
    assert not crypto.is_own_uid(KEY, tampered)


@pytest.mark.parametrize("href, uid", [
    ("/dav/calendars/alex/practice/abc-def.ics", "abc-def"),
    ("https://cloud.example.org/cal/abc%2Ddef.ics", "abc-def"),
    ("abc.ics", "abc"),
    ("/cal/x.ics?query=1", "x"),
    ("/cal/", None),
    ("/cal/abc", None),
    ("/cal/.ics", None),
    ("", None),
])
def test_uid_from_href(href, uid):
    assert crypto.uid_from_href(href) == uid


def test_uid_round_trips_through_an_href():
    uid = crypto.make_uid(KEY, "supervision:2026-12")
    assert crypto.is_own_uid(KEY, crypto.uid_from_href(f"/cal/{uid}.ics"))
