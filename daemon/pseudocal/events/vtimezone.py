"""Pure: a VTIMEZONE built from zoneinfo's own transitions, in the shape every parser reads alike.

Shape: one observance per clock change up to the end of the range, nothing for a parser to
expand; then, for a series that goes on past the range (`ongoing`), the zone's yearly rule.

    BEGIN:STANDARD                 the offset in force when the range starts
    DTSTART:20261130T000000        (TZOFFSETFROM = TZOFFSETTO)
    RDATE:20261130T000000
    ...
    BEGIN:DAYLIGHT                 one per transition in the range
    DTSTART:20270328T010000        the onset, local time in TZOFFSETFROM (RFC 5545 §3.6.5:
    RDATE:20270328T010000          London's clocks go forward at 01:00 GMT, so 01:00)
    TZOFFSETFROM:+0000
    TZOFFSETTO:+0100
    ...
    BEGIN:DAYLIGHT                 ongoing only: one per kind of change, from the first onset
    DTSTART:20300331T010000        after the explicit part, repeating zoneinfo's own rule (the
    RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU    POSIX TZ string in the footer of the zone's
    TZOFFSETFROM:+0000             TZif file, "GMT0BST,M3.5.0/1,M10.5.0")
    TZOFFSETTO:+0100
    BEGIN:STANDARD
    DTSTART:20301027T020000
    RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU

Why this shape: Mozilla ical.js ignores an observance's DTSTART when it has an RDATE and
reads only the first value of a multi-valued RDATE (the shape icalendar's
`add_missing_timezones` writes), so it lost every later transition. With one onset per
observance and the single RDATE equal to DTSTART, a parser that reads DTSTART, one that
reads RDATE, and one that reads both find the same onset; there is no RRULE to expand, so
no parser's reading of a yearly rule (or of a zone whose rule is not regular: Morocco's
Ramadan changes, a country moving its changes) can differ from zoneinfo's table. The range is
bounded, as before, so the object stays small (two observances a year).

Why the yearly rule after it: a parser uses the last observance's offset for every later
date, so an open-ended series was an hour off each summer past the range. zoneinfo itself
follows the zone's table of changes and, past the table's end, the footer's rule: the same
rule, as RRULEs, is right for every later year in every parser (the shape tzurl.org and vzic
publish). It starts where zoneinfo starts following it: at the end of the range, or at the
end of the table when the table's changes after the range are not the rule's (Gaza's until
2087); a zone whose footer keeps one offset gets no rule, but the explicit part also runs to
the end of its table (Casablanca's Ramadan changes until 2087). How a POSIX day becomes an
RRULE is in `yearly_rules`; a footer it cannot write gives FALLBACK_YEARS more explicit years.
Readers' own limits: icalendar (under recurring-ical-events, khal) expands a VTIMEZONE's
RRULE only to the end of 2038.

Kinds: DAYLIGHT when zoneinfo says daylight saving is in force after the change
(`dst() > 0`), else STANDARD (Europe/Dublin's negative winter DST is STANDARD, as is any
change of a zone's standard offset). Parsers use the kind only to break ties at ambiguous
local times, and pseudocal publishes none (see render.py).
"""
from __future__ import annotations

import os
import re
import struct
import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from importlib import resources
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard, vRecur

from ..schedule.recurrence import offset_of

UTC = timezone.utc
_STEP = timedelta(hours=6)  # zones never change their clocks twice within this
_YEAR_SAMPLES = 366 * 4 + 4  # bounds the scan of one year at _STEP
_MAX_YEARS = 200  # a VTIMEZONE never spans more years than this
FALLBACK_YEARS = 30  # explicit years added past the range when the zone's rule has no RRULE
_SECOND = timedelta(seconds=1)


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


def vtimezone(zone: str, start: datetime, end: date, *, ongoing: bool = False) -> Timezone:
    """The VTIMEZONE for `zone` from the aware instant `start` to local midnight of `end`.

    Its first observance gives the offset in force at `start`; then one per change up to
    `end`. `ongoing` (the series goes on past `end`): the explicit changes run on as far as
    `continuation` says, and its yearly observances follow them, so that every later date is
    placed as zoneinfo places it. The same arguments always give the same bytes.
    """
    tz = ZoneInfo(zone)
    start = start.astimezone(UTC).replace(microsecond=0)
    stop = datetime.combine(end, time.min).replace(tzinfo=tz, fold=0).astimezone(UTC)
    rules: tuple[tuple[Transition, str], ...] = ()
    if ongoing and not is_utc(zone):
        more = continuation(zone, max(stop, start))
        stop, rules = more.until, more.rules
    here = start.astimezone(tz)
    offset = offset_of(here)
    base = Transition(start, offset, offset, here.tzname() or "",
                      (here.dst() or timedelta(0)) > timedelta(0))
    component = Timezone()
    component.add("tzid", zone)
    for change in [base, *transitions(zone, start + _SECOND, stop)]:
        component.add_component(_observance(change))
    for change, rule in rules:
        component.add_component(_observance(change, rule))
    return component


def _observance(change: Transition, rrule: str | None = None
                ) -> TimezoneStandard | TimezoneDaylight:
    """One change: its onset as DTSTART and as the one RDATE, or DTSTART and `rrule`."""
    observance = TimezoneDaylight() if change.daylight else TimezoneStandard()
    observance.add("dtstart", change.onset)
    if rrule is None:
        observance.add("rdate", change.onset)
    else:
        observance.add("rrule", vRecur.from_ical(rrule))
    observance.add("tzname", change.name)
    observance.add("tzoffsetfrom", change.before)
    observance.add("tzoffsetto", change.after)
    return observance


# ---------------------------------------------------------------- past the range: the zone's rule


@dataclass(frozen=True)
class Continuation:
    """How a VTIMEZONE goes on past its range: explicit changes up to `until` (UTC), then
    `rules`, each the first change after `until` and the RRULE that repeats it yearly."""
    until: datetime
    rules: tuple[tuple[Transition, str], ...]


def continuation(zone: str, stop: datetime) -> Continuation:
    """For a series that goes on past the UTC instant `stop`: how far the explicit changes
    must run, and the yearly observances after them.

    zoneinfo follows the table of changes in the zone's TZif file, then its footer's rule.
    The explicit part runs to `stop`, or on to the end of the table when the table's changes
    after `stop` are not the rule's (Gaza's and Casablanca's Ramadan changes, listed to 2087).
    Then: a footer without daylight saving needs nothing; one with a yearly rule gives an
    observance per RRULE of `yearly_rules` for each of its two changes, from the first onset
    after the explicit part, each confirmed by zoneinfo's offsets there. A footer this cannot
    read, or a rule it cannot write or zoneinfo does not confirm, gives no rules and
    FALLBACK_YEARS more explicit years instead.
    """
    fallback = Continuation(stop + timedelta(days=366 * FALLBACK_YEARS), ())
    try:
        table = read_tzif(tzif(zone))
        rule = footer_rule(table.footer)
    except (OSError, ValueError):
        return fallback
    monthly = rule is not None and rule.monthly()  # zoneinfo's "J", "n" days: `yearly_rules`
    until = stop
    if table.last is not None and table.last >= stop:
        listed = [change for change in table.changes if change[0] >= stop]
        ruled = rule_changes(rule, stop, table.last + _SECOND) if rule and monthly else []
        if listed != ruled:
            until = table.last + _SECOND
    if rule is None:
        return Continuation(until, ())
    rules = _yearly_observances(zone, rule, until) if monthly else None
    if rules is None:
        return Continuation(max(until, fallback.until), ())
    return Continuation(until, rules)


def _yearly_observances(zone: str, rule: YearlyRule, since: datetime
                        ) -> tuple[tuple[Transition, str], ...] | None:
    """(first change at or after `since`, RRULE) for each RRULE of both changes of `rule`,
    in order; None when a change has no RRULE or zoneinfo's offsets at a first onset are not
    the rule's."""
    tz = ZoneInfo(zone)
    found = []
    for day, before, after in rule.changes():
        yearly = yearly_rules(day)
        if yearly is None or before == after:
            return None
        for month, rrule in yearly:
            at = first_onset(day, before, month, since)
            if at is None:
                return None
            change = _transition(tz, at)
            if (change.before, change.after) != (before, after):
                return None
            found.append((change, rrule))
    return tuple(sorted(found, key=lambda pair: pair[0].at))


# ---------------------------------------------------------------- the TZif file and its footer


