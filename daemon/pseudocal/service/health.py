"""What the daemon records for `pseudocal status`, retry timing, and how health is judged.

The daemon keeps a small JSON file next to the store, `<store>.status.json`, replaced
atomically (write, fsync, rename) at start, after every sync attempt, reload and stop:

    {"version": 1, "pid": 4242, "daemon": "running", "config": "/etc/pseudocal/config.toml",
     "every": 300.0, "next_run": "2026-11-29T10:10:00+00:00", "failures": 0,
     "failing_since": null, "last_error": null, "config_error": null,
     "last_run": {...the store's sync_runs row...}, "last_good_run": {...}, ...}

A file rather than a table: `status` then needs neither the master key (under systemd a
credential only the service can read) nor an SQLite connection, so an administrator's
`sudo pseudocal status` never leaves root-owned -wal/-shm files that would lock the service
out of its store. It holds no identity: error texts pass the redactor before they are kept.

Unhealthy (exit 11) when: there is no record, the daemon is not running, no sync has
succeeded yet, the last good sync is older than `sync.stale_after` (default: 3 x every, at
least 1 h), FAILING_AFTER syncs in a row failed, an event could not be written in
FAILING_AFTER syncs in a row (`failed_actions`: the server refused it each time, e.g. a UID
conflict that does not clear), or the config file on disk is broken (the daemon keeps its
last good config meanwhile). A sync that went through with some events refused ("partial")
counts as a good sync: the others were written.
"""
from __future__ import annotations

import json
import os
import random
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from ..config.values import format_duration
from ..models import GOOD_RESULTS, Settings, SyncSettings
from ..sync import failures

STATE_VERSION = 1
FAILING_AFTER = 3  # consecutive failed syncs (or syncs refusing one event) -> unhealthy
FIRST_RETRY = 30.0  # seconds: the first retry comes after at most this (or `every`)
LONGEST_RETRY = 900.0  # seconds: retries never wait longer than this (or `every`)


# ---------------------------------------------------------------- timing


def backoff(failures: int, base: float, cap: float, rng: random.Random) -> float:
    """Seconds to wait after `failures` failed syncs in a row: exponential, capped, jittered.

    The ceiling doubles from `base` up to `cap`; the delay is drawn uniformly from its
    upper half, so retries of many machines spread out but never wait longer than `cap`.
    """
    if failures <= 0:
        return 0.0
    ceiling = min(cap, base * 2.0 ** min(failures - 1, 60))
    return ceiling / 2 + rng.uniform(0.0, ceiling / 2)


def retry_bounds(every: timedelta) -> tuple[float, float]:
    """(base, cap) of the backoff for a sync interval: retries start within min(every, 30 s)
    and double up to 4 x every, but no longer than 15 min (or every, when that is longer)."""
    seconds = every.total_seconds()
    return min(seconds, FIRST_RETRY), min(4 * seconds, max(seconds, LONGEST_RETRY))


def stale_after(sync: SyncSettings) -> timedelta:
    return sync.stale_after or max(3 * sync.every, timedelta(hours=1))


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds") if moment else None


def parse(text: str | None) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text) if text else None
    except (TypeError, ValueError):
        return None
    return moment.replace(tzinfo=moment.tzinfo or timezone.utc) if moment else None


# ---------------------------------------------------------------- the record


@dataclass
class DaemonState:
    """The daemon's view of itself; written to the status file as JSON."""
    pid: int
    config: str
    every: float
    daemon: str = "starting"  # starting | running | stopping | stopped | failed
    started_at: str | None = None
    updated_at: str | None = None
    next_run: str | None = None
    failures: int = 0
    failing_since: str | None = None
    last_error: str | None = None
    last_error_at: str | None = None
    config_error: str | None = None
    last_run: dict | None = None
    last_good_run: dict | None = None
    warnings: list = field(default_factory=list)  # schedule warnings (pseudonyms only)
    ledger: list = field(default_factory=list)  # the supervision ledger, a dict per month
    failed_actions: list = field(default_factory=list)  # failed_entries(store rows)
    version: int = STATE_VERSION

    def failed(self, error: str, now: datetime) -> None:
        self.failures += 1
        self.failing_since = self.failing_since or iso(now)
        self.last_error, self.last_error_at = error, iso(now)

    def succeeded(self) -> None:
        self.failures, self.failing_since = 0, None

    def carry_over(self, previous: dict | None) -> None:
        """Keep an unresolved failure streak across a restart."""
        if previous and previous.get("failures"):
            self.failures = int(previous["failures"])
            self.failing_since = previous.get("failing_since")
            self.last_error = previous.get("last_error")
            self.last_error_at = previous.get("last_error_at")


def state_file(settings: Settings) -> Path:
    path = settings.store.path
    return path.with_name(path.name + ".status.json")


