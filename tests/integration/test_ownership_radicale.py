"""Against a real Radicale through the real CLI: ownership by the UID inside the object,
copies resolved to one, and one refused object that does not stop the others."""
from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest

from davservers import path_of, profile_of
from practice import Practice, Session
from recording import Answering

PHONE = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Phone//EN\r\nBEGIN:VEVENT\r\n"
         "UID:{uid}\r\nDTSTAMP:20261101T090000Z\r\nDTSTART:20261210T090000Z\r\n"
         "DTEND:20261210T100000Z\r\nSUMMARY:Dentist\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
ICS = {"Content-Type": "text/calendar"}


def monday(weeks: int = 1) -> date:
    today = date.today()
    return today + timedelta(days=(0 - today.weekday()) % 7 + 7 * weeks)


@pytest.fixture
def server(request):
    """The embedded Radicale; with `both` (indirect parametrisation) Xandikos too."""
    return request.getfixturevalue(getattr(request, "param", "radicale"))


both = pytest.mark.parametrize("server", ["radicale", "xandikos"], indirect=True)


@pytest.fixture
def practice(tmp_path, server, capsys):
    p = Practice(tmp_path / "practice", server.calendar_url("practitioner", "practice"),
                 profile=profile_of(server))
    p.root.mkdir()
    assert p.run("init") == 0
    pseudos = [p.add_client(n, capsys) for n in ("Test Person Alpha", "Test Person Beta",
                                                  "Test Person Gamma")]
    p.sessions = [Session(pseudo, f"{monday() + timedelta(days=i)}T10:00:00")
                  for i, pseudo in enumerate(pseudos)]
    capsys.readouterr()
    return p


def sync(practice: Practice, capsys, *flags: str, code: int = 0) -> dict:
    assert practice.run("sync", "--json", *flags) == code
    return json.loads(capsys.readouterr().out)


def ours(radicale) -> dict[str, bytes]:
    """name -> bytes of every object of ours on the calendar (found by their summary)."""
    return {f.name: f.read_bytes() for f in radicale.collection_dir().glob("*.ics")
            if b"SUMMARY:Dentist" not in f.read_bytes()}


def cal(server) -> str:
    """The path of the practice calendar on `server`."""
    return path_of(server.calendar_url("practitioner", "practice"))


def methods(radicale) -> list[str]:
    return [r.method for r in radicale.requests]


@both
def test_no_change_is_one_listing_and_a_foreign_calendar_is_read_once(practice, server,
                                                                      capsys):
    for n in range(20):  # the practitioner's own events
        assert server.http("PUT", f"{cal(server)}own-{n}.ics",
                             PHONE.format(uid=f"own-{n}@phone.example").encode(), ICS)[0] == 201
    server.reset_counters()
    first = sync(practice, capsys)
    assert first["created"] == 3 and first["objects_read"] == 20
    assert methods(server) == ["PROPFIND", "REPORT", "PUT", "PUT", "PUT"]
    server.reset_counters()
    second = sync(practice, capsys)
    assert second["objects_read"] == 0 and methods(server) == ["PROPFIND"]


@both
def test_a_foreign_object_at_an_href_of_ours_is_never_touched(practice, server, capsys):
    sync(practice, capsys)
    name = sorted(ours(server))[0]
    href = f"{cal(server)}{name}"
    foreign = PHONE.format(uid="dentist@phone.example").encode()
    # our event deleted on the phone, and another app stores one of its own at that href
    assert server.http("DELETE", href)[0] < 300
    assert server.http("PUT", href, foreign, {**ICS, "If-None-Match": "*"})[0] == 201
    stored = (server.collection_dir() / name).read_bytes()
    server.reset_counters()
    result = sync(practice, capsys)
    assert (result["created"], result["updated"], result["deleted"]) == (1, 0, 0)
    assert methods(server) == ["PROPFIND", "REPORT", "PUT"]
    assert re.search(r"-1\.ics$", server.requests[-1].path)  # ours at a free name
    practice.sessions = []
    sync(practice, capsys, "--allow-deletes")
    assert (server.collection_dir() / name).read_bytes() == stored  # byte for byte
    assert ours(server) == {}


@both
def test_a_phone_move_ends_with_one_copy_for_one_multiget(practice, server, capsys):
    sync(practice, capsys)
    name, data = sorted(ours(server).items())[0]
    assert server.http("DELETE", f"{cal(server)}{name}")[0] < 300
    assert server.http("PUT", f"{cal(server)}0B9F-moved.ics", data,
                         {**ICS, "If-None-Match": "*"})[0] == 201
    server.reset_counters()
    result = sync(practice, capsys)
    assert (result["created"], result["updated"], result["deleted"]) == (0, 1, 0)
    assert methods(server) == ["PROPFIND", "REPORT", "PUT"]
    assert len(ours(server)) == 3 and "0B9F-moved.ics" in ours(server)
    server.reset_counters()
    assert sync(practice, capsys)["updated"] == 0 and methods(server) == ["PROPFIND"]


