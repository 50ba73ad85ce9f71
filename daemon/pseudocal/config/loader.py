"""TOML -> validated, frozen `Settings`; every problem is reported at once.

`load_settings` parses the file with tomllib (a missing or unreadable file, or a syntax
error, stops there with the file name and line), then reads every table in one pass. Each
problem is collected with its key path -- `calendar.url`, `sessions[2].duration` (the
[[sessions]] blocks count from 0) -- and a hint saying what to write instead; if there is
any, one ConfigError carries them all. Nothing after loading sees a dict.

Rules beyond types:
  * unknown keys are problems, named by their table only (never repeated: a key could be
    a name), with a "did you mean" suggestion of the nearest known keys;
  * secrets are never inline: a key named password, key, master_key, token, secret, ...
    anywhere is a problem (the CalDAV password lives in `password_file`, the master key in
    `store.key_file`), and so is a user name or password inside a calendar URL;
  * plain http:// is accepted only for a loopback server;
  * `[calendars.<name>]` without username/password_file borrows them (and `server`) from
    [calendar] when both URLs share scheme, host and port: never sent to another host;
  * the session title's only placeholder is {pseudonym}; other online texts take none;
    no title or alarm text may say what the events are (therapy, counselling, client...);
  * sessions name clients by pseudonym only; `check_pseudonyms` compares with the store,
    case- and space-insensitively (`pseudonym_key`);
  * a first `start` that does not exist (spring-forward gap) or happens twice (autumn fold)
    in its zone is a problem. Later occurrences of a repeating rule that land in a gap or
    fold follow RFC 5545: a gap time is shifted forward by the gap's length, a fold time is
    the first (earlier) instant -- `schedule` implements it;
  * no [breaks] table, no screen breaks (an empty one takes the defaults); `after_session`,
    `max_screen`, `before` and the [workload] caps may be `false`.

Paths: a relative `store.path` resolves in the state directory; relative `key_file` and
`password_file` resolve in $CREDENTIALS_DIRECTORY when systemd sets it, else in the state
directory (`state_dir`). `default_config_path` says where the config is looked for.
"""
from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .. import models as m
from ..errors import ConfigError, Problems
from ..identity import pseudonyms
from ..schedule import recurrence
from . import values as v
from .schema import SECTIONS

_KEY_HINT = "put it in a file and set key_file under [store]"
_PASSWORD_HINT = "put it in a file and set password_file"
SECRET_KEYS = {"password": _PASSWORD_HINT, "passwd": _PASSWORD_HINT, "token": _PASSWORD_HINT,
               "secret": _PASSWORD_HINT, "api_key": _PASSWORD_HINT, "key": _KEY_HINT,
               "master_key": _KEY_HINT, "passphrase": _KEY_HINT}
_CALENDAR_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_WHEN = ("start", "duration", "repeat", "until", "count", "timezone", "skip")
_KEYS = ("timezone", "calendar", "calendars", "store", "sync", "events", "sessions", "breaks",
         "preparation", "supervision", "workload")
_CALENDAR_KEYS = ("url", "username", "password_file", "server", "ca_file")
_EXAMPLES = {"timezone": '"Europe/London"', "client": '"Amber Falcon"', "duration": '"50m"',
             "url": '"https://cloud.example.org/dav/calendars/alex/practice/"',
             "start": "2026-12-01T10:00:00"}


# ---------------------------------------------------------------- paths


def state_dir(env: Mapping[str, str] | None = None) -> Path:
    """$STATE_DIRECTORY (its first entry), $PSEUDOCAL_STATE_DIR, $XDG_STATE_HOME/pseudocal,
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
    """$PSEUDOCAL_CONFIG; else the user's config ($XDG_CONFIG_HOME or ~/.config) if it exists;
    else /etc/pseudocal/config.toml if that exists; else the user's path."""
    env = os.environ if env is None else env
    if env.get("PSEUDOCAL_CONFIG"):
        return _expand_home(env["PSEUDOCAL_CONFIG"], env)
    xdg = env.get("XDG_CONFIG_HOME", "")
    user = (Path(xdg) if os.path.isabs(xdg) else _home(env) / ".config") / "pseudocal/config.toml"
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
    given = env.get("CREDENTIALS_DIRECTORY")
    return Path(given) if given else state_dir(env)


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
        n = len(problems.items)
        raise ConfigError(f"{n} problem{'s' if n != 1 else ''} in {path}", problems=problems.items,
                          where=str(path), next_step="fix the keys listed; then pseudocal check")
    return settings


def _read_toml(path: Path) -> dict[str, Any]:
    where = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist", where=where,
                          next_step="copy config/example.toml there or pass --config") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}", where=where,
                          next_step="check the path and its permissions") from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text (byte {exc.start})", where=where,
                          next_step="save the file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(path, str(exc)) from None


