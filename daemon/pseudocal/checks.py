"""`pseudocal check`: each part a user could get wrong, checked and reported in turn."""
from __future__ import annotations

import stat
from datetime import datetime, timezone
from pathlib import Path

from . import app, config, selfcare
from .durations import format_duration
from .errors import ConfigError, PseudocalError, StoreError
from .store import Store


def _item(status: str, what: str, detail: str) -> dict:
    return {"status": status, "what": what, "detail": detail}


def run_checks(config_file: Path | None, offline: bool = False) -> tuple[list[dict], int]:
    """Run every check that can run; return the report and the exit code of the first failure."""
    items: list[dict] = []
    try:
        settings = app.load_settings(config_file)
    except ConfigError as exc:
        items.append(_item("FAIL", "config", exc.message))
        items += [_item("FAIL", "config", p.render(exc.where)) for p in exc.problems]
        return items, exc.exit_code
    items.append(_item("ok", "config", f"{settings.source}: {len(settings.sessions)} sessions"))
    items += _permissions(settings)
    items += _schedule(settings, datetime.now(timezone.utc))
    code = 0
    if not Store.exists(settings.store.path):
        items.append(_item("note", "store", f"no store yet at {settings.store.path}; "
                                             "run `pseudocal init`"))
    else:
        code = _check_store(settings, items)
    if not offline and code == 0:
        code = _check_server(settings, items)
    return items, code


def _permissions(settings) -> list[dict]:
    out = []
    for what, path in (("key", settings.store.key_file), ("store", settings.store.path)):
        if path.exists() and path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            out.append(_item("warn", what, f"{path} is readable by others; run chmod 600 {path}"))
    return out


def _schedule(settings, now: datetime) -> list[dict]:
    """Schedule warnings up to the horizon and months short of supervision (never a failure)."""
    found = [_item("warn", "schedule", w.message)
             for w in selfcare.schedule_warnings(settings, None, now)]
    if settings.supervision.when is None:
        found.append(_item("note", "supervision", "no supervision schedule in [supervision]: "
                                                  "the ledger and its reminders are off"))
    else:
        found += [_item("warn", "supervision", f"{m.month:%B %Y}: "
                        f"{format_duration(m.supervision)} booked, "
                        f"{format_duration(m.required)} needed") for m, _ in
                  selfcare.reminders(settings, now)]
    return found or [_item("ok", "schedule", "no warnings up to the sync horizon")]


def _check_store(settings, items: list[dict]) -> int:
    try:
        with app.open_store(settings) as store:
            clients = store.list_clients()
            records = store.records()
    except PseudocalError as exc:
        items.append(_item("FAIL", "store", exc.message))
        return exc.exit_code
    items.append(_item("ok", "key", f"{settings.store.key_file} opens the store"))
    items.append(_item("ok", "store", f"{settings.store.path}: {len(clients)} clients, "
                                       f"{len(records)} events pushed"))
    problems = config.check_pseudonyms(settings, {c.pseudonym for c in clients})
    for p in problems:
        items.append(_item("FAIL", "config", p.render(str(settings.source))))
    return ConfigError.exit_code if problems else 0


def _check_server(settings, items: list[dict]) -> int:
    try:
        with app.open_remotes(settings, timeout=10) as remotes:
            for name, remote in remotes.items():
                count = len(remote.list())
                url = settings.calendar_for(name).url
                items.append(_item("ok", "server", f"{name}: {url} answers ({count} objects)"))
    except PseudocalError as exc:
        items.append(_item("FAIL", "server", exc.message))
        return exc.exit_code
    return 0
