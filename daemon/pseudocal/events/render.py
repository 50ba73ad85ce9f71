"""Pure: recurrences -> iCalendar objects that pass the privacy allow-list.

A repeating session is rendered as ONE recurring VEVENT (RRULE + EXDATE), the
way a calendar app stores it. Times carry the rule's TZID and a matching
VTIMEZONE (vtimezone.py: one observance per clock change, from zoneinfo, and for a series
that goes on past it, the zone's yearly rule as RRULEs).
Nothing here knows who a client is: it sees a pseudonym and a random client id only.

Clock changes. Parsers agree on an occurrence whose start and end exist once and
contain no change (`recurrence.plain`), and disagree on the others: a start in a
spring-forward gap or an autumn fold, an end in one, an occurrence spanning a change
(wall-clock vs elapsed arithmetic). So:

* each such occurrence of a series is also published as an override in the same
  object: RECURRENCE-ID is the rule's own wall-clock time (what every parser
  generates from the RRULE and matches), DTSTART/DTEND the instants
  `recurrence.localize` gives, written in the zone when both exist once there, else
  in UTC;
* the series' DTSTART (the instance every parser takes the duration from, and
  anchors the rule on) is always plain: when the first occurrence is not, the
  rule is anchored on its nearest earlier plain instance, which an EXDATE removes
  (COUNT counts it);
* a single event that is not plain has its times in UTC;
* EXDATE and RECURRENCE-ID carry the rule's wall-clock time, not a shifted one, so
  they match the instance the RRULE produces in every parser;
* the overrides (like the VTIMEZONE's explicit part) reach only to `covered` (1 January,
  VTIMEZONE_YEARS_AHEAD years ahead). A series that goes on past it and has an occurrence
  that is not plain in the ROLLING_SCAN_YEARS after it is published bounded: UNTIL at the
  end of the last local day before `covered` (COUNT dropped: RFC 5545 allows one of the
  two), so nothing is published that a parser could misread. The later occurrences appear
  when the daemon renders again: `covered` moves a year each 1 January, and the object
  changes then anyway (its VTIMEZONE's explicit part moves), so this costs no extra write.
  `published_when` is the rule, anchored and bounded, that render() publishes.
"""
from __future__ import annotations

import hashlib
from bisect import bisect_left
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from itertools import islice
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from icalendar import Alarm, Calendar, Event, vRecur

from ..models import Recurrence
from ..schedule import recurrence
from . import vtimezone

PRODID = "-//Calendar//EN"  # neutral: names no product that would hint at therapy
VTIMEZONE_YEARS_AHEAD = 4  # VTIMEZONE covers from DTSTART to this many years past today
ANCHOR_SEARCH_DAYS = 400  # how far back to look for a plain instance to anchor a rule on
ANCHOR_CHECK = 60  # instances compared to prove an earlier anchor keeps the same series
ROLLING_SCAN_YEARS = 12  # how far past `covered` to look for an occurrence that is not plain
UTC = timezone.utc


@dataclass(frozen=True)
class EventSpec:
    """Everything one calendar object shows, before it becomes bytes."""
    uid: str
    summary: str
    when: Recurrence
    alarms: tuple[tuple[timedelta, str], ...] = ()  # (before start, neutral text)
    busy: bool = True  # TRANSP:OPAQUE vs TRANSPARENT


def render(spec: EventSpec, *, now: datetime) -> bytes:
    """The VCALENDAR bytes for one spec; `now` sets DTSTAMP and the VTIMEZONE range."""
    rec, covered = _published(spec.when, now)
    first = rec.start.date()
    overrides = _overrides(rec, covered)
    master = _vevent(spec, rec, now)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if _uses_tzid(master, overrides):
        since = recurrence.localize(datetime.combine(first - timedelta(days=1), time.min),
                                  rec.timezone)
        cal.add_component(vtimezone.vtimezone(rec.timezone, since, covered,
                                              ongoing=_outlives(rec, covered)))
    cal.add_component(master)
    for naive in overrides:
        cal.add_component(_override(spec, rec, naive, now))
    return cal.to_ical()


def content_hash(ical: bytes) -> str:
    """A hash of what matters: everything except DTSTAMP (which changes every render)."""
    lines = [ln for ln in ical.splitlines() if not ln.startswith(b"DTSTAMP")]
    return hashlib.sha256(b"\n".join(lines)).hexdigest()


