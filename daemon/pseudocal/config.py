"""TOML -> validated, frozen `Settings`; every problem is reported at once.

`load_settings` parses the file with tomllib (a missing or unreadable file, or a syntax
error, stops there with the file name and line), then reads every table in one pass. Each
problem is collected with its key path -- `calendar.url`, `sessions[2].duration` (the
[[sessions]] blocks count from 0) -- and a hint saying what to write instead. If there is
any, one ConfigError carries them all. Nothing after loading sees a dict.

Rules the code enforces, beyond types:
  * unknown keys are problems, with a "did you mean" suggestion;
  * secrets are never inline: a key named password, key, master_key, token, secret, ...
    anywhere is a problem (the CalDAV password lives in `password_file`, the master key in
    `store.key_file`); so is a user name or password inside a calendar URL;
  * plain http:// is only accepted for a loopback server;
  * the session title's only placeholder is {pseudonym}; no title or alarm text may say
    what the events are (therapy, counselling, client, patient, psych...);
  * sessions name clients by pseudonym only (`check_pseudonyms` compares with the store);
  * a first `start` that does not exist (spring-forward gap) or happens twice (autumn
    fold) in its zone is a problem. Later occurrences of a repeating rule that land in a
    gap or fold follow RFC 5545: a gap time is shifted forward by the gap's length, a fold
    time is the first (earlier) instant. `schedule` implements it.
  * `after_session`, `max_screen` and `preparation.before` may be `false` to turn them off.

Paths: a relative `store.path` resolves in the state directory; relative `key_file` and
`password_file` resolve in $CREDENTIALS_DIRECTORY when systemd sets it, else in the state
directory. See `state_dir` and `default_config_path`.
"""
from __future__ import annotations

import difflib
import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from . import models as m
from . import schedule
from .durations import DurationError, parse_duration
from .errors import ConfigError, Problem, Problems

SERVERS = ("radicale", "xandikos", "nextcloud", "generic")
_KEY_HINT = "put it in a file and set key_file under [store]"
_PASSWORD_HINT = "put it in a file and set password_file"
SECRET_KEYS = {"password": _PASSWORD_HINT, "passwd": _PASSWORD_HINT, "token": _PASSWORD_HINT,
               "secret": _PASSWORD_HINT, "api_key": _PASSWORD_HINT, "key": _KEY_HINT,
               "master_key": _KEY_HINT, "passphrase": _KEY_HINT}
_REVEALING = re.compile(r"therap|counsel|psych|patient|client", re.IGNORECASE)
_FIXED_ZONES = ("EST", "MST", "HST")
_CALENDAR_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")

_WHEN = ("start", "duration", "repeat", "until", "count", "timezone", "skip")
_KEYS = {
    "": ("timezone", "calendar", "calendars", "store", "sync", "events", "sessions",
         "breaks", "preparation", "supervision"),
    "calendar": ("url", "username", "password_file", "server"),
    "store": ("path", "key_file"),
    "sync": ("every", "horizon", "keep_past", "max_delete_share"),
    "events": ("session_title",),
    "sessions": ("client", *_WHEN),
    "breaks": ("after_session", "max_screen", "long_break", "title", "alarm"),
    "preparation": ("before", "checklist"),
    "supervision": (*_WHEN, "minimum_per_month", "ratio", "title"),
}
_EXAMPLES = {"timezone": '"Europe/London"', "client": '"Amber Falcon"',
             "url": '"https://cloud.example.org/remote.php/dav/calendars/alex/practice/"',
             "start": "2026-12-01T10:00:00", "duration": '"50m"'}


# ---------------------------------------------------------------- paths


def state_dir(env: Mapping[str, str] | None = None) -> Path:
    """$STATE_DIRECTORY (first entry), $PSEUDOCAL_STATE_DIR, $XDG_STATE_HOME/pseudocal,
    else ~/.local/state/pseudocal."""
    env = os.environ if env is None else env
    systemd = env.get("STATE_DIRECTORY", "").split(":")[0]
    if systemd:
        return Path(systemd)
    if env.get("PSEUDOCAL_STATE_DIR"):
        return _expand_home(env["PSEUDOCAL_STATE_DIR"], env)
    xdg = env.get("XDG_STATE_HOME", "")
    if os.path.isabs(xdg):
        return Path(xdg) / "pseudocal"
    return _home(env) / ".local" / "state" / "pseudocal"


