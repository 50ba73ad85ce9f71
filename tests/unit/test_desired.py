"""Which rules are wanted online now: horizon, keep_past, trimming of past occurrences."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from pseudocal.models import CalendarSettings, Recurrence, Settings, StoreSettings, SyncSettings
from pseudocal.schedule import recurrence
from pseudocal.sync.desired import trim, wanted

SETTINGS = Settings(source=Path("t.toml"), timezone="Europe/London",
                    calendar=CalendarSettings("http://127.0.0.1:1/c/"),
                    store=StoreSettings(Path("s.db"), Path("k")),
                    sync=SyncSettings(horizon=timedelta(weeks=12), keep_past=timedelta(days=30)))
WEEKLY = Recurrence(start=datetime(2026, 1, 5, 10, 0), duration=timedelta(minutes=50),
                    timezone="Europe/London", rrule="FREQ=WEEKLY")


def utc(*a) -> datetime:
    return datetime(*a, tzinfo=timezone.utc)


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
