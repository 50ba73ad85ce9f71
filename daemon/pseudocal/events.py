"""Pure: recurrences -> iCalendar objects that pass the privacy allow-list.

A repeating session is rendered as ONE recurring VEVENT (RRULE + EXDATE), the
way a calendar app stores it. Times carry the rule's TZID and a matching
VTIMEZONE (vtimezone.py: one observance per clock change, from zoneinfo).
Nothing here knows who a client is: it sees a pseudonym and a random client id only.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, vRecur

from . import schedule, vtimezone
from .models import Recurrence

PRODID = "-//Calendar//EN"  # neutral: names no product that would hint at therapy
VTIMEZONE_YEARS_AHEAD = 4  # VTIMEZONE covers from DTSTART to this many years past today


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
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add_component(_vevent(spec, now))
    _add_timezones(cal, spec.when, now.date())
    return cal.to_ical()


def content_hash(ical: bytes) -> str:
    """A hash of what matters: everything except DTSTAMP (which changes every render)."""
    lines = [ln for ln in ical.splitlines() if not ln.startswith(b"DTSTAMP")]
    return hashlib.sha256(b"\n".join(lines)).hexdigest()


def _vevent(spec: EventSpec, now: datetime) -> Event:
    rec = spec.when
    tz = ZoneInfo(rec.timezone)
    ev = Event()
    ev.add("uid", spec.uid)
    ev.add("dtstamp", now.astimezone(timezone.utc).replace(microsecond=0))
    start = schedule.localize(rec.start, tz)
    ev.add("dtstart", start)
    ev.add("dtend", (start + rec.duration).astimezone(tz))
    ev.add("summary", spec.summary)
    ev.add("class", "PRIVATE")
    ev.add("transp", "OPAQUE" if spec.busy else "TRANSPARENT")
    rule = schedule.rrule_value(rec)
    if rule:
        ev.add("rrule", vRecur.from_ical(rule))
        skipped = [schedule.localize(d, tz) for d in schedule.exdates(rec)]
        if skipped:
            ev.add("exdate", skipped)
    for before, text in spec.alarms:
        ev.add_component(_alarm(before, text))
    return ev


def _alarm(before: timedelta, text: str) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", text)
    alarm.add("trigger", -before)
    return alarm


def _add_timezones(cal: Calendar, rec: Recurrence, today: date) -> None:
    if vtimezone.is_utc(rec.timezone):
        return
    first = rec.start.date()
    last = date(max(today.year, first.year) + VTIMEZONE_YEARS_AHEAD, 1, 1)
    end = _last_local_date(rec)
    if end is not None:
        last = max(min(last, end + timedelta(days=1)), first + timedelta(days=1))
    since = schedule.localize(datetime.combine(first - timedelta(days=1), time.min),
                              rec.timezone)
    cal.subcomponents.insert(0, vtimezone.vtimezone(rec.timezone, since, last))


def _last_local_date(rec: Recurrence) -> date | None:
    last = schedule.first_and_last(rec)[1]
    return None if last is None else last.date()