def write_state(path: Path, state: DaemonState, now: datetime | None = None) -> None:
    """Replace the status file atomically (a reader sees the old or the new, whole)."""
    state.updated_at = iso(now or datetime.now(timezone.utc))
    data = json.dumps(asdict(state), indent=1, default=str).encode("utf-8")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def read_state(path: Path) -> tuple[dict | None, str | None]:
    """(the record, None) or (None, why it cannot be read)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, f"no daemon record at {path}: is `pseudocal run` running?"
    except PermissionError:
        return None, f"cannot read {path} (permission denied): run status as root or as " \
                     "the user the daemon runs as"
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None, f"the daemon record {path} is unreadable; it is rewritten at the next sync"
    return (doc, None) if isinstance(doc, dict) else (None, f"{path} is not a daemon record")


def failed_entries(rows: list[dict]) -> list[dict]:
    """The store's failed actions as the status file keeps them (no UID)."""
    keys = ("op", "calendar", "kind", "reason", "next_step", "first_seen", "last_seen", "syncs")
    return [{"event": row.get("label"), **{k: row.get(k) for k in keys}} for row in rows]


def note_manual_sync(settings: Settings, last_run: dict | None, last_good_run: dict | None,
                     warnings: list | None = None, ledger: list | None = None,
                     failed: list[dict] | None = None) -> None:
    """Record a sync run by hand for `status`, unless a running daemon keeps the file."""
    path = state_file(settings)
    doc, _ = read_state(path)
    if doc and pid_alive(doc.get("pid")) and doc.get("daemon") not in ("stopped", "failed"):
        return  # the daemon copies the store's runs into its record itself
    state = DaemonState(pid=0, config=str(settings.source), daemon="not running",
                        every=settings.sync.every.total_seconds(),
                        last_run=last_run, last_good_run=last_good_run,
                        warnings=warnings or [], ledger=ledger or [],
                        failed_actions=failed_entries(failed or []))
    write_state(path, state)


# ---------------------------------------------------------------- judging


def pid_alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def assess(doc: dict, now: datetime, stale: timedelta, alive=pid_alive) -> list[str]:
    """Every reason the daemon needs attention; empty when healthy."""
    problems = []
    if doc.get("daemon") in ("stopped", "failed") or not alive(doc.get("pid")):
        problems.append(f"the daemon is not running (last record {doc.get('updated_at')})")
    good = parse((doc.get("last_good_run") or {}).get("finished_at"))
    if good is None:
        problems.append("no sync has succeeded yet")
    elif now - good > stale:
        problems.append(f"the last good sync was {format_duration(_rounded(now - good))} ago "
                        f"(more than {format_duration(stale)})")
    if int(doc.get("failures") or 0) >= FAILING_AFTER:
        problems.append(f"{doc['failures']} syncs in a row failed since "
                        f"{doc.get('failing_since')}: {doc.get('last_error')}")
    stuck = [f for f in doc.get("failed_actions") or []
             if int(f.get("syncs") or 0) >= FAILING_AFTER]
    if stuck:
        problems.append(failures.summary(stuck))
    if doc.get("config_error"):
        problems.append(f"the config file is broken, the daemon keeps its last good config: "
                        f"{doc['config_error']}")
    return problems


def _rounded(span: timedelta) -> timedelta:
    """Whole minutes, or whole seconds under a minute."""
    seconds = int(span.total_seconds())
    return timedelta(seconds=seconds if seconds < 60 else seconds - seconds % 60)


# ---------------------------------------------------------------- words


def clock(text: str | None, zone: str, now: datetime, full: bool = False) -> str:
    """A recorded time in the practitioner's zone: "10:05", or with the date when not today."""
    moment = parse(text)
    if moment is None:
        return "?"
    local, today = moment.astimezone(ZoneInfo(zone)), now.astimezone(ZoneInfo(zone))
    same_day = local.date() == today.date()
    return local.strftime("%H:%M" if same_day and not full else "%Y-%m-%d %H:%M")


def counts(run: dict) -> str:
    return (f"{run.get('created', 0)} created, {run.get('updated', 0)} updated, "
            f"{run.get('deleted', 0)} deleted")


def status_line(doc: dict, zone: str, now: datetime) -> str:
    """The one line for systemd's STATUS=: last sync, failures, next run, config trouble."""
    run, parts = doc.get("last_run"), []
    if doc.get("daemon") == "stopped":
        parts.append("stopped")
    elif doc.get("daemon") == "failed":
        parts.append(f"stopped by an error: {doc.get('last_error')}")
    if doc.get("config_error"):
        parts.append("config error, last good config kept")
    after = clock(doc.get("next_run"), zone, now) if doc.get("next_run") else None
    if doc.get("failures"):
        retry = f", next try {after}" if after else ""
        parts.append(f"sync failing since {clock(doc.get('failing_since'), zone, now)} "
                     f"({doc['failures']} attempts{retry}): {doc.get('last_error')}")
    else:
        parts.append(_last_sync(run, zone, now) if run else "first sync running")
        parts += [f"next {after}"] if after else []
    if doc.get("failed_actions"):
        count = len(doc["failed_actions"])
        parts.append(f"{count} event{'s' if count > 1 else ''} could not be written")
    if doc.get("config_error"):
        parts.append(doc["config_error"])  # last: the details may be cut off
    return "; ".join(parts)


