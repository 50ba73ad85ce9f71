"""The sync engine in-process: the real `engine.sync`, the real encrypted store, and the
in-memory remote (a server's semantics: ETags, conditional writes, UIDs unique per
collection), each write logged with the ETag it was conditional on.

What tests/integration/test_sync_radicale.py shows through the CLI on real servers, shown
here on the engine itself: the first push, a sync with nothing to do, one change, one
removal, objects deleted or edited on the phone, lost records, the safety valve's three
situations (and a moved calendar), foreign objects never touched. One failed action while
the others go ahead is in test_failed_actions.py, ownership and copies in test_ownership.py,
random histories in tests/property/test_engine_machine.py.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pseudocal.config import loader
from pseudocal.crypto import generate_key, is_own_uid
from pseudocal.errors import SafetyRefusal
from pseudocal.models import ClientIdentity, Recurrence, SessionRule
from pseudocal.remote.memory import MemoryRemote, uid_of
from pseudocal.service import health
from pseudocal.store import Store
from pseudocal.sync import engine

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)
CONFIG = """timezone = "Europe/London"
[calendar]
url = "http://127.0.0.1:9/practitioner/practice/"
[sync]
horizon = "8w"
keep_past = "7d"
"""
FOREIGN = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Phone//EN\r\nBEGIN:VEVENT\r\n"
           b"UID:dentist-appointment@phone.example\r\nDTSTAMP:20261101T090000Z\r\n"
           b"DTSTART:20261210T090000Z\r\nDTEND:20261210T100000Z\r\nSUMMARY:Dentist\r\n"
           b"END:VEVENT\r\nEND:VCALENDAR\r\n")
SESSIONS = 5  # the valve lets 2 removals through always, more only up to half of them


class LoggedRemote(MemoryRemote):
    """MemoryRemote that logs each request: ("list",), ("multiget", n), ("create", name),
    ("update", href, etag), ("delete", href, etag) -- the etag is the If-Match sent."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.log: list[tuple] = []

    def list(self):
        self.log.append(("list",))
        return super().list()

    def multiget(self, hrefs):
        self.log.append(("multiget", len(hrefs)))
        return super().multiget(hrefs)

    def create(self, name, data):
        self.log.append(("create", name))
        return super().create(name, data)

    def update(self, href, data, etag):
        self.log.append(("update", href, etag))
        return super().update(href, data, etag)

    def delete(self, href, etag):
        self.log.append(("delete", href, etag))
        return super().delete(href, etag)

    def writes(self) -> list[tuple]:
        return [entry for entry in self.log if entry[0] in ("create", "update", "delete")]

    def ours(self) -> dict[str, bytes]:
        return {h: d for h, d in self.objects.items() if d != FOREIGN}


@dataclasses.dataclass
class Setup:
    settings: object
    store: Store
    remote: LoggedRemote
    foreign: str  # the href of the phone's own event

    def sync(self, settings=None, **options) -> engine.SyncResult:
        self.remote.log.clear()
        return engine.recorded_sync(settings or self.settings, self.store,
                                    {"main": self.remote}, now=NOW,
                                    options=engine.SyncOptions(**options))

    def with_sessions(self, rules) -> object:
        return dataclasses.replace(self.settings, sessions=tuple(
            dataclasses.replace(r, index=i) for i, r in enumerate(rules)))

    def untouched(self) -> bool:
        return self.remote.objects.get(self.foreign) == FOREIGN and \
            all(self.foreign not in entry for entry in self.remote.writes())


