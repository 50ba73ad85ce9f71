"""The daemon (`pseudocal run`) as a real subprocess: notify protocol, reload, stop, outage.

Each test bounds every wait; the daemon runs with a short `every` against the `radicale`
fixture (in this process) and a datagram socket standing in for systemd's NOTIFY_SOCKET.
"""
from __future__ import annotations

import random
import signal
import socket
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from daemonproc import (
    DaemonProcess,
    NotifyListener,
    Practice,
    calendar_hrefs,
    pseudocal,
    status_json,
    wait_for,
)
from knobs import knobs
from pseudocal.service import health, notify


@pytest.fixture
def listener():
    sock = NotifyListener()
    yield sock
    sock.close()


def start(practice: Practice, listener: NotifyListener, tmp_path: Path, **env) -> DaemonProcess:
    env = {"NOTIFY_SOCKET": listener.name, **env}
    return DaemonProcess(practice.write(), tmp_path / "daemon.log", env=env)


def puts(server) -> int:
    return sum(1 for r in server.requests if r.method == "PUT")


# ---------------------------------------------------------------- notify protocol


def test_ready_watchdog_status_and_a_clean_stop(tmp_path, radicale_url, radicale, listener):
    practice = Practice(tmp_path / "p", radicale_url).create(["Jane Example", "Omar Sample"])
    practice.sessions = [practice.weekly(0), practice.weekly(1, day=1)]
    daemon = start(practice, listener, tmp_path, WATCHDOG_USEC="1000000")
    try:
        assert listener.wait("READY") == "1"
        status = listener.wait("STATUS", "ok: 2 created")
        assert status.startswith("last sync ") and "; next " in status
        assert listener.wait("WATCHDOG") == "1"
        assert len(calendar_hrefs(radicale)) == 2
        code, doc = status_json(practice.config)
        assert code == 0 and doc["healthy"] and doc["result"] == "ok", doc
        assert doc["next_run"] and doc["failing_since"] is None
    finally:
        assert daemon.stop() == 0, daemon.log()
    assert listener.fields("STOPPING") == ["1"]
    assert "Jane Example" not in daemon.log()
    code, doc = status_json(practice.config)
    assert code == 11 and doc["daemon"]["state"] == "stopped"


def test_it_runs_as_the_system_unit_starts_it(tmp_path, radicale_url, listener):
    """Relative key_file/password_file in $CREDENTIALS_DIRECTORY, the store in
    $STATE_DIRECTORY, journald output; no WATCHDOG_USEC, so no pings."""
    practice = Practice(tmp_path / "p", radicale_url).create(["Jane Example"])
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "store-key").write_bytes(practice.key_path.read_bytes())
    (credentials / "caldav-password").write_text("secret\n")
    practice.key_path.unlink()
    practice.sessions = [practice.weekly(0)]
    text = practice.text().replace(f'path = "{practice.store_path}"', 'path = "store.db"')
    text = text.replace(f'key_file = "{practice.key_path}"', 'key_file = "store-key"')
    text = text.replace('server = "radicale"', 'server = "radicale"\nusername = "alex"\n'
                        'password_file = "caldav-password"')
    env = {"NOTIFY_SOCKET": listener.name, "CREDENTIALS_DIRECTORY": str(credentials),
           "STATE_DIRECTORY": str(practice.store_path.parent), "JOURNAL_STREAM": "8:1"}
    daemon = DaemonProcess(practice.write(text), tmp_path / "daemon.log", env=env)
    try:
        listener.wait("STATUS", "ok: 1 created")
        assert listener.fields("WATCHDOG") == []
    finally:
        assert daemon.stop() == 0, daemon.log()
    assert daemon.log().startswith("<6>INFO pseudocal.daemon: started")
    assert "secret" not in daemon.log()


def test_notifier_sends_to_a_path_socket_and_is_a_no_op_without_one():
    folder = Path(tempfile.mkdtemp(prefix="pc-", dir="/tmp"))
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(folder / "n"))
        sock.settimeout(2)
        assert notify.Notifier(str(folder / "n")).send(READY=1, STATUS="two\nlines")
        assert sock.recv(1024) == b"READY=1\nSTATUS=two lines"
    assert not notify.Notifier.from_env({}).send(READY=1)
    assert not notify.Notifier(str(folder / "gone")).send(READY=1)  # logged, never raised


