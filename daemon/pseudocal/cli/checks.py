"""`pseudocal check`: each part a user could get wrong, checked and reported in turn."""
from __future__ import annotations

import stat
from datetime import datetime, timezone
from pathlib import Path

from ..config.values import format_hours
from ..errors import PARTIAL_SYNC, ConfigError, KeyError_, PrivacyViolation, PseudocalError
from ..identity import naming, redaction
from ..selfcare import planning
from ..service import app, health, wording
from ..store import Store
from ..sync import engine


def _item(status: str, what: str, detail: str) -> dict:
    return {"status": status, "what": what, "detail": detail}


def run_checks(config_file: Path | None, offline: bool = False,
               create_calendars: bool = False) -> tuple[list[dict], int]:
    """Run every check that can run; return the report and the exit code of the first failure.
    `create_calendars`: make each configured calendar that does not exist (MKCALENDAR)."""
    items: list[dict] = []
    try:
        settings = app.load_settings(config_file)
    except ConfigError as exc:
        items.append(_item("FAIL", "config", wording.said(exc)[0]))
        items += [_item("FAIL", "config", p.render(exc.where)) for p in exc.problems]
        return items, exc.exit_code
    items.append(_item("ok", "config", f"{settings.source}: {len(settings.sessions)} sessions"))
    items += _permissions(settings)
    if not Store.exists(settings.store.path):
        items += _schedule(settings, {}, datetime.now(timezone.utc))
        items.append(_item("note", "store", f"no store yet at {settings.store.path}; "
                                             "run `pseudocal init`"))
        return items, 0
    return items, _check_store(settings, items, offline, create_calendars)


def _permissions(settings) -> list[dict]:
    """The master key, the store and every calendar's password file: a warning, with the
    command to run, for each one that its group or other users can read or change."""
    import shlex
    holds = {"key": "the master key that opens the store", "store": "the encrypted store"}
    files = [("key", settings.store.key_file), ("store", settings.store.path)]
    for name in app.calendar_names(settings):
        secret = settings.calendar_for(name).password_file
        if secret is not None:
            files.append(("password" if name == "main" else f"password ({name})", secret))
    out, seen = [], set()
    for what, path in files:
        try:
            mode = path.stat().st_mode
        except OSError:  # missing or unreadable: the key and server checks say so
            continue
        if path in seen or not mode & (stat.S_IRWXG | stat.S_IRWXO):
            continue
        seen.add(path)
        readers = " and ".join(w for w, bit in (("its group", stat.S_IRGRP),
                                                 ("other users", stat.S_IROTH)) if mode & bit)
        how = f"can be read by {readers}" if readers else "is open to its group or others"
        out.append(_item("warn", what, f"{path} {how} (mode "
                         f"{stat.S_IMODE(mode):04o}), and it holds "
                         f"{holds.get(what, 'the CalDAV password')}; "
                         f"run: chmod 600 {shlex.quote(str(path))}"))
    return out


def _schedule(settings, known: dict[str, str], now: datetime) -> list[dict]:
    """Schedule warnings up to the horizon and months short of supervision (never a failure).

    `known` maps the store's normalised pseudonyms (and replaced ones) to the pseudonyms
    now (naming.known_pseudonyms): a session naming anything else is shown as
    sessions[N], never by the value the config has."""
    found = [_item("warn", "schedule", w.message)
             for w in planning.schedule_warnings(settings, known, now)]
    if not settings.supervision.enabled:
        found.append(_item("note", "supervision", "no [supervision] table: the ledger and its "
                                                  "\"Book supervision\" reminders are off"))
    else:
        if settings.supervision.when is None:
            found.append(_item("note", "supervision", "no supervision scheduled in "
                                                      "[supervision]: none is counted as booked"))
        found += [_item("warn", "supervision", f"{m.month:%B %Y}: "
                        f"{format_hours(m.supervision)} booked, "
                        f"{format_hours(m.required)} needed") for m, _ in
                  planning.reminders(settings, now)]
    return found or [_item("ok", "schedule", "no warnings up to the sync horizon")]


def _fail(items: list[dict], exc: PseudocalError, what: str) -> int:
    items.append(_item("FAIL", what, _detail(*wording.said(exc))))
    items += [_item("FAIL", what, redaction.REDACTOR.scrub(p.render(exc.where or "config")))
              for p in getattr(exc, "problems", [])]
    return exc.exit_code


def _check_store(settings, items: list[dict], offline: bool,
                 create_calendars: bool = False) -> int:
    """Key, store, the config's clients, the allow-list, and (online) the server and plan.
    Schedule warnings name the store's pseudonyms only (sessions[N] for any other value)."""
    now, shown = datetime.now(timezone.utc), False
    try:
        with app.open_store(settings) as store:
            items.append(_item("ok", "key", f"{settings.store.key_file} opens the store"))
            everyone = store.list_clients()
            known = naming.known_pseudonyms(settings, everyone)
            items.append(_item("ok", "store", f"{settings.store.path}: {len(everyone)} "
                               f"clients, {len(store.records())} events pushed"))
            items += [_item("warn", "config", w)
                      for w in naming.replaced_warnings(settings, everyone)]
            items += _schedule(settings, known, now)
            shown = True
            failed, failed_code = failed_actions(store)
            items += failed
            return _check_objects(settings, store, items, offline, create_calendars) or failed_code
    except KeyError_ as exc:
        code = _fail(items, exc, "key")
    except PseudocalError as exc:
        code = _fail(items, exc, "store")
    if not shown:
        items += _schedule(settings, {}, now)
    return code