def _syntax_error(path: Path, reason: str) -> ConfigError:
    found = re.search(r"\(at line (\d+), column \d+\)", reason)
    line = found.group(1) if found else "?"
    what = re.sub(r"\s*\(at [^)]*\)$", "", reason)
    # tomllib quotes keys ("Cannot declare ('supervision', 'rose-may') twice"): a key may
    # be a name typed by mistake, and this is printed before the store can say so
    # (a key holding both quote characters is quoted with escapes: everything from the
    # first quote or parenthesis to the last goes, whatever is between)
    what = re.sub(r"[('\"].*[)'\"]|[('\"].*$", "(...)", what)
    return ConfigError(f"{path}, line {line}: TOML syntax error: {what}", where=f"{path}:{line}",
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


# ---------------------------------------------------------------- values


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
        """Unknown keys are one problem for the table, named by the table's path only: an
        unknown key is never repeated, not even one close to a known key (`Ottilie` is
        close to `title`, `Stuart` to `start`: a key typed by mistake may be a name, and a
        config error is printed before the store is open to check it). The hint suggests
        the nearest known keys and lists every key the table takes."""
        unknown = [key for key in self.data
                   if key not in allowed and key.lower() not in SECRET_KEYS]
        if not unknown:
            return
        near = list(dict.fromkeys(close for key in unknown
                                  for close in difflib.get_close_matches(key, allowed, n=1)))
        what = ("a key that is not known here" if len(unknown) == 1
                else f"{len(unknown)} keys that are not known here")
        hint = f"did you mean {' or '.join(repr(k) for k in near)}? " if near else ""
        self.problems.add(self.path or "(top level)",
                          f"{what} (not repeated: a key could be a name)",
                          hint + "known keys: " + ", ".join(allowed))

    def get(self, key: str, read: Callable[[Any], Any], default: Any = None,
            required: bool = False) -> Any:
        """`read(value)`, or `default` when the key is absent or its value is wrong."""
        if key not in self.data:
            if required:
                self.add(key, "missing", f"add {key} = {_EXAMPLES.get(key, '...')}")
            return default
        try:
            return read(self.data[key])
        except (v.ValueProblem, recurrence.RuleError) as exc:
            self.add(key, exc.message, exc.hint)
            return default

    def table(self, key: str, required: bool = False) -> _Table | None:
        value = self.get(key, lambda x: x, required=required)
        if value is None or isinstance(value, dict):
            return None if value is None else _Table(value, self.at(key), self.problems)
        self.add(key, f"{v.show(value)} is not a table", f"write [{self.at(key)}] on its own line")
        return None


_ABSENT = object()
_NO_BREAKS = m.BreakSettings(after_session=None, max_screen=None)  # without a [breaks] table
_Calendar = m.CalendarSettings


# ---------------------------------------------------------------- the whole file


class _Reader:
    """Reads each table of the config into its frozen settings object."""

    def __init__(self, problems: Problems, env: Mapping[str, str]) -> None:
        self.problems, self.env = problems, env
        self.state, self.credentials = state_dir(env), _credentials_dir(env)

    def settings(self, data: Mapping[str, Any], path: Path) -> m.Settings | None:
        top = _Table(data, "", self.problems)
        top.check_keys(_KEYS)
        zone = top.get("timezone", v.zone, required=True)
        calendar = self.calendar(top.table("calendar", required=True), None)
        parts = dict(calendars=self.calendars(top.table("calendars"), calendar),
                     store=self.store(self.open(top, "store", ("path", "key_file"))),
                     sync=self.section(top, "sync")[0], events=self.section(top, "events")[0],
                     sessions=self.sessions(top.data.get("sessions"), zone),
                     breaks=self.section(top, "breaks")[0] if "breaks" in data else _NO_BREAKS,
                     **{name: self.section(top, name)[0] for name in ("preparation", "workload")},
                     supervision=self.supervision(top, zone))
        if self.problems or zone is None or calendar is None:
            return None
        return m.Settings(source=path, timezone=zone, calendar=calendar, **parts)

    def open(self, top: _Table, name: str, keys: tuple[str, ...]) -> _Table:
        table = top.table(name) or _Table({}, name, self.problems)
        table.check_keys(keys)
        return table

    def section(self, top: _Table, name: str, extra: tuple[str, ...] = ()) -> tuple[Any, _Table]:
        """A table read by its schema in SECTIONS; absent or wrong keys keep their default."""
        kind, readers = SECTIONS[name]
        table = self.open(top, name, (*extra, *readers))
        found = {key: table.get(key, read, _ABSENT) for key, read in readers.items()}
        return kind(**{k: x for k, x in found.items() if x is not _ABSENT}), table

    def calendar(self, t: _Table | None, main: _Calendar | None) -> _Calendar | None:
        if t is None:
            return None
        t.check_keys(_CALENDAR_KEYS)
        url = t.get("url", v.url, required=True)
        shared = main if url and main and _same_origin(url, main.url) else None
        server = t.get("server", v.server, shared.server if shared else None)
        username, password = t.get("username", v.text), t.get("password_file", v.text)
        ca_text = t.get("ca_file", v.text)  # absolute, or in the state directory
        ca_file = (_resolve(ca_text, self.state, self.env) if ca_text else
                   shared.ca_file if shared else None)
        if password and not username:
            t.add("password_file", "a password_file needs a username", 'add username = "..."')
        if shared and username is None and password is None:
            return m.CalendarSettings(url, shared.username, shared.password_file, server, ca_file)
        secret = _resolve(password, self.credentials, self.env) if password else None
        return m.CalendarSettings(url, username, secret, server, ca_file) if url else None

    def calendars(self, t: _Table | None, main: _Calendar | None) -> dict[str, _Calendar]:
        found: dict[str, _Calendar] = {}
        if t is None:
            return found
        for name in t.data:
            if name.lower() in SECRET_KEYS:
                continue
            if name == "main" or not _CALENDAR_NAME.fullmatch(name):
                t.add("main" if name == "main" else "(a calendar name)",
                      "this cannot name a calendar (not repeated: it may be a name)",
                      "use letters, digits, - and _ (not main), e.g. [calendars.selfcare]")
                continue
            calendar = self.calendar(t.table(name), main)
            if calendar:
                found[name] = calendar
        return found

    def store(self, t: _Table) -> m.StoreSettings:
        return m.StoreSettings(_resolve(t.get("path", v.text, "store.db"), self.state, self.env),
                               _resolve(t.get("key_file", v.text, "store-key"), self.credentials,
                                        self.env))

    def sessions(self, value: Any, zone: str | None) -> tuple[m.SessionRule, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
            self.problems.add("sessions", "sessions must be a list of tables",
                              "start each session with [[sessions]] (double brackets)")
            return ()
        rules = [self.session(_Table(x, f"sessions[{i}]", self.problems), i, zone)
                 for i, x in enumerate(value)]
        found = tuple(rule for rule in rules if rule is not None)
        _check_duplicates(found, self.problems)
        return found

    def session(self, t: _Table, index: int, zone: str | None) -> m.SessionRule | None:
        t.check_keys(("client", *_WHEN))
        client = t.get("client", v.text, required=True)
        when, repeat = self.when(t, zone)
        if client is None or when is None:
            return None
        return m.SessionRule(index, pseudonyms.tidy(client), when, repeat)

    def supervision(self, top: _Table, zone: str | None) -> m.SupervisionSettings:
        found, table = self.section(top, "supervision", extra=_WHEN)
        found = replace(found, enabled="supervision" in top.data)
        if not any(key in table.data for key in _WHEN):
            return found
        return replace(found, when=self.when(table, zone)[0])

    def when(self, t: _Table, zone: str | None) -> tuple[m.Recurrence | None, str]:
        """The start/duration/repeat/until/count/timezone/skip keys of a session or supervision."""
        before = len(self.problems.items)
        start = t.get("start", v.local_datetime, required=True)
        duration = t.get("duration", v.duration_value, required=True)
        zone = t.get("timezone", v.zone, zone)
        repeat = t.get("repeat", v.text, "once")
        valid = isinstance(t.data.get("repeat"), str)  # checked even when start is wrong
        rule = t.get("repeat", partial(recurrence.rule_from_repeat, start=start)) if valid else None
        rule_ok = start and (rule is not None or repeat.strip().lower() == "once")
        if start and zone and (issue := recurrence.local_time_message(start, zone)):
            t.add("start", *issue)
        when = m.Recurrence(start, duration, zone, rule, t.get("until", v.date_or_local_datetime),
                            t.get("count", v.positive_int), t.get("skip", v.date_list, ()))
        for problem in recurrence.bound_problems(when) if rule_ok else ():
            t.add(*problem)
        if len(self.problems.items) > before or None in (start, duration, zone):
            return None, repeat
        for problem in recurrence.skip_problems(when):
            t.add(*problem)
        return (when if len(self.problems.items) == before else None), _repeat_name(repeat)


# ---------------------------------------------------------------- checks


def _same_origin(a: str, b: str) -> bool:
    first, second = urlsplit(a), urlsplit(b)
    return (first.scheme, first.netloc.lower()) == (second.scheme, second.netloc.lower())


def _repeat_name(repeat: str) -> str:
    keyword = repeat.strip().lower()
    return keyword if keyword in recurrence.REPEATS else "rrule"


def _check_duplicates(rules: tuple[m.SessionRule, ...], problems: Problems) -> None:
    seen: dict[tuple[str, datetime, str], int] = {}
    for rule in rules:
        key = (pseudonyms.normalise(rule.client), rule.when.start, rule.when.timezone)
        if key in seen:
            problems.add(f"sessions[{rule.index}]",
                         f"same client and start as sessions[{seen[key]}]", "remove one of them")
        seen.setdefault(key, rule.index)
