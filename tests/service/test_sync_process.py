"""`pseudocal sync` as a process against the embedded Radicale, then a Xandikos: the
progress bar in a real terminal, and a sync killed half-way converging on the next."""
from __future__ import annotations

import pytest
from icalendar import Calendar

from practice import Session
from synced_practice import monday, sync_json, three_clients, writes


@pytest.fixture
def server(dav_server):
    return dav_server


@pytest.fixture
def practice(tmp_path, server, capsys):
    return three_clients(tmp_path, server, capsys)


def run_in_terminal(argv: list[str], timeout: float = 60) -> tuple[int, str]:
    """Run a command with a real pseudo-terminal as stdout and stderr."""
    import os
    import pty
    import select
    import subprocess
    import time
    master, slave = pty.openpty()
    proc = subprocess.Popen(argv, stdout=slave, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    chunks, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 4096)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(master)
    return proc.wait(timeout=10), b"".join(chunks).decode("utf-8", "replace")


def test_a_long_push_shows_a_progress_bar_in_a_terminal_and_log_lines_otherwise(
        practice, server, capsys):
    import subprocess
    import sys
    extra = [Session(practice.sessions[0].client, f"{monday(w)}T{8 + w}:00:00", repeat="once")
             for w in range(2, 8)]
    practice.sessions += extra
    practice.write_config()
    argv = [sys.executable, "-m", "pseudocal", "sync", "--config", str(practice.config)]
    code, screen = run_in_terminal(argv)
    assert code == 0, screen
    assert "] 9/9" in screen and "[" + "#" * 30 + "]" in screen
    assert "INFO pseudocal.sync: create" not in screen
    practice.sessions[0].duration = "55m"
    practice.write_config()
    piped = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert piped.returncode == 0
    assert "#" not in piped.stderr and "INFO pseudocal.sync: update" in piped.stderr


@pytest.mark.parametrize("kill_after_writes", [1, 12, 25])
def test_kill_during_a_sync_then_restart_converges_without_duplicates(
        practice, server, capsys, kill_after_writes):
    import signal
    import subprocess
    import sys
    import time
    practice.sessions += [Session(practice.sessions[0].client, f"{monday(1)}T{h:02d}:00:00",
                                  repeat="once", duration="30m") for h in range(11, 23)]
    practice.sessions += [Session(practice.sessions[1].client, f"{monday(2)}T{h:02d}:00:00",
                                  repeat="once", duration="30m") for h in range(8, 23)]
    practice.write_config()
    argv = [sys.executable, "-m", "pseudocal", "sync", "--config", str(practice.config)]
    server.reset_counters()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while len(writes(server)) < kill_after_writes and time.monotonic() < deadline:
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert kill_after_writes <= len(writes(server)) < len(practice.sessions)
    result = sync_json(practice, capsys)
    files = [f for f in server.collection_dir().glob("*.ics") if f.name != "foreign.ics"]
    assert len(files) == len(practice.sessions)
    starts = [(Calendar.from_ical(f.read_bytes()).walk("VEVENT")[0]["SUMMARY"],
               Calendar.from_ical(f.read_bytes()).walk("VEVENT")[0]["DTSTART"].dt) for f in files]
    assert len(set(starts)) == len(starts)  # no duplicate (same title and start)
    assert result["created"] + result["updated"] <= len(practice.sessions)
    assert sync_json(practice, capsys)["created"] == 0
