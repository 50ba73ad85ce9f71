"""One sync cycle: survey, plan, check, execute — wiring the pure pieces to I/O.

The survey (`ownership`) lists each calendar and reads, with one calendar-multiget,
only the objects no record or remembered foreign digest explains: ownership is the UID
inside the object. Several copies of one of ours are resolved to one (plan.keep_one_copy).

The executor is the only code that writes to the calendar. Each action is
recorded in its own short transaction right after the server confirmed it,
so a crash at any point leaves records that the next plan can reconcile
(UIDs are derived from the key, so an unrecorded create is found again).
One object's trouble (a 409/412 conflict, Cyrus's 403 UID conflict, a 400/403/415
refusal) is read, recorded as a Failure with its reason (`failures`) and never retried
blindly: the other actions go ahead and the next sync plans afresh. The store counts
the syncs in a row each event failed (`status` and `check` show them). Whole-server
trouble (unreachable, 401, 429, 5xx) stops the sync.
"""
from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Callable, Protocol

from ..config.schema import default_texts, online_texts
from ..errors import ConfigError, ConflictError, ObjectRefused, Problem, SafetyRefusal
from ..identity import privacy, redaction
from ..identity.naming import check_pseudonyms, replaced_in_config, replaced_warnings
from ..identity.pseudonyms import normalise
from ..models import (
    GOOD_RESULT,
    PARTIAL_RESULT,
    Action,
    Create,
    Delete,
    Failure,
    Record,
    Settings,
    Update,
)
from . import desired as desired_mod
from . import failures, ownership
from . import plan as plan_mod

log = logging.getLogger("pseudocal.sync")


