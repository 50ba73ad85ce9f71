"""Pure: occurrences -> screen breaks, the supervision ledger and schedule warnings.

Breaks. A *run* is screen time without room to get up: sessions with less than a break
(`after_session`, or `long_break` when those are off) between them. Each run is followed
by a break; a run longer than `max_screen` by a long break. Nothing is squeezed in: a
break never overlaps a session or supervision. When a long run has no room for its long
break, the short one is placed if it fits and a "no-break-room" warning says so.

Ledger. Per month of the practitioner's calendar: client hours, and supervision booked.
The config is the source of truth: supervision that "took place" is a scheduled
occurrence that has ended. A month with client work needs `minimum_per_month`, or
`ratio` x client hours when that is more; a month with none needs nothing.

Warnings (codes are stable): no-break-room, day-cap, week-cap, overlap, clock-change.
Each names dates and pseudonyms only; recurring ones are merged into one message.

For the daemon and `status`: schedule_warnings(settings, pseudonyms, now) and
ledger_for(settings, now); ScheduleWarning.as_dict() and MonthLedger.as_dict()/.line().
"""
from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from ..config.values import format_duration, format_hours
from ..identity.pseudonyms import normalise
from ..models import BreakSettings, Occurrence, SessionRule, Settings, WorkloadSettings
from ..schedule import recurrence
from . import divergence

UTC = recurrence.UTC
MAX_LISTED = 4  # more dates than this are shown as a range
LEDGER_PAST_MONTHS = 3
REMINDER_AT = time(9, 0)
REMINDER_LENGTH = timedelta(minutes=15)  # a "book supervision" reminder, as an event
CODES = ("no-break-room", "day-cap", "week-cap", "overlap", "clock-change")


@dataclass(frozen=True)
class ScheduleWarning:
    code: str  # one of CODES
    dates: tuple[date, ...]  # practitioner's local dates it concerns, sorted
    detail: str  # what is wrong, pseudonyms only

    @property
    def day(self) -> date:
        return self.dates[0]

    @property
    def message(self) -> str:
        lead = {"week-cap": "week of " if len(self.dates) == 1 else "weeks of "}.get(self.code, "")
        return f"{lead}{date_list(self.dates)}: {self.detail}"

    def as_dict(self) -> dict:
        return {"code": self.code, "date": self.day.isoformat(), "message": self.message,
                "dates": [d.isoformat() for d in self.dates]}


@dataclass(frozen=True, order=True)
class Slot:
    """A session or supervision occurrence, with what it is (for warnings and the week)."""
    occ: Occurrence
    kind: str = "session"  # "session" | "supervision"
    label: str = ""  # the pseudonym, or the supervision title
    zone: str = "UTC"  # the zone its rule is written in
    rule: int = -1  # the [[sessions]] index


@dataclass(frozen=True)
class Placement:
    breaks: tuple[Occurrence, ...] = ()
    long_breaks: tuple[Occurrence, ...] = ()
    warnings: tuple[ScheduleWarning, ...] = ()


# ---------------------------------------------------------------- breaks


def place_breaks(sessions: Iterable[Occurrence], breaks: BreakSettings,
                 busy: Iterable[Occurrence] = (), zone: str = "UTC") -> Placement:
    """A break after each run of screen time; runs over max_screen get a long break."""
    sessions = [_utc(o) for o in sessions]
    obstacles = sorted([*sessions, *(_utc(o) for o in busy)])
    found = [_break_after(run, breaks, obstacles, zone) for run in runs(sessions, rest(breaks))]
    return Placement(tuple(b for kind, b, _ in found if kind == "break" and b),
                     tuple(b for kind, b, _ in found if kind == "long" and b),
                     tuple(w for _, _, w in found if w))


def rest(breaks: BreakSettings) -> timedelta:
    """The shortest gap between sessions that ends a run of screen time."""
    return breaks.after_session or breaks.long_break


def runs(sessions: Iterable[Occurrence], gap: timedelta) -> list[Occurrence]:
    """Sessions joined into runs: less than `gap` between them is no rest."""
    found: list[Occurrence] = []
    for occ in sorted(sessions):
        if found and occ.start - found[-1].end < gap:
            found[-1] = Occurrence(found[-1].start, max(found[-1].end, occ.end))
        else:
            found.append(occ)
    return found


