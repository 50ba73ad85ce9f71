"""The redaction filter on every log record: a safety net, never the first line of defence.

The code logs pseudonyms, labels and counts, never identities. In case a library, a
server or an exception text carries one anyway, `Redactor` replaces every known identity
(in any form `textforms.canon` folds) with "[redacted]" before a record is written.

It redacts what came from data, never pseudocal's own words: a log record's format string
is pseudocal's text and loses whole identities only; its arguments, and the text of an
exception that is not pseudocal's own, are data and lose every name part, address and number
(`scrub_data`). A message pseudocal composed itself (its errors, the status line) keeps
its words and loses whole identities only (`scrub`), so "the next sync will try again"
stays readable when a client is called Will.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import unquote

from ..errors import PseudocalError
from .textforms import canon_char

if TYPE_CHECKING:
    from .privacy import Identities

REDACTED = "[redacted]"


class Own(str):
    """A log argument that is pseudocal's own composed text (a summary, an error message
    it wrote, a schedule warning): redacted as pseudocal's words, not as data."""


class Redactor(logging.Filter):
    """Scrubs identities out of every record passing through a handler."""

    def __init__(self) -> None:
        super().__init__()
        self.strict: re.Pattern[str] | None = None
        self.loose: re.Pattern[str] | None = None

    def load(self, identities: Identities) -> None:
        self.strict, self.loose = identities.strict_pattern(), identities.loose_pattern()

    def scrub(self, text: str) -> str:
        """pseudocal's own message: whole identities replaced, its own words kept."""
        return _redact(text, self.strict)

    def scrub_data(self, text: str) -> str:
        """Text from data, a library or a server: every name part replaced too."""
        return _redact(text, self.loose)

    def said(self, exc: PseudocalError) -> tuple[str, str]:
        """An error as pseudocal shows it anywhere (terminal, --json, `check`): its message
        and its next step, both redacted as pseudocal's words. A next step can quote what a
        server answered (a redirect's target, the href of a calendar it holds), so it is
        scrubbed exactly as the message is, never shown as it came."""
        return self.scrub(exc.message), self.scrub(exc.next_step)

    def scrub_error(self, exc: BaseException) -> str:
        """An exception's text: pseudocal's own errors as its words, any other as data."""
        text = exc.message if isinstance(exc, PseudocalError) else str(exc)
        return self.scrub(text) if isinstance(exc, PseudocalError) else self.scrub_data(text)

    def filter(self, record: logging.LogRecord) -> bool:
        own = record.name == "pseudocal" or record.name.startswith("pseudocal.")
        if own and isinstance(record.msg, str):  # pseudocal's words: whole identities only
            record.msg = self.scrub(record.msg)
        else:  # a library's message is data
            record.msg = self.scrub_data(str(record.msg))
        if isinstance(record.args, Mapping):
            record.args = {k: self._arg(v) for k, v in record.args.items()}
        elif record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(self._arg(a) for a in args)
        if record.exc_info and record.exc_info[1] is not None:
            trace = logging.Formatter().formatException(record.exc_info)
            record.msg = f"{record.getMessage()}\n{self.scrub_data(trace)}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True

    def _arg(self, value: object) -> object:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        if isinstance(value, BaseException):
            return self.scrub_error(value)
        if isinstance(value, Own):
            return self.scrub(value)
        return self.scrub_data(str(value))


REDACTOR = Redactor()


def from_server(text: str) -> str:
    """A path or name a server gave (a calendar's href, the calendar that holds a UID), as
    pseudocal quotes it in its own messages: read as the phone shows it (percent-escapes
    decoded), every name part, address and number scrubbed as data (`scrub_data`), and
    control, format and bidi characters shown as \\uXXXX escapes, never sent raw."""
    shown = REDACTOR.scrub_data(unquote(text))
    return "".join(_escaped(c) for c in shown)


def _escaped(char: str) -> str:
    if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
        code = ord(char)
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
    return char


def _redact(text: str, pattern: re.Pattern[str] | None) -> str:
    """`text` with each match of `pattern` (on its canonical form) replaced in the text
    itself, so the rest keeps its case and letters."""
    if pattern is None or not text:
        return text
    kept = _replace_spans(text, pattern)
    return text if kept is None else kept


def _replace_spans(text: str, pattern: re.Pattern[str]) -> str | None:
    """Replace the matches found in the character-by-character canonical text, in `text`
    itself; None when nothing matches."""
    owner: list[int] = []  # canonical position -> index of the original character
    pieces = [canon_char(char) for char in text]
    for index, piece in enumerate(pieces):
        owner.extend([index] * len(piece))
    folded = "".join(pieces)
    out, last = [], 0
    for match in pattern.finditer(folded):
        if match.end() == match.start():
            continue
        first, after = owner[match.start()], owner[match.end() - 1] + 1
        out += [text[last:max(first, last)], REDACTED]
        last = max(after, last)
    return "".join(out) + text[last:] if out else None
