"""`pseudocal run` (the daemon) and `pseudocal status` (what the daemon recorded)."""
from __future__ import annotations

from . import app, health
from .cli import emit

UNHEALTHY = 11  # errors.EXIT_CODES[11]


def register(sub, common) -> None:
    """Add `run` and `status` to the parser."""
    p = sub.add_parser("run", parents=[common],
                       help="the daemon: a sync every sync.every (systemd Type=notify)")
    p.set_defaults(handler=cmd_run)
    p = sub.add_parser("status", parents=[common],
                       help=f"last sync, result, next run, failing since; exit {UNHEALTHY} "
                            "when unhealthy")
    p.set_defaults(handler=cmd_status)


def cmd_run(args) -> int:
    """Open config, key and store (exit 3, 4, 5 on failure), then serve until stopped."""
    from .service import Daemon, validate
    path = app.config_path(args.config)
    settings = app.load_settings(path)
    with app.open_store(settings) as store:
        validate(settings, store)
        return Daemon(path, settings, store).serve()


def cmd_status(args) -> int:
    """Reads the daemon's status file; needs neither the key nor a running daemon."""
    settings = app.load_settings(args.config)
    doc, text, healthy = health.report(settings)
    emit(args, doc, text)
    return 0 if healthy else UNHEALTHY