def _break_after(run: Occurrence, breaks: BreakSettings, obstacles: list[Occurrence],
                 zone: str) -> tuple[str | None, Occurrence | None, ScheduleWarning | None]:
    too_long = breaks.max_screen is not None and run.end - run.start > breaks.max_screen
    if too_long and (long := _fits(run.end, breaks.long_break, obstacles)):
        return "long", long, None
    short = _fits(run.end, breaks.after_session, obstacles) if breaks.after_session else None
    warning = _no_room(run, breaks, zone) if too_long else None
    return ("break" if short else None), short, warning


def _fits(start: datetime, length: timedelta, obstacles: list[Occurrence]) -> Occurrence | None:
    slot = Occurrence(start, start + length)
    return None if any(_overlap(slot, o) for o in obstacles) else slot


def _no_room(run: Occurrence, breaks: BreakSettings, zone: str) -> ScheduleWarning:
    start, end = _local(run.start, zone), _local(run.end, zone)
    detail = (f"{format_duration(run.end - run.start)} of screen time from {start:%H:%M} to "
              f"{end:%H:%M} with no room for a {format_duration(breaks.long_break)} break")
    return ScheduleWarning("no-break-room", (start.date(),), detail)


# ---------------------------------------------------------------- ledger


@dataclass(frozen=True)
class MonthLedger:
    month: date  # the first day of the month
    client: timedelta  # client sessions in the month (held, or scheduled)
    supervision: timedelta  # supervision booked in the month (the config's schedule)
    done: timedelta  # of which has taken place (ended) by now
    required: timedelta  # what the month needs

    @property
    def short(self) -> bool:
        return self.supervision < self.required

    def as_dict(self) -> dict:
        hours = {k: round(getattr(self, k).total_seconds() / 3600, 2)
                 for k in ("client", "supervision", "done", "required")}
        return {"month": f"{self.month:%Y-%m}", **{f"{k}_hours": v for k, v in hours.items()},
                "short": self.short}

    def line(self) -> str:
        state = f"SHORT by {format_hours(self.required - self.supervision)}" if self.short \
            else "ok"
        return (f"{self.month:%Y-%m}  sessions {format_hours(self.client):>7}  supervision "
                f"{format_hours(self.supervision):>6} booked, {format_hours(self.done):>6} "
                f"done  needs {format_hours(self.required):>6}  {state}")


def ledger(sessions: Iterable[Occurrence], supervision: Iterable[Occurrence], months: list[date],
           minimum: timedelta, ratio: float | None, *, zone: str,
           now: datetime) -> list[MonthLedger]:
    """Client and supervision time per month (dates: first days, practitioner's zone)."""
    supervision = list(supervision)
    client = _per_month(sessions, zone)
    booked = _per_month(supervision, zone)
    done = _per_month((o for o in supervision if o.end <= now), zone)
    return [MonthLedger(m, client[m], booked[m], done[m], required(client[m], minimum, ratio))
            for m in months]


def required(client: timedelta, minimum: timedelta, ratio: float | None) -> timedelta:
    """Supervision a month needs: none without client work, else the minimum or the ratio."""
    if not client:
        return timedelta(0)
    by_ratio = timedelta(seconds=round(client.total_seconds() * (ratio or 0)))
    return max(minimum, by_ratio)


def ledger_for(settings: Settings, now: datetime) -> list[MonthLedger]:
    """The ledger from LEDGER_PAST_MONTHS back to the month the horizon reaches."""
    zone = settings.timezone
    first = add_months(_month(_local(now, zone).date()), -LEDGER_PAST_MONTHS)
    last = _month(_local(now + settings.sync.horizon, zone).date())
    months = [add_months(first, i) for i in range(_months_between(first, last) + 1)]
    return ledger_of(settings, months, now)


def ledger_of(settings: Settings, months: list[date], now: datetime) -> list[MonthLedger]:
    """The ledger of consecutive `months` (first days, practitioner's zone)."""
    zone, sup = settings.timezone, settings.supervision
    slots = booked(settings, midnight(months[0], zone), midnight(add_months(months[-1], 1), zone))
    return ledger([s.occ for s in slots if s.kind == "session"],
                  [s.occ for s in slots if s.kind == "supervision"], months,
                  sup.minimum_per_month, sup.ratio, zone=zone, now=now)


def reminders(settings: Settings, now: datetime) -> list[tuple[MonthLedger, datetime]]:
    """("Book supervision" month, when to ring) for this and later months that fall short.

    Only with a [supervision] table in the config (with or without a schedule: a practitioner
    with none booked needs the reminder most). The reminder rings at 09:00 on the 1st;
    once that has passed, at the next 09:00 (so it comes back daily until booked or deleted).
    """
    if not settings.supervision.enabled:
        return []
    this_month = _month(_local(now, settings.timezone).date())
    return [(m, _ring_at(m.month, settings.timezone, now)) for m in ledger_for(settings, now)
            if m.month >= this_month and m.short]