def failed_actions(store) -> tuple[list[dict], int]:
    """Each event the server refused in the last sync, with its reason and next step:
    "warn" at first, "FAIL" (exit 12) once it failed in health.FAILING_AFTER syncs in a
    row (`status` is unhealthy then too)."""
    items, code = [], 0
    for row in store.failed_actions():
        stuck = int(row["syncs"] or 0) >= health.FAILING_AFTER
        code = code or (PARTIAL_SYNC if stuck else 0)
        span = "the last sync" if row["syncs"] == 1 else f"{row['syncs']} syncs in a row"
        detail = (f"{row['label']}: could not {row['op']} it in {span} (since "
                  f"{row['first_seen']}): {row['reason']}; next step: {row['next_step']}")
        items.append(_item("FAIL" if stuck else "warn", "event", redaction.REDACTOR.scrub(detail)))
    return items, code


def _check_objects(settings, store, items: list[dict], offline: bool,
                   create_calendars: bool = False) -> int:
    try:
        want = engine.wanted_objects(settings, store, datetime.now(timezone.utc),
                                     terminal=True)
    except ConfigError as exc:
        return _fail(items, exc, "config")
    except PrivacyViolation as exc:
        return _fail(items, exc, "privacy")
    items.append(_item("ok", "privacy", f"{len(want.objects)} objects pass the allow-list"))
    return 0 if offline else _check_server(settings, store, want, items, create_calendars)


def _check_server(settings, store, want, items: list[dict],
                  create_calendars: bool = False) -> int:
    """Every configured calendar first (each URL must be a calendar; all the problems at
    once, and with `create_calendars` the missing ones made), then the next sync as a dry
    run on those same listings (one listing per calendar): reachability and the plan."""
    try:
        with app.open_remotes(settings, timeout=10) as remotes:
            listings, code = _check_calendars(remotes, items, create_calendars)
            if code:
                return code
            listed = {name: _Listed(remote, listings[name]) for name, remote in remotes.items()}
            result = engine.sync(settings, store, listed, want=want,
                                 options=engine.SyncOptions(dry_run=True))
    except PseudocalError as exc:
        return _fail(items, exc, "server")
    urls = ", ".join(settings.calendar_for(name).url for name in app.calendar_names(settings))
    items.append(_item("ok", "server", f"{urls} answer ({result.managed} events of ours)"))
    items.append(_item("ok", "plan", result.summary().replace("plan: ", "next sync: ")))
    if result.refusal is not None:
        return _fail(items, result.refusal, "plan")
    return 0


def _check_calendars(remotes: dict, items: list[dict], create: bool) -> tuple[dict, int]:
    """List every calendar once: a missing one, one that is not a calendar (a calendar
    home, a principal, a folder, a web page) and an unreachable one each get a FAIL line,
    all of them in one run. With `create`, a missing one is made (MKCALENDAR) and listed
    again. Returns the listings and the exit code of the first failure (0: none)."""
    from ..remote.caldav_remote import MissingCalendar
    listings, codes = {}, []
    for name, remote in remotes.items():
        key = app.calendar_key(name)
        try:
            listings[name] = remote.list()
            continue
        except MissingCalendar as exc:
            if not create:
                codes.append(_calendar_fail(items, key, exc))
                continue
        except PseudocalError as exc:
            codes.append(_calendar_fail(items, key, exc))
            continue
        try:
            made = remote.make_calendar()
            listings[name] = remote.list()
        except PseudocalError as exc:
            codes.append(_calendar_fail(items, key, exc))
            continue
        items.append(_item("ok", "calendar", f"{key}: " + (
            f"created the calendar {remote.url}" if made else
            f"{remote.url} was created meanwhile by someone else")))
    return listings, codes[0] if codes else 0


def _calendar_fail(items: list[dict], key: str, exc: PseudocalError) -> int:
    message, next_step = wording.said(exc)
    items.append(_item("FAIL", "calendar", _detail(
        message if exc.message.startswith(key) else f"{key}: {message}", next_step)))
    return exc.exit_code


def _detail(message: str, next_step: str) -> str:
    """A FAIL line: the (redacted) message, then the (redacted) next step."""
    return f"{message}; {next_step}" if next_step else message


class _Listed:
    """A remote whose first `list()` is the one `check` already made (each calendar is
    listed once per check); everything else goes to the remote itself."""

    def __init__(self, remote, listing: dict[str, str]) -> None:
        self._remote = remote
        self._listing: dict[str, str] | None = listing

    def list(self) -> dict[str, str]:
        listing, self._listing = self._listing, None
        return listing if listing is not None else self._remote.list()

    def __getattr__(self, name: str):
        return getattr(self._remote, name)
