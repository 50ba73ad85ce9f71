"""Recurrence rules + a window -> occurrences. Pure functions, no I/O.

Time model
----------
A `Recurrence` is written in wall-clock time of its own zone: `start` is a naive local
datetime in `rec.timezone`, and the rule repeats that wall-clock time. A weekly 10:00
America/New_York session stays at 10:00 in New York across daylight saving, so seen from
Europe/London it moves by an hour during the weeks when the two zones change their clocks
on different dates. The rule is expanded by dateutil.rrule over naive local datetimes
(DTSTART = rec.start), exactly as a calendar client expands RRULE with DTSTART;TZID=...

Bounds: `until` is inclusive. A date means the whole of that local day; a datetime means
up to and including that local wall-clock time. `count` counts occurrences before skips
are removed, as RFC 5545 counts RRULE instances before EXDATE.

Skips: a skip date removes the occurrence that starts on that local date (EXDATE).

Gaps and folds (RFC 5545 §3.3.5): config refuses a *first* start that does not exist
(spring-forward gap) or is ambiguous (autumn fold). A later occurrence of a repeating
rule that lands in one is placed like this:
  * gap  -> the wall-clock time is read with the offset in force before the transition,
            i.e. it is shifted forward by the length of the gap (01:30 on a day when
            clocks jump 01:00 -> 02:00 becomes 02:30);
  * fold -> the first (earlier) of the two instants (fold=0).
`localize` implements this rule; everything here that makes an aware datetime uses it.
Durations are absolute: an occurrence's end is its start plus the duration in elapsed
time, so a 50-minute session across a transition still lasts 50 minutes.

All aware datetimes returned are in the rule's own zone (zoneinfo).
"""
from __future__ import annotations

import difflib
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from dateutil.rrule import rrule, rrulestr

from ..models import Occurrence, Recurrence

UTC = timezone.utc
_SLACK = timedelta(days=1)  # covers any UTC offset difference and gap shift
_NEAR = timedelta(days=62)  # how far `nearest_dates` looks either side
MAX_INTERVAL = 1000  # an INTERVAL beyond this overflows date arithmetic in some rules
_FIXED_ZONES = ("EST", "MST", "HST")  # valid zone names a practitioner means as a place

REPEATS: dict[str, str | None] = {
    "once": None,
    "weekly": "FREQ=WEEKLY",
    "fortnightly": "FREQ=WEEKLY;INTERVAL=2",
    "monthly": "FREQ=MONTHLY",
}
_FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_PARTS = frozenset({"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "BYYEARDAY",
                    "BYWEEKNO", "BYMONTH", "BYSETPOS", "WKST"})
_REPEAT_HINT = ("write once, weekly, fortnightly, monthly or an RRULE "
                "such as FREQ=WEEKLY;BYDAY=TU,TH")


