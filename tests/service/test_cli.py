"""The command line as a user meets it: real subprocesses, real files, exit codes."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config" / "example.toml"
SYSTEMD_VARS = ("CREDENTIALS_DIRECTORY", "STATE_DIRECTORY", "JOURNAL_STREAM", "NOTIFY_SOCKET",
                "PSEUDOCAL_CONFIG")


def pseudocal(*args: str, env: dict | None = None, stdin: str | None = None,
              timeout: float = 60) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in SYSTEMD_VARS}
    return subprocess.run([sys.executable, "-m", "pseudocal", *args], capture_output=True,
                          text=True, env={**base, **(env or {})}, input=stdin, timeout=timeout)


@pytest.fixture
def state(tmp_path) -> dict:
    """Environment that puts the example config's state (store, key) in tmp_path."""
    return {"PSEUDOCAL_STATE_DIR": str(tmp_path / "state")}


def test_example_config_is_accepted_by_check(state):
    env = state
    result = pseudocal("check", "--offline", "--config", str(EXAMPLE), env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok    config" in result.stdout


def test_example_config_with_its_clients_passes_every_offline_check(state):
    env = state
    assert pseudocal("init", "--config", str(EXAMPLE), env=env).returncode == 0
    for name, pseudonym in (("Test Client One", "Amber Falcon"), ("Test Client Two", "Quiet Heron"),
                            ("Test Client Three", "Silver Maple")):
        added = pseudocal("client", "add", "--pseudonym", pseudonym, "--json",
                          "--config", str(EXAMPLE), env=env, stdin=json.dumps({"name": name}))
        assert added.returncode == 0, added.stderr
        assert json.loads(added.stdout)["pseudonym"] == pseudonym
    result = pseudocal("check", "--offline", "--json", "--config", str(EXAMPLE), env=env)
    doc = json.loads(result.stdout)
    assert result.returncode == 0 and doc["ok"], doc
    assert {c["what"] for c in doc["checks"]} >= {"config", "key", "store"}

    # a real name (or a part of it) typed into client = by mistake: named by place only
    for typed in ("Test Client Three", "Client Three", "Thr\u0435e"):
        mistaken = Path(state["PSEUDOCAL_STATE_DIR"]) / "mistaken.toml"
        mistaken.write_text(EXAMPLE.read_text(encoding="utf-8").replace(
            '"Silver Maple"', json.dumps(typed)), encoding="utf-8")
        result = pseudocal("check", "--offline", "--config", str(mistaken), env=env)
        said = result.stdout + result.stderr
        assert result.returncode == 3, said
        assert "this names a client" in said and "Three" not in said and "\u0435" not in said
        assert "sessions[" in said


def test_init_writes_a_0600_key_and_refuses_to_run_twice(state):
    env = state
    first = pseudocal("init", "--config", str(EXAMPLE), env=env)
    assert first.returncode == 0 and "Back the key up" in first.stdout
    key = Path(state["PSEUDOCAL_STATE_DIR"]) / "store-key"
    assert key.stat().st_mode & 0o777 == 0o600
    store = Path(state["PSEUDOCAL_STATE_DIR"]) / "store.db"
    before = store.read_bytes()
    again = pseudocal("init", "--config", str(EXAMPLE), env=env)
    assert again.returncode == 10 and "left untouched" in again.stderr
    assert store.read_bytes() == before


@pytest.fixture
def initialised(state) -> tuple[dict, Path]:
    env = state
    assert pseudocal("init", "--config", str(EXAMPLE), env=env).returncode == 0
    for name in ("Test Client One", "Test Client Two"):
        doc = json.dumps({"name": name, "email": "one@example.org"})
        assert pseudocal("client", "add", "--config", str(EXAMPLE), env=env,
                         stdin=doc).returncode == 0
    return env, Path(state["PSEUDOCAL_STATE_DIR"])


def test_client_list_and_show_decrypt_locally(initialised):
    env, _ = initialised
    listed = json.loads(pseudocal("client", "list", "--json", "--config", str(EXAMPLE),
                                  env=env).stdout)
    names = {c["name"] for c in listed["clients"]}
    assert names == {"Test Client One", "Test Client Two"}
    one = listed["clients"][0]
    shown = pseudocal("client", "show", one["pseudonym"], "--config", str(EXAMPLE), env=env)
    assert shown.returncode == 0 and one["name"] in shown.stdout
    missing = pseudocal("client", "show", "No Such Pseudonym", "--config", str(EXAMPLE), env=env)
    assert missing.returncode == 9


def test_wrong_key_is_exit_4_and_the_store_is_untouched(initialised):
    env, state = initialised
    before = (state / "store.db").read_bytes()
    (state / "store-key").unlink()
    other = pseudocal("init", "--config", str(EXAMPLE), env=env)  # refuses: store exists
    assert other.returncode == 10
    from pseudocal import crypto
    crypto.write_key_file(state / "store-key", crypto.generate_key())
    result = pseudocal("client", "list", "--config", str(EXAMPLE), env=env)
    assert result.returncode == 4, result.stderr
    assert "does not open" in result.stderr or "wrong" in result.stderr
    assert (state / "store.db").read_bytes() == before


def test_truncated_store_is_exit_5_and_never_recreated(initialised):
    env, state = initialised
    store = state / "store.db"
    data = store.read_bytes()
    store.write_bytes(data[: len(data) // 2])
    result = pseudocal("client", "list", "--config", str(EXAMPLE), env=env)
    assert result.returncode == 5, result.stderr
    assert "backup" in result.stderr
    assert store.read_bytes() == data[: len(data) // 2]


def test_swapped_ciphertext_is_exit_5_and_names_no_one(initialised):
    env, state = initialised
    with sqlite3.connect(state / "store.db") as db:
        rows = db.execute("SELECT id, name_ct FROM clients ORDER BY id").fetchall()
        db.execute("UPDATE clients SET name_ct = ? WHERE id = ?", (rows[1][1], rows[0][0]))
    result = pseudocal("client", "list", "--config", str(EXAMPLE), env=env)
    assert result.returncode == 5, result.stderr
    assert "Test Client" not in result.stderr and "clients" in result.stderr


def test_missing_config_is_exit_3_with_the_path(tmp_path):
    missing = tmp_path / "nope.toml"
    result = pseudocal("sync", "--config", str(missing))
    assert result.returncode == 3 and str(missing) in result.stderr


def test_bad_config_lists_every_problem_with_its_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('timezone = "Mars/Olympus"\n[calendar]\nurl = "http://127.0.0.1:1/c/"\n'
                   'pasword_file = "x"\n[[sessions]]\nclient = "A B"\nstart = 2026-12-01T10:00:00\n'
                   'duration = "50"\n')
    result = pseudocal("check", "--config", str(bad))
    assert result.returncode == 3
    for fragment in ("timezone", "calendar: a key that is not known here",
                     "did you mean 'password_file'?", "sessions[0].duration", "50m", str(bad)):
        assert fragment in result.stdout + result.stderr
    assert "pasword_file" not in result.stdout + result.stderr  # an unknown key: not repeated


def test_demo_once_pushes_and_a_second_sync_writes_nothing(tmp_path):
    result = pseudocal("demo", "--once", "--json", "--dir", str(tmp_path / "demo"))
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    first, second = doc["syncs"]
    kinds = [p["kind"] for p in doc["pushed"]]
    assert kinds.count("session") == 3 and kinds.count("supervision") == 1
    assert kinds.count("break") >= 3 and first["created"] == len(kinds)
    assert {p["calendar"] for p in doc["pushed"] if p["kind"] != "session"} == {"selfcare"}
    assert (second["created"], second["updated"], second["deleted"]) == (0, 0, 0)
    assert doc["calendar_url"].startswith("http://127.0.0.1:")
    for name in ("Jane Example", "Omar Sample", "Chloé Démo"):
        assert name not in result.stdout + result.stderr
    ics = "".join(p.read_text() for p in (Path(doc["storage"]) / "collection-root").rglob("*.ics")
                  if ".Radicale" not in str(p))
    assert "Jane" not in ics and "Omar" not in ics and "BEGIN:VEVENT" in ics


def test_usage_error_is_exit_2():
    assert pseudocal("frobnicate").returncode == 2


def test_key_rotation_rewraps_the_store_and_the_old_key_no_longer_opens_it(initialised):
    env, state = initialised
    old_key = (state / "store-key").read_bytes()
    before = json.loads(pseudocal("client", "list", "--json", "--config", str(EXAMPLE),
                                  env=env).stdout)
    rotated = pseudocal("key", "rotate", "--config", str(EXAMPLE), env=env)
    assert rotated.returncode == 0, rotated.stderr
    assert (state / "store-key").read_bytes() != old_key
    assert (state / "store-key").stat().st_mode & 0o777 == 0o600
    after = json.loads(pseudocal("client", "list", "--json", "--config", str(EXAMPLE),
                                 env=env).stdout)
    assert after == before
    (state / "store-key").write_bytes(old_key)
    assert pseudocal("client", "list", "--config", str(EXAMPLE), env=env).returncode == 4


def test_key_rotation_to_a_separate_file_for_a_systemd_credential(initialised, tmp_path):
    env, state = initialised
    old_key = (state / "store-key").read_bytes()
    new_file = tmp_path / "new-key"
    done = pseudocal("key", "rotate", "--new-key-file", str(new_file), "--config",
                     str(EXAMPLE), env=env)
    assert done.returncode == 0 and "systemd-creds encrypt" in done.stdout
    assert (state / "store-key").read_bytes() == old_key  # the credential is not touched
    assert pseudocal("client", "list", "--config", str(EXAMPLE), env=env).returncode == 4
    (state / "store-key").write_bytes(new_file.read_bytes())
    assert pseudocal("client", "list", "--config", str(EXAMPLE), env=env).returncode == 0


@pytest.mark.parametrize("argv", [("week", "2026-12-01"), ("check", "--offline")])
def test_output_piped_to_a_reader_that_has_gone_ends_quietly_with_141(state, argv):
    """`pseudocal week | head`: the reader closed before pseudocal wrote; no traceback."""
    base = {k: v for k, v in os.environ.items() if k not in SYSTEMD_VARS}
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written
    try:
        done = subprocess.run([sys.executable, "-m", "pseudocal", *argv, "--config",
                               str(EXAMPLE)], stdout=write_end, stderr=subprocess.PIPE,
                              text=True, env={**base, **state}, timeout=60)
    finally:
        os.close(write_end)
    assert done.returncode == 141, done.stderr
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr
