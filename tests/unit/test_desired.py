"""Which rules are wanted online now: horizon, keep_past, trimming of past occurrences."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import recurring_ical_events
from dateutil.rrule import rrulestr
from hypothesis import assume, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from icalendar import Calendar

from pseudocal.events import vtimezone
from pseudocal.identity.pseudonyms import normalise
from pseudocal.models import (
    CalendarSettings,
    Recurrence,
    SessionRule,
    Settings,
    StoreSettings,
    SyncSettings,
)
from pseudocal.schedule import recurrence
from pseudocal.sync.desired import build, trim, wanted

SETTINGS = Settings(source=Path("t.toml"), timezone="Europe/London",
                    calendar=CalendarSettings("http://127.0.0.1:1/c/"),
                    store=StoreSettings(Path("s.db"), Path("k")),
                    sync=SyncSettings(horizon=timedelta(weeks=12), keep_past=timedelta(days=30)))
WEEKLY = Recurrence(start=datetime(2026, 1, 5, 10, 0), duration=timedelta(minutes=50),
                    timezone="Europe/London", rrule="FREQ=WEEKLY")

UTC = timezone.utc


def utc(*a) -> datetime:
    return datetime(*a, tzinfo=UTC)


def test_a_finished_series_is_not_wanted_and_a_far_one_not_yet():
    ended = replace(WEEKLY, until=date(2026, 3, 1))
    assert wanted(ended, SETTINGS, utc(2026, 11, 29)) is None
    far = replace(WEEKLY, start=datetime(2027, 6, 7, 10, 0))
    assert wanted(far, SETTINGS, utc(2026, 11, 29)) is None


def test_past_occurrences_are_trimmed_off_the_front():
    kept = wanted(WEEKLY, SETTINGS, utc(2026, 11, 29))
    assert kept.start == datetime(2026, 11, 2, 10, 0)  # first one ending after 30 Oct
    assert kept.rrule == WEEKLY.rrule


def test_trimming_a_counted_series_keeps_its_last_occurrence():
    counted = replace(WEEKLY, count=50, skip=(date(2026, 2, 2), date(2026, 12, 7)))
    kept = trim(counted, utc(2026, 10, 30))
    assert kept.skip == (date(2026, 12, 7),)
    assert recurrence.first_and_last(kept)[1] == recurrence.first_and_last(counted)[1]


def test_trimming_keeps_the_rule_time_when_the_next_occurrence_is_in_a_gap():
    nightly = replace(WEEKLY, start=datetime(2027, 3, 7, 1, 30), duration=timedelta(minutes=20))
    kept = trim(nightly, utc(2027, 3, 27, 12))  # next one: 28 March 01:30, inside the gap
    assert kept.start == datetime(2027, 3, 28, 1, 30)


@hsettings(max_examples=80, deadline=None)
@given(st.integers(min_value=0, max_value=500), st.sampled_from(
    ["FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=2", "FREQ=MONTHLY", "FREQ=WEEKLY;BYDAY=MO,TH"]),
    st.sampled_from(["Europe/London", "America/New_York", "Australia/Sydney"]),
    st.one_of(st.none(), st.integers(min_value=1, max_value=80)))
def test_trim_never_changes_upcoming_occurrences(days, rule, tz, count):
    rec = replace(WEEKLY, rrule=rule, timezone=tz, count=count)
    cut = utc(2026, 1, 5) + timedelta(days=days)
    kept = trim(rec, cut)
    window = (cut, cut + timedelta(days=200))
    assert recurrence.expand(kept, *window) == recurrence.expand(rec, *window)


# ------------------------------------------------- clock changes at midnight: the trimmed DTSTART

# zones whose clocks change at or near midnight: Nuuk jumps 23:00 -> 00:00 on the last
# Saturday of March (a 23:30 session lands on Sunday 00:30), Havana and Beirut change at
# 00:00, Santiago at 24:00; Asuncion has no changes left; London and Lord Howe for contrast
MIDNIGHT_ZONES = ("America/Nuuk", "America/Havana", "America/Santiago", "Asia/Beirut",
                  "America/Asuncion", "Europe/London", "Australia/Lord_Howe")
MIDNIGHT_RULES = ("FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=2", "FREQ=WEEKLY;BYDAY=SA",
                  "FREQ=MONTHLY;BYDAY=-1SA", "FREQ=MONTHLY;BYDAY=-1SU", "FREQ=MONTHLY",
                  "FREQ=DAILY")
LENGTH = timedelta(minutes=50)
# the case found in the parser suite: Sat 23:30 on the last Saturday of March 2027 is in
# Nuuk's gap (read as Sun 00:30); built a month after it, DTSTART was Sun 28 March 23:30
NUUK = dict(change=0, minutes=30, back=9, offset=-1)


def _near_change(zone: str, change: int, minutes: int, rule: str, back: int, offset: int
                 ) -> tuple[Recurrence, datetime] | None:
    """A series at `minutes` from one of the zone's clock changes (a fixed date where there
    is none), first starting `back` weeks before as a config allows it (a first instance of
    its own rule that is neither in a gap nor in a fold), and a cut `offset` minutes from the
    end of its occurrence nearest the change: where trimming picks the new first instance."""
    found = vtimezone.transitions(zone, utc(2027, 1, 1), utc(2029, 1, 1))
    if found:
        onset, at = found[change % len(found)].onset, found[change % len(found)].at
    else:
        onset, at = datetime(2027, 3, 27, 23, 0), utc(2027, 3, 28, 3)
    near = onset + timedelta(minutes=minutes)
    first = next(iter(rrulestr(rule, dtstart=near - timedelta(weeks=back))))
    if recurrence.local_time_problem(first, zone) is not None:
        return None
    rec = Recurrence(first, LENGTH, zone, rule)
    around = recurrence.expand(rec, at - timedelta(days=2), at + timedelta(days=2))
    end = min(around, key=lambda o: abs(o.start - at)).end if around else at
    return rec, end.astimezone(UTC) + timedelta(minutes=offset)  # UTC: as build's `now`


def _series(ical: bytes) -> list[tuple[datetime, str]]:
    """(DTSTART as written, RRULE) of every published series in a calendar object."""
    found = []
    for event in Calendar.from_ical(ical).walk("VEVENT"):
        if "RRULE" in event and "RECURRENCE-ID" not in event:
            found.append((event["DTSTART"].dt, event["RRULE"].to_ical().decode("ascii")))
    return found


def _is_first_instance(dtstart: datetime, rule: str) -> bool:
    """Whether dateutil's expansion of the RRULE from DTSTART starts with DTSTART itself:
    RFC 5545 §3.8.5.3 wants that, and leaves a DTSTART the rule does not produce undefined
    (dateutil drops it, recurring-ical-events keeps it as an extra occurrence)."""
    first = next(iter(rrulestr(rule, dtstart=dtstart)), None)
    return first is not None and first.replace(tzinfo=None) == dtstart.replace(tzinfo=None)


CASES = dict(change=st.integers(0, 3), minutes=st.sampled_from(range(-60, 91, 15)),
             rule=st.sampled_from(MIDNIGHT_RULES), back=st.sampled_from((1, 2, 5, 9)),
             offset=st.sampled_from((-1, 1, -24 * 60, -6 * 24 * 60)))


@pytest.mark.parametrize("zone", MIDNIGHT_ZONES)
@hsettings(max_examples=60, deadline=None)
@given(**CASES)
@example(**NUUK, rule="FREQ=MONTHLY;BYDAY=-1SA")
@example(**NUUK, rule="FREQ=WEEKLY")  # was moved to Sundays
@example(**NUUK, rule="FREQ=DAILY")  # lost the gap day's occurrence
def test_a_trimmed_series_starts_on_its_own_first_instance_where_clocks_change_at_midnight(
        zone, change, minutes, rule, back, offset):
    found = _near_change(zone, change, minutes, rule, back, offset)
    assume(found is not None)
    rec, cut = found
    kept = trim(rec, cut)
    assert _is_first_instance(kept.start, kept.rrule), (kept.start, kept.rrule)
    window = (cut, cut + timedelta(days=200))
    assert recurrence.expand(kept, *window) == recurrence.expand(rec, *window)


def _read(ical: bytes, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The occurrences a parser (recurring-ical-events) reads, starting in [start, end)."""
    found = recurring_ical_events.of(Calendar.from_ical(ical)).between(start, end)
    pairs = ((e["DTSTART"].dt.astimezone(UTC), e["DTEND"].dt.astimezone(UTC)) for e in found)
    return sorted(p for p in pairs if start <= p[0] < end)


