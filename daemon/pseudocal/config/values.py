"""Typed config values: durations above all, and the dates, numbers and texts around them.

(The module keeps the name it started with; it now reads every scalar a config holds, so
that config.py stays about tables, paths and the file as a whole.)

Each reader turns one TOML value into a Python value or raises ValueProblem(message, hint);
config.py attaches the key path. Messages show only the value as the config wrote it.
Texts that go online (`online_text`) must not say what the events are: no word such as
therapy, counselling, psych-, client or patient, and no placeholder but {pseudonym} in a
session title. URLs are http(s); plain http only to a loopback host.

Durations come in two spellings, case-insensitive, with an optional sign:

    compact     50m  1h30m  1.5h  90s  2h  30d  12w  (units in the order w d h m s,
                each at most once; spaces between parts are allowed: "1h 30m")
    ISO 8601    PT50M  PT1H30M  P1D  P2W  P1DT12H

Years and months (P1Y, P1M) are refused: they have no fixed length. Whether zero or a
negative value is acceptable is the caller's decision: `parse_duration` only reads,
`duration_value` wants a positive one (or zero when asked).
"""
from __future__ import annotations

import difflib
import math
import re
import unicodedata
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from ..identity.textforms import invisible
from ..schedule.recurrence import zone_problem
from .loopback import is_loopback

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

SERVERS = ("radicale", "xandikos", "nextcloud", "generic")
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
_WORDS = re.compile(r"(\d+)\s*(min|mins|minutes?|hours?|hrs?|days?|weeks?)", re.IGNORECASE)

EXAMPLE = "50m"
EXAMPLES = "50m, 1h30m or PT50M"


class ValueProblem(ValueError):
    """A value of the wrong kind; `hint` says what to write instead."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class DurationError(ValueProblem):
    """A value that is not a (suitable) duration."""


def parse_duration(text: str) -> timedelta:
    """Read a duration such as "50m", "1h30m" or "PT50M"; raise DurationError if it is none."""
    body = text.strip()
    sign, body = _split_sign(body)
    parts = _match_parts(body)
    if parts is None:
        raise DurationError('this is not a duration', _hint_for(body))
    try:
        value = timedelta(**{unit: _number(part) for unit, part in parts if part})
    except OverflowError:
        raise DurationError('this duration is too long',
                            f"write at most {timedelta.max.days}d") from None
    return -value if sign == "-" else value


MAX_DURATION = timedelta(weeks=522)  # ten years: far beyond any session or period, and far
# enough from the end of the calendar that date arithmetic never overflows
MAX_WHOLE = 100_000  # a count of occurrences (about 1900 years of weekly sessions)


def duration_value(value: object, *, zero: bool = False,
                   most: timedelta = MAX_DURATION) -> timedelta:
    """A positive duration (or zero, when `zero`), at most `most`, from a config value;
    DurationError if not."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise DurationError(f"{value} is not a duration",
                            f'write "{value}m" or "PT{value}M" (in quotes)')
    if not isinstance(value, str):
        shown = str(value).lower() if isinstance(value, bool) else "this"
        raise DurationError(f"{shown} is not a duration", f'write one in quotes, e.g. "{EXAMPLE}"')
    amount = parse_duration(value)
    if amount < timedelta(0) or (amount == timedelta(0) and not zero):
        size = "zero" if amount == timedelta(0) else "negative"
        raise DurationError(f'this duration is {size}', "write a positive duration such as 10m")
    if amount > most:
        raise DurationError("this duration is too long here",
                            "write at most " + (f"{most.days // 7}w" if most.days % 7 == 0
                                                and most == timedelta(days=most.days)
                                                else format_duration(most)))
    return amount


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


def format_hours(value: timedelta) -> str:
    """Hours and minutes, never days: 43h55m of sessions reads better than 1d19h55m."""
    minutes = round(value.total_seconds() / 60)
    hours, minutes = divmod(abs(minutes), 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes or not hours else "")
    return ("-" if value < timedelta(0) else "") + text


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
            return list(zip(_UNITS, match.groups(), strict=True))
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


# ---------------------------------------------------------------- other values


def show(value: Any) -> str:
    """A config value for messages: never a text as written (it may hold a name typed by
    mistake, and a config error is printed before the store is open to check it)."""
    if isinstance(value, str):
        return "this text"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    kinds: dict[type, str] = {dict: "a table", list: "a list"}
    return kinds.get(type(value), str(value))


def duration_or_off(value: Any) -> timedelta | None:
    """A positive duration, or None for `false` (turned off)."""
    return None if value is False else duration_value(value)


def text(value: Any) -> str:
    """A non-empty text without control or invisible characters: a bidi override can show
    "esor" as "rose", an escape sequence can rewrite a terminal, a newline can forge a
    log line, a zero-width space can hide a name from a reader."""
    if isinstance(value, str) and any(_hidden(c) for c in value):
        raise ValueProblem("this text holds a control or invisible character (a line break, "
                           "an escape, a bidi control, a zero-width space...)",
                           "retype it as plain text on one line")
    if isinstance(value, str) and value.strip():
        return value.strip()
    if isinstance(value, str):
        raise ValueProblem("is empty", "write some text, or leave the key out for the default")
    raise ValueProblem(f"{show(value)} is not a text", 'write it in quotes, e.g. "..."')