class RemoteLike(Protocol):
    def list(self) -> dict[str, str]: ...
    def multiget(self, hrefs: Sequence[str]) -> dict[str, tuple[bytes, str]]: ...
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
    failed: list[Failure] = field(default_factory=list)  # refused actions, the rest went on
    read: int = 0  # objects read (calendar-multiget) to tell ours from foreign
    managed: int = 0
    desired: int = 0
    dry_run: bool = False
    refusal: SafetyRefusal | None = None  # a dry run's plan that a real sync would refuse
    withheld: int = 0  # changes not made: a config text names a client (named_texts)

    @property
    def writes(self) -> int:
        return self.created + self.updated + self.deleted

    @property
    def conflicts(self) -> int:
        return len(self.failed)

    def summary(self) -> str:
        if self.dry_run:
            ops = [a.op for a in self.actions]
            return (f"plan: {ops.count('create')} to create, {ops.count('update')} to update, "
                    f"{ops.count('delete')} to delete; nothing changed (dry run)")
        text = f"{self.created} created, {self.updated} updated, {self.deleted} deleted"
        if not self.failed:
            return text
        events = "1 event" if len(self.failed) == 1 else f"{len(self.failed)} events"
        return f"{text}; {events} could not be written (see `pseudocal check`)"

    def as_dict(self) -> dict:
        return {"created": self.created, "updated": self.updated, "deleted": self.deleted,
                "dropped_records": self.dropped, "conflicts": self.conflicts,
                "failed": [{"op": f.op, "event": f.label, "calendar": f.calendar,
                            "kind": f.kind, "why": f.reason, "next_step": f.next_step}
                           for f in self.failed],
                "objects_read": self.read, "withheld": self.withheld,
                "managed_before": self.managed, "desired": self.desired, "dry_run": self.dry_run,
                "refused": redaction.REDACTOR.said(self.refusal)[0] if self.refusal else None,
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


def sync(settings: Settings, store, remotes: Mapping[str, RemoteLike], *,
         now: datetime | None = None, options: SyncOptions = SyncOptions(),
         progress: Progress | None = None, clients: list | None = None,
         want: desired_mod.Desired | None = None) -> SyncResult:
    """Reconcile the calendar(s) with the config once. Raises on refusal or outage.

    A dry run never raises SafetyRefusal: it returns the plan with `refusal` set.
    `clients` (decrypted already) and `want` (built already) save doing it again.
    """
    now = now or datetime.now(timezone.utc)
    want = want or wanted_objects(settings, store, now, clients, replace_named_texts=True)
    records, known = store.records(), store.foreign_objects()
    found = ownership.survey(remotes, records, known, store.tag_key)
    records, refusal = _check_calendar_moves(settings, store, records, options)
    remote, extra = plan_mod.keep_one_copy(want.objects, records, found.copies)
    actions = [_stamped(a, now) for a in
               plan_mod.plan(want.objects, records, remote, want.retired, extra)]
    withheld = 0
    if want.named_texts:  # only take the text off the calendar: the rest waits for a config
        # that names nobody (no create, no delete, no other change from it)
        kept: list[Action] = [a for a in actions if isinstance(a, Update)
                              and a.uid in want.carriers]
        actions, withheld = kept, len(actions) - len(kept)
    result = SyncResult(actions=actions, managed=len(remote), desired=len(want.objects),
                        dry_run=options.dry_run, refusal=refusal, read=found.read,
                        withheld=withheld)
    try:
        plan_mod.check_safety(actions, plan_mod.Guarded.of(want.objects, records, remote),
                              settings.sync.max_delete_share, options.allow_deletes)
    except SafetyRefusal as too_many:
        if not options.dry_run:
            raise
        result.refusal = result.refusal or too_many
    if not options.dry_run:
        _remember_foreign(store, found, known)
        try:
            execute(actions, store, remotes, result, progress, listed=found.listed,
                    collections=[_collection(settings.calendar_for(n).url) for n in remotes])
        except Exception as exc:
            setattr(exc, "partial", result)  # noqa: B010 (any exception: done before it stopped)
            raise
    if want.named_texts:  # the sync went ahead with pseudocal's own texts in their place
        raise _named_texts_error(settings, want.named_texts, result)
    return result


def _named_texts_error(settings: Settings, problems: list[Problem],
                       result: SyncResult) -> ConfigError:
    waiting = (f"; the {result.withheld} other changes in this config wait for it"
               if result.withheld > 1 else "; the 1 other change in this config waits for it"
               if result.withheld else "")
    exc = ConfigError(
        f"{_count(problems)} in {settings.source}: a text that goes online names a client "
        "(or one added since it was written); the sync only put pseudocal's own text for "
        f"that key on the events that carry it{waiting}", problems=problems,
        where=str(settings.source),
        next_step="reword the text at the keys listed; the next sync publishes the rest")
    exc.partial = result  # type: ignore[attr-defined]
    return exc


def wanted_objects(settings: Settings, store, now: datetime, clients: list | None = None,
                   replace_named_texts: bool = False, terminal: bool = False
                   ) -> desired_mod.Desired:
    """The objects the config wants online now, each through the privacy allow-list.

    A config text that names a client is a ConfigError; with `replace_named_texts` (a
    sync) it is built with pseudocal's own text for that key instead and listed in
    `named_texts`: a text published before its client was added then leaves the calendar
    at once rather than staying there while every sync fails.

    A session naming a pseudonym its client had before a rename or rotation (a config
    that could not be rewritten, e.g. /etc/pseudocal/config.toml under the system
    service) is built with the client's current pseudonym, so the next sync re-titles its
    event, and a warning says so (logged once, never naming the old pseudonym). With
    `terminal` (`check`) a real name in `client =` is called out and the warning is left
    to the caller (clients.replaced_warnings)."""
    global _last_want
    clients = store.list_clients() if clients is None else clients
    key = (settings, getattr(clients, "fingerprint", None), store.tag_key,
           replace_named_texts, terminal)
    if key[1] is not None and _last_want is not None and _last_want[0] == key and \
            _last_want[1] <= now < (_last_want[2].valid_until or now):
        return _last_want[2]  # nothing it depends on changed: the same objects
    want = _build_wanted(settings, store, now, clients, replace_named_texts, terminal)
    _last_want = (key, now, want) if key[1] is not None else None
    return want


# The last build, with what it was built from and when: reused while the config (equal
# settings), the clients (their rows' fingerprint: Store.list_clients) and the tag key
# are the same and the clock is before its `valid_until` (validity.stable_until), so a
# sync with nothing to do builds nothing. One build only: it never outgrows one practice.
_last_want: tuple[tuple, datetime, desired_mod.Desired] | None = None


def _stamped(action: Action, now: datetime) -> Action:
    """A create or update with DTSTAMP set to now (a reused build was stamped earlier)."""
    if isinstance(action, (Create, Update)):
        return replace(action, desired=desired_mod.restamped(action.desired, now))
    return action


def _build_wanted(settings: Settings, store, now: datetime, clients: list,
                  replace_named_texts: bool, terminal: bool) -> desired_mod.Desired:
    ids = privacy.Identities.of({c.id: c.identity for c in clients})
    named = privacy.config_text_problems(online_texts(settings), ids)
    written = settings
    if named and replace_named_texts:
        settings = default_texts(settings, [p.path for p in named])
    check_config_clients(settings, clients, ids, terminal=terminal)
    by_name = {normalise(c.pseudonym): (c.id, c.pseudonym) for c in clients}
    for index, client in replaced_in_config(settings, clients).items():
        rule = next(r for r in settings.sessions if r.index == index)
        by_name[normalise(rule.client)] = (client.id, client.pseudonym)  # re-titled online
    if not terminal:  # `check` lists them itself
        _say_replaced(replaced_warnings(settings, clients))
    want = desired_mod.build(settings, by_name, store.tag_key, now)
    _check_objects(want, ids, store.tag_key)
    want.named_texts = named if replace_named_texts else []
    if want.named_texts:
        want.carriers = _carriers(want, desired_mod.build(written, by_name, store.tag_key, now))
    return want


def texts_naming_clients(settings: Settings, clients: Sequence) -> list[str]:
    """The keys of the config texts going online that name one of `clients` ("breaks.alarm"),
    e.g. after `client add`: a sync then takes them off the calendar (see `sync`)."""
    ids = privacy.Identities.of({c.id: c.identity for c in clients})
    return [p.path for p in privacy.config_text_problems(online_texts(settings), ids)]


def _carriers(sent: desired_mod.Desired, written: desired_mod.Desired) -> frozenset[str]:
    """The objects whose text differs between the config as written (never sent, never
    logged: it names a client) and as sent, with pseudocal's own texts in its place."""
    return frozenset(uid for uid, obj in sent.objects.items()
                     if uid not in written.objects or written.objects[uid].ical != obj.ical)


# The objects that passed the privacy check in the last build, by what the check reads: the
# object less its DTSTAMP values (pseudocal's clock, no client's text), the identities, the
# tag key and the label. An object and a practice that did not change are not checked again.
_DTSTAMP_VALUE = re.compile(rb"(\r\nDTSTAMP:)[^\r\n]*")
_passed: set[tuple] = set()


def _check_objects(want: desired_mod.Desired, ids: privacy.Identities, tag_key: bytes) -> None:
    """privacy.check on every object (PrivacyViolation), each unchanged one from memory."""
    global _passed
    passed = set()
    for obj in want.objects.values():
        # named by kind and UID only: the label holds a pseudonym, and a message tying a
        # visible title to "a client's identity" would tell a log reader too much
        label = f"{obj.kind} {obj.uid[:8]}"
        key = (hashlib.sha256(_DTSTAMP_VALUE.sub(rb"\1", obj.ical)).digest(), ids, tag_key,
               label, obj.own)
        if key not in _passed:
            privacy.check(obj.ical, ids, tag_key, label, obj.own)
        passed.add(key)
    _passed = passed  # this build's only: it never outgrows one practice


def url_problems(settings: Settings, ids: privacy.Identities) -> list[Problem]:
    """Every calendar URL's path as the server (and the phone, which names a calendar
    after it, or after the name `check --create-calendars` gives it) sees it, checked as
    the texts that go online are ("…/calendars/jane-quimby/" names a client), and the
    labels of its host name but the last ("jane-quimby" of jane-quimby.example.org, a
    name a self-hosting practitioner chose; a provider's, caldav.fastmail.com, names
    nobody). The account's own user name (`username`, a segment the practitioner cannot
    choose) is left out."""
    from urllib.parse import unquote, urlsplit
    found = []
    for n, name in enumerate(sorted(settings.calendars)):
        if ids and ids.find(name.replace("_", " ").replace("-", " ")):
            # the table's name is printed in every message about that calendar (and the
            # journal): it is named by its place in the file, never by itself
            found.append(Problem(f"calendars (table {n + 1} of {len(settings.calendars)})",
                                 "the name of this [calendars.NAME] table contains "
                                 f"{ids.find(name.replace('_', ' ').replace('-', ' '))}",
                                 "rename the table: its name is shown in messages and the "
                                 "log (e.g. [calendars.selfcare])"))
    for name in ["main", *sorted(settings.calendars)]:
        key = "calendar.url" if name == "main" else f"calendars.{name}.url"
        cal = settings.calendar_for(name)
        parts = urlsplit(cal.url)
        chosen = " ".join((parts.hostname or "").split(".")[:-1]).replace("-", " ")
        if ids and chosen and not chosen.replace(" ", "").isdigit() and ids.find(chosen):
            found.append(Problem(key, f"this calendar URL's host name contains "
                                 f"{ids.find(chosen)}",
                                 "use a host name that says nothing about anybody"))
        path = unquote(parts.path)
        own = [s for s in path.split("/") if cal.username and s == cal.username]
        if ids and ids.find(path, own=own):
            found.append(Problem(key, "this calendar URL contains "
                                 f"{ids.find(path, own=own)}",
                                 "use a calendar whose name says nothing about anybody (a "
                                 "new one: pseudocal check --create-calendars)"))
    return found


def check_config_clients(settings: Settings, clients, ids: privacy.Identities | None = None,
                         *, terminal: bool = False) -> None:
    """The config against the clients in the store now: every session names a known
    pseudonym (or one the client had before: `clients` from Store.list_clients() knows
    them), and no text that goes online names a client. ConfigError otherwise."""
    ids = privacy.Identities.of(c.identity for c in clients) if ids is None else ids
    problems = config_client_problems(settings, clients, ids, terminal=terminal)
    problems += privacy.config_text_problems(online_texts(settings), ids)
    problems += url_problems(settings, ids)
    if problems:
        raise ConfigError(f"{_count(problems)} in {settings.source}", problems=problems,
                          where=str(settings.source),
                          next_step="add the client (pseudocal client add), fix the pseudonym "
                                    "or reword the text at the keys listed")


def config_client_problems(settings: Settings, clients,
                           ids: privacy.Identities | None = None, *,
                           terminal: bool = False) -> list[Problem]:
    """Sessions naming no known pseudonym, never echoing the value. The problem reads the
    same for a typo and for a real name typed by mistake (it may go to a log, where
    "this names a client" beside sessions[N] would tie that session to a name); only
    with `terminal` (`check`, on the practitioner's screen) is a real name (or part of
    one) called out. A pseudonym the client had before is not a problem (see
    `wanted_objects`)."""
    found = check_pseudonyms(settings, {c.pseudonym for c in clients})
    replaced = replaced_in_config(settings, clients) if found else {}
    found = [p for p in found if _session_index(p) not in replaced]
    if not found or not terminal:
        return found
    ids = privacy.Identities.of(c.identity for c in clients) if ids is None else ids
    problems = []
    for problem in found:
        index = _session_index(problem)
        rule = next(r for r in settings.sessions if r.index == index)
        if ids.find(rule.client) is not None:
            problem = Problem(problem.path, "this names a client (a real name or part of "
                              "one), not a pseudonym",
                              "the config must name clients by pseudonym only; see "
                              "`pseudocal client list` and remove the name from the file")
        problems.append(problem)
    return problems


def _session_index(problem: Problem) -> int:
    """N of a problem at sessions[N].client."""
    return int(problem.path.split("[", 1)[1].split("]", 1)[0])


_said_replaced: set[str] = set()  # the warnings logged already (each once, while it lasts)


def _say_replaced(warnings: list[str]) -> None:
    """Log each replaced-pseudonym warning when it is new (the daemon builds the objects
    every sync); the old pseudonym is never in it."""
    for warning in warnings:
        if warning not in _said_replaced:
            log.warning("config: %s", redaction.Own(warning))
    _said_replaced.clear()
    _said_replaced.update(warnings)


def _count(problems: list) -> str:
    return "1 problem" if len(problems) == 1 else f"{len(problems)} problems"


def _remember_foreign(store, found: ownership.Survey, known: dict[str, frozenset[str]]
                      ) -> None:
    """Keep the digests of the foreign objects now listed, where they changed."""
    for name, digests in found.foreign.items():
        if digests != known.get(name, frozenset()):
            store.remember_foreign(name, digests)


_path = ownership.path_of


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


def execute(actions: list[Action], store, remotes: Mapping[str, RemoteLike], result: SyncResult,
            progress: Progress | None = None, *, listed: dict[str, set[str]] | None = None,
            collections: Sequence[str] = ()) -> None:
    """Carry out the plan, recording each confirmed action in its own transaction; one
    object's refusal is recorded as a Failure and the rest go ahead. `listed`: the hrefs
    each calendar listed (a create never takes a name in use); `collections`: the paths
    of the calendars synced (a UID held outside them is said so)."""
    names = {cal: {href.rsplit("/", 1)[-1] for href in hrefs}
             for cal, hrefs in (listed or {}).items()}
    done: set[str] = set()
    if progress:
        progress(0, len(actions), None)
    try:
        for count, action in enumerate(actions, 1):
            try:
                _apply(action, store, remotes[action.calendar], result,
                       names.setdefault(action.calendar, set()))
                done.add(action.uid)
            except (ConflictError, ObjectRefused) as exc:
                _refused(action, exc, store, result, list(collections), done)
            if progress:
                progress(count, len(actions), action)
    except BaseException:
        _note_failures(store, result, done, complete=False)
        raise
    _note_failures(store, result, done, complete=True)


def _apply(action: Action, store, remote: RemoteLike, result: SyncResult,
           names: set[str]) -> None:
    if isinstance(action, Create):
        name = _free_name(action.uid, names)
        href, etag = remote.create(name, action.desired.ical)
        names.add(name)
        store.put_record(_record(action, href, etag))
        result.created += 1
    elif isinstance(action, Update):
        etag = remote.update(action.href, action.desired.ical, action.etag)
        store.put_record(_record(action, action.href, etag))
        result.updated += 1
    elif isinstance(action, Delete):
        remote.delete(action.href, action.etag)
        if not action.extra_copy:
            store.drop_record(action.uid)
        result.deleted += 1
    else:
        store.drop_record(action.uid)
        result.dropped += 1
    # a label is pseudocal's own composition (a title, a pseudonym, a time): its words
    # stay, so "screen break" is not taken for a client called Will Screen
    log.info("%s %s (%s)", action.op, redaction.Own(action.label), action.reason)


def _free_name(uid: str, names: set[str]) -> str:
    """`<uid>.ics`, or `<uid>-N.ics` when something else (a foreign object) has that name."""
    for n in range(10):
        name = f"{uid}.ics" if n == 0 else f"{uid}-{n}.ics"
        if name not in names:
            return name
    return f"{uid}-{secrets.token_hex(4)}.ics"


def _record(action: Create | Update, href: str, etag: str) -> Record:
    want = action.desired
    return Record(uid=want.uid, calendar=want.calendar, href=_path(href), etag=etag,
                  content_hash=want.content_hash, kind=want.kind, label=want.label,
                  client_id=want.client_id)


def _refused(action: Action, exc: ConflictError | ObjectRefused, store, result: SyncResult,
             collections: list[str], done: set[str]) -> None:
    """Read the refusal; record it as a Failure and leave it for the next sync's plan."""
    if isinstance(exc, ConflictError) and exc.kind == "gone" and isinstance(action, Delete):
        if not action.extra_copy:
            store.drop_record(action.uid)
        result.dropped += 1
        done.add(action.uid)
        return
    failure = failures.classify(action, exc, collections)
    # its reason and next step can quote the server (an href holding the UID): redacted
    # once here, so the store, the status file, `sync --json` and `check` hold them so
    failure = replace(failure, reason=redaction.REDACTOR.scrub(failure.reason),
                      next_step=redaction.REDACTOR.scrub(failure.next_step))
    result.failed.append(failure)
    log.warning("%s %s failed: %s; %s", action.op, redaction.Own(action.label),
                redaction.Own(failure.reason),
                redaction.Own(failure.next_step))


def _note_failures(store, result: SyncResult, done: set[str], complete: bool) -> None:
    """Count the failures in the store; a sync stopped by something else still counts the
    ones it met (and says so if the store cannot)."""
    try:
        store.note_failures(result.failed, done, complete)
    except Exception:
        if complete:
            raise
        log.warning("cannot record the actions that failed in this sync")


def recorded_sync(settings: Settings, store, remotes: Mapping[str, RemoteLike], **kw) -> SyncResult:
    """`sync`, with its start, result and error written to the store for `status`."""
    if kw.get("options", SyncOptions()).dry_run:
        return sync(settings, store, remotes, **kw)
    run = store.begin_run()
    try:
        result = sync(settings, store, remotes, **kw)
    except Exception as exc:
        done = getattr(exc, "partial", None) or SyncResult()
        kind, situation = type(exc).__name__, getattr(exc, "situation", None)
        if situation:  # a safety refusal: which one, for `status`
            kind += f"[{situation}]"
        why = f"{kind}: {redaction.REDACTOR.scrub_error(exc)}"
        store.finish_run(run, getattr(exc, "run_result", "failed"), done.created, done.updated,
                         done.deleted, why)
        raise
    outcome, error = GOOD_RESULT, None
    if result.failed:
        outcome, error = PARTIAL_RESULT, redaction.REDACTOR.scrub(failures.summary(
            [{"event": f.label, "reason": f.reason, "next_step": f.next_step, "syncs": 1}
             for f in result.failed]))
    store.finish_run(run, outcome, result.created, result.updated, result.deleted, error)
    return result
