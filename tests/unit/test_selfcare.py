"""Self-care: break placement, break objects, the supervision ledger, schedule warnings."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from icalendar import Calendar

from pseudocal.config import loader
from pseudocal.errors import ConfigError
from pseudocal.identity import privacy
from pseudocal.models import (
    BreakSettings,
    CalendarSettings,
    ClientIdentity,
    DesiredObject,
    Occurrence,
    Record,
    Recurrence,
    RemoteObject,
    SessionRule,
    Settings,
    StoreSettings,
    SupervisionSettings,
    SyncSettings,
)
from pseudocal.schedule import recurrence
from pseudocal.selfcare import planning
from pseudocal.sync import desired
from pseudocal.sync.plan import plan

LONDON = ZoneInfo("Europe/London")
UTC = timezone.utc
KEY = b"k" * 32
NAMES = ("Amber Falcon", "Quiet Heron", "Silver Maple", "Copper Wren", "Misty Lark", "Olive Stag")
BASE = '''timezone = "Europe/London"
[calendar]
url = "http://127.0.0.1:5232/practitioner/practice/"
[calendars.selfcare]
url = "http://127.0.0.1:5232/practitioner/selfcare/"
[store]
path = "/nonexistent/store.db"
key_file = "/nonexistent/store-key"
'''


def load(tmp_path: Path, text: str):
    path = tmp_path / "config.toml"
    path.write_text(BASE + text, encoding="utf-8")
    return loader.load_settings(path, env={})


def session_toml(client: str, start: str, repeat: str = "weekly", duration: str = "50m",
                 extra: str = "") -> str:
    return (f'[[sessions]]\nclient = "{client}"\nstart = {start}\nduration = "{duration}"\n'
            f'repeat = "{repeat}"\n{extra}\n')


def at(day: date, hh: int, mm: int = 0, zone: ZoneInfo = LONDON) -> datetime:
    return datetime.combine(day, time(hh, mm), zone)


def occ(start: datetime, minutes: int) -> Occurrence:
    """An occurrence lasting `minutes` of elapsed time (not wall-clock time)."""
    first = start.astimezone(UTC)
    return Occurrence(first.astimezone(LONDON),
                      (first + timedelta(minutes=minutes)).astimezone(LONDON))


def overlaps(a: Occurrence, b: Occurrence) -> bool:
    return a.start < b.end and b.start < a.end


# ---------------------------------------------------------------- break placement

WEEK = datetime(2027, 3, 22, tzinfo=LONDON).astimezone(UTC)  # the UK clocks go forward
sessions_in_a_week = st.lists(
    st.tuples(st.integers(0, 7 * 24 * 12), st.integers(2, 36)),  # 5-minute steps
    min_size=0, max_size=25,
).map(lambda pairs: [occ(WEEK + timedelta(minutes=5 * s), 5 * d) for s, d in pairs])
break_settings = st.builds(
    BreakSettings,
    after_session=st.sampled_from([None, timedelta(minutes=5), timedelta(minutes=10)]),
    max_screen=st.sampled_from([None, timedelta(minutes=90), timedelta(hours=2)]),
    long_break=st.sampled_from([timedelta(minutes=15), timedelta(minutes=30)]),
)


def test_runs_of_screen_time():
    day = date(2027, 1, 4)
    found = planning.runs([occ(at(day, 9), 50), occ(at(day, 9, 55), 50), occ(at(day, 11), 50)],
                          timedelta(minutes=10))
    assert found == [Occurrence(at(day, 9), at(day, 10, 45)), occ(at(day, 11), 50)]


@hsettings(max_examples=300, deadline=None)
@given(sessions_in_a_week, break_settings, st.lists(st.integers(0, 7 * 24 * 12), max_size=3))
def test_no_break_overlaps_and_every_long_run_gets_a_long_break_or_a_warning(
        sessions, breaks, supervision_starts):
    busy = [occ(WEEK + timedelta(minutes=5 * s), 90) for s in supervision_starts]
    placed = planning.place_breaks(sessions, breaks, busy, "Europe/London")
    for brk in (*placed.breaks, *placed.long_breaks):
        assert not any(overlaps(brk, other) for other in (*sessions, *busy))
        assert any(brk.start == s.end for s in sessions)  # always right after a session
    rest = breaks.after_session or breaks.long_break
    for run in _runs_by_hand(sessions, rest):
        too_long = breaks.max_screen is not None and run.end - run.start > breaks.max_screen
        long_after = [b for b in placed.long_breaks if b.start == run.end]
        warned = [w for w in placed.warnings
                  if w.code == "no-break-room" and w.day == run.start.astimezone(LONDON).date()]
        if too_long:
            assert long_after or warned
        else:
            assert not long_after


@hsettings(max_examples=100, deadline=None)
@given(sessions_in_a_week, break_settings)
def test_back_to_back_sessions_get_no_break_squeezed_in(sessions, breaks):
    placed = planning.place_breaks(sessions, breaks)
    rest = breaks.after_session or breaks.long_break
    for brk in (*placed.breaks, *placed.long_breaks):
        assert not any(brk.start <= s.start < brk.start + rest for s in sessions)


def _runs_by_hand(sessions: list[Occurrence], rest: timedelta) -> list[Occurrence]:
    """The definition, written out: a run ends where the next session is `rest` away."""
    ordered = sorted((Occurrence(o.start.astimezone(UTC), o.end.astimezone(UTC))
                      for o in sessions), key=lambda o: o.start)
    found = []
    i = 0
    while i < len(ordered):
        start, end = ordered[i].start, ordered[i].end
        while i + 1 < len(ordered) and ordered[i + 1].start < end + rest:
            i += 1
            end = max(end, ordered[i].end)
        found.append(Occurrence(start, end))
        i += 1
    return found


def test_a_long_run_with_no_room_is_a_warning_and_still_gets_its_short_break():
    day = date(2027, 1, 4)
    sessions = [occ(at(day, 9), 60), occ(at(day, 10), 60), occ(at(day, 11), 60),
                occ(at(day, 12, 15), 50)]
    placed = planning.place_breaks(sessions, BreakSettings(), zone="Europe/London")
    assert placed.long_breaks == ()
    assert placed.breaks == (occ(at(day, 12), 10), occ(at(day, 13, 5), 10))
    [warning] = placed.warnings
    assert warning.code == "no-break-room" and warning.day == day
    assert warning.message == ("4 January 2027: 3h of screen time from 09:00 to 12:00 with no "
                               "room for a 30m break")


# ---------------------------------------------------------------- break objects


def practice(rules: list[SessionRule], sup: Recurrence | None = None, **sync) -> Settings:
    return Settings(source=Path("t.toml"), timezone="Europe/London",
                    calendar=CalendarSettings("http://127.0.0.1:1/p/practice/"),
                    calendars={"selfcare": CalendarSettings("http://127.0.0.1:1/p/selfcare/")},
                    store=StoreSettings(Path("s.db"), Path("k")), sessions=tuple(rules),
                    supervision=SupervisionSettings(when=sup),
                    sync=SyncSettings(**{"horizon": timedelta(weeks=12), **sync}))


def rule(i: int, start: datetime, minutes: int = 50, rrule: str | None = "FREQ=WEEKLY",
         zone: str = "Europe/London", **kw) -> SessionRule:
    return SessionRule(i, NAMES[i], Recurrence(start, timedelta(minutes=minutes), zone, rrule,
                                               **kw))


def clients_of(settings: Settings) -> dict[str, tuple[str, str]]:
    return {r.client.lower(): (f"id{r.index}", r.client) for r in settings.sessions}


def expanded(objects, start: datetime, end: datetime) -> set[tuple[datetime, timedelta]]:
    """(start in UTC, exact length) of every instance, as a calendar client expands them.

    The length is the series' DTEND - DTSTART in elapsed time, as RFC 5545 defines it
    (expanders disagree about instances moved by a clock change, so it is not read there)."""
    found = set()
    for obj in objects:
        cal = Calendar.from_ical(obj.ical)
        master = cal.walk("VEVENT")[0]
        length = master["DTEND"].dt.astimezone(UTC) - master["DTSTART"].dt.astimezone(UTC)
        for ev in recurring_ical_events.of(cal).between(start, end):
            found.add((ev["DTSTART"].dt.astimezone(UTC), length))
    return found


def placed_breaks(settings: Settings, now: datetime) -> set[tuple[datetime, timedelta]]:
    """Where the breaks should be, straight from place_breaks over the published window."""
    cut, end = now - settings.sync.keep_past, now + settings.sync.horizon
    sessions = [o for r in settings.sessions
                for o in recurrence.expand(r.when, cut - timedelta(days=1),
                                           end + timedelta(days=1))]
    sup = settings.supervision.when
    busy = recurrence.expand(sup, cut, end) if sup else []
    placed = planning.place_breaks(sessions, settings.breaks, busy)
    return {(b.start, b.end - b.start) for b in (*placed.breaks, *placed.long_breaks)
            if b.end > cut and b.start < end}


NOW = datetime(2027, 1, 10, 12, tzinfo=UTC)
MONDAY = datetime(2027, 1, 4, 9, 0)


def test_breaks_are_one_recurring_object_per_rule_with_exdates_where_they_do_not_fit():
    rules = [rule(0, MONDAY), rule(1, datetime(2027, 1, 11, 9, 55), rrule=None),
             rule(2, datetime(2027, 1, 6, 9, 0), zone="America/New_York",
                  skip=(date(2027, 1, 20),))]
    settings = practice(rules)
    want = desired.build(settings, clients_of(settings), KEY, NOW)
    breaks = [o for o in want.objects.values() if o.kind == "break"]
    assert all(o.calendar == "selfcare" for o in breaks)
    # Amber (weekly, but 11 Jan is back to back with Quiet Heron), Quiet Heron (once),
    # Silver Maple (weekly, New York): three objects for twelve weeks
    assert len(breaks) == 3
    amber = next(o for o in breaks if "Amber Falcon" in o.label)
    event = Calendar.from_ical(amber.ical).walk("VEVENT")[0]
    assert event["EXDATE"].to_ical() == b"20270111T095000"
    assert str(event["TRANSP"]) == "TRANSPARENT"
    [alarm] = event.walk("VALARM")
    assert str(alarm["DESCRIPTION"]) == "Stand up and walk around"
    window = (NOW - timedelta(days=30), NOW + timedelta(weeks=12))
    assert expanded(breaks, *window) == placed_breaks(settings, NOW)


@hsettings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(7 * 4, 23 * 4), st.integers(6, 30),
                          st.sampled_from(["FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=2", None,
                                           "FREQ=DAILY", "FREQ=MONTHLY"]),
                          st.sampled_from(["Europe/London", "America/New_York",
                                           "Australia/Sydney"])),
                min_size=1, max_size=5),
       st.integers(0, 300))
def test_published_breaks_expand_to_exactly_the_placed_breaks(specs, days):
    rules = [rule(i, datetime(2027, 2, 1 + d) + timedelta(minutes=15 * q), 5 * n, rrule, zone)
             for i, (d, q, n, rrule, zone) in enumerate(specs)]
    settings = practice(rules)
    now = datetime(2027, 1, 20, tzinfo=UTC) + timedelta(days=days)
    want = desired.build(settings, clients_of(settings), KEY, now)
    breaks = [o for o in want.objects.values() if o.kind == "break"]
    window = (now - settings.sync.keep_past, now + settings.sync.horizon)
    online = expanded(breaks, *window)
    assert online == placed_breaks(settings, now)
    assert len([o for o in breaks if "after" in o.label]) <= 2 * len(rules)
    sessions = [o for r in rules for o in recurrence.expand(r.when, *window)]
    for start, length in online:  # the property, on the instants a calendar client expands
        assert not any(s.start < start + length and start < s.end for s in sessions)


def test_breaks_after_midnight_follow_the_rule_a_day_later():
    late = rule(0, MONDAY.replace(hour=23, minute=30), rrule="FREQ=WEEKLY;BYDAY=MO,TH")
    settings = practice([late], horizon=timedelta(weeks=8))
    want = desired.build(settings, clients_of(settings), KEY, NOW)
    breaks = [o for o in want.objects.values() if o.kind == "break"]
    window = (NOW - timedelta(days=30), NOW + timedelta(weeks=8))
    placed = placed_breaks(settings, NOW)
    assert expanded(breaks, *window) == placed and len(placed) > 10
    [series] = breaks
    assert "BYDAY=TU,FR" in Calendar.from_ical(series.ical).walk("VEVENT")[0]["RRULE"].to_ical(
        ).decode()


def test_breaks_the_shifted_rule_cannot_carry_are_single_events():
    late = rule(0, MONDAY.replace(hour=23, minute=30), rrule="FREQ=MONTHLY;BYDAY=1MO")
    settings = practice([late], horizon=timedelta(weeks=10))
    want = desired.build(settings, clients_of(settings), KEY, NOW)
    breaks = [o for o in want.objects.values() if o.kind == "break"]
    window = (NOW - timedelta(days=30), NOW + timedelta(weeks=10))
    placed = placed_breaks(settings, NOW)
    assert expanded(breaks, *window) == placed and len(breaks) == len(placed)
    assert all("RRULE" not in Calendar.from_ical(o.ical).walk("VEVENT")[0] for o in breaks)
    again = desired.build(settings, clients_of(settings), KEY, NOW)
    assert set(again.objects) == set(want.objects)


def test_check_prints_schedule_warnings_without_failing(tmp_path, capsys):
    from pseudocal.cli import main
    path = tmp_path / "config.toml"
    today = datetime.now(LONDON).date()
    path.write_text(BASE + session_toml("Amber Falcon", f"{today}T09:00:00", "once") +
                    session_toml("Quiet Heron", f"{today}T09:30:00", "once"), encoding="utf-8")
    assert main.main(["check", "--offline", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    # no store to say these are pseudonyms (one could be a real name typed by mistake):
    # the sessions are named by their place in the config only
    assert "warn  schedule" in out and "sessions[0] 09:00-09:50 overlaps sessions[1]" in out
    assert "Amber Falcon" not in out and "Quiet Heron" not in out
    assert "note  supervision" in out


def test_a_run_over_max_screen_gets_a_recurring_long_break():
    rules = [rule(0, MONDAY, 60), rule(1, MONDAY + timedelta(hours=1), 60),
             rule(2, MONDAY + timedelta(hours=2), 60)]
    settings = practice(rules)
    want = desired.build(settings, clients_of(settings), KEY, NOW)
    breaks = [o for o in want.objects.values() if o.kind == "break"]
    assert len(breaks) == 1  # only the long break after the third session, every week
    starts = {s for s, e in expanded(breaks, NOW, NOW + timedelta(weeks=3))}
    assert starts == {at(date(2027, 1, 11) + timedelta(weeks=k), 12).astimezone(UTC)
                      for k in range(3)}
    [(start, length)] = expanded(breaks, NOW, NOW + timedelta(days=7))
    assert length == timedelta(minutes=30)


def test_supervision_and_reminders_are_self_care_objects(tmp_path):
    settings = load(tmp_path, session_toml("Amber Falcon", "2027-01-05T10:00:00") +
                    '[supervision]\nstart = 2027-01-07T14:00:00\nduration = "1h"\n'
                    'repeat = "monthly"\n')
    want = desired.build(settings, clients_of(settings), KEY, NOW)
    [sup] = [o for o in want.objects.values() if o.kind == "supervision"]
    event = Calendar.from_ical(sup.ical).walk("VEVENT")[0]
    assert str(event["SUMMARY"]) == "Supervision" and str(event["TRANSP"]) == "OPAQUE"
    assert event.walk("VALARM")[0]["TRIGGER"].dt == timedelta(minutes=-15)
    reminders = sorted((o for o in want.objects.values() if o.kind == "reminder"),
                       key=lambda o: o.label)
    assert [o.label for o in reminders] == ["Book supervision 2027-01", "Book supervision 2027-02",
                                           "Book supervision 2027-03", "Book supervision 2027-04"]
    first = Calendar.from_ical(reminders[0].ical).walk("VEVENT")[0]
    assert first["DTSTART"].dt == datetime(2027, 1, 11, 9, 0, tzinfo=LONDON)  # 1st has passed
    assert str(first["TRANSP"]) == "TRANSPARENT" and str(first["SUMMARY"]) == "Book supervision"
    text = str(first.walk("VALARM")[0]["DESCRIPTION"])
    assert text == "Book supervision: 1h booked for January 2027, 1h30m needed"
    later = Calendar.from_ical(reminders[1].ical).walk("VEVENT")[0]
    assert later["DTSTART"].dt == datetime(2027, 2, 1, 9, 0, tzinfo=LONDON)
    ids = privacy.Identities.of({"id0": ClientIdentity("Test Person Alpha")})
    for obj in want.objects.values():
        privacy.check(obj.ical, ids, KEY, obj.label, obj.own)


def test_rescheduled_supervision_keeps_its_uid(tmp_path):
    def supervision_uid(start: str) -> str:
        settings = load(tmp_path, f'[supervision]\nstart = {start}\nduration = "90m"\n'
                                  'repeat = "monthly"\n')
        [obj] = desired.build(settings, {}, KEY, NOW).objects.values()
        return obj.uid
    assert supervision_uid("2027-01-07T14:00:00") == supervision_uid("2027-01-08T09:00:00")


def test_self_care_objects_are_deterministic_and_a_day_later_mostly_unchanged(tmp_path):
    text = (session_toml("Amber Falcon", "2027-01-05T10:00:00") +
            session_toml("Quiet Heron", "2027-01-05T10:50:00", extra='timezone = "Europe/London"')
            + '[supervision]\nstart = 2027-01-07T14:00:00\nduration = "90m"\nrepeat = "monthly"\n')
    settings = load(tmp_path, text)
    clients = clients_of(settings)
    first = desired.build(settings, clients, KEY, NOW)
    again = desired.build(settings, clients, KEY, NOW + timedelta(minutes=5))
    assert {u: o.content_hash for u, o in first.objects.items()} == \
           {u: o.content_hash for u, o in again.objects.items()}


def test_objects_leave_with_their_rule():
    settings = practice([rule(0, MONDAY, count=3)], sup=Recurrence(
        datetime(2027, 1, 8, 14), timedelta(minutes=90), "Europe/London", count=1))
    later = datetime(2027, 6, 1, tzinfo=UTC)
    want = desired.build(settings, clients_of(settings), KEY, later)
    assert want.objects == {}
    assert len(want.retired) >= 3  # session, its break, the supervision (and past reminders)


# ---------------------------------------------------------------- the ledger


def test_ledger_arithmetic():
    jan, feb, mar = date(2027, 1, 1), date(2027, 2, 1), date(2027, 3, 1)
    sessions = [occ(at(date(2027, 1, d), 10), 60) for d in (4, 11, 18, 25)] + \
               [occ(at(date(2027, 2, d), 10), 60) for d in range(1, 28)]  # 27h in February
    supervision = [occ(at(date(2027, 1, 7), 14), 90), occ(at(date(2027, 2, 25), 14), 90)]
    now = at(date(2027, 2, 10), 12)
    jan_l, feb_l, mar_l = planning.ledger(sessions, supervision, [jan, feb, mar],
                                          timedelta(hours=1.5), 1 / 6, zone="Europe/London",
                                          now=now)
    assert (jan_l.client, jan_l.supervision, jan_l.done) == (timedelta(hours=4),) + \
           (timedelta(hours=1.5),) * 2
    assert jan_l.required == timedelta(hours=1.5) and not jan_l.short
    assert feb_l.client == timedelta(hours=27) and feb_l.done == timedelta(0)
    assert feb_l.required == timedelta(hours=4.5) and feb_l.short  # 27h / 6
    assert mar_l.required == timedelta(0) and not mar_l.short  # no sessions, nothing needed
    assert feb_l.as_dict() == {"month": "2027-02", "client_hours": 27.0,
                               "supervision_hours": 1.5, "done_hours": 0.0,
                               "required_hours": 4.5, "short": True}
    assert "SHORT by 3h" in feb_l.line()


def test_ledger_months_follow_the_practitioner_zone():
    # 07:00 on the 1st in Sydney is still the previous month in London
    sydney = datetime(2027, 3, 1, 7, 0, tzinfo=ZoneInfo("Australia/Sydney"))
    [feb, mar] = planning.ledger([occ(sydney, 60)], [], [date(2027, 2, 1), date(2027, 3, 1)],
                                 timedelta(hours=1.5), None, zone="Europe/London", now=sydney)
    assert feb.client == timedelta(hours=1) and mar.client == timedelta(0)


def test_ledger_for_and_reminders_with_the_example_config():
    example = loader.load_settings(Path(__file__).resolve().parents[2] / "config" / "example.toml",
                                   env={"PSEUDOCAL_STATE_DIR": "/nonexistent"})
    now = datetime(2026, 11, 29, 9, tzinfo=UTC)
    months = planning.ledger_for(example, now)
    assert [m.month for m in months][:4] == [date(2026, 8, 1), date(2026, 9, 1),
                                            date(2026, 10, 1), date(2026, 11, 1)]
    assert months[-1].month == date(2027, 2, 1)
    december = months[4]
    assert december.client == timedelta(hours=6, minutes=50)
    assert december.supervision == timedelta(minutes=90) and not december.short
    assert planning.reminders(example, now) == []
    assert planning.schedule_warnings(example, None, now) == []


def test_reminder_rings_on_the_first_or_the_next_morning():
    zone = "Europe/London"
    assert planning._ring_at(date(2027, 2, 1), zone, NOW) == at(date(2027, 2, 1), 9)
    assert planning._ring_at(date(2027, 1, 1), zone, NOW) == at(date(2027, 1, 11), 9)
    early = at(date(2027, 1, 10), 8)
    assert planning._ring_at(date(2027, 1, 1), zone, early) == at(date(2027, 1, 10), 9)


# ---------------------------------------------------------------- warnings


def test_new_york_client_moves_in_london_time_in_march_and_november(tmp_path):
    settings = load(tmp_path, session_toml("Amber Falcon", "2027-01-05T10:00:00",
                                           extra='timezone = "America/New_York"') +
                    '[sync]\nhorizon = "52w"\n')
    found = planning.schedule_warnings(settings, None, datetime(2027, 1, 5, tzinfo=UTC))
    assert [(w.code, w.message) for w in found] == [
        ("clock-change", "16 and 23 March 2027: Amber Falcon at 14:00 instead of 15:00"),
        ("clock-change", "2 November 2027: Amber Falcon at 14:00 instead of 15:00"),
    ]
    assert found[0].day == date(2027, 3, 16)
    assert found[0].as_dict()["dates"] == ["2027-03-16", "2027-03-23"]


def test_sydney_client_moves_in_april_and_october(tmp_path):
    settings = load(tmp_path, session_toml("Silver Maple", "2027-02-01T08:00:00",
                                           extra='timezone = "Australia/Sydney"'))
    spring = planning.schedule_warnings(settings, None, datetime(2027, 2, 1, tzinfo=UTC))
    # Sydney leaves DST on 4 April, a week after London starts it: only 28 March is
    # unusual; from April 23:00 is the new season's usual time, not a move
    assert [w.message for w in spring] == [
        "28 March 2027: Silver Maple at 22:00 instead of 21:00",
    ]
    autumn = planning.schedule_warnings(settings, None, datetime(2027, 8, 16, tzinfo=UTC))
    assert [w.message for w in autumn] == [
        "3, 10, 17 and 24 October 2027: Silver Maple at 22:00 instead of 23:00",
    ]


@pytest.mark.parametrize("zone", ["America/New_York", "Australia/Sydney"])
def test_clock_change_warnings_do_not_depend_on_how_far_ahead_one_looks(tmp_path, zone):
    """A winter that fills the window is not a "move" (the usual time is the season's)."""
    settings = load(tmp_path, session_toml("Silver Maple", "2026-12-03T08:00:00",
                                           extra=f'timezone = "{zone}"') +
                    '[sync]\nhorizon = "52w"\n')
    full = planning.schedule_warnings(settings, None, datetime(2026, 12, 3, tzinfo=UTC))
    short = dataclasses.replace(settings, sync=dataclasses.replace(
        settings.sync, horizon=timedelta(weeks=16)))
    part = planning.schedule_warnings(short, None, datetime(2026, 12, 3, tzinfo=UTC))
    for w in part:
        assert any(w.detail == f.detail and set(w.dates) <= set(f.dates) for f in full), w
    assert all(len(w.dates) <= 5 for w in full)


def test_pseudonyms_as_stored_are_used_when_given(tmp_path):
    settings = load(tmp_path, session_toml("amber  falcon", "2027-01-05T10:00:00",
                                           extra='timezone = "America/New_York"'))
    found = planning.schedule_warnings(settings, {"amber falcon": "Amber Falcon"},
                                       datetime(2027, 2, 1, tzinfo=UTC))
    assert found[0].message.endswith("Amber Falcon at 14:00 instead of 15:00")


def test_caps_and_overlaps_are_merged_warnings(tmp_path):
    text = (session_toml("Amber Falcon", "2027-01-04T09:00:00", duration="3h") +
            session_toml("Quiet Heron", "2027-01-04T13:00:00", duration="3h") +
            session_toml("Silver Maple", "2027-01-06T14:30:00") +
            '[supervision]\nstart = 2027-01-06T14:00:00\nduration = "1h"\nrepeat = "weekly"\n'
            'count = 2\n[workload]\nmax_per_day = "5h"\nmax_per_week = "6h"\n'
            '[sync]\nhorizon = "2w"\n')
    settings = load(tmp_path, text)
    found = planning.schedule_warnings(settings, None, datetime(2027, 1, 4, tzinfo=UTC))
    messages = {w.code: w.message for w in found}
    assert messages["day-cap"] == "4 and 11 January 2027: 6h of sessions, above the daily cap of 5h"
    assert messages["week-cap"] == ("weeks of 4 and 11 January 2027: 6h50m of sessions, above "
                                    "the weekly cap of 6h")
    assert messages["overlap"] == ("6 and 13 January 2027: supervision 14:00-15:00 overlaps "
                                   "Silver Maple 14:30-15:20")
    assert "no-break-room" not in messages  # 3h sessions, but 30m after each fits


def test_two_sessions_overlapping(tmp_path):
    settings = load(tmp_path, session_toml("Amber Falcon", "2027-01-04T09:00:00", "once") +
                    session_toml("Quiet Heron", "2027-01-04T09:30:00", "once"))
    [warning] = planning.schedule_warnings(settings, None, datetime(2027, 1, 4, tzinfo=UTC))
    assert warning.message == ("4 January 2027: Amber Falcon 09:00-09:50 overlaps "
                               "Quiet Heron 09:30-10:20")


@pytest.mark.parametrize("dates, text", [
    ([date(2027, 3, 16)], "16 March 2027"),
    ([date(2027, 3, 23), date(2027, 3, 16)], "16 and 23 March 2027"),
    ([date(2027, 3, 28), date(2027, 4, 4)], "28 March and 4 April 2027"),
    ([date(2027, 12, 27), date(2028, 1, 3), date(2028, 1, 10)],
     "27 December 2027, 3 and 10 January 2028"),
    ([date(2027, 1, d) for d in range(1, 8)], "1 January 2027 to 7 January 2027 (7 dates)"),
])
def test_date_lists(dates, text):
    assert planning.date_list(dates) == text


# ---------------------------------------------------------------- config


def test_breaks_need_a_breaks_table(tmp_path):
    assert load(tmp_path, "").breaks == BreakSettings(after_session=None, max_screen=None)
    assert load(tmp_path, "[breaks]\n").breaks == BreakSettings()


def test_new_keys_are_read_and_checked(tmp_path):
    settings = load(tmp_path, '[workload]\nmax_per_day = "6h"\nmax_per_week = false\n'
                              '[supervision]\nbefore = false\nreminder = "Plan supervision"\n')
    assert settings.workload.max_per_day == timedelta(hours=6)
    assert settings.workload.max_per_week is None
    assert settings.supervision.before is None
    assert settings.supervision.reminder == "Plan supervision"
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, '[workload]\nmax_per_day = 6\nmax_hours = "1h"\n'
                       '[supervision]\nreminder = "Book therapy supervision"\n')
    keys = {p.path for p in caught.value.problems}
    # max_hours is far from any known key: not repeated, the table named
    assert keys == {"workload.max_per_day", "workload", "supervision.reminder"}


