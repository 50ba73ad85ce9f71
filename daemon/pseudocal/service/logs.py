"""Logging for a terminal or journald; every handler carries the redaction filter
(`identity.redaction`) as a safety net."""
from __future__ import annotations

import logging
import os
import sys

from ..identity.redaction import REDACTOR

SYSLOG_LEVELS = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3,
                 logging.CRITICAL: 2}


class JournalFormatter(logging.Formatter):
    """`<N>` syslog priority prefixes that journald reads; no timestamp (journald adds one)."""

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"<{SYSLOG_LEVELS.get(record.levelno, 6)}>"
        # journald reads each line as its own entry: every line keeps the priority
        return "\n".join(prefix + line for line in super().format(record).split("\n"))


def setup(verbose: bool = False, stream=None) -> None:
    """Log to stderr; no timestamps under journald (it adds its own)."""
    handler = logging.StreamHandler(stream or sys.stderr)  # stderr as it is now
    if os.environ.get("JOURNAL_STREAM"):
        handler.setFormatter(JournalFormatter("%(levelname)s %(name)s: %(message)s"))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s",
                                               "%Y-%m-%d %H:%M:%S"))
    handler.addFilter(REDACTOR)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for noisy in ("apscheduler", "caldav", "niquests", "urllib3", "radicale"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
