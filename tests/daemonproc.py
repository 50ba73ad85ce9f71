"""Test helpers for the daemon: a practice on disk, a notify socket, the daemon as a subprocess."""
from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from pseudocal import crypto
from pseudocal.models import ClientIdentity
from pseudocal.store import Store

SYSTEMD_VARS = ("CREDENTIALS_DIRECTORY", "STATE_DIRECTORY", "JOURNAL_STREAM", "NOTIFY_SOCKET",
                "PSEUDOCAL_CONFIG", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS")


def wait_for(predicate, timeout: float, step: float = 0.05, what: str = "condition"):
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(step)


def next_monday(weeks: int = 1) -> date:
    today = date.today()
    return today + timedelta(days=(0 - today.weekday()) % 7 + 7 * weeks)


@dataclass
class Practice:
    """A config file, a key and a store with clients, around one calendar URL."""
    root: Path
    url: str
    every: str = "2s"
    sync_extra: str = ""
    sessions: list[str] = field(default_factory=list)  # [[sessions]] blocks
    pseudonyms: list[str] = field(default_factory=list)

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    @property
    def store_path(self) -> Path:
        return self.root / "state" / "store.db"

    @property
    def key_path(self) -> Path:
        return self.root / "state" / "store-key"

    @property
    def status_file(self) -> Path:
        return self.store_path.with_name("store.db.status.json")

    def create(self, clients: list[str | ClientIdentity]) -> "Practice":
        """Key, store and the clients (pseudonyms chosen, so tests know them)."""
        crypto.write_key_file(self.key_path, crypto.generate_key())
        with Store.create(self.store_path, crypto.load_key_file(self.key_path)) as store:
            for n, who in enumerate(clients):
                who = ClientIdentity(who) if isinstance(who, str) else who
                pseudonym = f"{('Amber', 'Quiet', 'Silver', 'Olive')[n % 4]} Falcon{n}"
                self.pseudonyms.append(store.add_client(who, pseudonym).pseudonym)
        return self

    def weekly(self, client: int, day: int = 0, hour: int = 10) -> str:
        start = next_monday() + timedelta(days=day)
        return (f'[[sessions]]\nclient = "{self.pseudonyms[client]}"\n'
                f'start = {start}T{hour:02d}:00:00\nduration = "50m"\nrepeat = "weekly"\n')

    def once(self, client: int, day: int, hour: int) -> str:
        start = next_monday() + timedelta(days=day)
        return (f'[[sessions]]\nclient = "{self.pseudonyms[client]}"\n'
                f'start = {start}T{hour:02d}:00:00\nduration = "50m"\nrepeat = "once"\n')

    def text(self) -> str:
        return (f'timezone = "Europe/London"\n\n[calendar]\nurl = "{self.url}"\n'
                f'server = "radicale"\n\n[store]\npath = "{self.store_path}"\n'
                f'key_file = "{self.key_path}"\n\n[sync]\nevery = "{self.every}"\n'
                f'horizon = "8w"\n{self.sync_extra}\n[breaks]\nafter_session = false\n'
                f'max_screen = false\n\n' + "\n".join(self.sessions))

    def write(self, text: str | None = None) -> Path:
        self.config.write_text(self.text() if text is None else text, encoding="utf-8")
        return self.config

    def records(self) -> dict:
        with Store.open(self.store_path, crypto.load_key_file(self.key_path)) as store:
            return store.records()

    def runs(self, limit: int = 50) -> list[dict]:
        with Store.open(self.store_path, crypto.load_key_file(self.key_path)) as store:
            return store.last_runs(limit)


class NotifyListener:
    """An abstract-namespace datagram socket standing in for systemd's $NOTIFY_SOCKET."""

    def __init__(self) -> None:
        self.name = f"@pseudocal-test-{secrets.token_hex(6)}"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind("\0" + self.name[1:])
        self.sock.settimeout(0.05)
        self.messages: list[str] = []

    def drain(self) -> list[str]:
        while True:
            try:
                self.messages.append(self.sock.recv(4096).decode("utf-8"))
            except (socket.timeout, BlockingIOError):
                return self.messages

    def fields(self, key: str) -> list[str]:
        """Every value sent for `key` (e.g. "STATUS"), oldest first."""
        prefix = key + "="
        return [line[len(prefix):] for message in self.drain()
                for line in message.splitlines() if line.startswith(prefix)]

    def wait(self, key: str, contains: str = "", timeout: float = 15.0, after: int = 0) -> str:
        """The first value of `key` containing `contains`, among those after index `after`."""
        def found():
            return next((v for v in self.fields(key)[after:] if contains in v), None)
        return wait_for(found, timeout, what=f"{key}= containing {contains!r}")

    def close(self) -> None:
        self.sock.close()


class DaemonProcess:
    """`python -m pseudocal run` as a real subprocess, its stderr kept in a file."""

    def __init__(self, config: Path, log: Path, env: dict | None = None,
                 args: tuple[str, ...] = (), prefix: tuple[str, ...] = ()) -> None:
        base = {k: v for k, v in os.environ.items() if k not in SYSTEMD_VARS}
        self.log_path = log
        self.log_file = open(log, "wb")
        self.proc = subprocess.Popen([sys.executable, *prefix, "-m", "pseudocal", "run",
                                      "--config", str(config), *args], stdin=subprocess.DEVNULL,
                                     stdout=self.log_file, stderr=subprocess.STDOUT,
                                     env={**base, **(env or {})})

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def signal(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 15.0) -> int:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        finally:
            self.close()

    def close(self) -> None:
        if self.alive():
            self.proc.kill()
            self.proc.wait(5)
        self.log_file.close()


def pseudocal(*args: str, env: dict | None = None, timeout: float = 30,
              stdin_text: str | None = None):
    base = {k: v for k, v in os.environ.items() if k not in SYSTEMD_VARS}
    return subprocess.run([sys.executable, "-m", "pseudocal", *args], capture_output=True,
                          text=True, env={**base, **(env or {})}, timeout=timeout,
                          input=stdin_text if stdin_text is not None else "")


def status_json(config: Path) -> tuple[int, dict]:
    done = pseudocal("status", "--json", "--config", str(config))
    return done.returncode, json.loads(done.stdout)


def calendar_hrefs(server) -> set[str]:
    """Paths of the objects the server holds in practitioner/practice."""
    folder = server.collection_dir("practitioner", "practice")
    return {f"/practitioner/practice/{p.name}" for p in folder.glob("*.ics")}
