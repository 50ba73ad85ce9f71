"""Self-care on a real Radicale: breaks, supervision and reminders, read back and expanded."""
from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta, timezone

import pytest
import recurring_ical_events
from icalendar import Calendar

from davservers import path_of, profile_of
from practice import Practice, Session
from pseudocal.config import loader
from pseudocal.models import DEFAULT_CHECKLIST
from pseudocal.schedule import recurrence
from pseudocal.selfcare import planning

UTC = timezone.utc


@pytest.fixture
def server(dav_server):
    """The embedded Radicale, then a Xandikos (tests/conftest.py `dav_server`)."""
    return dav_server


def next_monday() -> date:
    today = date.today()
    return today + timedelta(days=(0 - today.weekday()) % 7 or 7)


MONDAY = next_monday()
WEDNESDAY, FRIDAY = MONDAY + timedelta(days=2), MONDAY + timedelta(days=4)


@pytest.fixture
def practice(tmp_path, server, capsys):
    selfcare_url = server.make_calendar("practitioner", "selfcare")
    extra = (f'[calendars.selfcare]\nurl = "{selfcare_url}"\n\n[breaks]\nmax_screen = "1h30m"\n\n'
             f'[supervision]\nstart = {FRIDAY}T14:00:00\nduration = "1h"\n\n')
    p = Practice(tmp_path / "practice", server.calendar_url("practitioner", "practice"),
                 profile=profile_of(server),
                 header_extra=extra)
    p.root.mkdir()
    assert p.run("init") == 0
    names = [p.add_client(n, capsys) for n in ("Test Person Alpha", "Test Person Beta",
                                                 "Test Person Gamma")]
    p.sessions = [  # two back to back on Mondays (100 minutes: a long break), one in New York
        Session(names[0], f"{MONDAY}T09:00:00", extra="count = 4"),
        Session(names[1], f"{MONDAY}T09:50:00", extra="count = 4"),
        Session(names[2], f"{WEDNESDAY}T09:00:00",
                extra='count = 4\ntimezone = "America/New_York"'),
    ]
    capsys.readouterr()
    server.reset_counters()
    return p


def sync(p: Practice, capsys) -> dict:
    capsys.readouterr()
    assert p.run("sync", "--json") == 0
    return json.loads(capsys.readouterr().out)


def events(server, name: str) -> dict[str, tuple[Calendar, object]]:
    """Every object on the server's calendar `name`, by file name."""
    found = {}
    for path in server.collection_dir("practitioner", name).glob("*.ics"):
        cal = Calendar.from_ical(path.read_bytes())
        found[path.name] = (cal, cal.walk("VEVENT")[0])
    return found


def by_summary(found: dict, summary: str) -> list[tuple[Calendar, object]]:
    return [pair for pair in found.values() if str(pair[1]["SUMMARY"]) == summary]


def instants(cals, start: datetime, end: datetime) -> set[tuple[datetime, timedelta]]:
    found = set()
    for cal, _ in cals:
        for ev in recurring_ical_events.of(cal).between(start, end):
            begin = ev["DTSTART"].dt.astimezone(UTC)
            found.add((begin, ev["DTEND"].dt.astimezone(UTC) - begin))
    return found


def at(day: date, hh: int, mm: int, zone: str = "Europe/London") -> datetime:
    return recurrence.localize(datetime.combine(day, time(hh, mm)), zone).astimezone(UTC)


def alarm(event) -> tuple[str, timedelta]:
    [found] = event.walk("VALARM")
    assert str(found["ACTION"]) == "DISPLAY"
    return str(found["DESCRIPTION"]), found["TRIGGER"].dt


def test_breaks_supervision_and_reminders_reach_the_phone(practice, server, capsys):
    first = sync(practice, capsys)
    now = datetime.now(UTC)
    short = planning.reminders(loader.load_settings(practice.config, env={}), now)
    assert short  # one hour of supervision: the months with sessions fall short
    assert first["created"] == 3 + 2 + 1 + len(short) and first["conflicts"] == 0
    main, care = events(server, "practice"), events(server, "selfcare")
    assert len(main) == 3 and len(care) == 2 + 1 + len(short)
    window = (now - timedelta(days=1), now + timedelta(days=60))

    for _, session in main.values():  # sessions carry the preparation checklist
        assert alarm(session) == (DEFAULT_CHECKLIST, timedelta(minutes=-15))
    breaks = by_summary(care, "Screen break")
    assert all(alarm(ev) == ("Stand up and walk around", timedelta(0)) for _, ev in breaks)
    assert all(str(ev["TRANSP"]) == "TRANSPARENT" for _, ev in breaks)
    weeks = [timedelta(weeks=k) for k in range(4)]
    assert instants(breaks, *window) == (
        {(at(MONDAY + w, 10, 40), timedelta(minutes=30)) for w in weeks} |  # long, after 2nd
        {(at(WEDNESDAY + w, 9, 50, "America/New_York"), timedelta(minutes=10)) for w in weeks})

    [(sup_cal, sup)] = by_summary(care, "Supervision")
    assert alarm(sup) == ("Supervision", timedelta(minutes=-15))
    assert instants([(sup_cal, sup)], *window) == {(at(FRIDAY, 14, 0), timedelta(hours=1))}

    reminders = by_summary(care, "Book supervision")
    assert len(reminders) == len(short)
    expected = {(ring.astimezone(UTC), timedelta(minutes=15)) for _, ring in short}
    assert instants(reminders, now - timedelta(days=1), now + timedelta(days=400)) == expected
    for _, ev in reminders:
        text, trigger = alarm(ev)
        assert text.startswith("Book supervision: ") and text.endswith("1h30m needed")
        assert trigger == timedelta(0)
        assert str(ev["TRANSP"]) == "TRANSPARENT"

    server.reset_counters()
    again = sync(practice, capsys)
    assert (again["created"], again["updated"], again["deleted"]) == (0, 0, 0)
    assert [r for r in server.requests if r.method in ("PUT", "DELETE")] == []


def test_a_deleted_reminder_stays_deleted_but_a_deleted_break_comes_back(practice, server,
                                                                          capsys):
    sync(practice, capsys)
    care = events(server, "selfcare")
    reminder = next(n for n, (_, ev) in care.items() if str(ev["SUMMARY"]) == "Book supervision")
    brk = next(n for n, (_, ev) in care.items() if str(ev["SUMMARY"]) == "Screen break")
    for name in (reminder, brk):
        selfcare = path_of(server.calendar_url("practitioner", "selfcare"))
        assert server.http("DELETE", f"{selfcare}{name}")[0] < 300
    result = sync(practice, capsys)
    assert (result["created"], result["updated"], result["deleted"]) == (1, 0, 0)
    after = events(server, "selfcare")
    assert brk in after and reminder not in after
    assert sync(practice, capsys)["created"] == 0


def test_nothing_names_a_client_on_either_calendar(practice, server, capsys):
    sync(practice, capsys)
    for name in ("practice", "selfcare"):
        for path in server.collection_dir("practitioner", name).glob("*.ics"):
            text = path.read_text(encoding="utf-8")
            assert "Test Person" not in text and "client" not in text.lower()
