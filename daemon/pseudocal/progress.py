"""A progress bar for long pushes in a terminal; plain log lines elsewhere."""
from __future__ import annotations

import logging
import os

from .models import Action

WIDTH = 30
MIN_ACTIONS = 5  # smaller plans just log their lines


class Bar:
    """Redraws one line on a terminal stream; quiet per-action logging while it runs."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.sync_log = logging.getLogger("pseudocal.sync")
        self.saved_level: int | None = None

    def __call__(self, done: int, total: int, action: Action) -> None:
        if total < MIN_ACTIONS:
            return
        if self.saved_level is None:
            self.saved_level = self.sync_log.level
            self.sync_log.setLevel(logging.WARNING)
        filled = WIDTH * done // total
        self.stream.write(f"\r[{'#' * filled}{'.' * (WIDTH - filled)}] {done}/{total} {action.op:<7}")
        self.stream.flush()
        if done == total:
            self.stream.write("\n")
            self.sync_log.setLevel(self.saved_level)
            self.saved_level = None


def for_terminal(stream) -> Bar | None:
    """A bar when `stream` is an interactive terminal (not journald, not redirected)."""
    if os.environ.get("JOURNAL_STREAM") or not hasattr(stream, "isatty") or not stream.isatty():
        return None
    return Bar(stream)