# ---------------------------------------------------------------- plan: reminder deletion


def _obj(uid: str, kind: str) -> DesiredObject:
    return DesiredObject(key=uid, uid=uid, calendar="selfcare", kind=kind, ical=b"x",
                         content_hash="h2", label=f"{kind} {uid}")


def _rec(uid: str, kind: str) -> Record:
    return Record(uid, "selfcare", f"/p/selfcare/{uid}.ics", '"e1"', "h1", kind, "label")


def test_a_reminder_deleted_on_the_phone_stays_dismissed_but_a_break_comes_back():
    desired_ = {"r": _obj("r", "reminder"), "b": _obj("b", "break")}
    records = {"r": _rec("r", "reminder"), "b": _rec("b", "break")}
    actions = plan(desired_, records, remote={})
    assert [(a.op, a.uid) for a in actions] == [("create", "b")]


def test_a_new_or_unconfirmed_reminder_is_created_and_a_dismissed_one_leaves_with_its_month():
    unconfirmed = Record("r", "selfcare", "/p/selfcare/r.ics", None, "h1", "reminder", "label")
    assert [a.op for a in plan({"r": _obj("r", "reminder")}, {}, {})] == ["create"]
    assert [a.op for a in plan({"r": _obj("r", "reminder")}, {"r": unconfirmed}, {})] == \
           ["create"]
    assert [a.op for a in plan({}, {"r": _rec("r", "reminder")}, {})] == ["drop-record"]


def test_a_reminder_still_online_is_kept_up_to_date():
    remote = {"r": RemoteObject("/p/selfcare/r.ics", '"e1"', "r", True, "selfcare")}
    [action] = plan({"r": _obj("r", "reminder")}, {"r": _rec("r", "reminder")}, remote)
    assert action.op == "update"


def test_a_supervision_table_without_a_schedule_still_reminds(tmp_path):
    text = (session_toml("Amber Falcon", "2027-01-05T10:00:00") +
            '[supervision]\nminimum_per_month = "1.5h"\n')
    settings = load(tmp_path, text)
    short = planning.reminders(settings, datetime(2027, 1, 2, tzinfo=UTC))
    assert short and all(m.supervision == timedelta(0) for m, _ in short)
    none = load(tmp_path, session_toml("Amber Falcon", "2027-01-05T10:00:00"))
    assert planning.reminders(none, datetime(2027, 1, 2, tzinfo=UTC)) == []


def test_hours_are_never_written_as_days():
    from pseudocal.config.values import format_hours
    assert format_hours(timedelta(days=1, hours=19, minutes=55)) == "43h55m"
    assert format_hours(timedelta(minutes=90)) == "1h30m"
    assert format_hours(timedelta(0)) == "0m"
