"""`pseudocal week`: one week at a glance, Monday to Sunday, in the practitioner's time.

Pure: built from the config (breaks, supervision, reminders, warnings) and what the
caller read from the store. A session is named by its pseudonym only when the store knows
it (`pseudonyms`: normalised config value -> pseudonym, naming.known_pseudonyms); any
other value, perhaps a real name typed by mistake into `client =`, is shown only by its
place, sessions[N], in the rows, the warnings and --json alike (no store: every session).
Real names appear only when the caller passes `names` (the command does so for --reveal).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ..config.values import format_hours
from ..identity.pseudonyms import normalise
from ..models import Occurrence, Settings
from ..selfcare import planning
from . import terminal

CONTEXT = timedelta(weeks=6)  # around the week, to tell a session's usual time
_SLACK = timedelta(days=1)  # sessions just outside the week still shape its breaks
_COLUMNS = ("day", "time", "what", "who or what", "client's time", "prep alarm", "name")


@dataclass(frozen=True)
class Entry:
    start: datetime  # in the practitioner's zone
    end: datetime
    kind: str  # session | break | long break | supervision | reminder
    title: str  # the pseudonym, or the self-care title
    client_time: str = ""  # a session in the client's zone, when that differs
    preparation: datetime | None = None  # when the preparation alarm rings
    name: str = ""  # the real name: only when revealed

    def as_dict(self) -> dict:
        doc = {"start": self.start.isoformat(), "end": self.end.isoformat(), "kind": self.kind,
               "title": self.title, "client_time": self.client_time or None,
               "preparation": self.preparation.isoformat() if self.preparation else None}
        return {**doc, "name": self.name} if self.name else doc


@dataclass(frozen=True)
class Week:
    monday: date
    zone: str
    entries: tuple[Entry, ...]
    warnings: tuple[planning.ScheduleWarning, ...]
    ledger: tuple[planning.MonthLedger, ...]
    revealed: bool = False

    def days(self) -> list[tuple[date, list[Entry]]]:
        dates = [self.monday + timedelta(days=i) for i in range(7)]
        return [(d, [e for e in self.entries if e.start.date() == d]) for d in dates]


def build_week(settings: Settings, day: date, now: datetime,
               names: Mapping[str, str] | None = None,
               pseudonyms: Mapping[str, str] | None = None) -> Week:
    """The week (Monday to Sunday) holding `day`. `pseudonyms` maps the normalised config
    values the store knows to pseudonyms (None or empty: every session is sessions[N]);
    `names` maps normalised pseudonyms to real names (--reveal)."""
    zone = settings.timezone
    monday = day - timedelta(days=day.weekday())
    start = planning.midnight(monday, zone)
    end = planning.midnight(monday + timedelta(days=7), zone)
    known = dict(pseudonyms or {})  # never None: selfcare would show the config's value
    slots = planning.booked(settings, start - _SLACK, end + _SLACK, known)
    entries = [*(_slot_entry(s, settings, names) for s in slots), *_breaks(settings, slots),
               *_reminders(settings, now)]
    inside = sorted((e for e in entries if start <= e.start < end),
                    key=lambda e: (e.start, e.end, e.kind))
    warnings = planning.warnings_between(settings, known, start, end, CONTEXT)
    return Week(monday, zone, tuple(inside), tuple(warnings),
                tuple(_ledger(settings, monday, now)), names is not None)


def _slot_entry(slot: planning.Slot, settings: Settings,
                names: Mapping[str, str] | None) -> Entry:
    start, end = _local(slot.occ, settings.timezone)
    if slot.kind == "supervision":
        return Entry(start, end, "supervision", slot.label)
    before = settings.preparation.before
    return Entry(start, end, "session", slot.label, _client_time(slot, settings.timezone),
                 start - before if before else None,
                 (names or {}).get(normalise(slot.label), "?" if names is not None else ""))


def _client_time(slot: planning.Slot, zone: str) -> str:
    if slot.zone == zone:
        return ""
    start, end = _local(slot.occ, slot.zone)
    other_day = f" ({start:%a})" if start.date() != _local(slot.occ, zone)[0].date() else ""
    return f"{start:%H:%M}-{end:%H:%M} {slot.zone.rsplit('/', 1)[-1].replace('_', ' ')}{other_day}"


def _breaks(settings: Settings, slots: list[planning.Slot]) -> list[Entry]:
    sessions = [s.occ for s in slots if s.kind == "session"]
    busy = [s.occ for s in slots if s.kind == "supervision"]
    placed = planning.place_breaks(sessions, settings.breaks, busy, settings.timezone)
    title = settings.breaks.title
    return [Entry(*_local(occ, settings.timezone), kind, title)
            for kind, found in (("break", placed.breaks), ("long break", placed.long_breaks))
            for occ in found]


def _reminders(settings: Settings, now: datetime) -> list[Entry]:
    title = settings.supervision.reminder
    return [Entry(*_local(Occurrence(ring, ring + planning.REMINDER_LENGTH), settings.timezone),
                  "reminder", f"{title} ({month.month:%B})")
            for month, ring in planning.reminders(settings, now)]


def _ledger(settings: Settings, monday: date, now: datetime) -> list[planning.MonthLedger]:
    """The supervision ledger of the month(s) this week touches."""
    if not settings.supervision.enabled:
        return []  # no [supervision] table: no ledger, as in check and status
    months = sorted({monday.replace(day=1), (monday + timedelta(days=6)).replace(day=1)})
    return planning.ledger_of(settings, months, now)


# ---------------------------------------------------------------- output


def as_dict(week: Week) -> dict:
    return {"week_of": week.monday.isoformat(), "timezone": week.zone,
            "days": [{"date": d.isoformat(), "entries": [e.as_dict() for e in entries]}
                     for d, entries in week.days()],
            "warnings": [w.as_dict() for w in week.warnings],
            "supervision": [m.as_dict() for m in week.ledger]}


def render_text(week: Week) -> str:
    """A table: one line per entry, the day named on its first line."""
    sunday = week.monday + timedelta(days=6)
    head = [f"Week of Monday {week.monday.day} {week.monday:%B %Y} to Sunday {sunday.day} "
            f"{sunday:%B %Y}, times in {week.zone}", ""]
    rows = [_row(d, e, i == 0, week.revealed) for d, es in week.days()
            for i, e in enumerate(es or [None])]
    columns = _COLUMNS if week.revealed else _COLUMNS[:-1]
    return "\n".join(head + _table([columns, *rows]) + [""] + _footer(week))


def _row(day: date, entry: Entry | None, first: bool, revealed: bool) -> tuple[str, ...]:
    label = f"{day:%a} {day.day} {day:%b}" if first else ""
    if entry is None:
        return (label, "-", "", "", "", "", "")[:len(_COLUMNS) - (not revealed)]
    prep = f"{entry.preparation:%H:%M}" if entry.preparation else ""
    cells = (label, f"{entry.start:%H:%M}-{entry.end:%H:%M}", entry.kind, entry.title,
             entry.client_time, prep, terminal.safe(entry.name))  # from the store: escaped
    return cells if revealed else cells[:-1]


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=False)).rstrip() for r in rows]


def _footer(week: Week) -> list[str]:
    lines = [f"Supervision {m.month:%B %Y}: {_month_text(m)}" for m in week.ledger]
    warned = [f"  - {w.message}" for w in week.warnings]
    return lines + ([""] + ["Warnings:", *warned] if warned else ["", "No warnings this week."])


def _month_text(m: planning.MonthLedger) -> str:
    booked = (f"{format_hours(m.supervision)} booked ({format_hours(m.done)} taken place)"
              if m.supervision else "none booked")
    if not m.client:
        return f"{booked}; no sessions, none needed"
    need = f"{format_hours(m.required)} needed for {format_hours(m.client)} of sessions"
    return f"{booked}; {need}" + (" - SHORT" if m.short else "")


def _local(occ: Occurrence, zone: str) -> tuple[datetime, datetime]:
    tz = ZoneInfo(zone)
    return occ.start.astimezone(tz), occ.end.astimezone(tz)
