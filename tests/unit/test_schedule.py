"""schedule.py: recurrence on wall-clock time, DST in both hemispheres, bounds, skips."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rruleset, rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st

from pseudocal.models import Recurrence
from pseudocal.schedule.recurrence import (
    RuleError,
    exdates,
    expand,
    first_and_last,
    local_time_problem,
    localize,
    rrule_value,
    rule_from_repeat,
)

UTC = timezone.utc
LONDON = ZoneInfo("Europe/London")


def rec(start: datetime, tz: str = "Europe/London", rrule: str | None = "FREQ=WEEKLY",
        minutes: int = 50, **kw) -> Recurrence:
    return Recurrence(start=start, duration=timedelta(minutes=minutes), timezone=tz, rrule=rrule,
                      **kw)


def window(first: date, last: date, tz: ZoneInfo = LONDON) -> tuple[datetime, datetime]:
    return (datetime.combine(first, time.min, tz),
            datetime.combine(last + timedelta(days=1), time.min, tz))


def london_starts(r: Recurrence, first: date, last: date) -> dict[date, int]:
    found = expand(r, *window(first, last))
    return {o.start.astimezone(LONDON).date(): o.start.astimezone(LONDON).hour for o in found}


# ---------------------------------------------------------------- clocks changing on other dates


def test_new_york_session_seen_from_london_in_spring():
    weekly = rec(datetime(2027, 3, 1, 10), "America/New_York")
    hours = london_starts(weekly, date(2027, 3, 8), date(2027, 3, 29))
    # US clocks go forward on 14 March, UK ones only on 28 March
    assert hours == {date(2027, 3, 8): 15, date(2027, 3, 15): 14,
                     date(2027, 3, 22): 14, date(2027, 3, 29): 15}


def test_new_york_session_seen_from_london_in_autumn():
    weekly = rec(datetime(2027, 10, 18, 10), "America/New_York")
    hours = london_starts(weekly, date(2027, 10, 25), date(2027, 11, 8))
    # UK clocks go back on 31 October, US ones only on 7 November
    assert hours == {date(2027, 10, 25): 15, date(2027, 11, 1): 14, date(2027, 11, 8): 15}


def test_every_new_york_occurrence_stays_at_ten_in_new_york():
    weekly = rec(datetime(2027, 1, 4, 10), "America/New_York")
    found = expand(weekly, *window(date(2027, 1, 1), date(2027, 12, 31)))
    assert len(found) == 52
    assert {o.start.time() for o in found} == {time(10)}
    assert all(o.start.tzinfo == ZoneInfo("America/New_York") for o in found)


def test_sydney_session_across_both_hemispheres_changes():
    weekly = rec(datetime(2027, 3, 18, 7), "Australia/Sydney", minutes=60)
    found = expand(weekly, datetime(2027, 3, 17, tzinfo=UTC), datetime(2027, 4, 9, tzinfo=UTC))
    utc_hours = [(o.start.date(), o.start.astimezone(UTC).hour) for o in found]
    # AEDT (+11) until 4 April, then AEST (+10): 07:00 Sydney is 20:00 then 21:00 UTC
    assert utc_hours == [(date(2027, 3, 18), 20), (date(2027, 3, 25), 20),
                         (date(2027, 4, 1), 20), (date(2027, 4, 8), 21)]
    in_london = [o.start.astimezone(LONDON).hour for o in found]
    assert in_london == [20, 20, 21, 22]  # the UK moves on 28 March, Sydney on 4 April


def test_sydney_spring_forward_in_october():
    weekly = rec(datetime(2027, 9, 23, 7), "Australia/Sydney")
    found = expand(weekly, datetime(2027, 9, 22, tzinfo=UTC), datetime(2027, 10, 9, tzinfo=UTC))
    assert [o.start.utcoffset() for o in found] == [timedelta(hours=10)] * 2 + [timedelta(hours=11)]
    assert {o.start.hour for o in found} == {7}


# ---------------------------------------------------------------- gaps, folds and durations


def test_occurrence_in_a_gap_moves_forward_by_the_gap():
    weekly = rec(datetime(2027, 3, 21, 1, 30))
    found = expand(weekly, *window(date(2027, 3, 21), date(2027, 4, 4)))
    assert [o.start.replace(tzinfo=None) for o in found] == [
        datetime(2027, 3, 21, 1, 30), datetime(2027, 3, 28, 2, 30), datetime(2027, 4, 4, 1, 30)]
    assert found[1].start.astimezone(UTC) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)


def test_occurrence_in_a_fold_takes_the_first_instant():
    weekly = rec(datetime(2027, 10, 24, 1, 30))
    found = expand(weekly, *window(date(2027, 10, 31), date(2027, 10, 31)))
    assert len(found) == 1
    assert found[0].start.astimezone(UTC) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)
    assert found[0].start.fold == 0


def test_duration_is_elapsed_time_across_a_change():
    once = rec(datetime(2027, 3, 28, 0, 30), rrule=None, minutes=120)
    (only,) = expand(once, *window(date(2027, 3, 28), date(2027, 3, 28)))
    assert only.end.replace(tzinfo=None) == datetime(2027, 3, 28, 3, 30)  # 2 h later, in BST
    # (aware datetimes sharing a tzinfo subtract as wall-clock times: compare in UTC)
    assert only.end.astimezone(UTC) - only.start.astimezone(UTC) == timedelta(hours=2)


def test_local_time_problem():
    assert local_time_problem(datetime(2027, 3, 28, 1, 30), "Europe/London") == "gap"
    assert local_time_problem(datetime(2027, 10, 31, 1, 30), "Europe/London") == "fold"
    assert local_time_problem(datetime(2027, 3, 14, 2, 30), "America/New_York") == "gap"
    assert local_time_problem(datetime(2027, 11, 7, 1, 30), "America/New_York") == "fold"
    assert local_time_problem(datetime(2027, 10, 3, 2, 30), "Australia/Sydney") == "gap"
    assert local_time_problem(datetime(2027, 3, 28, 2, 30), "Europe/London") is None
    assert local_time_problem(datetime(2027, 3, 28, 1, 30), "UTC") is None


def test_localize_normalises_a_gap_time():
    assert localize(datetime(2027, 3, 28, 1, 30), "Europe/London").hour == 2


# ---------------------------------------------------------------- repeats, bounds and skips


def test_fortnightly():
    r = rec(datetime(2027, 1, 5, 9), rrule="FREQ=WEEKLY;INTERVAL=2")
    found = expand(r, *window(date(2027, 1, 1), date(2027, 2, 28)))
    assert [o.start.date() for o in found] == [date(2027, 1, 5), date(2027, 1, 19),
                                               date(2027, 2, 2), date(2027, 2, 16)]


def test_monthly_on_the_31st_skips_short_months():
    r = rec(datetime(2027, 1, 31, 9), rrule="FREQ=MONTHLY")
    found = expand(r, *window(date(2027, 1, 1), date(2027, 8, 31)))
    assert [o.start.date() for o in found] == [date(2027, 1, 31), date(2027, 3, 31),
                                               date(2027, 5, 31), date(2027, 7, 31),
                                               date(2027, 8, 31)]


def test_count_counts_skipped_occurrences_too():
    r = rec(datetime(2027, 1, 4, 9), count=4, skip=(date(2027, 1, 11),))
    found = expand(r, *window(date(2027, 1, 1), date(2027, 12, 31)))
    assert [o.start.day for o in found] == [4, 18, 25]
    assert rrule_value(r) == "FREQ=WEEKLY;COUNT=4"


def test_until_date_is_inclusive_of_the_whole_day():
    r = rec(datetime(2027, 1, 4, 23, 0), until=date(2027, 1, 25))
    found = expand(r, *window(date(2027, 1, 1), date(2027, 12, 31)))
    assert [o.start.day for o in found] == [4, 11, 18, 25]


def test_until_datetime_is_inclusive():
    r = rec(datetime(2027, 1, 4, 9), until=datetime(2027, 1, 18, 9))
    assert len(expand(r, *window(date(2027, 1, 1), date(2027, 12, 31)))) == 3
    earlier = rec(datetime(2027, 1, 4, 9), until=datetime(2027, 1, 18, 8, 59))
    assert len(expand(earlier, *window(date(2027, 1, 1), date(2027, 12, 31)))) == 2


def test_skip_removes_the_occurrence_on_that_date():
    r = rec(datetime(2027, 1, 4, 9), skip=(date(2027, 1, 11), date(2027, 1, 12)))
    found = expand(r, *window(date(2027, 1, 1), date(2027, 1, 31)))
    assert [o.start.day for o in found] == [4, 18, 25]
    assert exdates(r) == [datetime(2027, 1, 11, 9)]  # 12 January was never a session


def test_window_overlap_includes_a_session_already_running():
    r = rec(datetime(2027, 1, 4, 9), rrule=None)
    inside = datetime(2027, 1, 4, 9, 30, tzinfo=LONDON)
    assert len(expand(r, inside, inside + timedelta(minutes=1))) == 1
    assert expand(r, datetime(2027, 1, 4, 9, 50, tzinfo=LONDON),
                  datetime(2027, 1, 5, tzinfo=LONDON)) == []


def test_rrule_value_until_is_the_last_occurrence_in_utc():
    r = rec(datetime(2027, 3, 1, 10), "America/New_York", until=date(2027, 3, 29))
    assert rrule_value(r) == "FREQ=WEEKLY;UNTIL=20270329T140000Z"
    assert rrule_value(rec(datetime(2027, 3, 1, 10), rrule=None)) is None
    assert rrule_value(rec(datetime(2027, 3, 1, 10))) == "FREQ=WEEKLY"


def test_first_and_last():
    r = rec(datetime(2027, 1, 4, 9), until=date(2027, 1, 25), skip=(date(2027, 1, 4),))
    first, last = first_and_last(r)
    assert first == datetime(2027, 1, 11, 9, tzinfo=LONDON)
    assert last == datetime(2027, 1, 25, 9, 50, tzinfo=LONDON)
    assert first_and_last(rec(datetime(2027, 1, 4, 9)))[1] is None
    with pytest.raises(ValueError):
        first_and_last(rec(datetime(2027, 1, 4, 9), rrule=None, skip=(date(2027, 1, 4),)))


def test_unbounded_rule_far_in_the_future_is_bounded_work():
    r = rec(datetime(2026, 1, 1, 9), rrule="FREQ=DAILY")
    found = expand(r, datetime(2090, 1, 1, tzinfo=UTC), datetime(2090, 1, 8, tzinfo=UTC))
    assert len(found) == 7


@pytest.mark.parametrize("repeat, expected", [
    ("once", None), ("weekly", "FREQ=WEEKLY"), ("Fortnightly", "FREQ=WEEKLY;INTERVAL=2"),
    ("monthly", "FREQ=MONTHLY"), ("RRULE:freq=weekly;byday=tu,th", "FREQ=WEEKLY;BYDAY=TU,TH"),
])
def test_rule_from_repeat(repeat, expected):
    assert rule_from_repeat(repeat, datetime(2026, 12, 1, 10)) == expected  # a Tuesday


@pytest.mark.parametrize("repeat, words", [
    ("daily", "not a repeat"), ("FREQ=WEEKLY;UNTIL=20270101", "UNTIL"),
    ("FREQ=WEEKLY;COUNT=3", "COUNT"), ("FREQ=HOURLY", "HOURLY"), ("FREQ=WEEKLY;BYHOUR=9", "BYHOUR"),
    ("FREQ=WEEKLY;BYDAY=XX", "not a valid RRULE"), ("FREQ=WEEKLY;INTERVAL=0", "INTERVAL"),
    ("FREQ=WEEKLY;BYDAY=MO", "not a day this rule produces"),
])
def test_rule_from_repeat_refuses(repeat, words):
    with pytest.raises(RuleError) as caught:
        rule_from_repeat(repeat, datetime(2026, 12, 1, 10))
    assert words in caught.value.message and caught.value.hint


# ---------------------------------------------------------------- properties

ZONES = ["Europe/London", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe",
         "Asia/Kolkata", "America/Sao_Paulo", "Europe/Berlin", "UTC"]
CHANGES = [date(2027, 3, 28), date(2027, 10, 31), date(2027, 3, 14), date(2027, 11, 7),
           date(2027, 4, 4), date(2027, 10, 3), date(2027, 4, 4), date(2026, 10, 25)]
RULES = [None, "FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=2", "FREQ=MONTHLY", "FREQ=DAILY",
         "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA,SU"]


@st.composite
def recurrences(draw) -> Recurrence:
    near_change = st.sampled_from(CHANGES).flatmap(
        lambda d: st.integers(0, 3).map(lambda weeks: d - timedelta(weeks=weeks)))
    day = draw(st.one_of(st.dates(date(2026, 1, 1), date(2028, 12, 31)), near_change))
    hour = draw(st.one_of(st.integers(0, 23), st.sampled_from([1, 2])))  # 1-2 am: gaps, folds
    clock = time(hour, draw(st.sampled_from([0, 15, 30, 45])))
    start = datetime.combine(day, clock)
    rule = draw(st.sampled_from(RULES))
    bound = draw(st.sampled_from(["none", "count", "until-date", "until-time"])) if rule else "none"
    until = {"until-date": day + timedelta(days=draw(st.integers(0, 400))),
             "until-time": start + timedelta(hours=draw(st.integers(0, 9000)))}.get(bound)
    count = draw(st.integers(1, 60)) if bound == "count" else None
    skip = draw(st.lists(st.dates(day, day + timedelta(days=120)), max_size=6))
    return Recurrence(start=start, duration=timedelta(minutes=draw(st.integers(1, 360))),
                      timezone=draw(st.sampled_from(ZONES)), rrule=rule, until=until,
                      count=count, skip=tuple(sorted(set(skip))))


@st.composite
def windows(draw) -> tuple[datetime, datetime]:
    zone = ZoneInfo(draw(st.sampled_from(ZONES)))
    near_change = st.sampled_from(CHANGES).flatmap(lambda d: st.integers(-30 * 24, 0).map(
        lambda hours: datetime.combine(d, time.min) + timedelta(hours=hours)))
    begin = draw(st.one_of(st.datetimes(datetime(2025, 12, 1), datetime(2029, 6, 1)), near_change))
    length = timedelta(hours=draw(st.integers(1, 24 * 120)))
    return localize(begin, zone), localize(begin, zone) + length


def _absolute(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


@settings(max_examples=150, deadline=None)
@given(recurrences(), windows())
def test_expansion_properties(r, span):
    found = expand(r, *span)
    zone = ZoneInfo(r.timezone)
    starts = [_absolute(o.start) for o in found]
    assert starts == sorted(set(starts))
    for o in found:
        assert _absolute(o.start) < _absolute(span[1]) and _absolute(o.end) > _absolute(span[0])
        assert _absolute(o.end) - _absolute(o.start) == r.duration
        assert o.start.tzinfo == zone
        wall = datetime.combine(o.start.date(), r.start.time())
        before = wall - timedelta(days=1)
        if o.start.replace(tzinfo=None) != wall:  # only a gap may move the wall-clock time
            assert "gap" in (local_time_problem(wall, r.timezone),
                             local_time_problem(before, r.timezone))
        else:
            assert o.start.date() not in r.skip


@settings(max_examples=150, deadline=None)
@given(recurrences(), windows())
def test_expansion_agrees_with_dateutil_over_the_published_rule(r, span):
    zone = ZoneInfo(r.timezone)
    ours = [(_absolute(o.start), _absolute(o.end)) for o in expand(r, *span)]
    theirs = rruleset()
    value = rrule_value(r)
    dtstart = r.start.replace(tzinfo=zone)
    if value is None:
        theirs.rdate(dtstart)
    else:
        theirs.rrule(rrulestr(f"RRULE:{value}", dtstart=dtstart))
    for skipped in exdates(r):
        theirs.exdate(skipped.replace(tzinfo=zone))
    margin = r.duration + timedelta(days=2)
    found = theirs.between(span[0] - margin, span[1] + margin, inc=True)
    expected = [(_absolute(s), _absolute(s) + r.duration) for s in found]
    expected = [(s, e) for s, e in expected if s < _absolute(span[1]) and e > _absolute(span[0])]
    assert ours == expected


@settings(max_examples=100, deadline=None)
@given(recurrences())
def test_first_and_last_bound_every_occurrence(r):
    try:
        first, last = first_and_last(r)
    except ValueError:
        return
    end = last if last is not None else first + timedelta(days=400)
    found = expand(r, first - timedelta(days=1), end + timedelta(days=1))
    assert found and found[0].start == first
    if last is not None:
        assert found[-1].end == last


@pytest.mark.parametrize("name", ["GMT+5", "UTC-3", "+05:30", "gmt + 2", "Etc/GMT+5"])
def test_a_utc_offset_is_named_as_one_and_never_corrected_to_another_offset(name):
    from pseudocal.schedule.recurrence import zone_problem
    message, hint = zone_problem(name)
    assert "UTC offset" in message and "GMT+0" not in hint and "Asia/Karachi" in hint


def test_a_misspelt_place_is_offered_a_place():
    from pseudocal.schedule.recurrence import zone_problem
    assert zone_problem("Europe/Londn")[1] == 'did you mean "Europe/London"?'
    assert zone_problem("Europe/London") is None and zone_problem("UTC") is None
