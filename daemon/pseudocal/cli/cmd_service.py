"""`pseudocal run` (the daemon) and `pseudocal status` (what the daemon recorded)."""
from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import StoreError
from .output import emit

UNHEALTHY = 11  # errors.EXIT_CODES[11]


def register(sub, common) -> None:
    """Add `run` and `status` to the parser."""
    p = sub.add_parser("run", parents=[common],
                       help="the daemon: a sync every sync.every (systemd Type=notify)")
    p.set_defaults(handler=cmd_run)
    p = sub.add_parser("status", parents=[common],
                       help=f"last sync, result, next run, failing since; exit {UNHEALTHY} "
                            "when unhealthy")
    p.set_defaults(handler=cmd_status)


def cmd_run(args) -> int:
    """Open config, key and store (exit 3, 4, 5 on failure), then serve until stopped."""
    from ..service import app
    from ..service.daemon import Daemon, validate
    path = app.config_path(args.config)
    settings = app.load_settings(path)
    with one_daemon(settings.store.path), app.open_store(settings) as store:
        validate(settings, store)
        return Daemon(path, settings, store).serve()


@contextmanager
def one_daemon(store: Path) -> Iterator[None]:
    """Hold `<store>.lock` while the daemon runs: a second daemon on one store exits 5."""
    lock = store.with_name(store.name + ".lock")
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise StoreError(f"cannot open the lock file {lock} ({exc.strerror})",
                         next_step="check the state directory's permissions") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StoreError(f"another `pseudocal run` is already using the store {store}",
                         next_step="stop it first (systemctl stop pseudocal), or use "
                                   "`pseudocal sync` for a one-off sync") from None
    try:
        yield
    finally:
        os.close(fd)


def cmd_status(args) -> int:
    """Reads the daemon's status file; needs neither the key nor a running daemon."""
    from ..service import app, health  # not the store's database layer, nor the key
    settings = app.load_settings(args.config)
    doc, text, healthy = health.report(settings)
    emit(args, doc, text)
    return 0 if healthy else UNHEALTHY