def _last_sync(run: dict, zone: str, now: datetime) -> str:
    when = clock(run.get("finished_at") or run.get("started_at"), zone, now)
    return f"last sync {when} {run.get('result') or 'interrupted'}: {counts(run)}"


def report(settings: Settings, now: datetime | None = None,
           alive=pid_alive) -> tuple[dict, str, bool]:
    """(JSON document, text, healthy) for `pseudocal status`."""
    now = now or datetime.now(timezone.utc)
    path, stale = state_file(settings), stale_after(settings.sync)
    doc, unreadable = read_state(path)
    problems = [unreadable] if unreadable else assess(doc or {}, now, stale, alive)
    out = _document(doc or {}, problems, stale, path, alive)
    return out, _text(out, settings.timezone, now), not problems


def _document(doc: dict, problems: list[str], stale: timedelta, path: Path, alive) -> dict:
    run, good = doc.get("last_run") or {}, doc.get("last_good_run") or {}
    return {
        "healthy": not problems, "problems": problems,
        "last_sync": run.get("finished_at") or run.get("started_at"),
        "result": run.get("result"),
        "counts": {k: run.get(k, 0) for k in ("created", "updated", "deleted")} if run else None,
        "last_good_sync": good.get("finished_at"), "next_run": doc.get("next_run"),
        "failing_since": doc.get("failing_since"), "failures": doc.get("failures", 0),
        "last_error": doc.get("last_error"), "last_error_at": doc.get("last_error_at"),
        "config_error": doc.get("config_error"),
        **_run_error(run.get("error")),
        "daemon": {"state": doc.get("daemon"), "pid": doc.get("pid"),
                   "running": bool(doc) and alive(doc.get("pid")),
                   "updated_at": doc.get("updated_at")},
        "stale_after_seconds": stale.total_seconds(), "status_file": str(path),
        "warnings": doc.get("warnings") or [], "supervision": doc.get("ledger") or [],
        "failed_actions": doc.get("failed_actions") or [],
    }


_KIND = re.compile(r"^(\w+)(?:\[([\w-]+)\])?: ")


def _run_error(error: object) -> dict:
    """The last run's own error (a manual sync's too), and for a safety refusal which one:
    "config-emptied", "calendar-empty", "too-many" or "calendar-moved"."""
    if not isinstance(error, str) or not error:
        return {"run_error": None, "refused_because": None}
    found = _KIND.match(error)
    return {"run_error": error[found.end():] if found else error,
            "refused_because": found.group(2) if found else None}


def _text(out: dict, zone: str, now: datetime) -> str:
    last = (f"last sync {clock(out['last_sync'], zone, now, full=True)} "
            f"{out['result'] or 'interrupted'} "
            f"({counts(out['counts'])})" if out["last_sync"] else "no sync recorded yet")
    if out["next_run"]:
        last += f"; next {clock(out['next_run'], zone, now)}"
    if out["healthy"] and out["failures"]:
        lines = [f"healthy, retrying after {out['failures']} failed attempt(s): {last}",
                 f"  last error: {out['last_error']}"]
    elif out["healthy"]:
        lines = [f"healthy: {last}"]
    else:
        lines = [f"unhealthy: {out['problems'][0]}",
                 *(f"  also: {p}" for p in out["problems"][1:]), f"  {last}"]
        if out["last_good_sync"] and out["result"] not in GOOD_RESULTS:
            lines.append(f"  last good sync {clock(out['last_good_sync'], zone, now, full=True)}")
    if out.get("run_error") and out["result"] not in GOOD_RESULTS and \
            out["run_error"] != out["last_error"]:
        why = f" (safety valve: {out['refused_because']})" if out["refused_because"] else ""
        lines.append(f"  why{why}: {out['run_error']}")
    failed = failures.summary(out["failed_actions"]) if out["failed_actions"] else None
    if failed and failed not in out["problems"]:
        lines.append(f"  {failed}")
    return "\n".join(lines + _advice(out))


def _advice(out: dict) -> list[str]:
    """Schedule warnings and the supervision ledger: things to know, not health."""
    lines = [f"schedule warning: {w}" for w in out["warnings"]]
    if out["supervision"]:
        lines += ["supervision ledger:", *(f"  {m['line']}" for m in out["supervision"])]
    return lines
