"""`pseudocal status`: reads what the daemon recorded; exit 0 when healthy, 11 when not."""
from __future__ import annotations

import json
import os
import re
from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from daemonproc import Practice, pseudocal
from pseudocal.config import loader
from pseudocal.errors import EXIT_CODES, ConfigError
from pseudocal.service import health

NOW = datetime(2026, 11, 29, 10, 6, tzinfo=timezone.utc)  # 10:06 in London (GMT)
HOUR = timedelta(hours=1)


def run(at: datetime, result: str = "ok", created: int = 2, error: str | None = None) -> dict:
    stamp = at.isoformat(timespec="seconds")
    return {"id": 7, "started_at": stamp, "finished_at": stamp, "result": result,
            "created": created, "updated": 0, "deleted": 0, "error": error}


def record(**changes) -> dict:
    """A daemon record: running, last sync 10:05 ok, next 10:10."""
    good = run(NOW - timedelta(minutes=1))
    state = health.DaemonState(pid=os.getpid(), config="/etc/pseudocal/config.toml", every=300,
                               daemon="running", last_run=good, last_good_run=good,
                               next_run=(NOW + timedelta(minutes=4)).isoformat())
    return {**asdict(state), **changes}


def alive(_pid) -> bool:
    return True


# ---------------------------------------------------------------- judging


def test_a_recent_good_sync_is_healthy():
    assert health.assess(record(), NOW, HOUR, alive) == []


def test_an_old_last_good_sync_is_unhealthy():
    old = run(NOW - timedelta(hours=2))
    problems = health.assess(record(last_run=old, last_good_run=old), NOW, HOUR, alive)
    assert problems == ["the last good sync was 2h ago (more than 1h)"]


def test_repeated_failures_are_unhealthy_a_single_one_is_not():
    failing = dict(failing_since=(NOW - timedelta(minutes=3)).isoformat(),
                   last_error="calendar server error: cannot reach the calendar server")
    assert health.assess(record(failures=1, **failing), NOW, HOUR, alive) == []
    problems = health.assess(record(failures=health.FAILING_AFTER, **failing), NOW, HOUR, alive)
    assert len(problems) == 1 and "3 syncs in a row failed" in problems[0]
    assert "cannot reach" in problems[0]


@pytest.mark.parametrize("changes, words", [
    ({"daemon": "stopped"}, "not running"),
    ({"last_good_run": None}, "no sync has succeeded yet"),
    ({"config_error": "1 problem in config.toml"}, "keeps its last good config"),
])
def test_other_reasons_to_need_attention(changes, words):
    problems = health.assess(record(**changes), NOW, HOUR, alive)
    assert len(problems) == 1 and words in problems[0]


def test_a_daemon_whose_process_is_gone_is_unhealthy():
    problems = health.assess(record(), NOW, HOUR, alive=lambda pid: False)
    assert problems and "not running" in problems[0]


def test_the_systemd_status_line():
    assert health.status_line(record(), "Europe/London", NOW) == \
        "last sync 10:05 ok: 2 created, 0 updated, 0 deleted; next 10:10"
    failing = record(failures=2, failing_since=(NOW - timedelta(minutes=5)).isoformat(),
                     last_error="calendar server error: cannot reach it")
    assert health.status_line(failing, "Europe/London", NOW) == \
        "sync failing since 10:01 (2 attempts, next try 10:10): calendar server error: " \
        "cannot reach it"


def test_stale_after_defaults_to_three_intervals_but_at_least_an_hour():
    from pseudocal.models import SyncSettings
    assert health.stale_after(SyncSettings(every=timedelta(minutes=5))) == HOUR
    assert health.stale_after(SyncSettings(every=timedelta(hours=1))) == 3 * HOUR
    given = SyncSettings(stale_after=timedelta(minutes=20))
    assert health.stale_after(given) == timedelta(minutes=20)


def test_exit_code_11_is_documented():
    assert "needs attention" in EXIT_CODES[11]
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "| 11 |" in readme


# ---------------------------------------------------------------- the config key


def test_sync_stale_after_is_read_and_validated(tmp_path):
    practice = Practice(tmp_path, "http://127.0.0.1:9/cal/", sync_extra='stale_after = "30m"\n')
    settings = loader.load_settings(practice.write(), env={})
    assert settings.sync.stale_after == timedelta(minutes=30)
    practice.sync_extra = 'stale_after = "soon"\n'
    with pytest.raises(ConfigError) as caught:
        loader.load_settings(practice.write(), env={})
    assert [p.path for p in caught.value.problems] == ["sync.stale_after"]


# ---------------------------------------------------------------- the command


@pytest.fixture
def practice(tmp_path) -> Practice:
    p = Practice(tmp_path / "p", "http://127.0.0.1:9/practitioner/practice/")
    p.store_path.parent.mkdir(parents=True)
    p.write()
    return p


def write_record(practice: Practice, doc: dict) -> None:
    practice.status_file.write_text(json.dumps(doc), encoding="utf-8")


def status(practice: Practice, *flags: str):
    return pseudocal("status", *flags, "--config", str(practice.config))


def test_status_prints_one_healthy_line_and_exits_0(practice):
    now = datetime.now(timezone.utc).replace(microsecond=0)
    good = run(now - timedelta(minutes=1))
    write_record(practice, record(last_run=good, last_good_run=good,
                                  next_run=(now + timedelta(minutes=4)).isoformat()))
    done = status(practice)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.fullmatch(r"healthy: last sync \d{4}-\d\d-\d\d \d\d:\d\d ok \(2 created, "
                        r"0 updated, 0 deleted\); next (\d{4}-\d\d-\d\d )?\d\d:\d\d\n",
                        done.stdout), done.stdout


def test_status_json_has_the_documented_keys(practice):
    now = datetime.now(timezone.utc)
    failing = record(failures=4, failing_since=(now - HOUR).isoformat(),
                     last_error="calendar server error: cannot reach it",
                     last_run=run(now, "failed", 0, "ServerError: cannot reach it"),
                     last_good_run=run(now - 2 * HOUR))
    write_record(practice, failing)
    done = status(practice, "--json")
    doc = json.loads(done.stdout)
    assert done.returncode == 11
    assert {"last_sync", "result", "counts", "next_run", "failing_since", "last_error",
            "healthy", "problems"} <= set(doc)
    assert doc["result"] == "failed" and doc["failing_since"] and not doc["healthy"]
    assert doc["counts"] == {"created": 0, "updated": 0, "deleted": 0}


def test_status_without_a_record_is_unhealthy_and_creates_nothing(practice):
    before = sorted(practice.root.rglob("*"))
    done = status(practice)
    assert done.returncode == 11 and "no daemon record" in done.stdout
    assert sorted(practice.root.rglob("*")) == before


def test_status_needs_no_key_and_no_store(practice):
    assert not practice.key_path.exists() and not practice.store_path.exists()
    write_record(practice, record(daemon="stopped", last_good_run=None, last_run=None))
    done = status(practice)
    assert done.returncode == 11 and "not running" in done.stdout


def test_status_reports_a_broken_config_with_exit_3(practice):
    practice.write("timezone = \n")
    assert status(practice).returncode == 3