@dataclass(frozen=True)
class Tzif:
    """What zoneinfo reads in a TZif file: its table, then the footer for every later time."""
    changes: tuple[tuple[datetime, timedelta], ...]  # (UTC instant, offset after), in order
    last: datetime | None  # the table's last entry (changing the offset or not); None: empty
    footer: str  # the POSIX TZ string; "" when the file has none (version 1)


@lru_cache(maxsize=1024)
def tzif(zone: str) -> bytes:
    """The bytes of the zone's TZif file, from where zoneinfo reads it: the first directory
    of zoneinfo.TZPATH that has the file, else the tzdata package. OSError when neither."""
    parts = zone.split("/")
    if os.path.isabs(zone) or any(p in ("", ".", "..") for p in parts):
        raise OSError(f"not a zone key: {zone!r}")
    for base in zoneinfo.TZPATH:
        path = os.path.join(base, *parts)
        if os.path.isfile(path):
            with open(path, "rb") as handle:
                return handle.read()
    try:
        package = resources.files(".".join(["tzdata.zoneinfo", *parts[:-1]]))
        return package.joinpath(parts[-1]).read_bytes()
    except (ImportError, UnicodeError) as exc:
        raise OSError(f"no TZif file for {zone!r}") from exc


_HEADER = struct.Struct(">4s1s15x6l")  # magic, version, then the six counts of RFC 8536
_TYPE = struct.Struct(">lBB")  # a local time type: UTC offset, isdst, designation index


@lru_cache(maxsize=1024)
def read_tzif(data: bytes) -> Tzif:
    """A TZif file's table of changes and its footer (RFC 8536: the 64-bit data block of a
    version 2+ file, then the footer between newlines; a version 1 file's only block).
    ValueError when the bytes are not TZif."""
    try:
        magic, version, isut, isstd, leap, count, types, chars = _HEADER.unpack_from(data)
        if magic != b"TZif":
            raise ValueError("not a TZif file")
        width, block = 4, _HEADER.size
        if version != b"\0":  # skip the 32-bit block to the 64-bit one
            block += count * 5 + types * 6 + chars + leap * 8 + isstd + isut
            _, _, isut, isstd, leap, count, types, chars = _HEADER.unpack_from(data, block)
            width, block = 8, block + _HEADER.size
        times = struct.unpack_from(f">{count}{'q' if width == 8 else 'l'}", data, block)
        indices = data[block + count * width:block + count * (width + 1)]
        offsets = [_TYPE.unpack_from(data, block + count * (width + 1) + 6 * n)[0]
                   for n in range(types)]
        end = (block + count * (width + 1) + types * 6 + chars + leap * (width + 4) + isstd
               + isut)
        changes, before = [], offsets[0]
        for at, index in zip(times, indices, strict=True):
            if offsets[index] != before:
                changes.append((_utc(at), timedelta(seconds=offsets[index])))
            before = offsets[index]
        footer = ""
        if version != b"\0":
            if data[end:end + 1] != b"\n":
                raise ValueError("a TZif file without its footer")
            footer = data[end + 1:data.index(b"\n", end + 1)].decode("ascii")
    except (struct.error, IndexError, UnicodeDecodeError) as exc:
        raise ValueError(f"a damaged TZif file ({exc})") from exc
    return Tzif(tuple(changes), _utc(times[-1]) if times else None, footer)


def _utc(seconds: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)


@dataclass(frozen=True)
class DayRule:
    """A POSIX TZ date and time of a change (RFC 8536 §3.3.1).

    `form` "M": the `weekday` (0 Sunday) of `week` 1-4 of `month`, or its last (week 5);
    "J": day `day` 1-365, 29 February never counted; "n": day `day` 0-365, counted.
    `time`: from that date's midnight, local time in the offset before the change; it may be
    negative or past 24 hours (-167 to 167), which moves the change to another day.
    """
    form: str
    month: int = 0
    week: int = 0
    weekday: int = 0
    day: int = 0
    time: timedelta = timedelta(hours=2)