def test_a_full_notify_queue_drops_messages_instead_of_blocking_the_daemon():
    """A reader that never reads: after the queue (max_dgram_qlen) fills, every further
    send returns at once, dropped, in a thread that would otherwise hang forever."""
    import threading
    folder = Path(tempfile.mkdtemp(prefix="pc-", dir="/tmp"))
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(str(folder / "n"))
        notifier = notify.Notifier(str(folder / "n"))
        results: list[bool] = []
        sender = threading.Thread(
            target=lambda: results.extend(notifier.send(WATCHDOG=1) for _ in range(200)),
            daemon=True)
        sender.start()
        sender.join(timeout=10)
        assert not sender.is_alive(), "a send blocked on the full queue"
        assert results[0] and not results[-1] and len(results) == 200
        received = 0
        sock.settimeout(0.5)
        try:
            while received < 200:
                sock.recv(64)
                received += 1
        except TimeoutError:
            pass
        assert 0 < received == results.count(True) < 200


def test_watchdog_interval_is_half_of_watchdog_usec():
    assert notify.watchdog_interval({"WATCHDOG_USEC": "60000000"}) == 30.0
    assert notify.watchdog_interval({}) is None
    assert notify.watchdog_interval({"WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"}) is None


# ---------------------------------------------------------------- reload


def test_reload_applies_a_good_config_and_keeps_the_last_good_one(tmp_path, radicale_url,
                                                                   radicale, listener):
    practice = Practice(tmp_path / "p", radicale_url).create(["Jane Example", "Omar Sample"])
    practice.sessions = [practice.weekly(0)]
    daemon = start(practice, listener, tmp_path)
    try:
        listener.wait("STATUS", "ok: 1 created")
        practice.sessions.append(practice.weekly(1, day=2))
        practice.write()
        daemon.signal(signal.SIGHUP)
        wait_for(lambda: len(calendar_hrefs(radicale)) == 2, 10, what="the new session")
        before = calendar_hrefs(radicale)

        practice.write(practice.text().replace('duration = "50m"', 'duration = "fifty"', 1))
        daemon.signal(signal.SIGHUP)
        seen = len(listener.fields("STATUS"))
        assert "config error, last good config kept" in listener.wait("STATUS", "config error")
        wait_for(lambda: "sessions[0].duration" in daemon.log(), 5, what="the key path")
        assert f"{practice.config}: sessions[0].duration" in daemon.log()
        listener.wait("STATUS", "ok: 0 created", after=seen + 1)  # still syncing, old config
        assert daemon.alive() and calendar_hrefs(radicale) == before  # nothing deleted
        assert "sessions[0].duration" in health.read_state(practice.status_file)[0][
            "config_error"]

        practice.write()  # fixed, without a signal: the file watcher notices
        wait_for(lambda: "(the config file changed)" in daemon.log(), 10, what="watcher")
        wait_for(lambda: health.read_state(practice.status_file)[0]["config_error"] is None,
                 5, what="the status file to clear the config error")

        # valid TOML, but a break title with part of a client's name (a Cyrillic look-alike
        # letter in it): not taken on, and the key is named, never the word
        named = practice.text().replace("[breaks]", '[breaks]\ntitle = "Screen break for '
                                        'J\u0430ne"', 1)
        practice.write(named)
        daemon.signal(signal.SIGHUP)
        wait_for(lambda: (health.read_state(practice.status_file)[0] or {}).get(
            "config_error"), 10, what="the privacy check to refuse the reload")
        wait_for(lambda: "breaks.title: this text contains a client's name" in daemon.log(), 5,
                 what="the key and the rule in the log")
        assert daemon.alive() and calendar_hrefs(radicale) == before
        assert "jane" not in daemon.log().casefold() and "j\u0430ne" not in daemon.log()
    finally:
        assert daemon.stop() == 0, daemon.log()


# ---------------------------------------------------------------- stop during a sync


