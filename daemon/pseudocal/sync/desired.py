"""Pure: settings + the pseudonym map -> the objects pseudocal wants online now.

Which rules are wanted is decided by time:
- a rule whose last occurrence ended more than `keep_past` ago is *retired*
  (its online object is removed; that is expiry, not a removal the safety
  valve worries about);
- a rule whose first occurrence starts beyond `horizon` is not pushed yet;
- occurrences of a repeating rule that ended more than `keep_past` ago are
  trimmed off the front of the series (DTSTART moves forward), so past
  sessions leave the online calendar on time.

Self-care objects go to calendar "selfcare" when configured, else "main":
- supervision: one object for the config's rule (trimmed like a session), alarm `before`;
- screen breaks (see planning.place_breaks), published for keep_past .. horizon only:
  per session rule, ONE object for the breaks after its sessions -- the session's rule
  shifted to the session's end, from the first to the last break in that window, with
  EXDATE on the dates where none fits -- and one more for its long breaks. A break the
  shifted rule cannot carry (a session ending after midnight, a clock change in between)
  is a single event. So the object count follows the patterns, not the weeks;
- "Book supervision" reminders: one single event per month that falls short.
Breaks and reminders are free time (TRANSP:TRANSPARENT); every UID comes from a stable
logical key (break:<session key>, longbreak:<session key>, break:<UTC start>,
supervision, book-supervision:<YYYY-MM>), so a re-sync writes nothing.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from icalendar.prop import vRecur

from ..config.values import format_hours
from ..crypto import make_uid
from ..events.render import EventSpec, content_hash, render
from ..identity.pseudonyms import normalise
from ..models import DesiredObject, Occurrence, Recurrence, SessionRule, Settings
from ..schedule import recurrence
from ..selfcare import planning
from . import validity

TRIM_LOOKAHEAD = timedelta(days=800)  # how far to look for the next occurrence of a rule
TRIM_FIRST_LOOK = timedelta(days=35)  # looked at first: a month holds the next of most rules
SELFCARE = "selfcare"  # the [calendars.<name>] that takes self-care objects, when configured
REMINDER_LENGTH = planning.REMINDER_LENGTH
_SLACK = timedelta(days=1)  # sessions just outside the window still shape its runs
UTC = recurrence.UTC


@dataclass
class Desired:
    objects: dict[str, DesiredObject] = field(default_factory=dict)  # by UID
    retired: set[str] = field(default_factory=set)  # UIDs in config but not wanted now
    named_texts: list = field(default_factory=list)  # config texts replaced (engine.sync)
    # with named_texts: the UIDs of the objects that carried one of those texts (the only
    # ones such a sync writes, to take the text off the calendar)
    carriers: frozenset[str] = frozenset()
    # the same objects (but for DTSTAMP) are wanted until then (`validity.stable_until`)
    valid_until: datetime | None = None

    def add(self, obj: DesiredObject) -> None:
        self.objects[obj.uid] = obj


def session_keys(settings: Settings, clients: dict[str, tuple[str, str]]
                 ) -> dict[int, tuple[str, str, str]]:
    """Each session's logical identity: its client and its place among that client's sessions.

    Not the start time: rescheduling a session (or all of them) is then an update of
    the same event, not a delete and a create that the safety valve would count.
    Returns [[sessions]] index -> (key, client id, pseudonym).
    """
    seen: dict[str, int] = {}
    keys = {}
    for rule in settings.sessions:
        client_id, pseudonym = clients[normalise(rule.client)]
        n = seen[client_id] = seen.get(client_id, -1) + 1
        keys[rule.index] = (f"session:{client_id}:{n}", client_id, pseudonym)
    return keys


def build(settings: Settings, clients: dict[str, tuple[str, str]], tag_key: bytes,
          now: datetime) -> Desired:
    """`clients` maps a normalised pseudonym to (client id, pseudonym as stored)."""
    global _last_renders
    desired, renders = Desired(), _Renders()
    keys = session_keys(settings, clients)
    for rule in settings.sessions:
        key, client_id, pseudonym = keys[rule.index]
        uid = make_uid(tag_key, key)
        when = wanted(rule.when, settings, now)
        if when is None:
            desired.retired.add(uid)
            continue
        spec = EventSpec(uid=uid, summary=settings.events.session_title.format(pseudonym=pseudonym),
                         when=when, alarms=_preparation(settings))
        label = f"{pseudonym} {_label_time(rule.when)}"
        desired.add(to_object(spec, "session", "main", label, now, client_id, renders=renders))
    out = _Out(settings, tag_key, now, desired, renders)
    _supervision(out)
    placed = _breaks(out, {index: (key, pseudonym) for index, (key, _, pseudonym) in keys.items()})
    _reminders(out)
    _last_renders = renders  # only this build's: the memo never outgrows one practice
    desired.valid_until = validity.stable_until(settings, now, _SLACK, placed, TRIM_LOOKAHEAD)
    return desired


def to_object(spec: EventSpec, kind: str, calendar: str, label: str, now: datetime,
              client_id: str | None = None, own: tuple[str, ...] = (),
              renders: _Renders | None = None) -> DesiredObject:
    """`own`: the spans of its texts pseudocal generated (see privacy's module text).
    `renders` collects this build's renders for the next build to reuse."""
    ical, digest = _render(spec, now, renders)
    return DesiredObject(key=spec.uid, uid=spec.uid, calendar=calendar, kind=kind, ical=ical,
                         content_hash=digest, label=label, client_id=client_id, own=own)


# A spec renders to the same bytes all day but for DTSTAMP: `render` reads `now` only for
# DTSTAMP and, by its date, the VTIMEZONE range and overrides. So an object whose spec did
# not change since the last build is re-stamped, not rendered again (byte for byte what
# `render` gives), and a sync with nothing to do renders nothing.
_Rendered = tuple[bytes, bytes, str]  # the object, the DTSTAMP value in it, content_hash
_Renders = dict[tuple[EventSpec, date], _Rendered]
_last_renders: _Renders = {}  # the last build's, replaced whole by the next


def _render(spec: EventSpec, now: datetime, renders: _Renders | None) -> tuple[bytes, str]:
    key, stamp = (spec, now.date()), _dtstamp(now)
    hit = _last_renders.get(key)
    if hit is not None:
        ical, digest = _restamp(hit[0], hit[1], stamp), hit[2]
    else:
        ical = render(spec, now=now)
        digest = content_hash(ical)
    if renders is not None and b"\r\nDTSTAMP:" + stamp + b"\r\n" in ical:
        renders[key] = (ical, stamp, digest)  # (a stamp written otherwise: never reused)
    return ical, digest


def restamped(obj: DesiredObject, now: datetime) -> DesiredObject:
    """`obj` with its DTSTAMP at `now` (the same object otherwise: same content_hash)."""
    found = _DTSTAMP.search(obj.ical)
    if found is None:
        return obj
    return replace(obj, ical=_restamp(obj.ical, found.group(1), _dtstamp(now)))


_DTSTAMP = re.compile(rb"\r\nDTSTAMP:([^\r\n]*)\r\n")


def _dtstamp(now: datetime) -> bytes:
    """DTSTAMP's value as `render` writes it: the UTC second."""
    return now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ").encode("ascii")


def _restamp(ical: bytes, old: bytes, new: bytes) -> bytes:
    if old == new:
        return ical
    return ical.replace(b"\r\nDTSTAMP:" + old + b"\r\n", b"\r\nDTSTAMP:" + new + b"\r\n")


def wanted(rec: Recurrence, settings: Settings, now: datetime) -> Recurrence | None:
    """The part of `rec` wanted online now, or None (expired, or beyond the horizon)."""
    first, last = recurrence.first_and_last(rec)
    if first > now + settings.sync.horizon:
        return None
    cut = now - settings.sync.keep_past
    if last is not None and last < cut:
        return None
    return trim(rec, cut)


def trim(rec: Recurrence, cut: datetime) -> Recurrence | None:
    """Drop the occurrences that ended before `cut` off the front of a series."""
    if rec.rrule is None:
        return rec
    new_start = first_wall_start(rec, cut)
    if new_start is None or new_start <= rec.start:
        return rec
    count = rec.count
    if count is not None:
        count -= _instances_before(rec, new_start)
    skip = tuple(d for d in rec.skip if d >= new_start.date())
    return replace(rec, start=new_start, count=count, skip=skip)


def first_wall_start(rec: Recurrence, cut: datetime) -> datetime | None:
    """The wall-clock start, as the rule produces it, of the first occurrence ending after `cut`.

    A series trimmed at `cut` starts there: RFC 5545 §3.8.5.3 wants DTSTART to be the
    series' first instance, and leaves a DTSTART its own RRULE does not produce undefined
    (dateutil drops it, recurring-ical-events shows it as an extra occurrence). So not the
    day on which that occurrence falls: one in a spring-forward gap happens later
    (`recurrence.localize`), and where the gap is at midnight on another day, which the
    rule need not produce. America/Nuuk jumps from 23:00 to 00:00 on the last Saturday of
    March: that Saturday's 23:30 happens on Sunday at 00:30, and the day's date with the
    rule's time (Sunday 23:30) started a BYDAY=-1SA series on a Sunday, and moved a plain
    weekly one to Sundays. None when no occurrence ends after `cut` within TRIM_LOOKAHEAD.
    """
    zone, elapsed = rec.timezone, rec.duration
    # the first one within 35 days of the cut, when there is one, is the first within 800
    # days too (the rule's starts are sorted, and so are their ends): 5 instances, not 115
    for look in (TRIM_FIRST_LOOK, TRIM_LOOKAHEAD):
        low, high = _wall(cut - elapsed, zone) - _SLACK, _wall(cut + look, zone) + _SLACK
        for naive in recurrence.wall_starts(rec, low, high):
            if recurrence.localize(naive, zone).astimezone(UTC) + elapsed > cut:
                return naive
    return None


def _instances_before(rec: Recurrence, naive: datetime) -> int:
    rule = rrulestr(f"RRULE:{rec.rrule}", dtstart=rec.start)
    return sum(1 for _ in rule.between(rec.start, naive, inc=False)) + 1


def _preparation(settings: Settings) -> tuple[tuple[timedelta, str], ...]:
    prep = settings.preparation
    return ((prep.before, prep.checklist),) if prep.before else ()


def _label_time(rec: Recurrence) -> str:
    repeat = "" if rec.rrule is None else " (repeating)"
    return f"{rec.start:%a %Y-%m-%d %H:%M} {rec.timezone}{repeat}"


# ---------------------------------------------------------------- self-care


@dataclass(frozen=True)
class _Out:
    """Where self-care objects go: the calendar, the UIDs, the desired set."""
    settings: Settings
    tag_key: bytes
    now: datetime
    desired: Desired
    renders: _Renders | None = None

    def add(self, key: str, kind: str, when: Recurrence, label: str, summary: str,
            alarms: tuple[tuple[timedelta, str], ...] = (), busy: bool = False,
            own: tuple[str, ...] = ()) -> None:
        calendar = SELFCARE if SELFCARE in self.settings.calendars else "main"
        spec = EventSpec(uid=make_uid(self.tag_key, key), summary=summary, when=when,
                         alarms=alarms, busy=busy)
        self.desired.add(to_object(spec, kind, calendar, label, self.now, own=own,
                                   renders=self.renders))

    def retire(self, key: str) -> None:
        """Not wanted now: its removal is expiry, not a loss the safety valve counts."""
        uid = make_uid(self.tag_key, key)
        if uid not in self.desired.objects:
            self.desired.retired.add(uid)


def _supervision(out: _Out) -> None:
    sup = out.settings.supervision
    if sup.when is None:
        return
    key = "supervision"  # one rule: rescheduling it is an update, not delete + create
    when = wanted(sup.when, out.settings, out.now)
    if when is None:
        out.retire(key)
        return
    alarms = ((sup.before, sup.title),) if sup.before else ()
    out.add(key, "supervision", when, f"supervision {_label_time(sup.when)}", sup.title,
            alarms, busy=True)


def _reminders(out: _Out) -> None:
    sup, zone = out.settings.supervision, out.settings.timezone
    for month, ring in planning.reminders(out.settings, out.now):
        generated = (f": {format_hours(month.supervision)} booked for "
                     f"{month.month:%B %Y}, {format_hours(month.required)} needed")
        out.add(f"book-supervision:{month.month:%Y-%m}", "reminder",
                one_off(ring, REMINDER_LENGTH, zone), f"{sup.reminder} {month.month:%Y-%m}",
                sup.reminder, ((timedelta(0), sup.reminder + generated),), own=(generated,))
    this_month = out.now.astimezone(ZoneInfo(zone)).date().replace(day=1)
    for back in range(1, planning.LEDGER_PAST_MONTHS + 1):
        out.retire(f"book-supervision:{planning.add_months(this_month, -back):%Y-%m}")


def _breaks(out: _Out, keys: dict[int, tuple[str, str]]) -> list[Occurrence]:
    """`keys` maps a [[sessions]] index to (its session key, its pseudonym). Returns every
    break placed (for `validity.stable_until`)."""
    s = out.settings
    cut, end = out.now - s.sync.keep_past, out.now + s.sync.horizon
    per_rule = [(r, recurrence.expand(r.when, cut - _SLACK, end + _SLACK)) for r in s.sessions]
    busy = recurrence.expand(s.supervision.when, cut, end) if s.supervision.when else []
    placed = planning.place_breaks([o for _, occs in per_rule for o in occs], s.breaks, busy)
    for kind, length, found in (("break", s.breaks.after_session, placed.breaks),
                                ("longbreak", s.breaks.long_break, placed.long_breaks)):
        inside = [b for b in found if b.end > cut and b.start < end]
        _publish_breaks(out, kind, length or timedelta(0), per_rule, inside, keys)
    return [*placed.breaks, *placed.long_breaks]


def _publish_breaks(out: _Out, kind: str, length: timedelta,
                    per_rule: list[tuple[SessionRule, list[Occurrence]]],
                    placed: list[Occurrence], keys: dict[int, tuple[str, str]]) -> None:
    title, alarms = out.settings.breaks.title, ((timedelta(0), out.settings.breaks.alarm),)
    owned, loose = _by_rule(per_rule, placed)
    for rule, _ in per_rule:
        key, pseudonym = keys[rule.index]
        when, rest = break_series(rule, owned[rule.index], length)
        loose += rest
        if when is None:
            out.retire(f"{kind}:{key}")
            continue
        label = f"{title.lower()} after {pseudonym} {_label_time(rule.when)}"
        out.add(f"{kind}:{key}", "break", when, label, title, alarms)
    for brk in loose:
        out.add(f"{kind}:{brk.start.astimezone(UTC):%Y%m%dT%H%MZ}", "break",
                one_off(brk.start, length, out.settings.timezone),
                f"{title.lower()} {brk.start.astimezone(UTC):%Y-%m-%d %H:%M}Z", title, alarms)


def _by_rule(per_rule: list[tuple[SessionRule, list[Occurrence]]], placed: list[Occurrence]
             ) -> tuple[defaultdict[int, list[Occurrence]], list[Occurrence]]:
    """Each break by the rule of the session it follows (the first rule ending then)."""
    owner: dict[datetime, int] = {}
    for rule, occs in per_rule:
        for occ in occs:
            owner.setdefault(occ.end.astimezone(UTC), rule.index)
    owned: defaultdict[int, list[Occurrence]] = defaultdict(list)
    loose: list[Occurrence] = []
    for brk in sorted(placed):
        index = owner.get(brk.start.astimezone(UTC))
        (loose if index is None else owned[index]).append(brk)
    return owned, loose


def break_series(rule: SessionRule, breaks: list[Occurrence], length: timedelta
                 ) -> tuple[Recurrence | None, list[Occurrence]]:
    """One recurrence carrying the breaks after `rule`'s sessions, and those it cannot.

    The session's rule shifted to its sessions' end, bounded by the first and last break,
    with EXDATE on the dates without one; checked by expanding it again.
    """
    if not breaks:
        return None, []
    if rule.when.rrule is None or len(breaks) == 1:
        return one_off(breaks[0].start, length, rule.when.timezone), breaks[1:]
    zone = rule.when.timezone
    starts = {b.start.astimezone(UTC) for b in breaks}
    first = breaks[0].start
    days_later = (_wall(first, zone).date() - _wall(first - rule.when.duration, zone).date()).days
    shifted = shift_rule(rule.when.rrule, days_later)
    if shifted is None:
        return None, breaks
    rec = Recurrence(_wall(first, zone), length, zone, shifted,
                     until=_wall(breaks[-1].start, zone))
    window = (breaks[0].start, breaks[-1].end)
    skip = {_wall(o.start, zone).date() for o in recurrence.expand(rec, *window)
            if o.start.astimezone(UTC) not in starts}
    rec = replace(rec, skip=tuple(sorted(skip)))
    carried = {o.start.astimezone(UTC) for o in recurrence.expand(rec, *window)}
    if breaks[0].start.astimezone(UTC) not in carried or not carried <= starts:
        return None, breaks
    return rec, [b for b in breaks if b.start.astimezone(UTC) not in carried]


WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def shift_rule(rrule: str, days: int) -> str | None:
    """The rule of sessions moved `days` later (a break after midnight); None if it cannot be.

    Only plain BYDAY lists move with the days; rules pinned to dates or positions do not.
    """
    if days == 0:
        return rrule
    parts = vRecur.from_ical(rrule)  # icalendar's reading of RFC 5545 RECUR
    if set(parts) & {"BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYSETPOS", "BYMONTH"}:
        return None
    byday = parts.get("BYDAY")
    if byday is not None:
        if any(code not in WEEKDAYS for code in byday):
            return None  # ordinal days such as 2TU
        parts["BYDAY"] = [WEEKDAYS[(WEEKDAYS.index(c) + days) % 7] for c in byday]
    return str(parts.to_ical().decode("ascii"))


def one_off(instant: datetime, length: timedelta, zone: str) -> Recurrence:
    """A single event at `instant`, in `zone` unless a clock change makes that ambiguous."""
    naive = _wall(instant, zone)
    if recurrence.localize(naive, zone).astimezone(UTC) != instant.astimezone(UTC):
        zone, naive = "UTC", _wall(instant, "UTC")
    return Recurrence(naive, length, zone)


def _wall(instant: datetime, zone: str) -> datetime:
    return instant.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