class RuleError(ValueError):
    """A repeat that cannot be used; `hint` says what to write instead."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


# ---------------------------------------------------------------- reading a repeat


def rule_from_repeat(repeat: str, start: datetime | None) -> str | None:
    """The RRULE value (no "RRULE:" prefix) for a config `repeat`; None for once.

    Raises RuleError for anything dateutil cannot read, for UNTIL/COUNT inside the
    rule (they have their own keys), for sub-daily rules or BYHOUR/BYMINUTE/BYSECOND
    (the time of day comes from `start`), and for a `start` the rule does not produce.
    """
    keyword = repeat.strip().lower()
    if keyword in REPEATS:
        return REPEATS[keyword]
    text = _normalise_rule(repeat)
    _check_parts(text)
    if start is None:  # start is itself wrong: still check the rule's own syntax
        _parse_rule(text, datetime(2000, 1, 1))
        return text
    _check_start(_parse_rule(text, start), start)
    return text


def _normalise_rule(repeat: str) -> str:
    text = "".join(repeat.split()).upper()
    if text.startswith("RRULE:"):
        text = text[len("RRULE:"):]
    if "FREQ=" not in text:
        raise RuleError('this is not a repeat', _REPEAT_HINT)
    return text.strip(";")


def _check_parts(text: str) -> None:
    for part in text.split(";"):
        name, _, value = part.partition("=")
        if name in ("UNTIL", "COUNT"):
            raise RuleError(f"{name} inside the rule is not allowed",
                            f"remove it and set the {name.lower()} key instead")
        if name in ("BYHOUR", "BYMINUTE", "BYSECOND"):
            raise RuleError(f"{name} is not allowed", "the time of day comes from start")
        if name not in _PARTS or not value:
            raise RuleError('a part of the rule is not NAME=VALUE with a known NAME', _REPEAT_HINT)
        if name == "INTERVAL" and not (value.isdigit() and 0 < int(value) <= MAX_INTERVAL):
            raise RuleError("this INTERVAL is not allowed",
                            f"write a whole number from 1 to {MAX_INTERVAL}")
        if name == "FREQ" and value not in _FREQS:
            known = value in ("SECONDLY", "MINUTELY", "HOURLY")  # RFC 5545 words: safe to say
            raise RuleError(f"FREQ={value} is not allowed" if known else "this FREQ is not allowed",
                            "use FREQ=DAILY, WEEKLY, MONTHLY or YEARLY")


def _one_rule(text: str, start: datetime) -> rrule:
    rule = rrulestr(text, dtstart=start)
    if not isinstance(rule, rrule):  # a set: only for several RRULE lines or dates
        raise ValueError("one RRULE expected")
    return rule


def _parse_rule(text: str, start: datetime) -> rrule:
    try:
        return _one_rule(text, start)
    except (ValueError, TypeError, KeyError, IndexError):
        raise RuleError('this is not a valid RRULE', _REPEAT_HINT) from None


def _check_start(rule: rrule, start: datetime) -> None:
    first = next(iter(rule), None)
    if first is None:
        raise RuleError("this rule never happens", _REPEAT_HINT)
    if first != start:
        raise RuleError(
            f"start {start:%Y-%m-%d} ({start:%A}) is not a day this rule produces",
            f"set start to its first occurrence, {first:%Y-%m-%dT%H:%M:%S}")


def skip_problems(rec: Recurrence) -> list[tuple[str, str, str]]:
    """(key, message, hint) for skip dates the rule does not produce, or that skip it all."""
    found = []
    for day in rec.skip:
        if not occurs_on(rec, day):
            near = " or ".join(d.isoformat() for d in nearest_dates(rec, day))
            found.append(("skip", f"{day.isoformat()} is not a day this rule happens on",
                          f"did you mean {near}?" if near else "remove it"))
    if not found and _all_skipped(rec):
        found.append(("skip", "skip removes every occurrence",
                      "remove a skip date, or the whole block"))
    return found


def bound_problems(rec: Recurrence) -> list[tuple[str, str, str]]:
    """(key, message, hint) for until/count that contradict each other, the repeat or start.

    Uses only start, rrule, until and count, so it can run on a half-valid config."""
    found = []
    if rec.until is not None and rec.count is not None:
        found.append(("count", "until and count cannot both be set", "keep one of them"))
    for key, value in (("until", rec.until), ("count", rec.count)):
        if value is not None and rec.rrule is None:
            found.append((key, f"{key} has no effect when repeat is once",
                          f"set repeat (e.g. weekly) or remove {key}"))
    start = rec.start if isinstance(rec.until, datetime) else rec.start.date()
    if rec.until is not None and rec.until < start:
        found.append(("until", f"{rec.until.isoformat()} is before start {rec.start.isoformat()}",
                      "write a date on or after start, or remove until"))
    return found


def _all_skipped(rec: Recurrence) -> bool:
    try:
        first_and_last(rec)
    except ValueError:
        return True
    return False


# ---------------------------------------------------------------- local time


def localize(naive: datetime, tz: str | ZoneInfo) -> datetime:
    """An aware datetime for a wall-clock time: gap -> shifted forward, fold -> earlier."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC).astimezone(zone)


def local_time_problem(naive: datetime, tz: str) -> str | None:
    """"gap" if `naive` does not exist in `tz`, "fold" if it happens twice, else None."""
    zone = ZoneInfo(tz)
    first = naive.replace(tzinfo=zone, fold=0)
    if first.utcoffset() == naive.replace(tzinfo=zone, fold=1).utcoffset():
        return None
    back = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    return "gap" if back != naive else "fold"


def plain(naive: datetime, duration: timedelta, tz: str | ZoneInfo) -> bool:
    """Whether every reader places an occurrence starting at wall-clock `naive` alike.

    True when its start and its end exist exactly once and no clock change falls inside it
    (so wall-clock and elapsed arithmetic give the same end). A parser that resolves gaps
    and folds its own way, or that adds the duration to the wall-clock start, then still
    finds what `localize` and `expand` say. False for an occurrence in a gap or a fold, or
    one that spans a change: events.py publishes those with explicit times.
    """
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    name = zone.key
    if local_time_problem(naive, name) is not None:
        return False
    end = _wall(localize(naive, zone).astimezone(UTC) + duration, zone)  # elapsed time
    return end - naive == duration and local_time_problem(end, name) is None


def latest_reading(naive: datetime, tz: str | ZoneInfo) -> datetime:
    """The latest UTC instant any reader can give wall-clock `naive` (a gap or a fold has two)."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    return max(naive.replace(tzinfo=zone, fold=f).astimezone(UTC) for f in (0, 1))


def offset_of(moment: datetime) -> timedelta:
    """The UTC offset of an aware datetime (a zoneinfo zone always has one)."""
    found = moment.utcoffset()
    if found is None:
        raise ValueError(f"{moment!r} is naive: it has no UTC offset")
    return found


def transition_length(naive: datetime, tz: str) -> timedelta:
    """How far the clocks move at a gap or fold around `naive` (zero elsewhere)."""
    zone = ZoneInfo(tz)
    before = offset_of(naive.replace(tzinfo=zone, fold=0))
    after = offset_of(naive.replace(tzinfo=zone, fold=1))
    return abs(after - before)


def local_time_message(naive: datetime, tz: str) -> tuple[str, str] | None:
    """(message, hint) when a first start falls in a gap or fold, else None."""
    kind = local_time_problem(naive, tz)
    if kind is None:
        return None
    shift = transition_length(naive, tz)
    when = f"{naive:%H:%M} on {naive:%Y-%m-%d}"
    message = (f"{when} does not exist in {tz} (clocks go forward)" if kind == "gap"
               else f"{when} happens twice in {tz} (clocks go back)")
    return message, f"choose {naive - shift:%H:%M} or {naive + shift:%H:%M}"


_OFFSET = re.compile(r"(?:etc/)?(?:gmt|utc|ut)?\s*[+-]\s*\d{1,2}(?::?\d{2})?", re.IGNORECASE)
_PLACE_HINT = "write the place as an IANA zone, e.g. Asia/Karachi or America/New_York"
# GMT is the UK's winter time: a London practitioner who writes it gets every summer
# session an hour off; UTC stays allowed for a practice that means no daylight saving
_WINTER_ONLY = frozenset({"gmt", "gmt0", "gmt-0", "gmt+0", "greenwich", "etc/gmt", "etc/gmt0",
                          "etc/gmt-0", "etc/gmt+0", "etc/greenwich"})


def zone_problem(name: str) -> tuple[str, str] | None:
    """(message, hint) when `name` is not a usable IANA zone, else None.

    A UTC offset ("GMT+5", "UTC-3", "+05:30", "Etc/GMT+5") is named as such, never
    "corrected" to a look-alike zone (difflib would offer GMT+0 for GMT+5): an offset does
    not follow daylight saving, and Etc/GMT+5 even means UTC-5 (the POSIX sign)."""
    if name.strip().lower() in _WINTER_ONLY:
        return ("GMT is the UK's winter time only: it does not follow British Summer Time",
                'write "Europe/London" for the UK (or "UTC" for no daylight saving at all)')
    if name in _FIXED_ZONES:
        return ('this is a fixed offset with no daylight saving',
                "write a place such as America/New_York")
    if _OFFSET.fullmatch(name.strip()):
        return "this is a UTC offset, not a place: it does not follow daylight saving", \
            _PLACE_HINT
    try:
        ZoneInfo(name)
        return None
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    same = [z for z in _all_zones() if z.lower() == name.lower()]
    places = [z for z in _all_zones() if "/" in z and not z.startswith("Etc/")]
    close = same or difflib.get_close_matches(name, places, n=1)
    hint = f'did you mean "{close[0]}"?' if close else 'write an IANA zone such as "Europe/London"'
    return 'this is not a known time zone', hint


@lru_cache(maxsize=1)
def _all_zones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


# ---------------------------------------------------------------- expansion


def expand(rec: Recurrence, window_start: datetime, window_end: datetime) -> list[Occurrence]:
    """Occurrences whose [start, end) overlaps [window_start, window_end), sorted."""
    zone = ZoneInfo(rec.timezone)
    low = _wall(window_start - rec.duration, zone) - _SLACK
    high = _wall(window_end, zone) + _SLACK
    found = (_occurrence(n, rec.duration, zone) for n in _starts_between(rec, low, high))
    return [o for o in found if o.start < window_end and o.end > window_start]


def occurs_on(rec: Recurrence, day: date) -> bool:
    """Whether the rule, skips ignored, has an occurrence starting on this local date."""
    return bool(_rule_starts_on(rec, day))


def nearest_dates(rec: Recurrence, day: date, n: int = 2) -> list[date]:
    """Up to `n` local dates near `day` on which the rule (skips ignored) happens."""
    plain = replace(rec, skip=())
    middle = datetime.combine(day, time(12), ZoneInfo(rec.timezone))
    found = expand(plain, middle - _NEAR, middle + _NEAR)
    dates = sorted({o.start.date() for o in found}, key=lambda d: abs(d - day))
    return sorted(dates[:n])


def wall_starts(rec: Recurrence, low: datetime, high: datetime) -> list[datetime]:
    """The naive wall-clock starts of `rec` (skips removed) in [low, high] (naive), sorted."""
    return sorted(_starts_between(rec, low, high))


def exdates(rec: Recurrence) -> list[datetime]:
    """Naive local starts removed by skip dates, for EXDATE (only ones the rule produces)."""
    return sorted(start for day in set(rec.skip) for start in _rule_starts_on(rec, day))


def rrule_value(rec: Recurrence) -> str | None:
    """The RRULE text to publish with DTSTART;TZID=rec.timezone, bounds included.

    UNTIL is the UTC instant of the last occurrence the rule includes (skips ignored):
    with a TZID'd DTSTART, RFC 5545 wants UNTIL in UTC, and it is inclusive, so the
    last instant that must be included is exactly that occurrence's start. When that
    start is in a gap or a fold, it is the latest reading of it, so that a parser that
    resolves the time its own way still keeps the occurrence (the next one is a day or
    more later: rules are never sub-daily).
    """
    if rec.rrule is None:
        return None
    if rec.count is not None:
        return f"{rec.rrule};COUNT={rec.count}"
    if rec.until is None:
        return rec.rrule
    return f"{rec.rrule};UNTIL={_utc_text(_until_instant(rec))}"


def first_and_last(rec: Recurrence) -> tuple[datetime, datetime | None]:
    """Aware start of the first occurrence and aware end of the last (None if unbounded).

    Raises ValueError when skips remove every occurrence.
    """
    zone = ZoneInfo(rec.timezone)
    starts = _all_starts(rec)
    first = next(starts, None)
    if first is None:
        raise ValueError("every occurrence is skipped")
    if rec.rrule is not None and rec.until is None and rec.count is None:
        return localize(first, zone), None
    last = deque(starts, maxlen=1)
    final = last[0] if last else first
    return localize(first, zone), _occurrence(final, rec.duration, zone).end


# ---------------------------------------------------------------- helpers


@lru_cache(maxsize=512)
def _bounded_rule(rec: Recurrence) -> rrule | None:
    """The dateutil rule with until/count applied; None for a single occurrence."""
    if rec.rrule is None:
        return None
    rule = _one_rule(rec.rrule, rec.start)
    if rec.count is not None:
        return rule.replace(count=rec.count, until=None)
    if rec.until is not None:
        return rule.replace(until=_until_wall(rec.until), count=None)
    return rule


def _until_wall(until: date | datetime) -> datetime:
    if isinstance(until, datetime):
        return until.replace(tzinfo=None)
    return datetime.combine(until, time.max)


def _starts_between(rec: Recurrence, low: datetime, high: datetime) -> list[datetime]:
    rule = _bounded_rule(rec)
    if rule is None:
        candidates = [rec.start] if low <= rec.start <= high else []
    else:
        candidates = rule.between(low, high, inc=True)
    skipped = set(rec.skip)
    return [n for n in candidates if n.date() not in skipped]


def _all_starts(rec: Recurrence) -> Iterator[datetime]:
    rule = _bounded_rule(rec)
    skipped = set(rec.skip)
    return (n for n in (rule if rule is not None else [rec.start]) if n.date() not in skipped)


def _rule_starts_on(rec: Recurrence, day: date) -> list[datetime]:
    rule = _bounded_rule(rec)
    if rule is None:
        return [rec.start] if rec.start.date() == day else []
    return rule.between(datetime.combine(day, time.min), datetime.combine(day, time.max),
                        inc=True)


def _until_instant(rec: Recurrence) -> datetime:
    last = deque(_bounded_rule(rec) or (), maxlen=1)
    if last:
        return latest_reading(last[0], rec.timezone)
    if rec.until is None:
        raise ValueError("a rule without occurrences and without UNTIL has no last instant")
    day_after = datetime.combine(_until_wall(rec.until).date() + timedelta(days=1), time.min)
    return localize(day_after, rec.timezone).astimezone(UTC) - timedelta(seconds=1)


def _utc_text(instant: datetime) -> str:
    moment = instant.astimezone(UTC)
    if moment.microsecond:  # round up: UNTIL must not cut off a fractional start
        moment += timedelta(microseconds=1_000_000 - moment.microsecond)
    return moment.strftime("%Y%m%dT%H%M%SZ")


def _wall(instant: datetime, zone: ZoneInfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def _occurrence(naive: datetime, duration: timedelta, zone: ZoneInfo) -> Occurrence:
    start = localize(naive, zone)
    end = (start.astimezone(UTC) + duration).astimezone(zone)
    return Occurrence(start, end)
