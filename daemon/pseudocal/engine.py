"""One sync cycle: prefetch, plan, check, execute — wiring the pure pieces to I/O.

The executor is the only code that writes to the calendar. Each action is
recorded in its own short transaction right after the server confirmed it,
so a crash at any point leaves records that the next plan can reconcile
(UIDs are derived from the key, so an unrecorded create is found again).
A 412/409 is read and reported, never blindly retried: the next sync plans
afresh from what the server then holds.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Protocol
from urllib.parse import unquote, urlparse

from . import desired as desired_mod
from . import logs, privacy
from . import plan as plan_mod
from .config import check_pseudonyms, online_texts
from .crypto import is_own_uid, uid_from_href
from .errors import ConfigError, ConflictError, Problem, SafetyRefusal
from .models import Action, Record, RemoteObject, Settings
from .pseudonyms import normalise

log = logging.getLogger("pseudocal.sync")


class RemoteLike(Protocol):
    def list(self) -> dict[str, str]: ...
    def create(self, name: str, data: bytes) -> tuple[str, str]: ...
    def update(self, href: str, data: bytes, etag: str) -> str: ...
    def delete(self, href: str, etag: str) -> None: ...


Progress = Callable[[int, int, "Action | None"], None]  # (0, total, None) first


@dataclass
class SyncResult:
    actions: list[Action] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    deleted: int = 0
    dropped: int = 0
    conflicts: int = 0
    managed: int = 0
    desired: int = 0
    dry_run: bool = False
    refusal: SafetyRefusal | None = None  # a dry run's plan that a real sync would refuse

    @property
    def writes(self) -> int:
        return self.created + self.updated + self.deleted

    def summary(self) -> str:
        if self.dry_run:
            ops = [a.op for a in self.actions]
            return (f"plan: {ops.count('create')} to create, {ops.count('update')} to update, "
                    f"{ops.count('delete')} to delete; nothing changed (dry run)")
        text = f"{self.created} created, {self.updated} updated, {self.deleted} deleted"
        return text + (f", {self.conflicts} conflicts left for the next sync" if self.conflicts else "")

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "deleted": self.deleted,
                "dropped_records": self.dropped, "conflicts": self.conflicts,
                "managed_before": self.managed, "desired": self.desired, "dry_run": self.dry_run,
                "refused": self.refusal.message if self.refusal else None,
                "refused_because": self.refusal.situation if self.refusal else None,
                "plan": [{"op": a.op, "event": a.label, "calendar": a.calendar, "why": a.reason}
                         for a in self.ordered_actions()]}

    def ordered_actions(self) -> list[Action]:
        """The plan as people read it: by operation, calendar and event."""
        return sorted(self.actions, key=lambda a: (a.op, a.calendar, a.label))


@dataclass(frozen=True)
class SyncOptions:
    dry_run: bool = False
    allow_deletes: bool = False
    accept_calendar_change: bool = False


def sync(settings: Settings, store, remotes: dict[str, RemoteLike], *,
         now: datetime | None = None, options: SyncOptions = SyncOptions(),
         progress: Progress | None = None, clients: list | None = None,
         want: desired_mod.Desired | None = None) -> SyncResult:
    """Reconcile the calendar(s) with the config once. Raises on refusal or outage.

    A dry run never raises SafetyRefusal: it returns the plan with `refusal` set.
    `clients` (decrypted already) and `want` (built already) save doing it again.
    """
    want = want or wanted_objects(settings, store, now or datetime.now(timezone.utc), clients)
    remote = _prefetch(settings, remotes, store.tag_key)
    records, refusal = _check_calendar_moves(settings, store, store.records(), options)
    actions = plan_mod.plan(want.objects, records, remote, want.retired)
    result = SyncResult(actions=actions, managed=len(remote), desired=len(want.objects),
                        dry_run=options.dry_run, refusal=refusal)
    try:
        plan_mod.check_safety(actions, plan_mod.Guarded.of(want.objects, records, remote),
                              settings.sync.max_delete_share, options.allow_deletes)
    except SafetyRefusal as too_many:
        if not options.dry_run:
            raise
        result.refusal = result.refusal or too_many
    if not options.dry_run:
        try:
            execute(actions, store, remotes, result, progress)
        except Exception as exc:
            exc.partial = result  # what was done (and recorded) before it stopped
            raise
    return result


def wanted_objects(settings: Settings, store, now: datetime,
                   clients: list | None = None) -> desired_mod.Desired:
    """The objects the config wants online now, each through the privacy allow-list."""
    clients = store.list_clients() if clients is None else clients
    ids = privacy.Identities.of({c.id: c.identity for c in clients})
    check_config_clients(settings, clients, ids)
    by_name = {normalise(c.pseudonym): (c.id, c.pseudonym) for c in clients}
    want = desired_mod.build(settings, by_name, store.tag_key, now)
    for obj in want.objects.values():
        privacy.check(obj.ical, ids, store.tag_key, obj.label, obj.own)
    return want


def check_config_clients(settings: Settings, clients, ids: privacy.Identities | None = None
                         ) -> None:
    """The config against the clients in the store now: every session names a known
    pseudonym, and no text that goes online names a client. ConfigError otherwise."""
    ids = privacy.Identities.of(c.identity for c in clients) if ids is None else ids
    problems = config_client_problems(settings, clients, ids)
    problems += privacy.config_text_problems(online_texts(settings), ids)
    if problems:
        raise ConfigError(f"{_count(problems)} in {settings.source}", problems=problems,
                          where=str(settings.source),
                          next_step="add the client (pseudocal client add), fix the pseudonym "
                                    "or reword the text at the keys listed")


def config_client_problems(settings: Settings, clients,
                           ids: privacy.Identities | None = None) -> list[Problem]:
    """Sessions naming no known pseudonym; a real name (or part of one) there is called
    out, never echoed."""
    found = check_pseudonyms(settings, {c.pseudonym for c in clients})
    if not found:
        return []
    ids = privacy.Identities.of(c.identity for c in clients) if ids is None else ids
    problems = []
    for problem in found:
        index = int(problem.path.split("[", 1)[1].split("]", 1)[0])
        rule = next(r for r in settings.sessions if r.index == index)
        if ids.find(rule.client) is not None:
            problem = Problem(problem.path, "this names a client (a real name or part of "
                              "one), not a pseudonym",
                              "the config must name clients by pseudonym only; see "
                              "`pseudocal client list` and remove the name from the file")
        problems.append(problem)
    return problems


def _count(problems: list) -> str:
    return "1 problem" if len(problems) == 1 else f"{len(problems)} problems"


def _prefetch(settings: Settings, remotes: dict[str, RemoteLike],
              tag_key: bytes) -> dict[str, RemoteObject]:
    """Every object of ours on every calendar in use, by UID (one request per calendar)."""
    owned: dict[str, RemoteObject] = {}
    for name, remote in remotes.items():
        for href, etag in remote.list().items():
            uid = uid_from_href(href)
            if uid and is_own_uid(tag_key, uid):
                owned[uid] = RemoteObject(_path(href), etag, uid, True, name)
    return owned


def _path(href: str) -> str:
    return unquote(urlparse(href).path)


def _collection(url: str) -> str:
    """A calendar URL's path, ending in "/": /cal/work is not a prefix of /cal/work-old/."""
    path = _path(url)
    return path if path.endswith("/") else path + "/"


