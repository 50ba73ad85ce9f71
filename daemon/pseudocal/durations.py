"""Durations as a practitioner writes them.

Two spellings are accepted, case-insensitively, with an optional sign:

    compact     50m  1h30m  1.5h  90s  2h  30d  12w  (units in the order w d h m s,
                each at most once; spaces between parts are allowed: "1h 30m")
    ISO 8601    PT50M  PT1H30M  P1D  P2W  P1DT12H

Years and months (P1Y, P1M) are refused: they have no fixed length. Whether zero or a
negative value is acceptable is the caller's decision; `parse_duration` only reads.
"""
from __future__ import annotations

import re
from datetime import timedelta

_NUMBER = r"(\d+(?:[.,]\d+)?)"
_UNITS = ("weeks", "days", "hours", "minutes", "seconds")

_COMPACT = re.compile(
    rf"(?:{_NUMBER}w)?\s*(?:{_NUMBER}d)?\s*(?:{_NUMBER}h)?\s*(?:{_NUMBER}m)?\s*(?:{_NUMBER}s)?",
    re.IGNORECASE,
)
_ISO = re.compile(
    rf"P(?:{_NUMBER}W)?(?:{_NUMBER}D)?(?:T(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?",
    re.IGNORECASE,
)
_ISO_CALENDAR = re.compile(r"P(?:\d+Y)?(?:\d+M)?(?:\d+[WD])?(?:T.*)?", re.IGNORECASE)

_WORDS = re.compile(r"(\d+)\s*(min|mins|minutes?|hours?|hrs?|days?|weeks?)", re.IGNORECASE)

EXAMPLES = "50m, 1h30m or PT50M"


class DurationError(ValueError):
    """A text that is not a duration; `hint` says what to write instead."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def parse_duration(text: str) -> timedelta:
    """Read a duration such as "50m", "1h30m" or "PT50M"; raise DurationError if it is none."""
    body = text.strip()
    sign, body = _split_sign(body)
    parts = _match_parts(body)
    if parts is None:
        raise DurationError(f'"{text}" is not a duration', _hint_for(body))
    try:
        value = timedelta(**{unit: _number(part) for unit, part in parts if part})
    except OverflowError:
        raise DurationError(f'"{text}" is too long', f"write at most {timedelta.max.days}d")
    return -value if sign == "-" else value


def format_duration(value: timedelta) -> str:
    """The compact spelling of a duration, e.g. 1h30m; for messages and round trips."""
    sign, seconds = ("-", -value) if value < timedelta(0) else ("", value)
    total = int(seconds.total_seconds())
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    pieces = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    text = "".join(f"{n}{unit}" for n, unit in pieces if n)
    return sign + (text or "0m")


def _split_sign(body: str) -> tuple[str, str]:
    if body[:1] in ("+", "-"):
        return body[0], body[1:].strip()
    return "", body


def _match_parts(body: str) -> list[tuple[str, str | None]] | None:
    """The (unit, number) pairs of a compact or ISO duration, or None when it is neither."""
    if not body or body.upper() in ("P", "PT") or body.upper().endswith("T"):
        return None
    for pattern in (_ISO, _COMPACT):
        match = pattern.fullmatch(body)
        if match and any(match.groups()):
            return list(zip(_UNITS, match.groups()))
    return None


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def _hint_for(body: str) -> str:
    if re.fullmatch(r"\d+", body):
        return f"write {body}m or PT{body}M"
    if _ISO_CALENDAR.fullmatch(body) and re.search(r"\d[YM]", body.split("T")[0], re.I):
        return "years and months have no fixed length; write days or weeks, e.g. 30d or P4W"
    words = _WORDS.fullmatch(body)
    if words:
        return f"write {words.group(1)}{words.group(2)[0].lower()}"
    return f"write {EXAMPLES}"
