"""Frozen value objects that flow between the pieces.

config -> Settings/SessionRule -> schedule -> Occurrence -> events -> DesiredObject
-> plan (with Record from the store and RemoteObject from the calendar) -> Action.

No code after config loading sees a dict; nothing here does I/O.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import ClassVar

# ---------------------------------------------------------------- settings


@dataclass(frozen=True)
class CalendarSettings:
    url: str
    username: str | None = None
    password_file: Path | None = None  # resolved; None = no authentication
    server: str | None = None  # caldav server profile: "radicale", "xandikos", "nextcloud", ...
    ca_file: Path | None = None  # resolved; a PEM bundle trusted instead of the system's


@dataclass(frozen=True)
class StoreSettings:
    path: Path  # resolved absolute path of the SQLite file
    key_file: Path  # resolved absolute path of the master key file


@dataclass(frozen=True)
class SyncSettings:
    every: timedelta = timedelta(minutes=5)
    horizon: timedelta = timedelta(weeks=12)
    keep_past: timedelta = timedelta(days=30)
    max_delete_share: float = 0.5  # refuse a sync deleting more than this share of managed events
    stale_after: timedelta | None = None  # `status` unhealthy past this; None: max(3 x every, 1h)


@dataclass(frozen=True)
class EventSettings:
    session_title: str = "{pseudonym}"


@dataclass(frozen=True)
class Recurrence:
    """When something happens: a first start and an optional repeat rule.

    `start` is a naive wall-clock time in `timezone`. `rrule` is an RFC 5545
    RRULE value without the "RRULE:" prefix (e.g. "FREQ=WEEKLY;INTERVAL=2"),
    or None for a single occurrence. `until`/`count` are kept apart from the
    rule text; the renderer merges them.
    """
    start: datetime
    duration: timedelta
    timezone: str
    rrule: str | None = None
    until: date | datetime | None = None
    count: int | None = None
    skip: tuple[date, ...] = ()


@dataclass(frozen=True)
class SessionRule:
    index: int  # position in the config's [[sessions]] list, for messages
    client: str  # the client's pseudonym (never a real name)
    when: Recurrence
    repeat: str = "once"  # as written: once | weekly | fortnightly | monthly | rrule


@dataclass(frozen=True)
class BreakSettings:
    after_session: timedelta | None = timedelta(minutes=10)
    max_screen: timedelta | None = timedelta(hours=2)
    long_break: timedelta = timedelta(minutes=30)
    title: str = "Screen break"
    alarm: str = "Stand up and walk around"


DEFAULT_CHECKLIST = (
    "Prepare the space: lighting checked, camera at eye level, other programmes closed, "
    "smart speakers off, headphones ready, backup contact route ready if the connection drops."
)


@dataclass(frozen=True)
class PreparationSettings:
    before: timedelta | None = timedelta(minutes=15)
    checklist: str = DEFAULT_CHECKLIST


@dataclass(frozen=True)
class SupervisionSettings:
    enabled: bool = False  # a [supervision] table is present: the ledger and reminders run
    when: Recurrence | None = None
    minimum_per_month: timedelta = timedelta(hours=1, minutes=30)
    ratio: float | None = None  # supervision hours per client hour, e.g. 1/6
    title: str = "Supervision"
    before: timedelta | None = timedelta(minutes=15)  # its alarm, this long before it starts
    reminder: str = "Book supervision"  # title of the reminder put on a month that falls short


@dataclass(frozen=True)
class WorkloadSettings:
    """Caps on client hours; going over one is a warning, never a refusal."""
    max_per_day: timedelta | None = None
    max_per_week: timedelta | None = None  # Monday to Sunday, practitioner's time


@dataclass(frozen=True)
class Settings:
    source: Path  # the config file it came from
    timezone: str  # the practitioner's zone
    calendar: CalendarSettings
    store: StoreSettings
    calendars: dict[str, CalendarSettings] = field(default_factory=dict)  # e.g. "selfcare"
    sync: SyncSettings = SyncSettings()
    events: EventSettings = EventSettings()
    sessions: tuple[SessionRule, ...] = ()
    breaks: BreakSettings = BreakSettings()
    preparation: PreparationSettings = PreparationSettings()
    supervision: SupervisionSettings = SupervisionSettings()
    workload: WorkloadSettings = WorkloadSettings()

    def calendar_for(self, name: str) -> CalendarSettings:
        return self.calendars.get(name, self.calendar)


# ---------------------------------------------------------------- schedule


@dataclass(frozen=True, order=True)
class Occurrence:
    start: datetime  # timezone-aware
    end: datetime  # timezone-aware


# ---------------------------------------------------------------- clients


@dataclass(frozen=True)
class ClientIdentity:
    """Who a client really is. Lives only decrypted in memory, never online."""
    name: str
    email: str | None = None
    phone: str | None = None
    timezone: str | None = None
    country: str | None = None
    notes: str | None = None
    contact: str | None = None  # the route to reach the client if the link drops
    phone_e164: str | None = None  # `phone` parsed (phones.to_e164), compared as a number

    def terms(self) -> list[str]:
        """Every identifying string, for leak checks."""
        return [t for t in (self.name, self.email, self.phone, self.notes, self.contact) if t]

    def __repr__(self) -> str:  # never print an identity by accident
        return "ClientIdentity(<redacted>)"


@dataclass(frozen=True)
class Client:
    id: str  # random, assigned by the store; carries nothing
    pseudonym: str
    identity: ClientIdentity
    created_at: datetime

    def __repr__(self) -> str:
        return f"Client(id={self.id!r}, pseudonym={self.pseudonym!r})"


# ---------------------------------------------------------------- sync

# The `result` of a sync run, as the store records it (here, not in store/: `status`
# reads them without loading the store's database layer)
GOOD_RESULT = "ok"  # the `result` of a sync run that succeeded
PARTIAL_RESULT = "partial"  # it went through, but the server refused some actions
GOOD_RESULTS = (GOOD_RESULT, PARTIAL_RESULT)  # runs that reached the end of their plan


@dataclass(frozen=True)
class DesiredObject:
    """One calendar object pseudocal wants online."""
    key: str  # logical identity, e.g. "session:<client id>:<start>"
    uid: str  # derived from key with the tag key; also names the href
    calendar: str  # "main" or a name under [calendars]
    kind: str  # "session" | "break" | "supervision" | "reminder"
    ical: bytes  # exactly what is PUT
    content_hash: str  # hash of ical without DTSTAMP
    label: str  # for plans and logs: pseudonym and time, never identity
    client_id: str | None = None
    own: tuple[str, ...] = ()  # spans of its texts pseudocal generated (privacy.check)


@dataclass(frozen=True)
class Record:
    """What pseudocal pushed, as the store remembers it."""
    uid: str
    calendar: str
    href: str
    etag: str | None  # None = a create was started but not confirmed
    content_hash: str
    kind: str
    label: str
    client_id: str | None = None


@dataclass(frozen=True)
class RemoteObject:
    href: str
    etag: str
    uid: str | None  # the UID inside the object (known from its record, or read), if ours
    owned: bool
    calendar: str = "main"


@dataclass(frozen=True)
class Create:
    """PUT a new object (If-None-Match: *) at a free name in its calendar."""
    uid: str
    calendar: str
    label: str
    reason: str
    desired: DesiredObject
    op: ClassVar[str] = "create"
    counts_as_removal: ClassVar[bool] = False


@dataclass(frozen=True)
class Update:
    """PUT the desired object over the one at `href`, If-Match its `etag`."""
    uid: str
    calendar: str
    label: str
    reason: str
    href: str
    etag: str
    desired: DesiredObject
    op: ClassVar[str] = "update"
    counts_as_removal: ClassVar[bool] = False


@dataclass(frozen=True)
class Delete:
    """DELETE the object at `href`, If-Match its `etag`."""
    uid: str
    calendar: str
    label: str
    reason: str
    href: str
    etag: str
    counts_as_removal: bool = True  # False for expiry of past events (not a safety concern)
    extra_copy: bool = False  # a delete of a second copy: the record (of the kept one) stays
    op: ClassVar[str] = "delete"


@dataclass(frozen=True)
class DropRecord:
    """Forget the record of an object already gone online; no request."""
    uid: str
    calendar: str
    label: str
    reason: str
    href: str
    op: ClassVar[str] = "drop-record"
    counts_as_removal: ClassVar[bool] = False


# One step of a plan; `op` names its kind ("create", "update", "delete", "drop-record").
Action = Create | Update | Delete | DropRecord


@dataclass(frozen=True)
class Failure:
    """An action the server refused in a sync, and what to do about it. No identity: the
    label is a pseudonym and a time, the reason names hrefs and calendars only."""
    uid: str
    op: str
    calendar: str
    label: str
    kind: str  # "uid-conflict" | "uid-elsewhere" | "changed" | "gone" | "name-taken" | "refused"
    reason: str
    next_step: str