def test_sigterm_during_a_long_sync_exits_0_with_every_action_recorded(tmp_path, radicale_url,
                                                                       radicale, listener):
    practice = Practice(tmp_path / "p", radicale_url, every="1h").create(["Jane Example"])
    practice.sessions = [practice.once(0, day, hour) for day in range(40) for hour in (9, 12, 15)]
    daemon = start(practice, listener, tmp_path)
    try:
        listener.wait("READY")
        wait_for(lambda: puts(radicale) >= 5, 20, what="the sync to be under way")
        daemon.signal(signal.SIGTERM)
        assert daemon.proc.wait(15) == 0, daemon.log()
    finally:
        daemon.close()
    records = practice.records()
    on_server = calendar_hrefs(radicale)
    assert 5 <= len(on_server) < 120, "the stop came too late to test anything"
    assert {r.href for r in records.values()} == on_server
    last = practice.runs(1)[0]
    assert last["result"] == "stopped" and last["created"] == len(on_server)
    assert listener.fields("STOPPING") == ["1"]


# ---------------------------------------------------------------- outage


def test_a_server_outage_backs_off_keeps_running_and_converges(tmp_path, radicale_url,
                                                                 radicale, listener):
    practice = Practice(tmp_path / "p", radicale_url, every="1s").create(["Jane Example",
                                                                          "Omar Sample"])
    practice.sessions = [practice.weekly(0)]
    daemon = start(practice, listener, tmp_path)
    try:
        listener.wait("STATUS", "ok: 1 created")
        radicale.stop()
        assert "cannot reach" in listener.wait("STATUS", "sync failing since")
        wait_for(lambda: failures(practice) >= health.FAILING_AFTER, 15, what="failures")
        code, doc = status_json(practice.config)
        assert code == 11 and doc["failing_since"] and "cannot reach" in doc["last_error"]
        practice.sessions.append(practice.weekly(1, day=3))  # a change made during the outage
        practice.write()
        daemon.signal(signal.SIGHUP)  # validated offline, applied, tried at once (and failed)
        wait_for(lambda: "config reloaded (SIGHUP)" in daemon.log(), 5, what="the reload")
        assert daemon.alive()
        seen = len(listener.fields("STATUS"))
        radicale.restart()
        _, cap = health.retry_bounds(timedelta(seconds=1))
        listener.wait("STATUS", "ok: 1 created", timeout=cap + 5, after=seen)
        assert len(calendar_hrefs(radicale)) == 2
        code, doc = status_json(practice.config)
        assert code == 0 and doc["failing_since"] is None, doc
    finally:
        assert daemon.stop() == 0, daemon.log()


def test_an_emptied_config_is_refused_recorded_and_deletes_nothing(tmp_path, radicale_url,
                                                                     radicale, listener):
    practice = Practice(tmp_path / "p", radicale_url).create(["Jane Example", "Omar Sample"])
    practice.sessions = [practice.weekly(0), practice.weekly(1, day=1), practice.weekly(0, 2)]
    daemon = start(practice, listener, tmp_path)
    try:
        listener.wait("STATUS", "ok: 3 created")
        practice.sessions = []
        practice.write()  # a valid config: the reload succeeds, the sync must refuse
        daemon.signal(signal.SIGHUP)
        assert "sync refused" in listener.wait("STATUS", "sync failing since")
        assert daemon.alive() and len(calendar_hrefs(radicale)) == 3
        assert "--allow-deletes" in daemon.log()  # the next step is logged
    finally:
        assert daemon.stop() == 0, daemon.log()
    assert any(r["result"] == "failed" and r["error"].startswith("SafetyRefusal")
               for r in practice.runs(3))


def failures(practice: Practice) -> int:
    return (health.read_state(practice.status_file)[0] or {}).get("failures", 0)


# ---------------------------------------------------------------- start-up errors


@pytest.fixture
def offline(tmp_path) -> Practice:
    practice = Practice(tmp_path / "p", "http://127.0.0.1:9/practitioner/practice/")
    practice.create(["Jane Example"])
    practice.sessions = [practice.weekly(0)]
    practice.write()
    return practice


def run_once(practice: Practice, *args: str):
    return pseudocal("run", "--config", str(practice.config), *args, timeout=30)


def test_a_missing_or_broken_config_exits_3(offline, tmp_path):
    assert pseudocal("run", "--config", str(tmp_path / "none.toml")).returncode == 3
    offline.write(offline.text().replace("Amber Falcon0", "Amber Falcn0"))
    done = run_once(offline)
    assert done.returncode == 3 and "sessions[0].client" in done.stderr
    assert "Amber Falcon0" in done.stderr  # the did-you-mean hint


