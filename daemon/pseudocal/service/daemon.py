"""`pseudocal run`: the daemon -- scheduler, signals, reload, sd_notify and backoff.

Threads:
    main       signal flags, the config file watcher, reloads, the shutdown
    scheduler  APScheduler's BackgroundScheduler; its thread pool runs two jobs:
      sync       engine.recorded_sync under a lock: every `sync.every`, once at start,
                 coalesce=True and max_instances=1, so never two at a time
      watchdog   WATCHDOG=1 every WATCHDOG_USEC / 2, only while the main loop is alive
                 (if the scheduler stalls, the pings stop and systemd restarts us)

A failed sync never ends the daemon unless the store or key is broken:
    ServerError (an outage, 5xx, 401...), and also a ConfigError met during a sync (an
    unreadable password file, a pseudonym the store no longer knows), SafetyRefusal,
    PrivacyViolation or an unexpected bug: logged at ERROR, recorded as a failed run,
    nothing deleted; the next attempt comes after `health.backoff` (capped) and the
    interval resumes after the first success.
    KeyError_, IntegrityError, or a StoreError that re-opening the store confirms: the
    daemon stops and exits with that error's code (4, 5); systemd does not restart it.
    A StoreError the store survives (locked, disk full) is a failed run like the others.

Stop (SIGTERM, SIGINT): STOPPING=1, no new runs; the sync in flight stops before its next
HTTP request (every action already done is recorded in its own transaction), the run is
recorded as "stopped", and the process exits 0 -- at most one request timeout
(REQUEST_TIMEOUT) after the signal.

Reload (SIGHUP, or a changed config file): validated in full (load_settings, pseudonyms
against the store, the same store); a broken config is logged at ERROR with file and key
path, shown in STATUS= and the status file, and the last good config stays in effect.

Clients changed by another process (`client add`, `edit`, `rename`, `remove` while the
service runs): noticed within CONFIG_POLL and synced at once, so a text already online that
names the client just added is taken off the calendar then, not at the next turn.
"""
from __future__ import annotations

import hashlib
import logging
import os
import random
import signal
import threading
import time
from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

from apscheduler.events import EVENT_JOB_MAX_INSTANCES
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from ..config.values import format_duration
from ..errors import ConfigError, IntegrityError, KeyError_, PseudocalError, StoreError
from ..identity import naming, privacy, redaction
from ..models import Settings
from ..selfcare import advice
from ..store import Store
from ..sync import engine
from . import app, health, notify, wording

log = logging.getLogger("pseudocal.daemon")

SYNC_JOB, WATCHDOG_JOB = "sync", "watchdog"
TICK = 0.25  # seconds between looks at the signal flags
CONFIG_POLL = 2.0  # seconds between looks at the config file
REQUEST_TIMEOUT = 20.0  # seconds for one CalDAV request; also bounds the stop
STOP_GRACE = 40  # seconds the stop waits for the sync in flight (TimeoutStopSec=60s)
SYNC_STUCK_AFTER = 900  # seconds: a sync running longer than this withholds the watchdog
REMOTE_CALLS = frozenset({"list", "get", "multiget", "create", "update", "delete"})


class StopRequested(Exception):
    """Raised inside a sync, before its next request, once the daemon is stopping."""
    run_result = "stopped"  # how engine.recorded_sync records the run


def _now() -> datetime:
    return datetime.now(timezone.utc)


def validate(settings: Settings, store: Store) -> None:
    """ConfigError when a session names a pseudonym the store does not know."""
    engine.check_config_clients(settings, store.list_clients())


def validate_reload(settings: Settings, store: Store) -> None:
    """As `validate`, and PrivacyViolation when an object the new config asks for could not
    leave (e.g. a title naming a client): a reload then keeps the last good config."""
    engine.wanted_objects(settings, store, _now())


class _StopAware:
    """A remote that refuses to begin another request once the daemon is stopping."""

    def __init__(self, remote, stopping: threading.Event) -> None:
        self._remote, self._stopping = remote, stopping

    def __getattr__(self, name: str):
        attr = getattr(self._remote, name)
        if name not in REMOTE_CALLS:
            return attr

        def call(*args, **kwargs):
            if self._stopping.is_set():
                raise StopRequested("the daemon is stopping; the rest waits for its next start")
            return attr(*args, **kwargs)
        return call