@dataclass(frozen=True)
class YearlyRule:
    """A footer with daylight saving: UTC offsets (east positive), and when each begins."""
    standard: timedelta
    daylight: timedelta
    to_daylight: DayRule  # its time in local standard time
    to_standard: DayRule  # its time in local daylight time

    def changes(self) -> tuple[tuple[DayRule, timedelta, timedelta], ...]:
        """(when, offset before, offset after) of both changes."""
        return ((self.to_daylight, self.standard, self.daylight),
                (self.to_standard, self.daylight, self.standard))

    def monthly(self) -> bool:
        """Both days are "M" days (every zone's, in tzdata 2026)."""
        return self.to_daylight.form == self.to_standard.form == "M"


_NAME = r"(?:[A-Za-z]{3,}|<[A-Za-z0-9+-]{3,}>)"
_CLOCK = r"[+-]?\d{1,3}(?::\d{1,2}){0,2}"
_FOOTER = re.compile(rf"{_NAME}(?P<std>{_CLOCK})(?:(?P<dst_name>{_NAME})(?P<dst>{_CLOCK})?"
                     rf"(?:,(?P<on>[^,]+),(?P<off>[^,]+))?)?")
_DAY = re.compile(rf"(?:M(?P<month>\d{{1,2}})\.(?P<week>\d)\.(?P<weekday>\d)|J(?P<julian>\d{{1,3}})"
                  rf"|(?P<day>\d{{1,3}}))(?:/(?P<time>{_CLOCK}))?")


def footer_rule(text: str) -> YearlyRule | None:
    """The yearly rule of a TZif footer ("GMT0BST,M3.5.0/1,M10.5.0"); None when it keeps one
    offset ("JST-9", "<+01>-1", or empty). POSIX offsets count west: "EST5" is -05:00.
    ValueError for text that is not such a string, or DST without its two dates."""
    if text == "":
        return None
    found = _FOOTER.fullmatch(text)
    if found is None:
        raise ValueError(f"not a POSIX TZ string: {text!r}")
    standard = -_clock(found["std"])
    if found["dst_name"] is None:
        return None
    if found["on"] is None:
        raise ValueError(f"daylight saving without its dates: {text!r}")
    daylight = standard + timedelta(hours=1) if found["dst"] is None else -_clock(found["dst"])
    return YearlyRule(standard, daylight, _day_rule(found["on"]), _day_rule(found["off"]))


def _day_rule(text: str) -> DayRule:
    found = _DAY.fullmatch(text)
    if found is None:
        raise ValueError(f"not a POSIX TZ date: {text!r}")
    at = timedelta(hours=2) if found["time"] is None else _clock(found["time"])
    if found["month"] is not None:
        rule = DayRule("M", month=int(found["month"]), week=int(found["week"]),
                       weekday=int(found["weekday"]), time=at)
        ok = 1 <= rule.month <= 12 and 1 <= rule.week <= 5 and rule.weekday <= 6
    elif found["julian"] is not None:
        rule = DayRule("J", day=int(found["julian"]), time=at)
        ok = 1 <= rule.day <= 365
    else:
        rule = DayRule("n", day=int(found["day"]), time=at)
        ok = rule.day <= 365
    if not ok or abs(at) > timedelta(hours=167):
        raise ValueError(f"a POSIX TZ date out of range: {text!r}")
    return rule


def _clock(text: str) -> timedelta:
    """[+-]hh[:mm[:ss]] as a signed duration."""
    sign = -1 if text.startswith("-") else 1
    parts = [int(p) for p in text.lstrip("+-").split(":")] + [0, 0]
    return sign * timedelta(hours=parts[0], minutes=parts[1], seconds=parts[2])


# ---------------------------------------------------------------- the rule's days as RRULEs


def onset_in(day: DayRule, year: int) -> datetime:
    """The local (naive) time, in the offset before the change, at which the "M" day `day`
    changes the clocks in `year`: POSIX's date, plus its `time` from that date's midnight."""
    if day.form != "M":
        raise ValueError(f"not a month, week and weekday: {day}")
    first = date(year, day.month, 1)
    found = first + timedelta(days=(day.weekday - first.isoweekday() % 7) % 7
                              + 7 * (day.week - 1))
    while found.month != day.month:  # week 5: the last such weekday
        found -= timedelta(weeks=1)
    return datetime.combine(found, time.min) + day.time