def default_config_path(env: Mapping[str, str] | None = None) -> Path:
    """$PSEUDOCAL_CONFIG, else the user's config if it exists, else /etc/pseudocal/config.toml
    if that exists, else the user's path (where one would create it)."""
    env = os.environ if env is None else env
    if env.get("PSEUDOCAL_CONFIG"):
        return _expand_home(env["PSEUDOCAL_CONFIG"], env)
    xdg = env.get("XDG_CONFIG_HOME", "")
    base = Path(xdg) if os.path.isabs(xdg) else _home(env) / ".config"
    user = base / "pseudocal" / "config.toml"
    system = Path("/etc/pseudocal/config.toml")
    return system if not user.is_file() and system.is_file() else user


def _home(env: Mapping[str, str]) -> Path:
    return Path(env["HOME"]) if env.get("HOME") else Path.home()


def _expand_home(text: str, env: Mapping[str, str]) -> Path:
    if text == "~" or text.startswith("~/"):
        return _home(env) / text[2:]
    return Path(text)


def _resolve(text: str, base: Path, env: Mapping[str, str]) -> Path:
    path = _expand_home(text, env)
    return path if path.is_absolute() else base / path


def _credentials_dir(env: Mapping[str, str]) -> Path:
    return Path(env["CREDENTIALS_DIRECTORY"]) if env.get("CREDENTIALS_DIRECTORY") else state_dir(env)


# ---------------------------------------------------------------- loading


def load_settings(path: Path, env: Mapping[str, str] | None = None) -> m.Settings:
    """Read and validate a config file; raise ConfigError listing every problem."""
    path = Path(path)
    env = os.environ if env is None else env
    data = _read_toml(path)
    problems = Problems()
    _report_secrets(data, "", problems)
    settings = _Reader(problems, env).settings(data, path)
    if problems or settings is None:
        count = len(problems.items)
        raise ConfigError(f"{count} problem{'s' if count != 1 else ''} in {path}",
                          problems=problems.items, where=str(path),
                          next_step="fix the keys listed, then run pseudocal check")
    return settings


def pseudonym_key(name: str) -> str:
    """How pseudonyms compare: case- and space-insensitive."""
    return " ".join(name.split()).casefold()


def check_pseudonyms(settings: m.Settings, known: set[str]) -> list[Problem]:
    """A problem for each session naming a pseudonym the store does not know."""
    by_key = {pseudonym_key(p): p for p in known}
    problems = []
    for rule in settings.sessions:
        wanted = pseudonym_key(rule.client)
        if wanted in by_key:
            continue
        close = difflib.get_close_matches(wanted, list(by_key), n=1)
        hint = f'did you mean "{by_key[close[0]]}"? ' if close else ""
        problems.append(Problem(f"sessions[{rule.index}].client",
                                f'no client with pseudonym "{rule.client}"',
                                hint + "run pseudocal client list"))
    return problems


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist", where=str(path),
                          next_step="copy config/example.toml there and edit it, "
                                    "or pass --config PATH") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}",
                          where=str(path), next_step="check the path and its permissions") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text (byte {exc.start})", where=str(path),
                          next_step="save the file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(path, str(exc)) from None


def _syntax_error(path: Path, reason: str) -> ConfigError:
    found = re.search(r"\(at line (\d+), column (\d+)\)", reason)
    line = found.group(1) if found else "?"
    what = re.sub(r"\s*\(at .*\)$", "", reason)
    return ConfigError(f"{path}, line {line}: TOML syntax error: {what}",
                       problems=[Problem(f"line {line}", f"TOML syntax error: {what}")],
                       where=f"{path}:{line}",
                       next_step=f"fix line {line} of {path} (TOML syntax: https://toml.io)")


def _report_secrets(data: Mapping[str, Any], path: str, problems: Problems) -> None:
    for key, value in data.items():
        here = f"{path}.{key}" if path else key
        if key.lower() in SECRET_KEYS:
            problems.add(here, "secrets are not allowed in the config", SECRET_KEYS[key.lower()])
        elif isinstance(value, dict):
            _report_secrets(value, here, problems)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    _report_secrets(item, f"{here}[{i}]", problems)


def _show(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (date, time)):
        return value.isoformat()
    return {dict: "a table", list: "a list"}.get(type(value), str(value))


