"""Opening what a command needs — config, key, store, calendars — with clear errors."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Mapping

from ..config import loader
from ..errors import ConfigError, KeyError_
from ..models import CalendarSettings, Settings

if TYPE_CHECKING:
    from ..store import Store


def config_path(given: Path | None, env: Mapping[str, str] | None = None) -> Path:
    return given if given is not None else loader.default_config_path(env or os.environ)


def load_settings(given: Path | None, env: Mapping[str, str] | None = None) -> Settings:
    path = config_path(given, env)
    try:
        return loader.load_settings(path, env=env or os.environ)
    except ConfigError as exc:
        exc.where = exc.where or str(path)
        raise


def load_key(settings: Settings) -> bytes:
    from .. import crypto
    try:
        return crypto.load_key_file(settings.store.key_file)
    except KeyError_ as exc:
        if not settings.store.key_file.exists() and settings.store.path.exists():  # Store.exists
            exc.next_step = (f"the store at {settings.store.path} exists, so restore its key "
                             "file from your backup; `pseudocal init` will not replace it")
        raise


@contextmanager
def open_store(settings: Settings) -> Iterator[Store]:
    """The store, opened read-write but never created; identities loaded into the redactor."""
    from ..identity import privacy, redaction
    from ..store import Store  # the database layer: only for the commands that open the store
    try:
        store = Store.open(settings.store.path, load_key(settings),
                           key_source=str(settings.store.key_file))
    except KeyError_ as exc:
        pending = settings.store.key_file.with_name(settings.store.key_file.name + ".new")
        if pending.exists():
            exc.next_step = (f"a key rotation was interrupted after the store took the new key: "
                             f"it is in {pending}; move it to {settings.store.key_file}")
        raise
    try:
        redaction.REDACTOR.load(privacy.Identities.of(c.identity for c in store.list_clients()))
        yield store
    finally:
        store.close()


def read_password(cal: CalendarSettings) -> str | None:
    if cal.password_file is None:
        return None
    try:
        return cal.password_file.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"cannot read the CalDAV password file {cal.password_file} "
                          f"({exc.strerror})", where=str(cal.password_file),
                          next_step="create it (mode 0600) or pass it as a systemd credential"
                          ) from None


def calendar_names(settings: Settings) -> list[str]:
    return ["main", *sorted(settings.calendars)]


def calendar_key(name: str) -> str:
    """The config key holding a calendar's URL: `calendar.url`, `calendars.NAME.url`."""
    return "calendar.url" if name == "main" else f"calendars.{name}.url"


@contextmanager
def open_remotes(settings: Settings, timeout: float = 30.0) -> Iterator[dict]:
    """One CalDAV connection per configured calendar, closed afterwards."""
    from ..remote.caldav_remote import CalDAVRemote
    remotes = {}
    try:
        for name in calendar_names(settings):
            cal = settings.calendar_for(name)
            remotes[name] = CalDAVRemote(cal, read_password(cal), timeout=timeout,
                                         key=calendar_key(name))
        yield remotes
    finally:
        for remote in remotes.values():
            remote.close()