@pytest.mark.parametrize("zone", MIDNIGHT_ZONES)
@hsettings(max_examples=15, deadline=None)
@given(**CASES)
@example(**NUUK, rule="FREQ=MONTHLY;BYDAY=-1SA")
@example(**NUUK, rule="FREQ=WEEKLY")
def test_every_published_series_starts_on_its_own_first_instance_where_clocks_change_at_midnight(
        zone, change, minutes, rule, back, offset):
    """What `build` publishes: the sessions' series and the breaks' after them (carried past
    midnight when a session ends after it); and each session, as a parser reads it, is
    where the config puts it."""
    found = _near_change(zone, change, minutes, rule, back, offset)
    assume(found is not None)
    rec, cut = found
    earlier = replace(rec, start=rec.start - timedelta(hours=2))
    assume(recurrence.local_time_problem(earlier.start, zone) is None)
    now = cut + SETTINGS.sync.keep_past
    settings = replace(SETTINGS, timezone=zone, sessions=(
        SessionRule(0, "Amber Falcon", rec, rule), SessionRule(1, "Quiet Heron", earlier, rule)))
    clients = {normalise(s.client): (f"c{s.index}", s.client) for s in settings.sessions}
    built = build(settings, clients, b"k" * 32, now)
    series = [(obj.label, *s) for obj in built.objects.values() for s in _series(obj.ical)]
    assert len(series) >= 2
    assert not [s for s in series if not _is_first_instance(s[1], s[2])]
    window = (cut, now + timedelta(days=120))
    sessions = {o.label.split()[0]: o.ical for o in built.objects.values() if o.kind == "session"}
    for session in settings.sessions:  # as a parser reads it: where the config puts it
        want = [(o.start.astimezone(UTC), o.end.astimezone(UTC))
                for o in recurrence.expand(session.when, *window) if o.start >= window[0]]
        got = _read(sessions[session.client.split()[0]], *window) if want else []
        assert got == want, session.client