def test_a_wrong_key_exits_4_and_a_damaged_store_exits_5(offline):
    store_bytes = offline.store_path.read_bytes()
    key = offline.key_path.read_bytes()
    offline.key_path.write_bytes(key[:-8] + b"AAAAAAA\n")
    done = run_once(offline)
    assert done.returncode == 4, done.stderr
    offline.key_path.write_bytes(key)
    offline.store_path.write_bytes(store_bytes[:1000])
    done = run_once(offline)
    assert done.returncode == 5 and "damaged" in done.stderr
    assert offline.store_path.read_bytes() == store_bytes[:1000]  # never re-created


# ---------------------------------------------------------------- backoff (pure)


class Fixed(random.Random):
    """A "random" source that always lands at the same fraction of the range."""

    def __init__(self, fraction: float) -> None:
        super().__init__(0)
        self.fraction = fraction

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.fraction


bases = st.floats(min_value=0.1, max_value=600)
caps = st.floats(min_value=0.1, max_value=7200)


@given(st.integers(min_value=1, max_value=10_000), bases, caps, st.integers())
def test_backoff_is_bounded_by_the_cap(failures, base, cap, seed):
    delay = health.backoff(failures, base, cap, random.Random(seed))
    assert 0 < delay <= cap + 1e-9


@given(st.integers(min_value=1, max_value=200), bases, caps,
       st.floats(min_value=0, max_value=1))
def test_backoff_never_shrinks_as_failures_grow(failures, base, cap, fraction):
    rng = Fixed(fraction)  # same draw: so the expectation does not decrease either
    assert health.backoff(failures + 1, base, cap, rng) >= health.backoff(failures, base, cap,
                                                                          rng)


@given(st.integers(min_value=1, max_value=60), bases, caps, st.integers())
def test_backoff_jitter_stays_in_the_upper_half(failures, base, cap, seed):
    ceiling = min(cap, base * 2 ** (failures - 1))
    delay = health.backoff(failures, base, cap, random.Random(seed))
    assert ceiling / 2 - 1e-9 <= delay <= ceiling + 1e-9


def test_backoff_doubles_then_stops_at_the_cap_and_is_zero_without_failures():
    middle = Fixed(1.0)
    assert [health.backoff(n, 30, 900, middle) for n in range(7)] == [0, 30, 60, 120, 240,
                                                                      480, 900]


def test_retry_bounds_follow_the_interval():
    assert health.retry_bounds(timedelta(seconds=2)) == (2, 8)
    assert health.retry_bounds(timedelta(minutes=5)) == (30, 900)
    assert health.retry_bounds(timedelta(hours=1)) == (30, 3600)


def test_schedule_warnings_reach_the_log_and_status_with_the_ledger(
        tmp_path, radicale_url, listener):
    practice = Practice(tmp_path / "p", radicale_url).create(["Jane Example", "Omar Sample"])
    practice.sessions = [practice.weekly(0, hour=10), practice.weekly(1, hour=10)]
    config = practice.write(practice.text() + '\n[supervision]\nminimum_per_month = "1.5h"\n')
    daemon = DaemonProcess(config, tmp_path / "daemon.log", env={"NOTIFY_SOCKET": listener.name})
    try:
        listener.wait("STATUS", "ok:")
        code, doc = status_json(practice.config)
        assert code == 0, doc
        assert any("overlaps" in w for w in doc["warnings"]), doc["warnings"]
        assert doc["supervision"] and any(m["short"] for m in doc["supervision"])
        text = pseudocal("status", "--config", str(practice.config)).stdout
        assert "schedule warning:" in text and "supervision ledger:" in text
    finally:
        assert daemon.stop() == 0, daemon.log()
    assert "WARNING" in daemon.log() and "schedule: " in daemon.log()
    assert "Jane Example" not in daemon.log() + text