class ConfigWatcher:
    """Notices a changed config file (by content), once it reads the same twice in a row."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.applied = self.seen = self._fingerprint()
        self.next_look = time.monotonic() + CONFIG_POLL

    def _fingerprint(self) -> str | None:
        try:
            return hashlib.sha256(self.path.read_bytes()).hexdigest()
        except OSError:
            return None

    def changed(self) -> bool:
        if time.monotonic() < self.next_look:
            return False
        self.next_look = time.monotonic() + CONFIG_POLL
        current, previous = self._fingerprint(), self.seen
        self.seen = current
        return current == previous and current != self.applied

    def mark(self) -> None:
        """The current content has been tried (whether it loaded or not)."""
        self.applied = self.seen = self._fingerprint()


class ClientsWatcher:
    """Notices a client added, edited, renamed or removed by another process (`client add`
    while the service runs), by the stored rows' fingerprint, without opening them."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.seen = self._fingerprint()
        self.next_look = time.monotonic() + CONFIG_POLL

    def _fingerprint(self) -> bytes | None:
        try:
            return self.store.clients_fingerprint()
        except StoreError:  # busy or unreadable now: the syncs say so, look again later
            return None

    def changed(self) -> bool:
        if time.monotonic() < self.next_look:
            return False
        self.next_look = time.monotonic() + CONFIG_POLL
        current = self._fingerprint()
        if current is None or current == self.seen:
            return False
        self.seen = current
        return True