def test_duplicates_left_at_two_hrefs_end_with_one_each_and_never_trip_the_valve(
        practice, server, capsys):
    # Radicale only: its files are written behind its back, as DAViCal would keep them
    # (Xandikos refuses a second UID with 412 and reads its objects from git)
    sync(practice, capsys)
    folder = server.collection_dir()
    for name, data in ours(server).items():  # as DAViCal keeps them: a 2nd file, same UID
        (folder / f"dup-{name}").write_bytes(data)
    server.reset_counters()
    result = sync(practice, capsys)  # 3 deletes of 3 managed: the valve would refuse them
    assert (result["created"], result["updated"], result["deleted"]) == (0, 0, 3)
    deletes = [r for r in server.requests if r.method == "DELETE"]
    assert all("/dup-" in r.path and r.header("If-Match") for r in deletes)
    assert len(ours(server)) == 3 and not any(n.startswith("dup-") for n in ours(server))


def refuse_put(radicale, name: str, status: int = 403) -> None:
    radicale._recorder.app = Answering(
        radicale._recorder.app,
        lambda m, p, b: (status, b"") if m == "PUT" and p.endswith("/" + name) else None)


def test_one_refused_put_does_not_stop_the_others_and_shows_in_status_and_check(
        practice, radicale, capsys):
    sync(practice, capsys)
    name = sorted(ours(radicale))[0]
    app = radicale._recorder.app
    refuse_put(radicale, name)
    for n in range(3):
        for s in practice.sessions:  # every event changes: three updates each time
            s.duration = f"{51 + n}m"
        result = sync(practice, capsys, code=12)
        assert result["updated"] == 2 and len(result["failed"]) == 1
        assert result["failed"][0]["kind"] == "refused" and "403" in result["failed"][0]["why"]
        assert practice.run("status", "--json") == 11  # a manual sync: no daemon anyway
        status = json.loads(capsys.readouterr().out)
        assert status["failed_actions"][0]["syncs"] == n + 1
        stuck = [p for p in status["problems"] if "could not be written" in p]
        assert bool(stuck) == (n == 2) and (not stuck or "next step" in stuck[0])
        assert practice.run("check") == (12 if n == 2 else 0)
        out = capsys.readouterr().out
        assert re.search(r"(warn|FAIL)\s+event\s+.*could not update it", out), out
        assert "Test Person" not in out
    radicale._recorder.app = app  # the server takes it again
    assert sync(practice, capsys)["updated"] == 1
    assert practice.run("check") == 0 and "could not" not in capsys.readouterr().out
    practice.run("status", "--json")
    assert json.loads(capsys.readouterr().out)["failed_actions"] == []


def cyrus_like(radicale) -> None:
    """UIDs unique across the user's calendars, a conflict answered as Cyrus does (403
    `unique-scheduling-object-resource` naming the holder)."""
    root = radicale.storage_dir / "collection-root" / "practitioner"

    def rule(method, path, body):
        uid = re.search(rb"^UID:(.+?)\r?$", body, re.MULTILINE)
        if method != "PUT" or not uid:
            return None
        for item in root.glob("*/*.ics"):
            held = "/" + item.relative_to(root.parent).as_posix()
            if held != path and uid.group(1) in item.read_bytes():
                return 403, ('<?xml version="1.0" encoding="utf-8"?><D:error xmlns:D="DAV:" '
                             'xmlns:C="urn:ietf:params:xml:ns:caldav"><C:unique-scheduling-'
                             f"object-resource><D:href>{held}</D:href></C:unique-scheduling-"
                             "object-resource></D:error>").encode()
        return None
    radicale._recorder.app = Answering(radicale._recorder.app, rule)


def test_a_calendar_move_on_a_server_with_account_wide_uids_says_plainly_what_to_do(
        practice, radicale, capsys):
    cyrus_like(radicale)
    sync(practice, capsys)
    practice.calendar_url = radicale.make_calendar("practitioner", "elsewhere")
    assert practice.run("sync", "--json", "--accept-calendar-change") == 12
    out, err = capsys.readouterr()
    result = json.loads(out)
    assert result["created"] == 0 and len(result["failed"]) == 3
    assert all(f["kind"] == "uid-elsewhere" for f in result["failed"])
    assert "/practitioner/practice/" in result["failed"][0]["why"]
    assert "unique across all of the account's calendars" in result["failed"][0]["why"]
    assert "delete the events pseudocal made in the old calendar" in \
        result["failed"][0]["next_step"]
    for name in ours(radicale):  # the practitioner follows the next step
        assert radicale.http("DELETE", f"/practitioner/practice/{name}")[0] < 300
    assert sync(practice, capsys)["created"] == 3
    assert err.count("could not create") == 3 and "next step: move the event" in err
