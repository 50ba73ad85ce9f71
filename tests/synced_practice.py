"""Test helper: a three-client practice synced against the `dav_server` fixture (the
embedded Radicale, then a Xandikos), for the in-process tests (tests/integration/) and the
ones that run pseudocal as a process (tests/service/)."""
from __future__ import annotations

import json
from datetime import date, timedelta

from davservers import path_of, profile_of
from practice import Practice, Session

FOREIGN = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Phone//EN\r\nBEGIN:VEVENT\r\n"
           b"UID:dentist-appointment@phone.example\r\nDTSTAMP:20261101T090000Z\r\n"
           b"DTSTART:20261210T090000Z\r\nDTEND:20261210T100000Z\r\nSUMMARY:Dentist\r\n"
           b"END:VEVENT\r\nEND:VCALENDAR\r\n")


def monday(weeks: int = 1) -> date:
    today = date.today()
    return today + timedelta(days=(0 - today.weekday()) % 7 + 7 * weeks)


def three_clients(tmp_path, server, capsys) -> Practice:
    """Three clients (one in New York, fortnightly with a skip; one once), a foreign event
    in the calendar, the server's counters reset."""
    p = Practice(tmp_path / "practice", server.calendar_url("practitioner", "practice"),
                 profile=profile_of(server))
    p.root.mkdir()
    assert p.run("init") == 0
    names = ["Test Person Alpha", "Test Person Beta", "Test Person Gamma"]
    pseudos = [p.add_client(n, capsys) for n in names]
    start = monday()
    p.sessions = [
        Session(pseudos[0], f"{start}T10:00:00"),
        Session(pseudos[1], f"{start + timedelta(days=1)}T09:00:00", repeat="fortnightly",
                extra='timezone = "America/New_York"\nskip = [' +
                      f"{start + timedelta(days=15)}]"),
        Session(pseudos[2], f"{start + timedelta(days=2)}T16:00:00", repeat="once",
                duration="1h"),
    ]
    status, _ = server.http("PUT", path_of(server.calendar_url()) + "foreign.ics", FOREIGN,
                            {"Content-Type": "text/calendar"})
    assert status == 201
    capsys.readouterr()
    server.reset_counters()
    return p


def writes(server) -> list:
    return [r for r in server.requests if r.method in ("PUT", "DELETE")]


def foreign_bytes(server) -> bytes:
    return (server.collection_dir("practitioner", "practice") / "foreign.ics").read_bytes()


def sync_json(practice: Practice, capsys, *flags: str) -> dict:
    assert practice.run("sync", "--json", *flags) == 0
    return json.loads(capsys.readouterr().out)
