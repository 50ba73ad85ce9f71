"""The systemd notify protocol (sd_notify(3)): one datagram per message to $NOTIFY_SOCKET.

    READY=1       config, key and store are open; the scheduler runs
    STATUS=...    a one-line summary shown by `systemctl status`
    WATCHDOG=1    sent every WATCHDOG_USEC / 2 while the daemon is healthy
    RELOADING=1   a config reload began (READY=1 again when it is over)
    STOPPING=1    SIGTERM received; the sync in flight is finishing

A socket name starting with "@" lives in the abstract namespace. Without
$NOTIFY_SOCKET (not under systemd) every call is a no-op; a failed send is
logged at debug level and never stops the daemon. A send never waits: when the
socket's queue is full the message is dropped (systemd reads the next one).
"""
from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping

log = logging.getLogger("pseudocal.notify")

MAX_STATUS = 200  # characters of STATUS= kept; `systemctl status` shows one line


class Notifier:
    """Sends notify messages to the socket systemd gave this process (if any)."""

    def __init__(self, address: str | None) -> None:
        self.address = _socket_address(address) if address else None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "Notifier":
        env = os.environ if env is None else env
        return cls(env.get("NOTIFY_SOCKET"))

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def send(self, **fields: object) -> bool:
        """Send `KEY=value` lines in one datagram; True when it was sent."""
        if self.address is None or not fields:
            return False
        message = "\n".join(f"{key}={_one_line(value)}" for key, value in fields.items())
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                # never wait: with the reader's queue full (max_dgram_qlen, 10 here) a
                # blocking send would stop the daemon; the message is dropped instead
                sock.sendto(message.encode("utf-8"), socket.MSG_DONTWAIT, self.address)
        except BlockingIOError:
            log.debug("notify socket: its queue is full; message dropped")
            return False
        except OSError as exc:
            log.debug("notify socket: %s", exc.strerror or exc)
            return False
        return True

    def status(self, text: str) -> bool:
        return self.send(STATUS=text[:MAX_STATUS])


def _socket_address(name: str) -> str | None:
    if name.startswith("@"):
        return "\0" + name[1:]
    return name if name.startswith("/") else None  # vsock:... is not supported here


def _one_line(value: object) -> str:
    return " ".join(str(value).split())


def watchdog_interval(env: Mapping[str, str] | None = None) -> float | None:
    """Seconds between WATCHDOG=1 pings (half of WATCHDOG_USEC), or None when not asked."""
    env = os.environ if env is None else env
    pid = env.get("WATCHDOG_PID")
    if pid and pid.strip() != str(os.getpid()):
        return None
    try:
        usec = int(env.get("WATCHDOG_USEC", ""))
    except ValueError:
        return None
    return usec / 2_000_000 if usec > 0 else None
