"""Logging for a terminal or journald, with a redaction filter as a safety net.

The code logs pseudonyms, labels and counts, never identities. In case a
library or an exception text carries one anyway, `Redactor` replaces every
known identity (any case or normal form) with "[redacted]" before a record
is written.
"""
from __future__ import annotations

import logging
import os
import sys

from .privacy import Identities, fold

REDACTED = "[redacted]"


class Redactor(logging.Filter):
    """Scrubs identities out of every record passing through a handler."""

    def __init__(self) -> None:
        super().__init__()
        self.pattern = None

    def load(self, identities: Identities) -> None:
        self.pattern = identities.loose_pattern()

    def scrub(self, text: str) -> str:
        """`text` with each identity replaced; the rest keeps its case where it can."""
        pattern = self.pattern
        if pattern is None:
            return text
        folded = fold(text)
        if not pattern.search(folded):
            return text
        kept = _replace_spans(text, pattern)
        if kept is None or pattern.search(fold(kept)):
            return pattern.sub(REDACTED, folded)  # forms that only match folded whole
        return kept

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
            record.exc_text = None
        record.msg, record.args = self.scrub(message), None
        return True


REDACTOR = Redactor()


def _replace_spans(text: str, pattern) -> str | None:
    """Replace the matches found in the character-by-character folded text, in `text`
    itself; None when nothing matches that way (e.g. decomposed accents)."""
    owner: list[int] = []  # folded position -> index of the original character
    for index, char in enumerate(text):
        owner.extend([index] * len(fold(char)))
    folded = "".join(fold(char) for char in text)
    out, last = [], 0
    for match in pattern.finditer(folded):
        if match.end() == match.start():
            continue
        first, after = owner[match.start()], owner[match.end() - 1] + 1
        out += [text[last:max(first, last)], REDACTED]
        last = max(after, last)
    return "".join(out) + text[last:] if out else None


SYSLOG_LEVELS = {logging.DEBUG: 7, logging.INFO: 6, logging.WARNING: 4, logging.ERROR: 3,
                 logging.CRITICAL: 2}


class JournalFormatter(logging.Formatter):
    """`<N>` syslog priority prefixes that journald reads; no timestamp (journald adds one)."""

    def format(self, record: logging.LogRecord) -> str:
        prefix = f"<{SYSLOG_LEVELS.get(record.levelno, 6)}>"
        # journald reads each line as its own entry: every line keeps the priority
        return "\n".join(prefix + line for line in super().format(record).split("\n"))


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time of each record (tests swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def setup(verbose: bool = False, stream=None) -> None:
    """Log to stderr; no timestamps under journald (it adds its own)."""
    handler = logging.StreamHandler(stream) if stream else _StderrHandler()
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