def published_when(rec: Recurrence, now: datetime) -> Recurrence:
    """The recurrence render() publishes for `rec` at `now`: `anchored`, and bounded when it
    would reach past the overrides with occurrences a parser could misread (see `rolled`).
    Its occurrences are `rec`'s: all of them, or, bounded, those starting before local
    midnight of the date the overrides reach to; every one it has is plain or overridden.
    Pure: the same for the same `now`, and the bound moves a year when `now` does."""
    return _published(rec, now)[0]


def rolled(rec: Recurrence, covered: date) -> Recurrence:
    """`rec` bounded to the overrides' range: when it repeats, can go on past local midnight
    of `covered` (`_outlives`), and has an occurrence that is not plain in the
    ROLLING_SCAN_YEARS after `covered`, the same rule with UNTIL at the end of the local day
    before `covered` (COUNT dropped, skips kept); otherwise `rec` itself. Pure."""
    if rec.rrule is None or not _outlives(rec, covered):
        return rec
    tz = ZoneInfo(rec.timezone)
    low = recurrence.localize(datetime.combine(covered, time.min), tz)
    high = low + timedelta(days=round(365.25 * ROLLING_SCAN_YEARS))
    if not irregular_starts(rec, low, high):
        return rec
    return replace(rec, until=covered - timedelta(days=1), count=None)


def _published(rec: Recurrence, now: datetime) -> tuple[Recurrence, date]:
    """The published recurrence and the date its VTIMEZONE's explicit part and overrides
    cover to (local midnight)."""
    base = anchored(rec)
    covered = _covered_until(base, base.start.date(), now.date())
    return rolled(base, covered), covered


def anchored(rec: Recurrence) -> Recurrence:
    """`rec` itself, or when its first start is not plain, the same series anchored on the
    nearest earlier plain instance of its rule, which a skip removes (COUNT counts it)."""
    if rec.rrule is None or recurrence.plain(rec.start, rec.duration, rec.timezone):
        return rec
    wanted = list(islice(rrulestr(rec.rrule, dtstart=rec.start), ANCHOR_CHECK))
    for days in range(1, ANCHOR_SEARCH_DAYS + 1):
        candidate = rec.start - timedelta(days=days)
        if not recurrence.plain(candidate, rec.duration, rec.timezone):
            continue
        head = list(islice(rrulestr(rec.rrule, dtstart=candidate), ANCHOR_CHECK + 1))
        if head[:1] == [candidate] and head[1:] == wanted:
            count = None if rec.count is None else rec.count + 1
            skip = tuple(sorted({*rec.skip, candidate.date()}))
            return replace(rec, start=candidate, count=count, skip=skip)
    return rec  # no plain instance a rule period back: its first instance is an override


def _vevent(spec: EventSpec, rec: Recurrence, now: datetime) -> Event:
    tz = ZoneInfo(rec.timezone)
    ev = Event()
    ev.add("uid", spec.uid)
    ev.add("dtstamp", now.astimezone(UTC).replace(microsecond=0))
    start = recurrence.localize(rec.start, tz)
    rule = recurrence.rrule_value(rec)
    if rule:  # DTSTART is the rule's wall-clock anchor (see anchored)
        ev.add("dtstart", rec.start.replace(tzinfo=tz))
        ev.add("dtend", _after(start, rec.duration).astimezone(tz))
    else:
        _add_times(ev, start, _after(start, rec.duration), tz)
    ev.add("summary", spec.summary)
    ev.add("class", "PRIVATE")
    ev.add("transp", "OPAQUE" if spec.busy else "TRANSPARENT")
    if rule:
        ev.add("rrule", vRecur.from_ical(rule))
        skipped = [d.replace(tzinfo=tz) for d in recurrence.exdates(rec)]
        if skipped:
            ev.add("exdate", skipped)
    for before, text in spec.alarms:
        ev.add_component(_alarm(before, text))
    return ev


