"""Which objects on the calendars are ours: the UID inside each object decides, never its
href (a foreign event at an href shaped like ours is foreign; ours at any href is ours).

Per calendar, one listing (href -> ETag), and then:

    the href and ETag are those of a sync record        ours, that record's UID; no request
    a digest of (calendar, href, ETag) is remembered    foreign; no request
        as foreign
    anything else (a new href, a changed ETag)          read, all of them in one REPORT
                                                        calendar-multiget (batches of
                                                        MULTIGET_BATCH): ours when every
                                                        top-level component carries one UID
                                                        with our tag, else foreign

So a sync where nothing changed costs one listing per calendar, and one where a phone
edited or moved events costs one multiget more per calendar touched. Foreign objects are
remembered by a keyed digest only (the store keeps no href or ETag of them): a calendar
full of the practitioner's own events is read once, and again only where they change.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol
from urllib.parse import unquote, urlparse

from ..crypto import is_own_uid, keyed_digest
from ..models import Record, RemoteObject

MULTIGET_BATCH = 100  # hrefs per calendar-multiget REPORT
_UID_LINE = re.compile(r"UID(?:;[^:]*)?:(.*)", re.IGNORECASE)


class Listing(Protocol):
    def list(self) -> dict[str, str]: ...
    def multiget(self, hrefs: Sequence[str]) -> dict[str, tuple[bytes, str]]: ...


@dataclass
class Survey:
    """What the calendars hold, as far as pseudocal is concerned."""
    copies: dict[str, list[RemoteObject]] = field(default_factory=dict)  # our UID -> copies
    listed: dict[str, set[str]] = field(default_factory=dict)  # calendar -> hrefs listed
    foreign: dict[str, set[str]] = field(default_factory=dict)  # calendar -> digests now
    read: int = 0  # objects read (multiget) this time


@lru_cache(maxsize=8192)  # every sync asks again for every href listed and recorded
def path_of(href: str) -> str:
    """An href or URL as the path the records keep (percent-decoded)."""
    return unquote(urlparse(href).path)


def survey(remotes: Mapping[str, Listing], records: dict[str, Record],
           known_foreign: dict[str, frozenset[str]], tag_key: bytes) -> Survey:
    """List every calendar; read (multiget) only the objects neither a record nor the
    remembered foreign digests explain."""
    found = Survey()
    for name, remote in remotes.items():
        _survey_one(found, name, remote, records, known_foreign.get(name, frozenset()),
                    tag_key)
    return found


def _survey_one(found: Survey, name: str, remote: Listing, records: dict[str, Record],
                known: frozenset[str], tag_key: bytes) -> None:
    ours = {(r.href, r.etag): r.uid for r in records.values() if r.calendar == name and r.etag}
    found.listed[name], found.foreign[name] = set(), set()
    unclear: dict[str, str] = {}  # href as the server spelled it -> its listed ETag
    for href, etag in remote.list().items():
        path = path_of(href)
        found.listed[name].add(path)
        digest = keyed_digest(tag_key, name, path, etag)
        if (path, etag) in ours:
            uid = ours[(path, etag)]
            _add(found, uid, RemoteObject(path, etag, uid, True, name))
        elif digest in known:
            found.foreign[name].add(digest)
        else:
            unclear[href] = etag
    spelled = sorted(unclear)
    for start in range(0, len(spelled), MULTIGET_BATCH):
        got = remote.multiget(spelled[start:start + MULTIGET_BATCH])
        listed = {path_of(h): unclear[h] for h in spelled[start:start + MULTIGET_BATCH]}
        _read(found, name, got, listed, tag_key)


def _read(found: Survey, name: str, got: dict[str, tuple[bytes, str]],
          listed: dict[str, str], tag_key: bytes) -> None:
    """Sort the objects a multiget returned into ours and foreign (gone ones are absent;
    so is anything the server answered that was not asked for)."""
    for href, (data, etag) in got.items():
        path, uids = path_of(href), top_uids(data)
        if path not in listed:
            continue
        found.read += 1
        uid = next(iter(uids)) if len(uids) == 1 else None
        if uid is not None and is_own_uid(tag_key, uid):
            _add(found, uid, RemoteObject(path, etag or listed[path], uid, True, name))
        else:  # remembered with the listed ETag: the one the next listing compares
            found.foreign[name].add(keyed_digest(tag_key, name, path, listed[path]))


def _add(found: Survey, uid: str, obj: RemoteObject) -> None:
    found.copies.setdefault(uid, []).append(obj)


def top_uids(data: bytes) -> set[str]:
    """The UIDs of an iCalendar object's top-level components (VEVENT, VTODO...; not
    VTIMEZONE, and not an alarm's own UID, RFC 9074). Never raises: what cannot be read
    has no UID, so it is foreign."""
    text = re.sub(r"\r?\n[ \t]", "", data.decode("utf-8", "replace"))
    stack: list[str] = []
    uids: set[str] = set()
    for line in text.splitlines():
        head = line[:6].upper()
        if head == "BEGIN:":
            stack.append(line[6:].strip().upper())
        elif head.startswith("END:"):
            stack = stack[:-1]
        elif len(stack) == 2 and stack[0] == "VCALENDAR" and stack[1] != "VTIMEZONE":
            match = _UID_LINE.fullmatch(line)
            if match:
                uids.add(match.group(1).strip())
    return uids
