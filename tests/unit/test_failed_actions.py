"""One object's failure never stops the rest: refusals and UID conflicts in every dialect are
recorded per action with their reason, counted over syncs, and shown by `status` and `check`."""
from __future__ import annotations

import dataclasses
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pseudocal.cli import checks
from pseudocal.config import loader
from pseudocal.crypto import generate_key
from pseudocal.errors import ConflictError, ObjectRefused, ServerError
from pseudocal.models import ClientIdentity, Create, DesiredObject, Recurrence, SessionRule
from pseudocal.remote.memory import MemoryRemote
from pseudocal.service import health
from pseudocal.store import SCHEMA_VERSION, Store
from pseudocal.sync import engine, failures

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)
CONFIG = """timezone = "Europe/London"
[calendar]
url = "http://127.0.0.1:9/practitioner/practice/"
[sync]
horizon = "4w"
keep_past = "7d"
"""


@pytest.fixture
def setup(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")
    settings = loader.load_settings(path, env={"PSEUDOCAL_STATE_DIR": str(tmp_path)})
    store = Store.create(tmp_path / "store.db", generate_key())
    client = store.add_client(ClientIdentity("Ottilie Brackenbury"))
    rules = tuple(SessionRule(i, client.pseudonym, Recurrence(
        datetime(2026, 12, 7 + i, 10, 0), timedelta(minutes=50), "Europe/London",
        "FREQ=WEEKLY"), "weekly") for i in range(4))
    yield dataclasses.replace(settings, sessions=rules), store, MemoryRemote()
    store.close()


def run(settings, store, remote) -> engine.SyncResult:
    return engine.recorded_sync(settings, store, {"main": remote}, now=NOW)


def longer(settings):
    return dataclasses.replace(settings, sessions=tuple(
        dataclasses.replace(r, when=dataclasses.replace(r.when, duration=r.when.duration +
                                                        timedelta(minutes=5)))
        for r in settings.sessions))


def test_a_refused_write_is_recorded_and_every_other_action_goes_ahead(setup):
    settings, store, remote = setup
    remote.refuse_writes(1, 403)
    first = run(settings, store, remote)
    assert first.created == 3 and len(first.failed) == 1
    (failure,) = first.failed
    assert failure.kind == "refused" and "403" in failure.reason and failure.next_step
    assert "could not be written" in first.summary()
    assert store.last_runs(1)[0]["result"] == "partial" and store.last_good_run()
    (row,) = store.failed_actions()
    assert (row["uid"], row["syncs"]) == (failure.uid, 1)
    remote.refuse_writes(1, 400)
    assert len(run(settings, store, remote).failed) == 1
    assert store.failed_actions()[0]["syncs"] == 2  # the same event, one more sync
    again = run(settings, store, remote)
    assert again.created == 1 and again.failed == [] and store.failed_actions() == []
    assert store.last_runs(1)[0]["result"] == "ok"


def test_a_uid_conflict_is_read_recorded_and_the_sync_goes_on(setup):
    settings, store, remote = setup
    run(settings, store, remote)
    fail_once = {"done": False}
    real_update = remote.update

    def update(href, data, etag):
        if not fail_once["done"]:
            fail_once["done"] = True
            raise ConflictError("taken", kind="uid", href=href,
                                holder="/practitioner/personal/x.ics")
        return real_update(href, data, etag)
    remote.update = update
    result = run(longer(settings), store, remote)
    assert result.updated == 3 and [f.kind for f in result.failed] == ["uid-elsewhere"]
    assert "/practitioner/personal/" in result.failed[0].reason


@pytest.mark.parametrize("holder", [
    "/practitioner/ottilie-brackenbury/x.ics",
    "/practitioner/Brackenbury%20family/x.ics",  # one name part, percent-escaped (C1)
    "/practitioner/Ottilie%E2%80%AE-\u202enotes/x.ics",  # a bidi override, raw and escaped
])
def test_an_href_naming_a_client_is_redacted_in_the_reason_and_next_step(setup, holder):
    """The href that holds the UID comes from the server: a calendar named after the
    client must not reach `sync --json`, the store's record, `check` or `status`, whole or
    in part, percent-escaped or not; nor may its control characters, raw."""
    from pseudocal.identity import privacy
    from pseudocal.identity import redaction as logs
    settings, store, remote = setup
    run(settings, store, remote)
    saved = logs.REDACTOR.strict, logs.REDACTOR.loose
    logs.REDACTOR.load(privacy.Identities.of(c.identity for c in store.list_clients()))
    real_update, fail_once = remote.update, {"done": False}

    def update(href, data, etag):
        if not fail_once["done"]:
            fail_once["done"] = True
            raise ConflictError("taken", kind="uid", href=href, holder=holder)
        return real_update(href, data, etag)
    remote.update = update
    try:
        result = run(longer(settings), store, remote)
        items, _ = checks.failed_actions(store)
    finally:
        logs.REDACTOR.strict, logs.REDACTOR.loose = saved
    (failure,) = result.failed
    assert failure.kind == "uid-elsewhere" and "[redacted]" in failure.next_step
    said = " ".join([failure.reason, failure.next_step, str(result.as_dict()),
                     str(store.failed_actions()), str(items),
                     str(health.failed_entries(store.failed_actions()))]).casefold()
    assert "ottilie" not in said and "brackenbury" not in said
    assert "\u202e" not in said  # shown as an escape, never raw


def test_whole_server_trouble_still_stops_the_sync_and_counts_what_failed_before(setup):
    settings, store, remote = setup
    remote.refuse_writes(1, 403)
    remote.fail_next(1)  # the listing fails: nothing planned, nothing counted
    with pytest.raises(ServerError):
        run(settings, store, remote)
    assert store.failed_actions() == [] and store.last_runs(1)[0]["result"] == "failed"


def action() -> Create:
    label = "Amber Falcon Mon 2026-12-07 10:00"
    want = DesiredObject("session:c1:2026-12-07T10:00", "u1", "main", "session", b"", "h", label)
    return Create("u1", "main", label, "new", desired=want)


@pytest.mark.parametrize("exc, kind, words", [
    (ConflictError("x", kind="uid", href="/cal/a.ics", holder="/old/a.ics"), "uid-elsewhere",
     ["unique across all of the account's calendars", "/old/"]),
    (ConflictError("x", kind="uid", href="/cal/a.ics", holder="/cal/b.ics"), "uid-conflict",
     ["/cal/b.ics"]),
    (ConflictError("x", kind="uid", href="/cal/a.ics"), "uid-conflict", ["trash bin"]),
    (ConflictError("x", kind="etag", href="/cal/a.ics"), "changed", ["changed"]),
    (ConflictError("x", kind="gone", href="/cal/a.ics"), "gone", ["deleted"]),
    (ConflictError("x", kind="exists", href="/cal/a.ics"), "name-taken", ["name"]),
    (ObjectRefused("x", status=415, href="/cal/a.ics", next_step="look"), "refused", ["415"]),
])
def test_each_refusal_has_a_kind_a_reason_and_a_next_step(exc, kind, words):
    found = failures.classify(action(), exc, ["/cal/"])
    assert found.kind == kind and found.next_step
    assert all(w in found.reason for w in words), found.reason


# ---------------------------------------------------------------- status and check


def entries(syncs: int) -> list[dict]:
    return health.failed_entries([{"label": "Amber Falcon Mon 10:00", "op": "create",
                                   "calendar": "main", "kind": "uid-elsewhere",
                                   "reason": "its UID is used in /old/", "next_step":
                                   "delete it there", "first_seen": "x", "last_seen": "y",
                                   "syncs": syncs, "uid": "u1"}])


def doc(failed: list[dict]) -> dict:
    good = {"finished_at": NOW.isoformat(), "result": "partial", "created": 1}
    return {"pid": 1, "daemon": "running", "last_run": good, "last_good_run": good,
            "failed_actions": failed}


def test_status_turns_unhealthy_once_an_event_failed_in_three_syncs_in_a_row():
    alive = lambda _pid: True  # noqa: E731
    assert health.assess(doc(entries(health.FAILING_AFTER - 1)), NOW, timedelta(hours=1),
                         alive) == []
    (problem,) = health.assess(doc(entries(health.FAILING_AFTER)), NOW, timedelta(hours=1),
                               alive)
    assert problem.startswith("1 event could not be written for 3 syncs in a row")
    assert "delete it there" in problem and "u1" not in problem
    assert "1 event could not be written" in health.status_line(doc(entries(1)),
                                                                "Europe/London", NOW)


def test_check_lists_failed_actions_and_fails_once_they_persist(setup):
    settings, store, remote = setup
    for n in range(health.FAILING_AFTER):
        remote.refuse_writes(1, 403)
        run(settings if n == 0 else longer(settings) if n % 2 else settings, store, remote)
        items, code = checks.failed_actions(store)
        assert [i["status"] for i in items] == (["warn"] if n < 2 else ["FAIL"])
        assert code == (12 if n == 2 else 0)
    assert "next step:" in items[0]["detail"] and "403" in items[0]["detail"]


# ---------------------------------------------------------------- the store


def test_a_version_1_store_and_a_version_2_one_without_the_tables_gain_them(tmp_path):
    for version in (b"1", b"2"):
        path, key = tmp_path / f"v{version.decode()}.db", generate_key()
        Store.create(path, key).close()
        conn = sqlite3.connect(path)
        conn.execute("DROP TABLE failed_actions")
        conn.execute("DROP TABLE foreign_objects")
        if version == b"1":
            conn.execute("ALTER TABLE clients DROP COLUMN contact_ct")
            conn.execute("ALTER TABLE clients DROP COLUMN phone_e164_ct")
        conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (version,))
        conn.commit()
        conn.close()
        with Store.open(path, key) as store:
            assert store.failed_actions() == [] and store.foreign_objects() == {}
        conn = sqlite3.connect(path)
        version_now = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        conn.close()
        assert version_now[0] == str(SCHEMA_VERSION).encode()
