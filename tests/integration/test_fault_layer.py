"""The other servers' answers inside `make test`: the fault layer (tests/davproxy.py) in
front of the embedded Radicale answers as Cyrus does (403 `unique-scheduling-object-resource`
naming the holder, UIDs unique across the account) or as DAViCal does (a duplicate UID stored
and answered 201), and the sync engine meets them through the real CalDAVRemote and CLI.

`make interop` runs the real Cyrus and DAViCal; these tests keep their dialects in every
`make test`.
"""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from davproxy import uid_of
from davservers import FaultyRadicale
from practice import Practice, Session
from pseudocal.errors import ConflictError
from pseudocal.models import CalendarSettings
from pseudocal.remote.caldav_remote import CalDAVRemote

# Ownership by UID (issue 8, points 2 and 3: the 403 dialect read as a UID conflict, one
# failed action never stopping the others, ours recognised at any href) is another
# engineer's work in progress; `multiget` comes with it. Until it is committed these tests
# must fail (strict); once it is, they must pass. Remove the marks when it has landed.
needs_ownership = pytest.mark.xfail(not hasattr(CalDAVRemote, "multiget"), strict=True,
                                    reason="needs ownership-by-UID engine work")

PRACTICE = "/practitioner/practice/"
OTHER = "/practitioner/other/"


def ics(uid: str, summary: str = "Amber Falcon") -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//pseudocal//tests//EN\r\n"
            f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n"
            "DTSTART:20261201T100000Z\r\nDTEND:20261201T105000Z\r\n"
            f"SUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").encode()


def put(server, path: str, data: bytes, **headers: str) -> tuple[int, bytes]:
    return server.http("PUT", path, data, {"Content-Type": "text/calendar", **headers})


def copies(radicale, uid: str) -> list[str]:
    """Every href of the account (all its calendars) holding an object with `uid`."""
    root = radicale.storage_dir / "collection-root" / "practitioner"
    return sorted("/" + f.relative_to(root.parent).as_posix() for f in root.glob("*/*.ics")
                  if uid_of(f.read_bytes()) == uid)


@pytest.fixture
def cyrus(radicale):
    radicale.make_calendar("practitioner", "other")
    server = FaultyRadicale(radicale, "cyrus")
    yield server
    server.close()


@pytest.fixture
def davical(radicale):
    server = FaultyRadicale(radicale, "davical")
    yield server
    server.close()


def remote_on(server, name: str = "practice"):
    return CalDAVRemote(CalendarSettings(url=server.calendar_url("practitioner", name),
                                         username="practitioner"), "not-checked", timeout=5)


# ---------------------------------------------------------------- the fault layer itself


def test_the_cyrus_dialect_answers_a_taken_uid_as_cyrus_does(cyrus, radicale):
    assert put(cyrus, PRACTICE + "a.ics", ics("taken"), **{"If-None-Match": "*"})[0] == 201
    status, body = put(cyrus, PRACTICE + "b.ics", ics("taken"), **{"If-None-Match": "*"})
    assert status == 403
    assert (b"<C:unique-scheduling-object-resource><D:href>/practitioner/practice/a.ics"
            b"</D:href></C:unique-scheduling-object-resource>") in body
    status, body = put(cyrus, OTHER + "a.ics", ics("taken"), **{"If-None-Match": "*"})
    assert status == 403 and b"<D:href>/practitioner/practice/a.ics</D:href>" in body
    assert put(cyrus, PRACTICE + "c.ics", ics("free"), **{"If-None-Match": "*"})[0] == 201
    status, body = put(cyrus, PRACTICE + "c.ics", ics("taken"), **{"If-Match": "*"})
    assert status == 403 and b"<C:no-uid-conflict>" in body
    assert copies(radicale, "taken") == [PRACTICE + "a.ics"]  # nothing else was stored


def test_the_davical_dialect_really_keeps_both_copies_and_lists_them(davical, radicale):
    with remote_on(davical) as remote:
        first = remote.create("a1.ics", ics("same"))
        second = remote.create("b2.ics", ics("same", "Second copy"))  # 201, as DAViCal
        listed = remote.list()
        assert listed == {first[0]: first[1], second[0]: second[1]}
        data, etag = remote.get(second[0])
        assert etag == second[1] and b"SUMMARY:Second copy" in data
    assert copies(radicale, "same") == [PRACTICE + "a1.ics", PRACTICE + "b2.ics"]
    assert (radicale.collection_dir() / "b2.ics").read_bytes() == ics("same", "Second copy")
    # another client sees both too, straight from Radicale
    assert radicale.http("GET", PRACTICE + "b2.ics", user="practitioner")[0] == 200


@needs_ownership
def test_a_403_uid_conflict_is_a_uid_conflict_naming_the_holder(cyrus):
    with remote_on(cyrus) as remote, remote_on(cyrus, "other") as other:
        href, etag = remote.create("a1.ics", ics("u1"))
        for call in (lambda: remote.create("b2.ics", ics("u1")),
                     lambda: other.create("a1.ics", ics("u1"))):  # account-wide UIDs
            with pytest.raises(ConflictError) as caught:
                call()
            assert caught.value.kind == "uid"
            assert caught.value.holder == href
        own, own_etag = remote.create("c3.ics", ics("u3"))
        with pytest.raises(ConflictError) as caught:
            remote.update(own, ics("u1"), own_etag)
        assert caught.value.kind == "uid"