@pytest.fixture
def setup(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")
    settings = loader.load_settings(path, env={"PSEUDOCAL_STATE_DIR": str(tmp_path)})
    store = Store.create(tmp_path / "store.db", generate_key())
    clients = [store.add_client(ClientIdentity(name)) for name in
               ("Ottilie Brackenbury", "Ximena Quarshie", "Leofric Umeadi")]
    rules = [SessionRule(i, clients[i % 3].pseudonym, Recurrence(
        datetime(2026, 12, 7 + i, 10, 0), timedelta(minutes=50), "Europe/London",
        "FREQ=WEEKLY"), "weekly") for i in range(SESSIONS)]
    remote = LoggedRemote("/practitioner/practice/")
    foreign = remote.path + "foreign.ics"
    remote.external_put(foreign, FOREIGN)
    s = Setup(settings, store, remote, foreign)
    s.settings = s.with_sessions(rules)
    yield s
    store.close()


def longer(rule: SessionRule, minutes: int = 10) -> SessionRule:
    return dataclasses.replace(rule, when=dataclasses.replace(
        rule.when, duration=rule.when.duration + timedelta(minutes=minutes)))


def test_the_first_push_creates_each_session_at_a_free_name_and_records_it(setup):
    first = setup.sync()
    assert (first.created, first.updated, first.deleted, first.failed) == (SESSIONS, 0, 0, [])
    creates = setup.remote.writes()
    assert [op for op, *_ in creates] == ["create"] * SESSIONS
    records = setup.store.records()
    assert len(records) == SESSIONS
    for uid, rec in records.items():
        assert is_own_uid(setup.store.tag_key, uid)
        assert ("create", f"{uid}.ics") in creates  # named after its UID, never a taken name
        assert uid_of(setup.remote.objects[rec.href]) == uid
        assert rec.etag == setup.remote.etags[rec.href]  # the ETag the server answered
    assert setup.untouched()
    assert setup.store.last_runs(1)[0]["result"] == "ok"


def test_a_sync_with_nothing_to_do_writes_nothing_and_costs_one_listing(setup):
    setup.sync()
    before = dict(setup.remote.etags)
    again = setup.sync()
    assert (again.created, again.updated, again.deleted, again.read) == (0, 0, 0, 0)
    assert setup.remote.log == [("list",)]  # the foreign object was read once, the first time
    assert setup.remote.etags == before
    assert engine.sync(setup.settings, setup.store, {"main": setup.remote}, now=NOW,
                       options=engine.SyncOptions(dry_run=True)).actions == []


def test_one_changed_session_is_one_update_conditional_on_the_etag_listed(setup):
    setup.sync()
    rules = list(setup.settings.sessions)
    rules[0] = longer(rules[0])
    listed, before = dict(setup.remote.etags), dict(setup.remote.objects)
    result = setup.sync(setup.with_sessions(rules))
    assert (result.created, result.updated, result.deleted) == (0, 1, 0)
    [(op, href, etag)] = setup.remote.writes()
    assert op == "update" and etag == listed[href]
    assert setup.remote.objects[href] != before[href]
    assert setup.store.records()[uid_of(setup.remote.objects[href])].etag == \
        setup.remote.etags[href] != listed[href]
    assert setup.untouched()
    assert setup.sync(setup.with_sessions(rules)).writes == 0


def test_one_removed_session_is_one_delete_conditional_on_the_etag_listed(setup):
    setup.sync()
    listed = dict(setup.remote.etags)
    result = setup.sync(setup.with_sessions(setup.settings.sessions[:-1]))
    assert (result.created, result.updated, result.deleted) == (0, 0, 1)
    [(op, href, etag)] = setup.remote.writes()
    assert op == "delete" and etag == listed[href] and href not in setup.remote.objects
    assert len(setup.store.records()) == SESSIONS - 1
    assert href not in {r.href for r in setup.store.records().values()}
    assert setup.untouched()


def test_an_event_deleted_on_the_phone_comes_back_and_an_edit_is_restored(setup):
    setup.sync()
    gone, edited = sorted(setup.remote.ours())[:2]
    original = setup.remote.objects[edited]
    setup.remote.external_delete(gone)
    setup.remote.external_put(edited, original.replace(b"SUMMARY:", b"SUMMARY:Moved "))
    result = setup.sync()
    assert (result.created, result.updated, result.deleted) == (1, 1, 0)
    assert setup.remote.objects[edited] == original and gone in setup.remote.objects
    assert setup.untouched()


def test_lost_records_never_duplicate(setup):
    setup.sync()
    online = dict(setup.remote.ours())
    for uid in list(setup.store.records()):
        setup.store.drop_record(uid)
    result = setup.sync()
    assert (result.created, result.deleted) == (0, 0)
    assert setup.remote.ours().keys() == online.keys() and len(setup.store.records()) == SESSIONS
    assert setup.sync().writes == 0


def test_rescheduling_every_session_is_updates_never_a_refused_mass_delete(setup):
    setup.sync()
    moved = [dataclasses.replace(r, when=dataclasses.replace(r.when, start=r.when.start +
                                                             timedelta(hours=3)))
             for r in setup.settings.sessions]
    result = setup.sync(setup.with_sessions(moved))
    assert (result.created, result.updated, result.deleted) == (0, SESSIONS, 0)


def refused(setup, settings=None, **options) -> SafetyRefusal:
    """The sync refuses, writes nothing, and the run records which valve for `status`."""
    records = setup.store.records()
    with pytest.raises(SafetyRefusal) as caught:
        setup.sync(settings, **options)
    assert setup.remote.writes() == [] and setup.store.records() == records
    run = setup.store.last_runs(1)[0]
    assert run["result"] == "failed"
    because = health._run_error(run["error"])["refused_because"]
    assert because == caught.value.situation and caught.value.next_step
    return caught.value


def dry_run(setup, settings=None) -> engine.SyncResult:
    records = setup.store.records()
    plan = setup.sync(settings, dry_run=True)
    assert setup.remote.writes() == [] and setup.store.records() == records
    return plan


def test_the_safety_valve_refuses_an_emptied_config_until_deletes_are_allowed(setup):
    setup.sync()
    empty = setup.with_sessions([])
    refusal = refused(setup, empty)
    assert refusal.situation == "config-emptied" and "--allow-deletes" in refusal.next_step
    assert refusal.deletes == SESSIONS
    plan = dry_run(setup, empty)
    assert plan.refusal.situation == "config-emptied"
    assert [a.op for a in plan.actions] == ["delete"] * SESSIONS
    done = setup.sync(empty, allow_deletes=True)
    assert done.deleted == SESSIONS and setup.remote.ours() == {} and setup.untouched()


def test_the_safety_valve_refuses_to_refill_a_calendar_that_now_shows_none(setup):
    setup.sync()
    for href in list(setup.remote.ours()):
        setup.remote.external_delete(href)
    refusal = refused(setup)
    assert refusal.situation == "calendar-empty" and f"had {SESSIONS}" in str(refusal)
    assert dry_run(setup).refusal.situation == "calendar-empty"
    assert setup.sync(allow_deletes=True).created == SESSIONS
    assert len(setup.remote.ours()) == SESSIONS and setup.untouched()


def test_the_safety_valve_refuses_deleting_more_than_the_share_but_not_a_small_change(setup):
    setup.sync()
    rules = setup.settings.sessions
    refusal = refused(setup, setup.with_sessions(rules[:2]))  # 3 of 5: more than half
    assert refusal.situation == "too-many" and (refusal.deletes, refusal.managed) == (3, 5)
    assert dry_run(setup, setup.with_sessions(rules[:2])).refusal.situation == "too-many"
    small = setup.sync(setup.with_sessions(rules[:3]))  # 2 of 5: a small change goes ahead
    assert small.deleted == 2 and len(setup.remote.ours()) == 3 and setup.untouched()


def test_a_moved_calendar_is_refused_and_accepting_it_leaves_the_old_events_alone(setup):
    setup.sync()
    old = dict(setup.remote.ours())
    elsewhere = dataclasses.replace(setup.settings, calendar=dataclasses.replace(
        setup.settings.calendar, url="http://127.0.0.1:9/practitioner/elsewhere/"))
    other = LoggedRemote("/practitioner/elsewhere/")
    with pytest.raises(SafetyRefusal) as caught:
        engine.sync(elsewhere, setup.store, {"main": other}, now=NOW)
    assert caught.value.situation == "calendar-moved" and len(setup.store.records()) == SESSIONS
    assert other.writes() == []
    engine.sync(elsewhere, setup.store, {"main": other}, now=NOW,
                options=engine.SyncOptions(dry_run=True))
    assert len(setup.store.records()) == SESSIONS and other.writes() == []
    moved = engine.sync(elsewhere, setup.store, {"main": other}, now=NOW,
                        options=engine.SyncOptions(accept_calendar_change=True))
    assert moved.created == SESSIONS and len(other.objects) == SESSIONS
    assert setup.remote.ours() == old and setup.untouched()


def test_foreign_objects_are_never_written_through_push_change_removal_and_clearing(setup):
    other = setup.remote.external_put("looks-like-ours.ics", FOREIGN.replace(
        b"dentist-appointment@phone.example", b"0123456789abcdef@pseudocal"))
    other_href = setup.remote.path + "looks-like-ours.ics"
    rules = list(setup.settings.sessions)
    steps = [setup.settings, setup.with_sessions([longer(r) for r in rules]),
             setup.with_sessions(rules[1:]), setup.with_sessions([])]
    for settings in steps:
        setup.sync(settings, allow_deletes=True)
        assert setup.untouched()
        assert setup.remote.etags[other_href] == other
        assert all(other_href not in entry for entry in setup.remote.writes())
    assert set(setup.remote.objects) == {setup.foreign, other_href}
