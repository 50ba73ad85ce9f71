"""The sync engine, in-process, driven by a Hypothesis state machine.

The real engine (`engine.sync`), the real encrypted store (SQLite in a temp folder) and the
in-memory remote (with a server's semantics: ETags, conditional writes) take random steps.
Three server dialects: UIDs unique per collection (Radicale, Xandikos), a DAViCal-like one
that stores duplicates, and a Cyrus-like account whose UIDs are unique across all of its
calendars, one of which ("personal") pseudocal does not sync; its UID conflicts name the
href that holds the UID, as Cyrus's 403 `unique-scheduling-object-resource` does.

The steps: the config changes (sessions added, removed, moved, lengthened); syncs run with
faults injected (an error before the server applied a write, or after it did and the answer
was lost, on any request, the listing and the multiget included) or with writes the server
refuses (403/400 to that object: the sync must go on with the others); the phone edits,
deletes and "moves" our objects (the bytes PUT at another href, the old one deleted or, on
a server that keeps duplicates, kept), also into the other synced calendar and into the
unsynced "personal" one; other programs add and edit foreign objects, some at hrefs shaped
like ours and some at the very href one of our events should have; the practitioner
follows the next step a persisting conflict names (deletes the copies in "personal").

After every clean sync (no fault, deletes allowed):
  * the objects online whose UID carries our tag are exactly the desired ones, one copy
    each, in the right calendar, with the desired content -- except, on the Cyrus-like
    account, the events whose UID is held in "personal": those are each a recorded
    failure that says so ("uid-elsewhere"), counted over the syncs in a row it persisted
    (`status` unhealthy from health.FAILING_AFTER on), and nothing else failed;
  * a second plan (a dry run) is empty (or only those creates);
  * every foreign object is still there, byte for byte, and "personal" is untouched;
  * no request (bodies, hrefs asked for) carried any client identity.
Every loop is bounded: at most `stateful_step_count` steps, each sync a bounded plan.
"""
from __future__ import annotations

import dataclasses
import itertools
import os
import shutil
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from icalendar import Calendar

from pseudocal import store as store_module
from pseudocal.config import loader
from pseudocal.crypto import is_own_uid, make_uid
from pseudocal.errors import PseudocalError, ServerError
from pseudocal.events.render import content_hash
from pseudocal.models import ClientIdentity, Delete, Recurrence, SessionRule
from pseudocal.remote.memory import MemoryRemote, uid_of
from pseudocal.service import health
from pseudocal.store import Store
from pseudocal.sync import engine

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)
CLIENTS = [ClientIdentity("Ottilie Brackenbury", email="ob@example.org", phone="+44 7700 900811"),
           ClientIdentity("Ximena Quarshie", email="xq@example.org", phone="+1 202 555 0147"),
           ClientIdentity("Leofric Umeadi", notes="synthetic note about Leofric")]
TERMS = [t.casefold().encode() for c in CLIENTS for t in (c.name, c.email, c.phone, c.notes)
         if t] + [b"ottilie", b"brackenbury", b"ximena", b"quarshie", b"leofric", b"umeadi",
                  b"7700900811", b"2025550147"]
CONFIG = """timezone = "Europe/London"
[calendar]
url = "http://127.0.0.1:9/practitioner/practice/"
[calendars.selfcare]
url = "http://127.0.0.1:9/practitioner/selfcare/"
[sync]
horizon = "8w"
keep_past = "7d"
[breaks]
[supervision]
start = 2026-12-04T14:00:00
duration = "90m"
repeat = "monthly"
"""
STARTS = [datetime(2026, 12, 7 + d, h, 0) for d in range(5) for h in (9, 11, 14, 17)]
FOREIGN = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Phone//EN\r\nBEGIN:VEVENT\r\n"
           "UID:{uid}\r\nDTSTAMP:20261101T090000Z\r\nDTSTART:20261210T090000Z\r\n"
           "DTEND:20261210T100000Z\r\nSUMMARY:Dentist\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


PSEUDONYMS = ["Amber Kestrel", "Silent Otter", "Copper Fern"]


