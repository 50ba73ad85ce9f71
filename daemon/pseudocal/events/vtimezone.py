"""Pure: a VTIMEZONE built from zoneinfo's own transitions, in the shape every parser reads alike.

Shape: one observance per clock change, nothing for a parser to expand.

    BEGIN:STANDARD                 the offset in force when the range starts
    DTSTART:20261130T000000        (TZOFFSETFROM = TZOFFSETTO)
    RDATE:20261130T000000
    ...
    BEGIN:DAYLIGHT                 one per transition in the range
    DTSTART:20270328T010000        the onset, local time in TZOFFSETFROM (RFC 5545 §3.6.5:
    RDATE:20270328T010000          London's clocks go forward at 01:00 GMT, so 01:00)
    TZOFFSETFROM:+0000
    TZOFFSETTO:+0100

Why this shape: Mozilla ical.js ignores an observance's DTSTART when it has an RDATE and
reads only the first value of a multi-valued RDATE (the shape icalendar's
`add_missing_timezones` writes), so it lost every later transition. With one onset per
observance and the single RDATE equal to DTSTART, a parser that reads DTSTART, one that
reads RDATE, and one that reads both find the same onset; there is no RRULE to expand, so
no parser's reading of a yearly rule (or of a zone whose rule is not regular: Morocco's
Ramadan changes, a country moving its changes) can differ from zoneinfo's table. The range is
bounded, as before, so the object stays small (two observances a year).

Kinds: DAYLIGHT when zoneinfo says daylight saving is in force after the change
(`dst() > 0`), else STANDARD (Europe/Dublin's negative winter DST is STANDARD, as is any
change of a zone's standard offset). Parsers use the kind only to break ties at ambiguous
local times, and pseudocal publishes none (see events.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

from ..schedule.recurrence import offset_of

UTC = timezone.utc
_STEP = timedelta(hours=6)  # zones never change their clocks twice within this
_YEAR_SAMPLES = 366 * 4 + 4  # bounds the scan of one year at _STEP
_MAX_YEARS = 200  # a VTIMEZONE never spans more years than this


@dataclass(frozen=True)
class Transition:
    """One clock change: at UTC instant `at`, the offset goes from `before` to `after`."""
    at: datetime
    before: timedelta
    after: timedelta
    name: str  # the abbreviation after the change (zoneinfo's tzname)
    daylight: bool  # daylight saving in force after the change (dst() > 0)

    @property
    def onset(self) -> datetime:
        """The local (naive) time of the change, read in the offset before it."""
        return (self.at + self.before).replace(tzinfo=None)


def is_utc(zone: str) -> bool:
    """A zone written as UTC ("Z") needs no VTIMEZONE."""
    return zone in ("UTC", "Etc/UTC", "Z")


def transitions(zone: str, start: datetime, end: datetime) -> list[Transition]:
    """zoneinfo's clock changes in [start, end) (aware instants), in order."""
    if end <= start:
        return []
    first, last = start.astimezone(UTC).year, end.astimezone(UTC).year
    if last - first > _MAX_YEARS:
        raise ValueError("a time zone range of more than 200 years")
    found = [t for year in range(first, last + 1) for t in _year(zone, year)]
    return [t for t in found if start <= t.at < end]


@lru_cache(maxsize=1024)
def _year(zone: str, year: int) -> tuple[Transition, ...]:
    """The changes whose instant falls in this UTC year: a scan at _STEP, then bisection."""
    tz = ZoneInfo(zone)
    begin = datetime(year, 1, 1, tzinfo=UTC)
    stop = datetime(year + 1, 1, 1, tzinfo=UTC)
    found = []
    low = begin - _STEP  # catches a change in the first hours of the year
    for _ in range(_YEAR_SAMPLES):
        if low >= stop:
            break
        high = low + _STEP
        if low.astimezone(tz).utcoffset() != high.astimezone(tz).utcoffset():
            at = _bisect(tz, low, high)
            if begin <= at < stop:
                found.append(_transition(tz, at))
        low = high
    return tuple(found)


def _bisect(tz: ZoneInfo, low: datetime, high: datetime) -> datetime:
    """The first instant (to the second) in (low, high] with `high`'s offset."""
    target = high.astimezone(tz).utcoffset()
    for _ in range(64):  # 6 hours in seconds needs 15 halvings
        if high - low <= timedelta(seconds=1):
            break
        middle = low + (high - low) / 2
        middle = middle.replace(microsecond=0)
        if middle.astimezone(tz).utcoffset() == target:
            high = middle
        else:
            low = middle
    return high


def _transition(tz: ZoneInfo, at: datetime) -> Transition:
    before = (at - timedelta(seconds=1)).astimezone(tz)
    after = at.astimezone(tz)
    return Transition(at, offset_of(before), offset_of(after), after.tzname() or "",
                      (after.dst() or timedelta(0)) > timedelta(0))


def vtimezone(zone: str, start: datetime, end: date) -> Timezone:
    """The VTIMEZONE for `zone` from the aware instant `start` to local midnight of `end`.

    Its first observance gives the offset in force at `start`; then one per change up to
    `end`. The same arguments always give the same bytes.
    """
    tz = ZoneInfo(zone)
    start = start.astimezone(UTC).replace(microsecond=0)
    stop = datetime.combine(end, time.min).replace(tzinfo=tz, fold=0).astimezone(UTC)
    here = start.astimezone(tz)
    offset = offset_of(here)
    base = Transition(start, offset, offset, here.tzname() or "",
                      (here.dst() or timedelta(0)) > timedelta(0))
    component = Timezone()
    component.add("tzid", zone)
    for change in [base, *transitions(zone, start + timedelta(seconds=1), stop)]:
        component.add_component(_observance(change))
    return component


def _observance(change: Transition) -> TimezoneStandard | TimezoneDaylight:
    observance = TimezoneDaylight() if change.daylight else TimezoneStandard()
    observance.add("dtstart", change.onset)
    observance.add("rdate", change.onset)
    observance.add("tzname", change.name)
    observance.add("tzoffsetfrom", change.before)
    observance.add("tzoffsetto", change.after)
    return observance
