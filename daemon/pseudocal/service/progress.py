"""A progress bar for long pushes in a terminal; plain log lines elsewhere."""
from __future__ import annotations

import logging
import os

from ..models import Action

WIDTH = 30
MIN_ACTIONS = 5  # smaller plans just log their lines


class Bar:
    """Redraws one line on a terminal stream; quiet per-action logging while it runs."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.sync_log = logging.getLogger("pseudocal.sync")
        self.saved_level = logging.NOTSET

    def __call__(self, done: int, total: int, action: Action | None) -> None:
        if total < MIN_ACTIONS:
            return
        if done == 0:
            self.saved_level = self.sync_log.level
            self.sync_log.setLevel(logging.WARNING)
            return
        filled = WIDTH * done // total
        self.stream.write(f"\r[{'#' * filled}{'.' * (WIDTH - filled)}] {done}/{total} "
                          f"{action.op if action else '':<7}")
        self.stream.flush()
        if done == total:
            self.stream.write("\n")
            self.close()

    def close(self) -> None:
        """Give the per-action log lines back (also after a failed push)."""
        self.sync_log.setLevel(self.saved_level)


def for_terminal(stream) -> Bar | None:
    """A bar when `stream` is an interactive terminal (not journald, not redirected)."""
    if os.environ.get("JOURNAL_STREAM") or not hasattr(stream, "isatty") or not stream.isatty():
        return None
    return Bar(stream)