class Daemon:
    """One running daemon around an open store; `serve` returns its exit code."""

    def __init__(self, path: Path, settings: Settings, store: Store, env=None) -> None:
        self.path, self.settings, self.store = path, settings, store
        self.notifier = notify.Notifier.from_env(env)
        self.watchdog = notify.watchdog_interval(env)
        self.stopping, self.wake = threading.Event(), threading.Event()
        self.sync_lock, self.publish_lock = threading.Lock(), threading.Lock()
        self.reload_asked, self.generation = False, 0
        self.fatal: PseudocalError | None = None
        self.rng = random.Random()
        self.watcher, self.clients = ConfigWatcher(path), ClientsWatcher(store)
        self.last_tick = time.monotonic()
        self.sync_started: float | None = None  # monotonic start of the sync in flight
        self.stop_grace = float(STOP_GRACE)
        self.stuck_after = float(SYNC_STUCK_AFTER)
        self.state_path = health.state_file(settings)
        self.state = health.DaemonState(pid=os.getpid(), config=str(path),
                                        every=settings.sync.every.total_seconds(),
                                        started_at=health.iso(_now()))
        self.state.carry_over(health.read_state(self.state_path)[0])
        self.scheduler = BackgroundScheduler(timezone=timezone.utc, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": None})

    # ------------------------------------------------------------ lifecycle

    def serve(self) -> int:
        self._install_signals()
        self._record_runs()
        self._review()
        self.notifier.send(READY=1)  # config, key and store are open
        self._start_scheduler()
        self._publish("running")
        # the practitioner's own paths: redacted as pseudocal's words (whole identities),
        # or a log-in called May would tell the journal that a client is ("/home/[redacted]")
        log.info("started: config %s, store %s, a sync every %s", redaction.Own(self.path),
                 redaction.Own(self.settings.store.path),
                 format_duration(self.settings.sync.every))
        try:
            while not self.stopping.is_set():
                self._tick()
        finally:
            self._shut_down()
        if self.fatal is not None:
            raise self.fatal
        return 0

    def _install_signals(self) -> None:
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_hangup)

    def _on_stop(self, *_args) -> None:
        self.stopping.set()
        self.wake.set()

    def _on_hangup(self, *_args) -> None:
        self.reload_asked = True
        self.wake.set()

    def _start_scheduler(self) -> None:
        logging.getLogger("apscheduler").setLevel(logging.ERROR)
        self.scheduler.add_job(self.sync_job, self._interval(), id=SYNC_JOB, next_run_time=_now())
        if self.watchdog:
            self.scheduler.add_job(self.heartbeat, IntervalTrigger(seconds=self.watchdog),
                                   id=WATCHDOG_JOB, next_run_time=_now())
        self.scheduler.add_listener(self._skipped, EVENT_JOB_MAX_INSTANCES)
        self.scheduler.start()

    def _interval(self) -> IntervalTrigger:
        return IntervalTrigger(seconds=self.settings.sync.every.total_seconds(),
                               timezone=timezone.utc)

    def _skipped(self, _event) -> None:
        log.debug("a sync is still running; this turn is skipped")

    def _tick(self) -> None:
        self.wake.wait(TICK)
        self.wake.clear()
        self.last_tick = time.monotonic()
        if self.stopping.is_set():
            return
        if self.reload_asked:
            self.reload_asked = False
            self.reload("SIGHUP")
        elif self.watcher.changed():
            self.reload("the config file changed")
        elif self.clients.changed():
            # at once, not at the next turn: a session's time zone may have changed, or a
            # text already online may now name the client just added (the sync takes it off)
            log.info("the clients changed (added, edited or removed): syncing now")
            self.generation += 1  # a sync in flight read them before: it runs again
            self._run_soon()

    def _shut_down(self) -> None:
        self.stopping.set()
        self.notifier.send(STOPPING=1, STATUS="stopping: finishing the sync in flight")
        log.info("stopping: the sync in flight stops before its next request")
        self.scheduler.shutdown(wait=False)
        finished = self.sync_lock.acquire(timeout=self.stop_grace)
        self._record_runs()
        self._publish("failed" if self.fatal else "stopped")
        if not finished:  # a server that answers too slowly: leave the request behind
            log.warning("stopped with a request still waiting after %d s; the next start "
                        "reconciles it", self.stop_grace)
            logging.shutdown()
            os._exit(1 if self.fatal else 0)  # worker threads would wait for the request
        log.info("stopped")

    # ------------------------------------------------------------ jobs

    def heartbeat(self) -> None:
        """WATCHDOG=1, while the main loop (signals, reload) still turns and no sync is stuck
        (then systemd restarts the service, and the restart reconciles)."""
        now = time.monotonic()
        if self.stopping.is_set() or now - self.last_tick > max(2.0, self.watchdog or 0.0):
            return
        if self.sync_started is not None and now - self.sync_started > self.stuck_after:
            log.error("a sync has been running for more than %d s: no watchdog ping",
                      self.stuck_after)
            return
        self.notifier.send(WATCHDOG=1)

    def sync_job(self) -> None:
        if self.stopping.is_set() or not self.sync_lock.acquire(blocking=False):
            return
        generation = self.generation
        self.sync_started = time.monotonic()
        try:
            self._sync_once(self.settings)
        finally:
            self.sync_started = None
            self.sync_lock.release()
        if generation != self.generation:  # the config changed during this run
            self._run_soon()

    def _sync_once(self, settings: Settings) -> None:
        try:
            clients = self._refresh_redactor()
            with app.open_remotes(settings, timeout=REQUEST_TIMEOUT) as remotes:
                guarded = {name: _StopAware(r, self.stopping) for name, r in remotes.items()}
                result = engine.recorded_sync(settings, self.store, guarded, clients=clients)
        except StopRequested as exc:
            self._stopped(exc)
        except (KeyError_, IntegrityError) as exc:
            self._fatal(exc)
        except StoreError as exc:
            self._store_trouble(exc)
        except PseudocalError as exc:
            self._failed(exc)
        except Exception as exc:  # a bug: keep running, say so loudly
            log.exception("unexpected error during a sync (a bug: please report it)")
            self._failed(exc)
        else:
            self._succeeded(result)

    def _refresh_redactor(self) -> list:
        """Clients added while the daemon runs are redacted from logs too; returns the
        clients (decrypted once per sync)."""
        clients = self.store.list_clients()
        redaction.REDACTOR.load(privacy.Identities.of(c.identity for c in clients))
        return clients

    # ------------------------------------------------------------ outcomes

    def _succeeded(self, result: engine.SyncResult) -> None:
        level = logging.INFO if result.writes or result.conflicts or self.state.failures \
            else logging.DEBUG  # a sync that changed nothing is not news
        log.log(level, "sync %s: %s", "partial" if result.failed else "ok",
                redaction.Own(result.summary()))
        self.state.succeeded()
        self._record_runs()
        self._review()
        self._publish("running")

    def _failed(self, exc: BaseException) -> None:
        text = wording.one_line(exc)
        self.state.failed(text, _now())
        base, cap = health.retry_bounds(self.settings.sync.every)
        delay = health.backoff(self.state.failures, base, cap, self.rng)
        if not self.stopping.is_set():
            self.scheduler.modify_job(SYNC_JOB, next_run_time=_now() + timedelta(seconds=delay))
        log.error("sync failed (%d in a row): %s; next try in %.0f s", self.state.failures,
                  text, delay)
        for line in _details(exc):
            log.error("  %s", redaction.Own(line))
        self._record_runs()
        self._publish("running")

    def _stopped(self, exc: StopRequested) -> None:
        done = getattr(exc, "partial", None) or engine.SyncResult()
        log.info("sync stopped between actions after %s (each one recorded)",
                 redaction.Own(done.summary()))

    def _fatal(self, exc: PseudocalError) -> None:
        self.fatal = exc
        self.state.failed(wording.one_line(exc), _now())
        log.error("%s: %s; the daemon stops (exit %d)", exc.title, exc, exc.exit_code)
        self.stopping.set()
        self.wake.set()

    def _store_trouble(self, exc: StoreError) -> None:
        """A store error is fatal only if the store no longer opens cleanly."""
        try:
            Store.open(self.settings.store.path, app.load_key(self.settings)).close()
        except PseudocalError as confirmed:
            self._fatal(confirmed)
        else:
            self._failed(exc)

    def _run_soon(self) -> None:
        if not self.stopping.is_set():
            self.scheduler.modify_job(SYNC_JOB, next_run_time=_now())

    # ------------------------------------------------------------ reload

    def reload(self, why: str) -> None:
        """Load and check the config again; keep the old one if the new one is broken."""
        self.notifier.send(RELOADING=1)
        self.watcher.mark()
        try:
            new = app.load_settings(self.path)
            self._check_reload(new)
        except PseudocalError as exc:
            self._reload_failed(exc, why)
        else:
            self._apply(new, why)
        self._publish("running")
        self.notifier.send(READY=1)

    def _check_reload(self, new: Settings) -> None:
        if new.store != self.settings.store:
            raise ConfigError(f"store.path or store.key_file changed in {self.path}",
                              where=str(self.path),
                              next_step="restart the service to switch stores")
        validate_reload(new, self.store)

    def _reload_failed(self, exc: PseudocalError, why: str) -> None:
        lines = _details(exc)
        log.error("config reload (%s) failed: %s; the last good config stays in effect",
                  why, exc)
        for line in lines:
            log.error("  %s", redaction.Own(line))
        first = f" ({lines[0]})" if lines else ""
        self.state.config_error = redaction.REDACTOR.scrub(exc.message + first)

    def _apply(self, new: Settings, why: str) -> None:
        old, self.settings = self.settings, new
        self.generation += 1
        self.state.config_error = None
        if new.sync.every != old.sync.every:
            self.scheduler.reschedule_job(SYNC_JOB, trigger=self._interval())
            self.state.every = new.sync.every.total_seconds()
        log.info("config reloaded (%s): %d session rules, a sync every %s", why,
                 len(new.sessions), format_duration(new.sync.every))
        self._review()
        self._run_soon()

    def _review(self) -> None:
        """Schedule warnings (logged when new) and the ledger, for the log and `status`."""
        try:
            found = advice.review(self.settings, list(self.store.pseudonyms()), _now())
            # and a session naming a pseudonym replaced since (the sync logs it itself)
            replaced = naming.replaced_warnings(self.settings, self.store.list_clients())
        except Exception:  # advice must never stop the syncs
            log.exception("cannot review the schedule (a bug: please report it)")
            return
        for warning in found.warnings:
            if warning not in self.state.warnings:
                log.warning("schedule: %s", redaction.Own(warning))
        self.state.warnings, self.state.ledger = found.warnings + replaced, found.ledger

    # ------------------------------------------------------------ records

    def _record_runs(self) -> None:
        """Copy the store's latest runs into the status file's record."""
        try:
            runs = self.store.last_runs(1)
            self.state.last_run = runs[0] if runs else None
            self.state.last_good_run = self.store.last_good_run()
            self.state.failed_actions = health.failed_entries(self.store.failed_actions())
        except PseudocalError as exc:
            log.warning("cannot read the sync history: %s", exc)

    def _publish(self, daemon: str) -> None:
        """Write the status file and STATUS= (under a lock: two threads publish)."""
        with self.publish_lock:
            self.state.daemon = daemon
            self.state.next_run = self._next_run()
            try:
                health.write_state(self.state_path, self.state)
            except OSError as exc:
                log.warning("cannot write %s: %s", redaction.Own(self.state_path),
                            exc.strerror or exc)
            line = health.status_line(asdict(self.state), self.settings.timezone, _now())
        self.notifier.status(line)

    def _next_run(self) -> str | None:
        if self.stopping.is_set():
            return None
        job = self.scheduler.get_job(SYNC_JOB)
        return health.iso(job.next_run_time) if job and job.next_run_time else None


def _details(exc: BaseException) -> list[str]:
    """Each config problem (file: key path: what) and the next step, for the log."""
    file = getattr(exc, "where", "") or "config"
    lines = [p.render(file) for p in getattr(exc, "problems", [])]
    step = getattr(exc, "next_step", "")
    return lines + ([f"next step: {step}"] if step else [])