# ---------------------------------------------------------------- the sync meets them


def monday(weeks: int = 1) -> date:
    today = date.today()
    return today + timedelta(days=(0 - today.weekday()) % 7 + 7 * weeks)


@pytest.fixture
def practice(tmp_path, radicale, capsys):
    """Three weekly sessions; the config points at `practice.calendar_url` (set per test)."""
    p = Practice(tmp_path / "practice", radicale.calendar_url(), profile=None)
    p.root.mkdir()
    assert p.run("init") == 0
    p.sessions = [Session(p.add_client(name, capsys), f"{monday()}T{10 + i}:00:00")
                  for i, name in enumerate(["Test Person Alpha", "Test Person Beta",
                                            "Test Person Gamma"])]
    capsys.readouterr()
    return p


def sync(practice, capsys, *flags: str) -> tuple[int, dict]:
    code = practice.run("sync", "--json", *flags)
    out = capsys.readouterr().out
    return code, json.loads(out) if out.strip().startswith("{") else {}


def ours(radicale) -> dict[str, bytes]:
    """The practice calendar's objects, by file name."""
    return {f.name: f.read_bytes() for f in radicale.collection_dir().glob("*.ics")}


def object_of(radicale, summary: str) -> tuple[str, bytes]:
    return next((name, data) for name, data in ours(radicale).items()
                if f"SUMMARY:{summary}".encode() in data)


def writes(server) -> list:
    return [r for r in server.requests if r.method in ("PUT", "DELETE")]


@needs_ownership
def test_a_403_uid_conflict_on_one_event_does_not_stop_the_others(practice, cyrus, radicale,
                                                                  capsys):
    practice.calendar_url = cyrus.calendar_url()
    assert sync(practice, capsys)[1]["created"] == 3
    moved = practice.sessions[0].client
    name, data = object_of(radicale, moved)
    # the phone moves that event to another calendar of the same account
    assert radicale.http("PUT", OTHER + "moved-by-phone.ics", data,
                         {"Content-Type": "text/calendar"}, user="practitioner")[0] == 201
    assert radicale.http("DELETE", PRACTICE + name, user="practitioner")[0] < 300
    practice.sessions[1].duration = "55m"
    practice.sessions.append(Session(practice.sessions[2].client, f"{monday(2)}T16:00:00",
                                     repeat="once"))
    cyrus.reset_counters()
    code, result = sync(practice, capsys)
    assert code != 6, "one 403 UID conflict aborted the whole plan"
    assert (result["created"], result["updated"]) == (1, 1)  # the others went ahead
    refused = [r for r in writes(cyrus) if r.method == "PUT" and uid_of(r.body) == uid_of(data)]
    assert len(refused) <= 1  # tried at most once, never blindly retried
    assert copies(radicale, uid_of(data)) == [OTHER + "moved-by-phone.ics"]
    assert len(ours(radicale)) == 3
    cyrus.reset_counters()
    code, result = sync(practice, capsys)
    assert code != 6 and (result["created"], result["updated"]) == (0, 0)


@needs_ownership
def test_an_event_moved_to_another_href_stays_one_copy_on_davical(practice, davical, radicale,
                                                                  capsys):
    practice.calendar_url = davical.calendar_url()
    assert sync(practice, capsys)[1]["created"] == 3
    name, data = object_of(radicale, practice.sessions[0].client)
    uid = uid_of(data)
    # a phone app's "move": the same object at a new href, then the old one deleted
    assert put(davical, PRACTICE + "moved-by-phone.ics", data)[0] == 201
    assert davical.http("DELETE", PRACTICE + name)[0] < 300
    assert copies(radicale, uid) == [PRACTICE + "moved-by-phone.ics"]
    code, _ = sync(practice, capsys)
    assert code == 0
    assert copies(radicale, uid) == [PRACTICE + "moved-by-phone.ics"], \
        "the sync made a second copy DAViCal then kept"
    davical.reset_counters()
    assert sync(practice, capsys)[0] == 0 and writes(davical) == []


@needs_ownership
def test_a_duplicate_of_ours_on_davical_is_resolved_to_one_copy(practice, davical, radicale,
                                                                capsys):
    practice.calendar_url = davical.calendar_url()
    assert sync(practice, capsys)[1]["created"] == 3
    name, data = object_of(radicale, practice.sessions[1].client)
    uid = uid_of(data)
    assert put(davical, PRACTICE + "copy-by-another-app.ics", data)[0] == 201  # DAViCal: 201
    assert len(copies(radicale, uid)) == 2
    sync(practice, capsys)
    assert len(copies(radicale, uid)) == 1, "two copies of one of our events are left online"
    assert len({uid_of(d) for d in ours(radicale).values()}) == len(ours(radicale)) == 3
    davical.reset_counters()
    assert sync(practice, capsys)[0] == 0 and writes(davical) == []