def _hidden(char: str) -> bool:
    return unicodedata.category(char)[0] == "C" or invisible(char)


def local_datetime(value: Any) -> datetime:
    """A TOML local date-time (no offset: the zone comes from a timezone key)."""
    if isinstance(value, datetime) and value.tzinfo is None:
        return value
    if isinstance(value, datetime):
        raise ValueProblem(f"{show(value)} has a UTC offset", "write local time and set timezone")
    if isinstance(value, date):
        raise ValueProblem(f"{value} has no time of day", f"write {value}T10:00:00")
    try:
        example = datetime.fromisoformat(str(value)).replace(tzinfo=None).isoformat()
    except ValueError:
        example = "2026-12-01T10:00:00"
    raise ValueProblem(f"{show(value)} is not a local date-time", f"write {example} (no quotes)")


def date_or_local_datetime(value: Any) -> date | datetime:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, datetime):
        return local_datetime(value)
    raise ValueProblem(f"{show(value)} is not a date",
                       "write a date without quotes, e.g. 2027-06-30")


def date_list(value: Any) -> tuple[date, ...]:
    """A list of TOML local dates, sorted, without repeats."""
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, date) or isinstance(item, datetime):
            raise ValueProblem(f"{show(item)} is not a date",
                               "write a list of dates without quotes, e.g. [2026-12-22]")
    return tuple(sorted(set(items)))


def positive_int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_WHOLE:
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value > MAX_WHOLE:
        raise ValueProblem("this number is too large", f"write at most {MAX_WHOLE}")
    raise ValueProblem(f"{show(value)} is not a positive whole number", "write e.g. 10")


def number(value: Any, *, low: float, high: float = float("inf")) -> float:
    """A number in (low, high]."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and \
            math.isfinite(value) and low < value <= high:
        return float(value)
    top = f" and at most {high:g}" if high < float("inf") else ""
    raise ValueProblem(f"{show(value)} is not a number above {low:g}{top}", "write e.g. 0.5")


def zone(value: Any) -> str:
    """An IANA time zone name that zoneinfo knows (and that observes its place's DST)."""
    name = text(value)
    issue = zone_problem(name)
    if issue:
        raise ValueProblem(*issue)
    return name


def online_text(value: Any, placeholder: bool = False) -> str:
    """Text the calendar server sees: {pseudonym} only where allowed, no revealing word."""
    found = text(value)
    wrong = [t for t in _PLACEHOLDER.findall(found) if not (placeholder and t == "{pseudonym}")]
    if wrong and placeholder:
        # what is inside the braces is not repeated: it may be a name typed by mistake
        raise ValueProblem("a placeholder other than {pseudonym}",
                           "the only placeholder is {pseudonym}; write it exactly")
    if wrong or re.search(r"[{}]", _PLACEHOLDER.sub("", found)):
        raise ValueProblem("a stray { or }" if placeholder else "{ and } are not allowed here",
                           "write {pseudonym} exactly" if placeholder else "remove them")
    from ..identity.privacy import REVEALING, fold  # the privacy rules: only for a text given
    if REVEALING.search(fold(found)):
        raise ValueProblem('this text would tell the calendar server what the events are',
                           "leave out words like therapy, counselling, client or patient")
    return found


def url(value: Any) -> str:
    """An http(s) calendar URL without credentials; plain http only to a loopback host."""
    found = text(value)
    if any(c.isspace() for c in found):
        raise ValueProblem("a URL cannot hold spaces or line breaks",
                           "write a space inside the path as %20; a host name has none")
    try:
        parts = urlsplit(found)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ValueProblem("this is not a URL that can be read (a bad port or brackets)",
                           'write e.g. "https://cloud.example.org/dav/calendars/alex/practice/"'
                           ) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueProblem('this is not an http(s) URL',
                           'write e.g. "https://cloud.example.org/dav/calendars/alex/practice/"')
    if parts.query or parts.fragment or "?" in found or "#" in found:
        # a calendar is a collection: its URL is a path (RFC 4791); a query would be sent to
        # the server unchecked, and pseudocal adds a "/" after it
        raise ValueProblem("a calendar URL has no ?query or #fragment",
                           "write the calendar's path only, e.g. "
                           '"https://cloud.example.org/dav/calendars/alex/practice/"')
    if parts.username or parts.password:
        raise ValueProblem("secrets are not allowed in the config (this URL holds a user name "
                           "or password)", "remove it from the URL; set username and password_file")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ValueProblem("plain http:// would send the calendar and password unencrypted",
                           "use https:// (http:// is accepted only for 127.0.0.1 or localhost)")
    return found


def server(value: Any) -> str:
    """A caldav server profile name."""
    name = text(value).lower()
    if name in SERVERS:
        return name
    close = difflib.get_close_matches(name, SERVERS, n=1)
    hint = f'did you mean "{close[0]}"?' if close else "write one of " + ", ".join(SERVERS)
    raise ValueProblem(f"{show(value)} is not a known server", hint)