# ---------------------------------------------------------------- one table


@dataclass
class _Table:
    """One TOML table being read: its values, its key path and the shared problems."""
    data: Mapping[str, Any]
    path: str
    problems: Problems

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def add(self, key: str, message: str, hint: str = "") -> None:
        self.problems.add(self.at(key), message, hint)

    def check_keys(self, allowed: tuple[str, ...]) -> None:
        for key in self.data:
            if key in allowed or key.lower() in SECRET_KEYS:
                continue
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"did you mean '{close[0]}'?" if close else "known keys: " + ", ".join(allowed)
            self.add(key, f"unknown key '{key}'", hint)

    def value(self, key: str, required: bool = False) -> Any:
        if key not in self.data and required:
            self.add(key, "missing", f"add {key} = {_EXAMPLES.get(key, '...')}")
        return self.data.get(key)

    def text(self, key: str, default: str | None = None, required: bool = False) -> str | None:
        value = self.value(key, required)
        if value is None:
            return default
        if isinstance(value, str) and value.strip():
            return value.strip()
        self.add(key, f"{_show(value)} is not a text", f'write {key} = "..." (in quotes)')
        return default

    def duration(self, key: str, default: timedelta | None = None, *, required: bool = False,
                 off: bool = False, zero: bool = False) -> timedelta | None:
        value = self.value(key, required)
        if value is None or (off and value is False):
            return default if value is None else None
        if not isinstance(value, str):
            more = " or false to turn it off" if off else ""
            self.add(key, f"{_show(value)} is not a duration",
                     f'write "{value}m" or "PT{value}M" (in quotes){more}')
            return default
        return self._checked_duration(key, value, default, zero)

    def _checked_duration(self, key: str, value: str, default: timedelta | None,
                          zero: bool) -> timedelta | None:
        try:
            amount = parse_duration(value)
        except DurationError as exc:
            self.add(key, exc.message, exc.hint)
            return default
        if amount < timedelta(0) or (amount == timedelta(0) and not zero):
            size = "zero" if amount == timedelta(0) else "negative"
            self.add(key, f'"{value}" is {size}', "write a positive duration such as 10m")
            return default
        return amount

    def number(self, key: str, default: float | None, low: float, high: float) -> float | None:
        value = self.value(key)
        if value is None:
            return default
        if isinstance(value, (int, float)) and not isinstance(value, bool) and low < value <= high:
            return float(value)
        self.add(key, f"{_show(value)} is not a number above {low:g} and at most {high:g}",
                 f"write e.g. {key} = {min(high, 0.5):g}")
        return default

    def zone(self, key: str, default: str | None = None, required: bool = False) -> str | None:
        name = self.text(key, None, required)
        if name is None:
            return default
        issue = _zone_issue(name)
        if issue:
            self.add(key, *issue)
            return None
        return name

    def local_datetime(self, key: str, required: bool = False) -> datetime | None:
        value = self.value(key, required)
        if isinstance(value, datetime) and value.tzinfo is None:
            return value
        if isinstance(value, datetime):
            self.add(key, f"{_show(value)} has a UTC offset", "write local time and set timezone")
        elif isinstance(value, date):
            self.add(key, f"{value} has no time of day", f"write {key} = {value}T10:00:00")
        elif value is not None:
            self.add(key, f"{_show(value)} is not a local date-time", _datetime_hint(key, value))
        return None

    def until(self, key: str) -> date | datetime | None:
        value = self.value(key)
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, datetime) or value is None:
            return self.local_datetime(key)
        self.add(key, f"{_show(value)} is not a date", f"write {key} = 2027-06-30 (no quotes)")
        return None

    def count(self, key: str) -> int | None:
        value = self.value(key)
        if value is None or (isinstance(value, int) and not isinstance(value, bool) and value > 0):
            return value
        self.add(key, f"{_show(value)} is not a positive whole number", f"write {key} = 10")
        return None

    def dates(self, key: str) -> tuple[date, ...]:
        value = self.value(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            self.add(key, f"{_show(value)} is not a list of dates", f"write {key} = [2026-12-22]")
            return ()
        good = [d for d in value if isinstance(d, date) and not isinstance(d, datetime)]
        for i, item in enumerate(value):
            if item not in good:
                self.add(f"{key}[{i}]", f"{_show(item)} is not a date",
                         "write a date without time or quotes, e.g. 2026-12-22")
        return tuple(sorted(set(good)))

    def table(self, key: str, required: bool = False) -> _Table | None:
        value = self.value(key, required)
        if value is None:
            return None
        if isinstance(value, dict):
            return _Table(value, self.at(key), self.problems)
        self.add(key, f"{_show(value)} is not a table", f"write [{self.at(key)}] on its own line")
        return None


def _datetime_hint(key: str, value: Any) -> str:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return f"write {key} = {_EXAMPLES['start']} (no quotes)"
    return f"write {key} = {parsed.replace(tzinfo=None).isoformat()} (no quotes)"


@lru_cache(maxsize=1)
def _all_zones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def _zone_issue(name: str) -> tuple[str, str] | None:
    if name in _FIXED_ZONES:
        return (f'"{name}" is a fixed offset with no daylight saving',
                "write a place such as America/New_York")
    try:
        ZoneInfo(name)
        return None
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    same = [z for z in _all_zones() if z.lower() == name.lower()]
    close = same or difflib.get_close_matches(name, _all_zones(), n=1)
    hint = f'did you mean "{close[0]}"?' if close else 'write an IANA zone such as "Europe/London"'
    return f'"{name}" is not a known time zone', hint


# ---------------------------------------------------------------- the whole file


class _Reader:
    """Reads each table of the config into its frozen settings object."""

    def __init__(self, problems: Problems, env: Mapping[str, str]) -> None:
        self.problems = problems
        self.env = env
        self.state = state_dir(env)
        self.credentials = _credentials_dir(env)

    def settings(self, data: Mapping[str, Any], path: Path) -> m.Settings | None:
        top = _Table(data, "", self.problems)
        top.check_keys(_KEYS[""])
        zone = top.zone("timezone", required=True)
        calendar = self.calendar(top.table("calendar", required=True), None)
        parts = dict(
            calendars=self.calendars(top.table("calendars"), calendar),
            store=self.store(self._open(top, "store")),
            sync=self.sync(self._open(top, "sync")),
            events=self.events(self._open(top, "events")),
            sessions=self.sessions(top.value("sessions"), zone),
            breaks=self.breaks(self._open(top, "breaks")),
            preparation=self.preparation(self._open(top, "preparation")),
            supervision=self.supervision(self._open(top, "supervision"), zone))
        if self.problems or zone is None or calendar is None:
            return None
        return m.Settings(source=path, timezone=zone, calendar=calendar, **parts)

    def _open(self, top: _Table, name: str) -> _Table:
        table = top.table(name) or _Table({}, name, self.problems)
        table.check_keys(_KEYS[name])
        return table

    def calendar(self, t: _Table | None, main: m.CalendarSettings | None) -> m.CalendarSettings | None:
        if t is None:
            return None
        t.check_keys(_KEYS["calendar"])
        url = t.text("url", required=True)
        if url is None or not _check_url(t, url):
            return None
        server = _server(t, main.server if main else None)
        username, password = t.text("username"), t.text("password_file")
        if password and not username:
            t.add("password_file", "a password_file needs a username", 'add username = "..."')
        if main and username is None and password is None and _same_origin(url, main.url):
            return m.CalendarSettings(url, main.username, main.password_file, server)
        secret = _resolve(password, self.credentials, self.env) if password else None
        return m.CalendarSettings(url, username, secret, server)

    def calendars(self, t: _Table | None,
                  main: m.CalendarSettings | None) -> dict[str, m.CalendarSettings]:
        found: dict[str, m.CalendarSettings] = {}
        for name in (t.data if t else ()):
            if name.lower() in SECRET_KEYS:
                continue
            if name == "main" or not _CALENDAR_NAME.fullmatch(name):
                t.add(name, f'"{name}" cannot name a calendar',
                      "use letters, digits, - and _ (and not main), e.g. [calendars.selfcare]")
            calendar = self.calendar(t.table(name), main)
            if calendar:
                found[name] = calendar
        return found

    def store(self, t: _Table) -> m.StoreSettings:
        path, key = t.text("path", "store.db"), t.text("key_file", "store-key")
        return m.StoreSettings(_resolve(path, self.state, self.env),
                               _resolve(key, self.credentials, self.env))

    def sync(self, t: _Table) -> m.SyncSettings:
        d = m.SyncSettings()
        return m.SyncSettings(every=t.duration("every", d.every),
                              horizon=t.duration("horizon", d.horizon),
                              keep_past=t.duration("keep_past", d.keep_past, zero=True),
                              max_delete_share=t.number("max_delete_share", d.max_delete_share, 0, 1))

    def events(self, t: _Table) -> m.EventSettings:
        title = t.text("session_title", m.EventSettings().session_title)
        _check_text(t, "session_title", title, placeholder=True)
        return m.EventSettings(session_title=title)

    def sessions(self, value: Any, zone: str | None) -> tuple[m.SessionRule, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problems.add("sessions", "sessions must be a list of tables",
                              "start each session with [[sessions]] (double brackets)")
            return ()
        rules = [self.session(_Table(item, f"sessions[{i}]", self.problems), i, zone)
                 for i, item in enumerate(value)]
        found = tuple(rule for rule in rules if rule is not None)
        _check_duplicates(found, self.problems)
        return found

    def session(self, t: _Table, index: int, zone: str | None) -> m.SessionRule | None:
        t.check_keys(_KEYS["sessions"])
        client = t.text("client", required=True)
        when, repeat = self.when(t, zone)
        if client is None or when is None:
            return None
        return m.SessionRule(index, " ".join(client.split()), when, repeat)

    def when(self, t: _Table, zone: str | None) -> tuple[m.Recurrence | None, str]:
        """The start/duration/repeat/until/count/timezone/skip keys of a session or supervision."""
        before = len(self.problems.items)
        start = t.local_datetime("start", required=True)
        duration = t.duration("duration", required=True)
        zone = t.zone("timezone", zone)
        repeat = t.text("repeat", "once")
        until, count, skip = t.until("until"), t.count("count"), t.dates("skip")
        rule = _rule(t, repeat, start) if start else None
        if start and zone:
            _check_local_time(t, start, zone)
        if start:
            _check_bounds(t, start, repeat, until, count)
        if len(self.problems.items) > before or not (start and duration and zone):
            return None, repeat
        when = m.Recurrence(start, duration, zone, rule, until, count, skip)
        _check_skips(t, when)
        return (when if len(self.problems.items) == before else None), _repeat_name(repeat)

    def breaks(self, t: _Table) -> m.BreakSettings:
        d = m.BreakSettings()
        found = m.BreakSettings(
            after_session=t.duration("after_session", d.after_session, off=True),
            max_screen=t.duration("max_screen", d.max_screen, off=True),
            long_break=t.duration("long_break", d.long_break),
            title=t.text("title", d.title), alarm=t.text("alarm", d.alarm))
        _check_text(t, "title", found.title)
        _check_text(t, "alarm", found.alarm)
        return found

    def preparation(self, t: _Table) -> m.PreparationSettings:
        d = m.PreparationSettings()
        found = m.PreparationSettings(before=t.duration("before", d.before, off=True),
                                      checklist=t.text("checklist", d.checklist))
        _check_text(t, "checklist", found.checklist)
        return found

    def supervision(self, t: _Table, zone: str | None) -> m.SupervisionSettings:
        d = m.SupervisionSettings()
        when = self.when(t, zone)[0] if any(k in t.data for k in _WHEN) else None
        found = m.SupervisionSettings(
            when=when, minimum_per_month=t.duration("minimum_per_month", d.minimum_per_month),
            ratio=t.number("ratio", d.ratio, 0, float("inf")), title=t.text("title", d.title))
        _check_text(t, "title", found.title)
        return found


# ---------------------------------------------------------------- checks


def _check_url(t: _Table, url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        t.add("url", f'"{url}" is not an http(s) URL', f"write url = {_EXAMPLES['url']}")
        return False
    if parts.username or parts.password:
        t.add("url", "secrets are not allowed in the config (the URL holds a user name or password)",
              "remove it from the URL; set username and password_file")
        return False
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        t.add("url", "plain http:// would send the calendar and password unencrypted",
              "use https:// (http:// is accepted only for 127.0.0.1 or localhost)")
        return False
    return True


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.lower() == "localhost"


def _same_origin(a: str, b: str) -> bool:
    first, second = urlsplit(a), urlsplit(b)
    return (first.scheme, first.netloc.lower()) == (second.scheme, second.netloc.lower())


def _server(t: _Table, default: str | None) -> str | None:
    name = t.text("server")
    if name is None:
        return default
    if name.lower() in SERVERS:
        return name.lower()
    close = difflib.get_close_matches(name.lower(), SERVERS, n=1)
    hint = f'did you mean "{close[0]}"?' if close else "write one of " + ", ".join(SERVERS)
    t.add("server", f'"{name}" is not a known server', hint)
    return None


def _check_text(t: _Table, key: str, text: str | None, placeholder: bool = False) -> None:
    """Online-visible text: no placeholder but {pseudonym} (titles only), no revealing word."""
    if text is None:
        return
    for token in re.findall(r"\{[^{}]*\}", text):
        if not (placeholder and token == "{pseudonym}"):
            t.add(key, f"unknown placeholder {token}" if placeholder else "braces are not allowed here",
                  "the only placeholder is {pseudonym}" if placeholder else "remove { and }")
    if re.search(r"[{}]", re.sub(r"\{[^{}]*\}", "", text)):
        t.add(key, "a stray { or }", "remove it" + ("; write {pseudonym} exactly" if placeholder else ""))
    word = _REVEALING.search(text)
    if word:
        t.add(key, f'"{text}" would tell the calendar server what the events are',
              "leave out words like therapy, counselling, client or patient")


def _rule(t: _Table, repeat: str, start: datetime) -> str | None:
    try:
        return schedule.rule_from_repeat(repeat, start)
    except schedule.RuleError as exc:
        t.add("repeat", exc.message, exc.hint)
        return None


def _repeat_name(repeat: str) -> str:
    keyword = repeat.strip().lower()
    return keyword if keyword in schedule.REPEATS else "rrule"


def _check_local_time(t: _Table, start: datetime, zone: str) -> None:
    kind = schedule.local_time_problem(start, zone)
    if kind is None:
        return
    shift = schedule.transition_length(start, zone)
    when = f"{start:%H:%M} on {start:%Y-%m-%d}"
    message = (f"{when} does not exist in {zone} (clocks go forward)" if kind == "gap"
               else f"{when} happens twice in {zone} (clocks go back)")
    t.add("start", message, f"choose {start - shift:%H:%M} or {start + shift:%H:%M}")


def _check_bounds(t: _Table, start: datetime, repeat: str, until: date | datetime | None,
                  count: int | None) -> None:
    if until is not None and count is not None:
        t.add("count", "until and count cannot both be set", "keep one of them")
    for key, value in (("until", until), ("count", count)):
        if value is not None and repeat.strip().lower() == "once":
            t.add(key, f"{key} has no effect when repeat is once",
                  f"set repeat (e.g. weekly) or remove {key}")
    if until is None:
        return
    too_early = until < start if isinstance(until, datetime) else until < start.date()
    if too_early:
        t.add("until", f"{until.isoformat()} is before start {start.isoformat()}",
              "write a date on or after start, or remove until")


def _check_skips(t: _Table, when: m.Recurrence) -> None:
    for day in when.skip:
        if not schedule.occurs_on(when, day):
            t.add("skip", f"{day.isoformat()} is not a day this rule happens on",
                  _nearest_hint(when, day))
    if not t.problems:
        try:
            schedule.first_and_last(when)
        except ValueError:
            t.add("skip", "skip removes every occurrence", "remove a skip date or the whole block")


def _nearest_hint(when: m.Recurrence, day: date) -> str:
    zone = ZoneInfo(when.timezone)
    middle = datetime.combine(day, time(12), zone)
    near = schedule.expand(when, middle - timedelta(days=62), middle + timedelta(days=62))
    days = sorted({o.start.date() for o in near}, key=lambda d: abs(d - day))[:2]
    listed = " or ".join(d.isoformat() for d in sorted(days))
    return f"did you mean {listed}?" if days else "remove it"


def _check_duplicates(rules: tuple[m.SessionRule, ...], problems: Problems) -> None:
    seen: dict[tuple[str, datetime, str], int] = {}
    for rule in rules:
        key = (pseudonym_key(rule.client), rule.when.start, rule.when.timezone)
        if key in seen:
            problems.add(f"sessions[{rule.index}]", f"the same client and start as sessions[{seen[key]}]",
                         "remove one of them")
        seen.setdefault(key, rule.index)