def _ring_at(month: date, zone: str, now: datetime) -> datetime:
    first = recurrence.localize(datetime.combine(month, REMINDER_AT), zone)
    if first > now:
        return first
    day = _local(now, zone).date()
    today = recurrence.localize(datetime.combine(day, REMINDER_AT), zone)
    return today if today > now else recurrence.localize(
        datetime.combine(day + timedelta(days=1), REMINDER_AT), zone)


def _per_month(occurrences: Iterable[Occurrence], zone: str) -> defaultdict[date, timedelta]:
    found: defaultdict[date, timedelta] = defaultdict(timedelta)
    for occ in occurrences:
        found[_month(_local(occ.start, zone).date())] += _length(occ)
    return found


# ---------------------------------------------------------------- warnings


def schedule_warnings(settings: Settings, pseudonyms: Mapping[str, str] | None = None,
                      now: datetime | None = None) -> list[ScheduleWarning]:
    """Every warning from the start of this week to the horizon (never a refusal)."""
    now = now or datetime.now(UTC)
    today = _local(now, settings.timezone).date()
    start = midnight(today - timedelta(days=today.weekday()), settings.timezone)
    return warnings_between(settings, pseudonyms, start, now + settings.sync.horizon)


def warnings_between(settings: Settings, pseudonyms: Mapping[str, str] | None,
                     start: datetime, end: datetime,
                     context: timedelta = timedelta(0)) -> list[ScheduleWarning]:
    """Warnings for [start, end); clock changes judge the usual time over `context` more."""
    zone = settings.timezone
    slots = booked(settings, start, end, pseudonyms)
    sessions = [s.occ for s in slots if s.kind == "session"]
    busy = [s.occ for s in slots if s.kind == "supervision"]
    found = [*place_breaks(sessions, settings.breaks, busy, zone).warnings,
             *caps(sessions, settings.workload, zone), *overlaps(slots, zone)]
    wide = booked(settings, start - context, end + context, pseudonyms) if context else slots
    days = (_local(start, zone).date(), _local(end, zone).date())
    moved = [w for w in clock_changes(wide, zone) if any(days[0] <= d <= days[1] for d in w.dates)]
    return sorted([*merge(found), *moved], key=lambda w: (w.day, w.code, w.detail))


def booked(settings: Settings, start: datetime, end: datetime,
           pseudonyms: Mapping[str, str] | None = None) -> list[Slot]:
    """Sessions and supervision overlapping [start, end), sorted, in UTC."""
    found = [Slot(_utc(o), "session", _shown(r, pseudonyms), r.when.timezone, r.index)
             for r in settings.sessions for o in recurrence.expand(r.when, start, end)]
    sup = settings.supervision
    if sup.when is not None:
        found += [Slot(_utc(o), "supervision", sup.title, sup.when.timezone)
                  for o in recurrence.expand(sup.when, start, end)]
    return sorted(found)


def _shown(rule: SessionRule, pseudonyms: Mapping[str, str] | None) -> str:
    """How a session is named in warnings: its pseudonym as stored; a value the store does
    not know (perhaps a real name typed by mistake) only by its place, sessions[N].
    Without a store to ask (`pseudonyms` None: `week` reading the config alone, on the
    practitioner's own screen) the config's value."""
    if pseudonyms is None:
        return rule.client
    return pseudonyms.get(normalise(rule.client), f"sessions[{rule.index}]")


def caps(sessions: Iterable[Occurrence], workload: WorkloadSettings,
         zone: str) -> list[ScheduleWarning]:
    """Days and weeks (Monday to Sunday) with more client time than the caps."""
    per_day: defaultdict[date, timedelta] = defaultdict(timedelta)
    for occ in sessions:
        per_day[_local(occ.start, zone).date()] += _length(occ)
    per_week: defaultdict[date, timedelta] = defaultdict(timedelta)
    for day, total in per_day.items():
        per_week[day - timedelta(days=day.weekday())] += total
    return [*_over(per_day, workload.max_per_day, "day-cap", "daily"),
            *_over(per_week, workload.max_per_week, "week-cap", "weekly")]


def _over(totals: Mapping[date, timedelta], cap: timedelta | None, code: str,
          name: str) -> list[ScheduleWarning]:
    return [ScheduleWarning(code, (day,), f"{format_hours(total)} of sessions, above the "
                                          f"{name} cap of {format_hours(cap)}")
            for day, total in sorted(totals.items()) if cap is not None and total > cap]


def overlaps(slots: list[Slot], zone: str) -> list[ScheduleWarning]:
    """A session overlapping another session or supervision."""
    found = []
    for i, first in enumerate(slots):
        for other in slots[i + 1:]:
            if other.occ.start >= first.occ.end:  # sorted by start: no later one overlaps
                break
            if "session" in (first.kind, other.kind) and _overlap(first.occ, other.occ):
                detail = f"{_show(first, zone)} overlaps {_show(other, zone)}"
                found.append(ScheduleWarning("overlap", (_local(first.occ.start, zone).date(),),
                                             detail))
    return found


def _show(slot: Slot, zone: str) -> str:
    start, end = _local(slot.occ.start, zone), _local(slot.occ.end, zone)
    name = slot.label if slot.kind == "session" else slot.label.lower()
    return f"{name} {start:%H:%M}-{end:%H:%M}"


def clock_changes(slots: list[Slot], zone: str) -> list[ScheduleWarning]:
    """Sessions of a rule in another zone that move in local time: one warning per stretch."""
    by_rule: defaultdict[int, list[Slot]] = defaultdict(list)
    for slot in slots:
        if slot.kind == "session" and slot.zone != zone:
            by_rule[slot.rule].append(slot)
    return [w for rule_slots in by_rule.values() for w in _moves(rule_slots, zone)]


def _moves(slots: list[Slot], zone: str) -> list[ScheduleWarning]:
    """One warning per stretch of sessions moved by clocks changing on different dates."""
    found = []
    moved = ((s, divergence.usual_time(s.occ.start, zone, s.zone)) for s in slots)
    keyed = ((s, None if usual is None else (f"{_local(s.occ.start, zone):%H:%M}",
                                             f"{usual:%H:%M}")) for s, usual in moved)
    for key, group in itertools.groupby(keyed, key=lambda pair: pair[1]):
        if key is not None:
            dates = tuple(_local(s.occ.start, zone).date() for s, _ in group)
            found.append(ScheduleWarning("clock-change", dates,
                                         f"{slots[0].label} at {key[0]} instead of {key[1]}"))
    return found


def merge(warnings: Iterable[ScheduleWarning]) -> list[ScheduleWarning]:
    """One warning per code and detail, listing all its dates (a recurring problem once)."""
    dates: dict[tuple[str, str], set[date]] = {}
    for w in warnings:
        dates.setdefault((w.code, w.detail), set()).update(w.dates)
    return [ScheduleWarning(code, tuple(sorted(days)), detail)
            for (code, detail), days in dates.items()]


# ---------------------------------------------------------------- dates


def date_list(dates: Iterable[date]) -> str:
    """"16 and 23 March 2027", "28 March and 4 April 2027", or a range for many dates."""
    days = sorted(set(dates))
    if len(days) > MAX_LISTED:
        return f"{_part(days[0], None)} to {_part(days[-1], None)} ({len(days)} dates)"
    parts = [_part(d, nxt) for d, nxt in zip(days, [*days[1:], None], strict=True)]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _part(day: date, following: date | None) -> str:
    text = str(day.day)
    if following is None or (following.year, following.month) != (day.year, day.month):
        text += f" {day:%B}"
    if following is None or following.year != day.year:
        text += f" {day.year}"
    return text


def _month(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    """The first day of the month `n` months after (or before) `month`'s."""
    return month.replace(day=1) + relativedelta(months=n)


def _months_between(first: date, last: date) -> int:
    between = relativedelta(last.replace(day=1), first.replace(day=1))
    return between.years * 12 + between.months


def midnight(day: date, zone: str) -> datetime:
    return recurrence.localize(datetime.combine(day, time.min), zone)


def _local(instant: datetime, zone: str) -> datetime:
    return instant.astimezone(ZoneInfo(zone))


def _utc(occ: Occurrence) -> Occurrence:
    return Occurrence(occ.start.astimezone(UTC), occ.end.astimezone(UTC))


def _length(occ: Occurrence) -> timedelta:
    """Elapsed time (aware datetimes in one zone subtract as wall-clock times)."""
    return occ.end.astimezone(UTC) - occ.start.astimezone(UTC)


def _overlap(a: Occurrence, b: Occurrence) -> bool:
    return a.start < b.end and b.start < a.end