def _check_calendar_moves(settings: Settings, store, records: dict[str, Record],
                          options: SyncOptions
                          ) -> tuple[dict[str, Record], SafetyRefusal | None]:
    """Records that point at a calendar URL no longer configured: refuse unless accepted.

    With --accept-calendar-change those records are forgotten (the old events are left
    alone); a dry run plans as if accepted and changes nothing.
    """
    moved = [r for r in records.values()
             if not _path(r.href).startswith(_collection(settings.calendar_for(r.calendar).url))]
    if not moved:
        return records, None
    refusal = None
    if not options.accept_calendar_change:
        refusal = SafetyRefusal(
            f"{len(moved)} events pseudocal made are recorded at a calendar URL that is no "
            "longer in the config; they stay where they are",
            deletes=0, managed=len(records), situation="calendar-moved",
            next_step="if the calendar really moved, run `pseudocal sync "
                      "--accept-calendar-change` (the old events are left untouched)")
        if not options.dry_run:
            raise refusal
    if not options.dry_run:
        for rec in moved:
            store.drop_record(rec.uid)
    return {uid: r for uid, r in records.items() if r not in moved}, refusal


def execute(actions: list[Action], store, remotes: dict[str, RemoteLike], result: SyncResult,
            progress: Progress | None = None) -> None:
    """Carry out the plan, recording each confirmed action in its own transaction."""
    if progress:
        progress(0, len(actions), None)
    for done, action in enumerate(actions, 1):
        try:
            _apply(action, store, remotes[action.calendar], result)
        except ConflictError as exc:
            _conflict(action, exc, store, result)
        if progress:
            progress(done, len(actions), action)


def _apply(action: Action, store, remote: RemoteLike, result: SyncResult) -> None:
    if action.op == "create":
        href, etag = remote.create(f"{action.uid}.ics", action.desired.ical)
        store.put_record(_record(action, href, etag))
        result.created += 1
    elif action.op == "update":
        etag = remote.update(action.href, action.desired.ical, action.etag)
        store.put_record(_record(action, action.href, etag))
        result.updated += 1
    elif action.op == "delete":
        remote.delete(action.href, action.etag)
        store.drop_record(action.uid)
        result.deleted += 1
    else:
        store.drop_record(action.uid)
        result.dropped += 1
    log.info("%s %s (%s)", action.op, action.label, action.reason)


def _record(action: Action, href: str, etag: str) -> Record:
    want = action.desired
    return Record(uid=want.uid, calendar=want.calendar, href=_path(href), etag=etag,
                  content_hash=want.content_hash, kind=want.kind, label=want.label,
                  client_id=want.client_id)


def _conflict(action: Action, exc: ConflictError, store, result: SyncResult) -> None:
    """Read the conflict; leave it for the next sync's fresh plan."""
    if exc.kind == "gone" and action.op == "delete":
        store.drop_record(action.uid)
        result.dropped += 1
        return
    result.conflicts += 1
    log.warning("%s %s: %s conflict on the server; the next sync re-plans it",
                action.op, action.label, exc.kind)


def recorded_sync(settings: Settings, store, remotes: dict[str, RemoteLike], **kw) -> SyncResult:
    """`sync`, with its start, result and error written to the store for `status`."""
    if kw.get("options", SyncOptions()).dry_run:
        return sync(settings, store, remotes, **kw)
    run = store.begin_run()
    try:
        result = sync(settings, store, remotes, **kw)
    except Exception as exc:
        done = getattr(exc, "partial", None) or SyncResult()
        store.finish_run(run, getattr(exc, "run_result", "failed"), done.created, done.updated,
                         done.deleted, f"{type(exc).__name__}: {logs.REDACTOR.scrub_error(exc)}")
        raise
    store.finish_run(run, "ok", result.created, result.updated, result.deleted, None)
    return result