class DrippingServer:
    """A loopback HTTP server that answers every request with a header and then one byte
    every few seconds: a server that never quite times out. Bounded: it stops by itself."""

    def __init__(self, lifetime: float = 60.0) -> None:
        import threading
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.5)
        self.port = self.sock.getsockname()[1]
        self.stop_at = __import__("time").monotonic() + lifetime
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        import threading
        import time
        while time.monotonic() < self.stop_at:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn) -> None:
        import time
        try:
            conn.recv(65536)
            conn.sendall(b"HTTP/1.1 207 Multi-Status\r\nContent-Type: text/xml\r\n"
                         b"Content-Length: 100000\r\n\r\n")
            while time.monotonic() < self.stop_at:
                time.sleep(2)
                conn.sendall(b" ")
        except OSError:
            pass
        finally:
            conn.close()

    def close(self) -> None:
        self.stop_at = 0
        self.sock.close()


def test_a_server_that_never_finishes_answering_neither_blocks_the_stop_nor_feeds_the_watchdog(
        tmp_path, listener):
    import contextlib
    import time
    server = DrippingServer()
    with contextlib.ExitStack() as stack:
        stack.callback(server.close)
        url = f"http://127.0.0.1:{server.port}/practitioner/practice/"
        practice = Practice(tmp_path / "p", url).create(["Jane Example"])
        practice.sessions = [practice.weekly(0)]
        daemon = DaemonProcess(practice.write(), tmp_path / "daemon.log",
                               env={"NOTIFY_SOCKET": listener.name, "WATCHDOG_USEC": "1000000"},
                               prefix=knobs(STOP_GRACE=3, SYNC_STUCK_AFTER=2))
        stack.callback(daemon.close)  # never leave it behind, whatever fails
        assert listener.wait("READY") == "1"
        time.sleep(4)  # the first sync is now stuck in a response that never ends
        pings = len(listener.fields("WATCHDOG"))
        time.sleep(2.5)
        assert len(listener.fields("WATCHDOG")) == pings, "a stuck sync fed the watchdog"
        began = time.monotonic()
        code = daemon.stop(timeout=20)
        assert code == 0, daemon.log()
        assert time.monotonic() - began < 10
        assert "request still waiting" in daemon.log()


def test_a_second_daemon_on_the_same_store_exits_5_and_leaves_the_first_alone(
        tmp_path, radicale_url, listener):
    practice = Practice(tmp_path / "p", radicale_url).create(["Jane Example"])
    practice.sessions = [practice.weekly(0)]
    first = start(practice, listener, tmp_path)
    try:
        listener.wait("STATUS", "ok:")
        second = pseudocal("run", "--config", str(practice.config), timeout=30)
        assert second.returncode == 5 and "already using the store" in second.stderr
        assert first.alive()
        code, doc = status_json(practice.config)
        assert code == 0 and doc["daemon"]["running"], doc
    finally:
        assert first.stop() == 0, first.log()


# ---------------------------------------------------------------- clients changed meanwhile


def test_a_client_added_while_it_runs_takes_a_text_naming_them_off_at_once(
        tmp_path, radicale_url, radicale, listener):
    """A checklist written before Gwen was a client is online; `client add` (another
    process) adds Gwen Ng. The daemon notices the store changed and syncs within seconds,
    which puts pseudocal's own checklist on the events, instead of leaving the text online
    until its next turn (an hour here)."""
    practice = Practice(tmp_path / "p", radicale_url, every="1h").create(["Jane Example"])
    practice.sessions = [practice.weekly(0)]
    text = practice.text() + '\n[preparation]\nchecklist = "Phone Gwen about the rota"\n'
    daemon = DaemonProcess(practice.write(text), tmp_path / "daemon.log",
                           env={"NOTIFY_SOCKET": listener.name})

    def online() -> bytes:
        folder = radicale.collection_dir("practitioner", "practice")
        return b"".join(p.read_bytes() for p in folder.glob("*.ics")).lower()
    try:
        listener.wait("STATUS", "ok: 1 created")
        assert b"phone gwen" in online()
        before = calendar_hrefs(radicale)
        done = pseudocal("client", "add", "--config", str(practice.config),
                         stdin_text='{"name": "Gwen Ng"}')
        assert done.returncode == 0, done.stderr
        assert "preparation.checklist" in done.stdout and "gwen" not in done.stdout.lower()
        wait_for(lambda: b"gwen" not in online(), 15, what="the checklist to leave")
        assert calendar_hrefs(radicale) == before  # the same event, re-written
        assert "the clients changed" in daemon.log()
        assert "gwen" not in daemon.log().casefold()
    finally:
        assert daemon.stop() == 0, daemon.log()
