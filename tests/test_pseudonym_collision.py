"""A pseudonym drawn before a client joined never stays once it shares a word with their name.

Real Radicale on loopback, the real `pseudocal` command in subprocesses, and one config file
that only the CLI rewrites after the start (no test helper writes it again).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar

from practice import Practice, Session
from pseudocal import pseudonyms

pytestmark = pytest.mark.integration

PSEUDOCAL = Path(sys.executable).with_name("pseudocal")
SYSTEMD_VARS = ("CREDENTIALS_DIRECTORY", "STATE_DIRECTORY", "JOURNAL_STREAM", "NOTIFY_SOCKET",
                "PSEUDOCAL_CONFIG")


def run(config: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in SYSTEMD_VARS}
    return subprocess.run([str(PSEUDOCAL), *args, "--config", str(config)], input=stdin,
                          capture_output=True, text=True, env=env, timeout=120)


def add(config: Path, doc: dict, *args: str) -> subprocess.CompletedProcess:
    done = run(config, "client", "add", *args, stdin=json.dumps(doc))
    assert done.returncode == 0, done.stderr
    return done


def listing(config: Path) -> dict[str, str]:
    """name -> pseudonym."""
    done = run(config, "client", "list", "--json")
    assert done.returncode == 0, done.stderr
    return {c["name"]: c["pseudonym"] for c in json.loads(done.stdout)["clients"]}


def stored_text(server) -> bytes:
    """Every byte Radicale keeps: the objects, its caches and its sync history."""
    return b"".join(f.read_bytes() for f in sorted(server.storage_dir.rglob("*")) if f.is_file())


def summaries(server) -> dict[str, str]:
    """href -> SUMMARY of each object in the practice calendar."""
    out = {}
    for f in server.collection_dir().glob("*.ics"):
        out[f.name] = str(Calendar.from_ical(f.read_bytes()).walk("VEVENT")[0]["SUMMARY"])
    return out


def next_monday() -> date:
    return date.today() + timedelta(days=(7 - date.today().weekday()) % 7 + 7)


def no_pseudonym_shares_a_word_with_a_name(clients: dict[str, str]) -> bool:
    return not any(pseudonyms.shares_word(p, name) for p in clients.values() for name in clients)


@pytest.fixture
def practice(tmp_path, radicale) -> Practice:
    assert PSEUDOCAL.exists(), f"{PSEUDOCAL} is missing: make venv"
    p = Practice(tmp_path / "practice", radicale.calendar_url())
    p.root.mkdir()
    p.write_config()
    assert run(p.config, "init").returncode == 0
    return p


def test_a_new_clients_name_rotates_an_older_pseudonym_and_the_server_follows(
        practice, radicale):
    config = practice.config
    add(config, {"name": "Test Person Alpha", "pseudonym": "Hilltop Mica"})
    add(config, {"name": "Test Person Beta"}, "--pseudonym", "Quiet Heron")
    start = next_monday()
    practice.sessions = [Session("Hilltop Mica", f"{start}T10:00:00"),
                         Session("Quiet Heron", f"{start}T14:00:00")]
    practice.write_config()  # the last time the test writes the config: the CLI owns it now

    first = run(config, "sync", "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["created"] == 2
    before = summaries(radicale)
    assert sorted(before.values()) == ["Hilltop Mica", "Quiet Heron"]  # the test can fail

    radicale.reset_counters()
    added = add(config, {"name": "Mica Jones", "email": "mica@example.org"})
    out = added.stdout + added.stderr
    assert "rotated Hilltop Mica to " in added.stdout and "1 session(s)" in added.stdout
    assert "Jones" not in out and "mica@" not in out
    clients = listing(config)
    rotated = clients["Test Person Alpha"]
    assert rotated != "Hilltop Mica" and not pseudonyms.shares_word(rotated, "Mica Jones")
    assert clients["Test Person Beta"] == "Quiet Heron"  # no clash, no rotation
    assert no_pseudonym_shares_a_word_with_a_name(clients)
    text = config.read_text()
    assert "Mica" not in text and f'client = "{rotated}"' in text
    assert radicale.requests == []  # adding a client sends nothing

    second = run(config, "sync", "--json")
    assert second.returncode == 0, second.stderr
    doc = json.loads(second.stdout)
    assert (doc["created"], doc["updated"], doc["deleted"]) == (0, 1, 0)
    after = summaries(radicale)
    assert after.keys() == before.keys()  # the same event, re-titled
    assert sorted(after.values()) == sorted([rotated, "Quiet Heron"])
    assert not any(b"mica" in r.body.lower() for r in radicale.requests)
    assert b"mica" not in stored_text(radicale).lower()
    third = run(config, "sync", "--json")
    assert json.loads(third.stdout)["updated"] == 0


def test_editing_a_name_rotates_the_pseudonyms_it_collides_with(practice, radicale):
    config = practice.config
    add(config, {"name": "Test Person Alpha"}, "--pseudonym", "Amber Cobble")
    add(config, {"name": "Test Person Beta"}, "--pseudonym", "Quiet Heron")
    start = next_monday()
    practice.sessions = [Session("Amber Cobble", f"{start}T10:00:00"),
                         Session("Quiet Heron", f"{start}T14:00:00")]
    practice.write_config()

    # Beta's new name collides with Alpha's pseudonym and with Beta's own
    edited = run(config, "client", "edit", "Quiet Heron", "--json",
                 stdin='name = "Quiet Cobble"\n')
    assert edited.returncode == 0, edited.stderr
    doc = json.loads(edited.stdout)
    assert doc["changed"] == ["name"]
    assert {r["old"] for r in doc["rotated"]} == {"Amber Cobble", "Quiet Heron"}
    assert all(r["config_lines_changed"] == 1 for r in doc["rotated"])
    assert "Cobble" not in edited.stdout.replace("Amber Cobble", "")
    clients = listing(config)
    assert set(clients) == {"Test Person Alpha", "Quiet Cobble"}
    assert doc["pseudonym"] == clients["Quiet Cobble"]
    assert no_pseudonym_shares_a_word_with_a_name(clients)
    text = config.read_text()
    assert all(f'client = "{p}"' in text for p in clients.values())
    assert "Cobble" not in text and "Quiet" not in text

    synced = run(config, "sync", "--json")
    assert synced.returncode == 0, synced.stderr
    assert sorted(summaries(radicale).values()) == sorted(clients.values())


def test_a_pseudonym_chosen_for_a_new_client_must_be_free_and_refusal_rotates_nothing(
        practice):
    config = practice.config
    add(config, {"name": "Test Person Alpha"}, "--pseudonym", "Hilltop Mica")
    taken = run(config, "client", "add", "--pseudonym", "Hilltop Mica",
                stdin='{"name": "Test Person Beta"}')
    assert taken.returncode == 9 and "already in use" in taken.stderr
    own = run(config, "client", "add", "--pseudonym", "Mica Lantern",
              stdin='{"name": "Mica Jones"}')
    assert own.returncode == 9  # its own name: refused before anything is written
    assert listing(config) == {"Test Person Alpha": "Hilltop Mica"}