def _override(spec: EventSpec, rec: Recurrence, naive: datetime, now: datetime) -> Event:
    """The instance of the rule at wall-clock `naive`, with explicit unambiguous times."""
    tz = ZoneInfo(rec.timezone)
    start = recurrence.localize(naive, tz)
    ev = Event()
    ev.add("uid", spec.uid)
    ev.add("dtstamp", now.astimezone(UTC).replace(microsecond=0))
    ev.add("recurrence-id", naive.replace(tzinfo=tz))
    _add_times(ev, start, _after(start, rec.duration), tz)
    ev.add("summary", spec.summary)
    ev.add("class", "PRIVATE")
    ev.add("transp", "OPAQUE" if spec.busy else "TRANSPARENT")
    for before, text in spec.alarms:
        ev.add_component(_alarm(before, text))
    return ev


def _add_times(ev: Event, start: datetime, end: datetime, tz: ZoneInfo) -> None:
    """DTSTART/DTEND in the zone when both wall-clock times exist once there, else in UTC."""
    unique = all(recurrence.local_time_problem(_wall(t, tz), tz.key) is None for t in (start, end))
    zone = tz if unique else UTC
    ev.add("dtstart", start.astimezone(zone))
    ev.add("dtend", end.astimezone(zone))


def _overrides(rec: Recurrence, covered: date) -> list[datetime]:
    """The wall-clock starts, up to `covered`, of the occurrences that are not plain."""
    tz = ZoneInfo(rec.timezone)
    since = recurrence.localize(rec.start, tz)
    stop = recurrence.localize(datetime.combine(covered, time.min), tz)
    return irregular_starts(rec, since, stop)


def irregular_starts(rec: Recurrence, low: datetime, high: datetime) -> list[datetime]:
    """The wall-clock starts (skips removed, sorted) of `rec`'s occurrences that are not
    plain and start in [low, high) (aware instants): only occurrences near one of the
    zone's clock changes can be, so only those are looked at. Pure."""
    if rec.rrule is None or vtimezone.is_utc(rec.timezone) or high <= low:
        return []
    tz = ZoneInfo(rec.timezone)
    changes = [_wall(c.at, tz) for c in vtimezone.transitions(
        rec.timezone, low - rec.duration, high + rec.duration)]
    if not changes:
        return []
    before, after = rec.duration + timedelta(days=1), timedelta(days=1)
    starts = recurrence.wall_starts(rec, changes[0] - before, changes[-1] + after)
    return [n for n in starts if _near(n, changes, before, after)
            and not recurrence.plain(n, rec.duration, tz)
            and low <= recurrence.localize(n, tz) < high]


def _near(naive: datetime, changes: list[datetime], before: timedelta, after: timedelta
          ) -> bool:
    """Whether a change (sorted wall-clock times) is within `before` after `naive` or
    `after` before it."""
    i = bisect_left(changes, naive - after)
    return i < len(changes) and changes[i] <= naive + before


def _uses_tzid(master: Event, overrides: list[datetime]) -> bool:
    return bool(overrides) or "TZID" in master["DTSTART"].params


def _alarm(before: timedelta, text: str) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", text)
    alarm.add("trigger", -before)
    return alarm


def _covered_until(rec: Recurrence, first: date, today: date) -> date:
    """The VTIMEZONE's explicit part (and the overrides) cover up to local midnight of this
    date: to the end of the last occurrence, or VTIMEZONE_YEARS_AHEAD years past today, the
    sooner (a series that goes on past it also gets the zone's yearly rule: `_outlives`)."""
    last = date(max(today.year, first.year) + VTIMEZONE_YEARS_AHEAD, 1, 1)
    end = _last_local_date(rec)
    if end is not None:
        last = max(min(last, end + timedelta(days=1)), first + timedelta(days=1))
    return last


def _outlives(rec: Recurrence, covered: date) -> bool:
    """Whether an occurrence can end after local midnight of `covered`: the series is
    open-ended, or its last occurrence ends after that (the VTIMEZONE then goes on with the
    zone's yearly rule; the overrides stop at `covered`)."""
    last = _last_local_date(rec)
    return last is None or last >= covered


def _last_local_date(rec: Recurrence) -> date | None:
    last = recurrence.first_and_last(rec)[1]
    return None if last is None else last.date()


def _after(start: datetime, duration: timedelta) -> datetime:
    """Elapsed time, not wall-clock arithmetic (which zoneinfo datetimes do)."""
    return start.astimezone(UTC) + duration


def _wall(instant: datetime, tz: ZoneInfo) -> datetime:
    return instant.astimezone(tz).replace(tzinfo=None)
