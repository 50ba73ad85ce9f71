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
from pseudocal.identity import pseudonyms

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


# ---------------------------------------------------------------- a config that cannot follow


def run_unwritable(config: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """The CLI given the config as /proc/self/fd/N: it reads the file, but cannot replace it
    (no file can be made beside it), as the system service cannot rewrite
    /etc/pseudocal/config.toml. Root could write anywhere else."""
    env = {k: v for k, v in os.environ.items() if k not in SYSTEMD_VARS}
    fd = os.open(config, os.O_RDONLY)
    try:
        return subprocess.run([str(PSEUDOCAL), *args, "--config", f"/proc/self/fd/{fd}"],
                              input=stdin, capture_output=True, text=True, env=env,
                              timeout=120, pass_fds=[fd])
    finally:
        os.close(fd)


def test_a_rotation_the_config_cannot_follow_still_retitles_the_event_and_says_so(
        practice, radicale, tmp_path):
    """The daemon's config keeps naming the old pseudonyms (it could not be rewritten): the
    daemon maps them to the clients' current pseudonyms, so its next sync re-titles the
    events and the old (colliding) titles leave the server; its log warns, naming the
    session and the new pseudonym, never the old one, and nothing in it ties a title to a
    name; it restarts on that config; an unknown value in `client =` reads the same in the
    log whether it is a typo or a real name."""
    from daemonproc import DaemonProcess, NotifyListener, status_json, wait_for
    config = practice.config
    add(config, {"name": "Test Person Alpha", "pseudonym": "Hilltop Mica"})
    add(config, {"name": "Test Person Beta"}, "--pseudonym", "Quiet Heron")
    start = next_monday()
    practice.sessions = [Session("Hilltop Mica", f"{start}T10:00:00"),
                         Session("Quiet Heron", f"{start}T14:00:00")]
    practice.write_config()
    config.write_text(config.read_text().replace("[sync]\n", '[sync]\nevery = "1s"\n'))
    daemon_config = config.read_text()
    listener = NotifyListener()
    log = tmp_path / "daemon.log"
    daemon = DaemonProcess(config, log, env={"NOTIFY_SOCKET": listener.name})
    try:
        listener.wait("STATUS", "2 created", timeout=30)
        before = summaries(radicale)
        assert sorted(before.values()) == ["Hilltop Mica", "Quiet Heron"]

        # a client whose name holds "Mica" and whose email holds "heron": both rotate
        mark = len(daemon.log())  # before this, the titles named nobody
        added = run_unwritable(config, "client", "add", "--json",
                               stdin=json.dumps({"name": "Mica Jones",
                                                 "email": "heron@example.org"}))
        assert added.returncode == 0, added.stderr
        rotated = {r["old"]: r for r in json.loads(added.stdout)["rotated"]}
        assert set(rotated) == {"Hilltop Mica", "Quiet Heron"}
        assert all(r["config_lines_changed"] == 0 and r["config_error"]
                   for r in rotated.values())
        assert config.read_text() == daemon_config  # the daemon's config is as it was
        new = {old: r["pseudonym"] for old, r in rotated.items()}

        def retitled():
            titles = summaries(radicale)
            return titles if sorted(titles.values()) == sorted(new.values()) else None
        after = wait_for(retitled, 30, step=0.2, what="the events re-titled")
        assert after.keys() == before.keys()  # the same events, updated in place
        stored = stored_text(radicale).lower()
        assert b"mica" not in stored and b"heron" not in stored  # the old titles left
        said = daemon.log()[mark:]
        for index, old in enumerate(["Hilltop Mica", "Quiet Heron"]):
            assert (f"sessions[{index}].client uses a pseudonym that was replaced; write the "
                    f'current one (pseudocal client list): client = "{new[old]}"') in said
        # and `status` shows it while the daemon runs (its record, after that sync)
        wait_for(lambda: sum("uses a pseudonym that was replaced" in w
                             for w in status_json(config)[1]["warnings"]) == 2, 15,
                 step=0.5, what="the warning in status")
    finally:
        assert daemon.stop() == 0, daemon.log()

    said = daemon.log()[mark:]
    assert "updated" in said  # the re-titling sync is in it
    for word in ("Mica", "Hilltop", "Heron", "Jones", "heron@", "names a client", "[redacted]"):
        assert word not in said, word
    assert said.count("uses a pseudonym that was replaced") == 2  # once each, not every sync

    checked = run(config, "check", "--offline", "--json")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    warned = [c["detail"] for c in json.loads(checked.stdout)["checks"] if c["status"] == "warn"]
    assert sum("uses a pseudonym that was replaced" in w for w in warned) == 2
    assert "Mica" not in checked.stdout and "Heron" not in checked.stdout

    synced = run(config, "sync", "--json")  # by hand: nothing left to change; status knows
    assert synced.returncode == 0, synced.stderr
    assert (json.loads(synced.stdout)["created"], json.loads(synced.stdout)["updated"]) == (0, 0)
    _, status = status_json(config)
    assert sum("uses a pseudonym that was replaced" in w for w in status["warnings"]) == 2
    assert "Mica" not in json.dumps(status) and "Heron" not in json.dumps(status)

    # the daemon starts again on that config, and an unknown value is a config error that
    # reads the same for a real name as for a typo
    for typed in ("Mica Jones", "Hilltop Mika"):
        config.write_text(daemon_config.replace('"Quiet Heron"', json.dumps(typed)))
        restarted = DaemonProcess(config, tmp_path / f"again-{typed[-4:]}.log")
        code = restarted.proc.wait(30)
        said = restarted.log()
        restarted.close()
        assert code == 3, said
        assert "sessions[1].client: no client has this pseudonym" in said
        assert "names a client" not in said and "Jones" not in said and "Mika" not in said
    config.write_text(daemon_config)
    listener.close()
    listener = NotifyListener()
    again = DaemonProcess(config, tmp_path / "again.log", env={"NOTIFY_SOCKET": listener.name})
    try:
        assert "0 created, 0 updated, 0 deleted" in listener.wait("STATUS", "last sync",
                                                                  timeout=30)
    finally:
        assert again.stop() == 0, again.log()
        listener.close()


def test_a_new_clients_email_or_notes_rotate_the_pseudonyms_they_would_block(practice,
                                                                             radicale):
    """The check before sending blocks a pseudonym holding any identity field, not only a
    name: an email's local part, a note. Adding such a client rotates the pseudonym at
    once, so every sync keeps publishing (no exit 8)."""
    config = practice.config
    add(config, {"name": "Test Person Alpha"}, "--pseudonym", "Quiet Heron")
    add(config, {"name": "Test Person Beta"}, "--pseudonym", "Rapid Stickleback")
    add(config, {"name": "Test Person Gamma"}, "--pseudonym", "Amber Cobble")
    start = next_monday()
    practice.sessions = [Session("Quiet Heron", f"{start}T10:00:00"),
                         Session("Rapid Stickleback", f"{start}T12:00:00"),
                         Session("Amber Cobble", f"{start}T14:00:00")]
    practice.write_config()
    assert run(config, "sync").returncode == 0

    added = add(config, {"name": "Test Person Delta", "email": "heron@example.org",
                         "notes": "stickleback"}, "--json")
    assert {r["old"] for r in json.loads(added.stdout)["rotated"]} == {
        "Quiet Heron", "Rapid Stickleback"}  # "Amber Cobble" stays: nothing holds it
    synced = run(config, "sync", "--json")
    assert synced.returncode == 0, synced.stderr  # not 8: every title can be sent
    clients = listing(config)
    assert sorted(summaries(radicale).values()) == sorted(
        p for name, p in clients.items() if name != "Test Person Delta")
    edited = run(config, "client", "edit", clients["Test Person Delta"], "--json",
                 stdin='notes = "cobble"\n')  # an edit rotates as an add does
    assert edited.returncode == 0, edited.stderr
    assert [r["old"] for r in json.loads(edited.stdout)["rotated"]] == ["Amber Cobble"]
    assert run(config, "sync").returncode == 0
