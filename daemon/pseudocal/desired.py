"""Pure: settings + the pseudonym map -> the objects pseudocal wants online now.

Which rules are wanted is decided by time:
- a rule whose last occurrence ended more than `keep_past` ago is *retired*
  (its online object is removed; that is expiry, not a removal the safety
  valve worries about);
- a rule whose first occurrence starts beyond `horizon` is not pushed yet;
- occurrences of a repeating rule that ended more than `keep_past` ago are
  trimmed off the front of the series (DTSTART moves forward), so past
  sessions leave the online calendar on time.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from dateutil.rrule import rrulestr

from . import schedule
from .crypto import make_uid
from .events import EventSpec, content_hash, render
from .models import DesiredObject, Recurrence, SessionRule, Settings
from .pseudonyms import normalise

TRIM_LOOKAHEAD = timedelta(days=800)  # how far to look for the next occurrence of a rule


@dataclass
class Desired:
    objects: dict[str, DesiredObject] = field(default_factory=dict)  # by UID
    retired: set[str] = field(default_factory=set)  # UIDs in config but not wanted now

    def add(self, obj: DesiredObject) -> None:
        self.objects[obj.uid] = obj


def session_key(client_id: str, rule: SessionRule) -> str:
    """A session's logical identity: the client and the series' first local start."""
    return f"session:{client_id}:{rule.when.start:%Y%m%dT%H%M}"


def build(settings: Settings, clients: dict[str, tuple[str, str]], tag_key: bytes,
          now: datetime) -> Desired:
    """`clients` maps a normalised pseudonym to (client id, pseudonym as stored)."""
    desired = Desired()
    for rule in settings.sessions:
        client_id, pseudonym = clients[normalise(rule.client)]
        uid = make_uid(tag_key, session_key(client_id, rule))
        when = wanted(rule.when, settings, now)
        if when is None:
            desired.retired.add(uid)
            continue
        spec = EventSpec(uid=uid, summary=settings.events.session_title.format(pseudonym=pseudonym),
                         when=when, alarms=_preparation(settings))
        label = f"{pseudonym} {_label_time(rule.when)}"
        desired.add(to_object(spec, "session", "main", label, now, client_id))
    return desired


def to_object(spec: EventSpec, kind: str, calendar: str, label: str, now: datetime,
              client_id: str | None = None) -> DesiredObject:
    ical = render(spec, now=now)
    return DesiredObject(key=spec.uid, uid=spec.uid, calendar=calendar, kind=kind, ical=ical,
                         content_hash=content_hash(ical), label=label, client_id=client_id)


def wanted(rec: Recurrence, settings: Settings, now: datetime) -> Recurrence | None:
    """The part of `rec` wanted online now, or None (expired, or beyond the horizon)."""
    first, last = schedule.first_and_last(rec)
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
    upcoming = schedule.expand(rec, cut, cut + TRIM_LOOKAHEAD)
    if not upcoming:
        return rec
    # the rule's own wall-clock time: a gap-shifted occurrence must not move the series
    new_start = datetime.combine(upcoming[0].start.date(), rec.start.time())
    if new_start <= rec.start:
        return rec
    count = rec.count
    if count is not None:
        count -= _instances_before(rec, new_start)
    skip = tuple(d for d in rec.skip if d >= new_start.date())
    return replace(rec, start=new_start, count=count, skip=skip)


def _instances_before(rec: Recurrence, naive: datetime) -> int:
    rule = rrulestr(f"RRULE:{rec.rrule}", dtstart=rec.start)
    return sum(1 for _ in rule.between(rec.start, naive, inc=False)) + 1


def _preparation(settings: Settings) -> tuple[tuple[timedelta, str], ...]:
    prep = settings.preparation
    return ((prep.before, prep.checklist),) if prep.before else ()


def _label_time(rec: Recurrence) -> str:
    repeat = "" if rec.rrule is None else " (repeating)"
    return f"{rec.start:%a %Y-%m-%d %H:%M} {rec.timezone}{repeat}"