class _Tokens:
    """Stands in for the engine's `secrets` while a machine runs: counted tokens."""

    def __init__(self, counter) -> None:
        self._counter = counter

    def token_hex(self, n: int) -> str:
        return f"{next(self._counter):0{2 * n}x}"


class Recording:
    """A remote wrapper that keeps every body sent, to look for identities in them."""

    def __init__(self, inner: MemoryRemote, sent: list[bytes]) -> None:
        self.inner, self.sent = inner, sent

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    def create(self, name: str, data: bytes):
        self.sent.append(name.encode() + b"\n" + data)
        return self.inner.create(name, data)

    def update(self, href: str, data: bytes, etag: str):
        self.sent.append(href.encode() + b"\n" + data)
        return self.inner.update(href, data, etag)

    def delete(self, href: str, etag: str):
        self.sent.append(href.encode())
        return self.inner.delete(href, etag)

    def multiget(self, hrefs: list[str]):
        self.sent.append("\n".join(hrefs).encode())
        return self.inner.multiget(hrefs)


class DuplicatingRemote(MemoryRemote):
    """DAViCal's dialect: a second object with an existing UID is stored (201)."""

    def _check_uid(self, href: str, data: bytes):
        return uid_of(data)


class EngineMachine(RuleBasedStateMachine):
    DIALECT = "per-collection"  # | "duplicates" | "account-wide": one machine each, below

    @initialize()
    def setup(self) -> None:
        dialect = self.DIALECT
        self.dir = Path(tempfile.mkdtemp(prefix="pc-machine-"))
        path = self.dir / "config.toml"
        path.write_text(CONFIG, encoding="utf-8")
        self.settings = loader.load_settings(path, env={"PSEUDOCAL_STATE_DIR": str(self.dir)})
        # Everything a step's outcome depends on is fixed by the drawn steps (hypothesis
        # replays a case and must see the same preconditions): the key (so the UIDs), the
        # pseudonyms, the client ids, and the tokens in new hrefs, the engine's included.
        self.store = Store.create(self.dir / "store.db", bytes(range(32)))
        drawn, store_module.secrets = store_module.secrets, _Tokens(itertools.count(1))
        try:  # client ids are in the session UIDs, so they are counted too
            self.pseudonyms = [self.store.add_client(c, p).pseudonym
                               for c, p in zip(CLIENTS, PSEUDONYMS, strict=True)]
        finally:
            store_module.secrets = drawn  # type: ignore[assignment]
        self._tokens = itertools.count(1)
        self._engine_secrets = engine.secrets
        engine.secrets = _Tokens(self._tokens)  # type: ignore[assignment]
        kind = DuplicatingRemote if dialect == "duplicates" else MemoryRemote
        self.dialect = dialect
        account = [] if dialect == "account-wide" else None
        self.remotes = {"main": kind("/practitioner/practice/", account),
                        "selfcare": kind("/practitioner/selfcare/", account)}
        self.personal = kind("/practitioner/personal/", account)  # never synced
        self.personal_untouched: dict[str, bytes] = {}  # what the phone put there
        self.streak: dict[str, int] = {}  # clean syncs in a row an event was blocked
        self.sent: list[bytes] = []
        self.foreign: dict[tuple[str, str], bytes] = {}
        self.rules: list[SessionRule] = []
        self.clean = False

    def token(self, n: int) -> str:
        """A fresh hex token of n bytes, the same ones in the same order on every replay."""
        return f"{next(self._tokens):0{2 * n}x}"

    def teardown(self) -> None:
        if hasattr(self, "_engine_secrets"):
            engine.secrets = self._engine_secrets  # type: ignore[assignment]
        if hasattr(self, "store"):
            self.store.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    # ------------------------------------------------------------ the config

    def _set_rules(self, rules: list[SessionRule]) -> None:
        self.rules = [dataclasses.replace(r, index=i) for i, r in enumerate(rules)]
        self.settings = dataclasses.replace(self.settings, sessions=tuple(self.rules))
        self.clean = False

    @precondition(lambda self: len(self.rules) < 8)
    @rule(client=st.integers(0, 2), start=st.sampled_from(STARTS),
          repeat=st.sampled_from([None, "FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=2"]))
    def add_session(self, client: int, start: datetime, repeat: str | None) -> None:
        when = Recurrence(start, timedelta(minutes=50), "Europe/London", repeat)
        self._set_rules([*self.rules, SessionRule(0, self.pseudonyms[client], when,
                                                  "weekly" if repeat else "once")])

    @precondition(lambda self: self.rules)
    @rule(pick=st.integers(0, 7))
    def remove_session(self, pick: int) -> None:
        rules = list(self.rules)
        rules.pop(pick % len(rules))
        self._set_rules(rules)

    @precondition(lambda self: self.rules)
    @rule(pick=st.integers(0, 7), hours=st.integers(-2, 3), longer=st.booleans())
    def move_session(self, pick: int, hours: int, longer: bool) -> None:
        rules = list(self.rules)
        rule_ = rules[pick % len(rules)]
        when = dataclasses.replace(rule_.when, start=rule_.when.start + timedelta(hours=hours),
                                   duration=rule_.when.duration + timedelta(
                                       minutes=10 if longer else 0))
        rules[pick % len(rules)] = dataclasses.replace(rule_, when=when)
        self._set_rules(rules)

    # ------------------------------------------------------------ syncs

    def _sync(self, want=None, **options) -> engine.SyncResult:
        remotes = {name: Recording(r, self.sent) for name, r in self.remotes.items()}
        result = engine.sync(self.settings, self.store, remotes, now=NOW, want=want,
                             options=engine.SyncOptions(**options))
        if not result.dry_run:
            self._events(result)
        return result

    def _want(self):
        """The desired objects for the config now (built once per config)."""
        if getattr(self, "_wanted", (None,))[0] is not self.settings:
            self._wanted = (self.settings, engine.wanted_objects(self.settings, self.store, NOW))
        return self._wanted[1]

    def _blocked(self) -> set[str]:
        """Desired events the Cyrus-like account cannot take: their UID is in "personal"."""
        if self.dialect != "account-wide":
            return set()
        return set(self._want().objects) & set(self.personal.uids.values())

    @rule()
    def sync_clean(self) -> None:
        result = self._sync(allow_deletes=True)
        blocked = self._blocked()
        assert {f.uid for f in result.failed} == blocked, \
            [(f.op, f.kind, f.reason) for f in result.failed]
        assert all(f.kind == "uid-elsewhere" and "personal" in f.reason for f in result.failed)
        self.streak = {uid: self.streak.get(uid, 0) + 1 for uid in blocked}
        self.clean = True

    def _events(self, result: engine.SyncResult) -> None:
        """What the syncs met, for --hypothesis-show-statistics."""
        event(f"{self.dialect}: objects read {'0' if not result.read else '>0'}")
        if any(f.kind == "uid-elsewhere" for f in result.failed):
            event(f"{self.dialect}: an event blocked by a copy in personal")
        if any(f.kind == "refused" for f in result.failed):
            event(f"{self.dialect}: a write refused, the others done")
        if any(isinstance(a, Delete) and a.extra_copy for a in result.actions):
            event(f"{self.dialect}: a second copy deleted")
        if any("another href" in a.reason for a in result.actions):
            event(f"{self.dialect}: a moved event kept at its new href")
        if any(a.reason == "moved to another calendar" for a in result.actions):
            event(f"{self.dialect}: moved back to its calendar")
        if any(not r.href.endswith(f"/{r.uid}.ics") for r in self.store.records().values()):
            event(f"{self.dialect}: an event at a name other than <uid>.ics")

    @rule(calendar=st.sampled_from(["main", "selfcare"]), n=st.integers(1, 3),
          status=st.sampled_from([400, 403, 415]))
    def sync_with_refusals(self, calendar: str, n: int, status: int) -> None:
        """The server refuses n writes to that calendar (403 or 400 to those objects): the
        sync goes on with every other action and records each refusal."""
        remote = self.remotes[calendar]
        remote.refuse_writes(n, status)
        result = self._sync(allow_deletes=True)  # never raises for one object's refusal
        refused = n - len(remote._refusals)
        assert sum(f.kind == "refused" for f in result.failed) == refused
        assert {f.uid for f in result.failed} <= {r["uid"] for r in self.store.failed_actions()}
        remote._refusals.clear()
        self.clean = False

    @rule(calendar=st.sampled_from(["main", "selfcare"]), n=st.integers(1, 3),
          after=st.booleans())
    def sync_with_faults(self, calendar: str, n: int, after: bool) -> None:
        self.remotes[calendar].fail_next(n, after=after)
        try:
            self._sync(allow_deletes=True)
        except (ServerError, PseudocalError):
            pass
        self.remotes[calendar]._faults.clear()  # faults the sync did not reach
        self.clean = False

    # ------------------------------------------------------------ other clients

    def _ours(self) -> list[tuple[str, str]]:
        return [(name, href) for name, remote in self.remotes.items()
                for href in remote.objects
                if is_own_uid(self.store.tag_key, remote.uids[href] or "")]

    @precondition(lambda self: self._ours())
    @rule(pick=st.integers(0, 50))
    def phone_edits(self, pick: int) -> None:
        name, href = self._ours()[pick % len(self._ours())]
        remote = self.remotes[name]
        remote.external_put(href, remote.objects[href].replace(b"SUMMARY:", b"SUMMARY:x ", 1))
        self.clean = False

    @precondition(lambda self: self._ours())
    @rule(pick=st.integers(0, 50))
    def phone_deletes(self, pick: int) -> None:
        name, href = self._ours()[pick % len(self._ours())]
        self.remotes[name].external_delete(href)
        self.clean = False

    @precondition(lambda self: self._ours())
    @rule(pick=st.integers(0, 50), keep_old=st.booleans(),
          to=st.sampled_from(["same", "same", "other", "personal"]))  # "same" most often
    def phone_moves(self, pick: int, keep_old: bool, to: str) -> None:
        """A phone app's move: the same bytes at a new href, in the same calendar, the
        other synced one or the unsynced "personal" one; the old one gone (or, on a server
        that keeps UIDs unique per collection or not at all, possibly still there)."""
        name, href = self._ours()[pick % len(self._ours())]
        remote = self.remotes[name]
        data = remote.objects[href]
        if not keep_old or self.dialect == "account-wide":  # Cyrus would refuse a 2nd copy
            remote.external_delete(href)
        target = {"same": remote, "personal": self.personal,
                  "other": self.remotes["selfcare" if name == "main" else "main"]}[to]
        new = target.path + f"{self.token(6)}.ics"
        target.external_put(new, data)
        if target is self.personal:
            self.personal_untouched[new] = data
        self.clean = False

    @precondition(lambda self: self.personal_untouched)
    @rule()
    def practitioner_follows_the_next_step(self) -> None:
        """What a "uid-elsewhere" failure asks: delete the copies in the unsynced calendar."""
        for href in list(self.personal_untouched):
            self.personal.external_delete(href)
        self.personal_untouched.clear()
        self.clean = False

    @rule(calendar=st.sampled_from(["main", "selfcare"]), ours_shape=st.booleans())
    def foreign_object_appears(self, calendar: str, ours_shape: bool) -> None:
        uid = make_uid(b"f" * 32, self.token(4)) if ours_shape else \
            f"{self.token(4)}@phone.example"
        name = f"{uid}.ics" if ours_shape else f"{self.token(4)}.ics"
        data = FOREIGN.format(uid=uid).encode()
        remote = self.remotes[calendar]
        remote.external_put(name, data)
        self.foreign[(calendar, remote.path + name)] = data
        self.clean = False

    @rule(pick=st.integers(0, 50))
    def foreign_object_takes_our_name(self, pick: int) -> None:
        """Another program stores its own event at the very href one of ours should have
        (`<uid>.ics`), replacing ours if it was there."""
        want = sorted(self._want().objects.values(),
                      key=lambda o: o.uid)
        if not want:
            return
        target = want[pick % len(want)]
        remote = self.remotes[target.calendar]
        href = remote.path + f"{target.uid}.ics"
        if (target.calendar, href) in self.foreign:
            return
        data = FOREIGN.format(uid=f"{self.token(4)}@other.example").encode()
        remote.external_put(href, data)
        self.foreign[(target.calendar, href)] = data
        self.clean = False

    @precondition(lambda self: self.foreign)
    @rule(pick=st.integers(0, 50))
    def foreign_object_is_edited(self, pick: int) -> None:
        """The phone changes one of its own events: a new ETag, so it is read again."""
        key = sorted(self.foreign)[pick % len(self.foreign)]
        data = self.foreign[key].replace(b"SUMMARY:", b"SUMMARY:x ", 1)
        self.remotes[key[0]].external_put(key[1], data)
        self.foreign[key] = data
        self.clean = False

    # ------------------------------------------------------------ invariants

    @invariant()
    def foreign_objects_are_untouched(self) -> None:
        for (calendar, href), data in self.foreign.items():
            assert self.remotes[calendar].objects.get(href) == data, href
        assert self.personal.objects == self.personal_untouched

    @invariant()
    def nothing_identifying_was_sent(self) -> None:
        for body in self.sent:
            folded = body.lower()
            assert not any(term in folded for term in TERMS)

    @precondition(lambda self: self.clean)
    @invariant()
    def online_is_what_the_config_wants(self) -> None:
        want = self._want().objects
        online: dict[str, list[tuple[str, bytes]]] = {}
        for name, remote in self.remotes.items():
            for data in remote.objects.values():
                uid = uid_of(data) or ""
                if is_own_uid(self.store.tag_key, uid):
                    online.setdefault(uid, []).append((name, data))
        blocked = self._blocked()
        assert set(online) == set(want) - blocked, "ours online differ from the desired set"
        for uid, copies in online.items():
            assert len(copies) == 1, f"{len(copies)} copies of one event online"
            calendar, data = copies[0]
            assert calendar == want[uid].calendar
            assert content_hash(data) == want[uid].content_hash
            assert Calendar.from_ical(data)  # still iCalendar
        again = self._sync(dry_run=True, want=self._want())
        planned = [(a.op, a.uid) for a in again.actions]
        assert planned == [("create", u) for u in sorted(blocked)], \
            [(a.op, a.reason) for a in again.actions]
        self._failures_are_counted(blocked)

    def _failures_are_counted(self, blocked: set[str]) -> None:
        """After a clean sync the store holds exactly the blocked events' failures, each
        counted over (at least) the clean syncs in a row it failed; `status` says so."""
        rows = {r["uid"]: r for r in self.store.failed_actions()}
        assert set(rows) == blocked
        for uid, row in rows.items():
            assert row["kind"] == "uid-elsewhere" and row["syncs"] >= self.streak[uid]
        doc = {"pid": 1, "daemon": "running", "last_good_run": {"finished_at": NOW.isoformat()},
               "failed_actions": health.failed_entries(list(rows.values()))}
        problems = health.assess(doc, NOW, timedelta(hours=1), alive=lambda _pid: True)
        stuck = any(r["syncs"] >= health.FAILING_AFTER for r in rows.values())
        assert bool(problems) == stuck, problems
        assert not problems or "could not be written" in problems[0]


# Per dialect; PSEUDOCAL_MACHINE_EXAMPLES=500 for a longer hunt.
MACHINE = settings(
    max_examples=int(os.environ.get("PSEUDOCAL_MACHINE_EXAMPLES", "25")),
    stateful_step_count=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _machine_for(dialect: str):
    machine = type(f"EngineMachine_{dialect.replace('-', '_')}", (EngineMachine,),
                   {"DIALECT": dialect})
    machine.TestCase.settings = MACHINE
    return machine.TestCase


test_the_engine_converges_on_per_collection_uids = _machine_for("per-collection")
test_the_engine_converges_on_a_server_keeping_duplicates = _machine_for("duplicates")
test_the_engine_converges_on_account_wide_uids = _machine_for("account-wide")