def rule_changes(rule: YearlyRule, low: datetime, high: datetime
                 ) -> list[tuple[datetime, timedelta]]:
    """(UTC instant, offset after) of the rule's changes in [low, high), in order."""
    found = []
    for year in range(low.year - 1, high.year + 2):
        for day, before, after in rule.changes():
            at = (onset_in(day, year) - before).replace(tzinfo=UTC)
            if low <= at < high:
                found.append((at, after))
    return sorted(found)


def first_onset(day: DayRule, before: timedelta, month: int, since: datetime
                ) -> datetime | None:
    """The UTC instant of the first change of `day` at or after `since` whose local date is
    in `month` (which of its RRULEs it is); None if none within 400 years."""
    for year in range(since.year - 1, since.year + 400):
        local = onset_in(day, year)
        at = (local - before).replace(tzinfo=UTC)
        if local.month == month and at >= since:
            return at
    return None


WEEKDAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")  # POSIX numbers them from Sunday
_LENGTHS = (31, 0, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # February's (0) varies


def yearly_rules(day: DayRule) -> tuple[tuple[int, str], ...] | None:
    """(month, RRULE) pairs whose instances, with DTSTART's time of day, are together the
    onsets of `day`, one a year; None when no FREQ=YEARLY rules of BYMONTH, BYMONTHDAY and
    BYDAY are.

    "M" at a time in [0, 24h): one rule, BYDAY=2SU or, for week 5, BYDAY=-1SU. A time
    outside it (Chile's "M9.1.6/24", Israel's "M3.4.4/26", Nuuk's "M3.5.0/-1", Gaza's
    "/50") moves the change by whole days: it is then a fixed weekday on one of seven
    consecutive days, written BYMONTHDAY=...;BYDAY= (as vzic writes Israel's), with one rule
    per month when those days run into the next or previous one (Cairo's "M10.5.4/24": a
    Friday from 26 to 31 October, or 1 November).
    None, so that `continuation` falls back to explicit years (zoneinfo's own changes),
    when where the days fall depends on February's length (such days past the 28th); when a
    change can be moved into another year (zoneinfo reads the rule one calendar year at a
    time, so its changes there are not POSIX's); and for "J" and "n" days, which zoneinfo
    (CPython 3.11) does not read as POSIX does (J59 is 29 February in leap years, "n"
    counts from 1): no zone uses them.
    """
    if day.form != "M":
        return None
    shift, _ = divmod(day.time, timedelta(days=1))
    if shift == 0:
        week = -1 if day.week == 5 else day.week
        return ((day.month, f"FREQ=YEARLY;BYMONTH={day.month};BYDAY={week}"
                            f"{WEEKDAYS[day.weekday]}"),)
    weekday = WEEKDAYS[(day.weekday + shift) % 7]
    if day.week == 5:  # -1 is the month's last day, 0 the next month's first
        days = month_days(day.month, range(-7 + shift, shift), from_end=True)
    else:
        days = month_days(day.month, range(7 * day.week - 6 + shift, 7 * day.week + 1 + shift))
    if days is None or any((day.month, month) in ((1, 12), (12, 1)) for month, _ in days):
        return None  # February's length, or another year
    return tuple((month, f"FREQ=YEARLY;BYMONTH={month};BYMONTHDAY="
                         f"{','.join(str(n) for n in found)};BYDAY={weekday}")
                 for month, found in days)


def month_days(month: int, days: range, from_end: bool = False
               ) -> tuple[tuple[int, tuple[int, ...]], ...] | None:
    """Days counted from `month` (from its 1st, or `from_end` from its last day as -1) as
    (month, BYMONTHDAY values) for each month they fall in, in order: positive values where
    the month's length is fixed, negative ones counted from February's end. None when where
    a day falls depends on February's length."""
    before, after = (month - 2) % 12 + 1, month % 12 + 1
    found: dict[int, list[int]] = {}
    for n in days:
        if from_end and n >= 0:
            where, value = after, n + 1
        elif from_end:
            length = _LENGTHS[month - 1]
            where, value = month, (length + 1 + n if length else n)
        elif n < 1:
            length = _LENGTHS[before - 1]
            where, value = before, (length + n if length else n - 1)
        elif n <= (_LENGTHS[month - 1] or 28):
            where, value = month, n
        elif _LENGTHS[month - 1]:
            where, value = after, n - _LENGTHS[month - 1]
        else:
            return None
        found.setdefault(where, []).append(value)
    return tuple((where, tuple(values)) for where, values in found.items())
