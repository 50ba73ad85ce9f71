"""Command registration for this area (see commands.register): `pseudocal week`."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from . import app, week
from .cli import emit
from .errors import InputError
from .pseudonyms import normalise


def register(sub, common) -> None:
    """Add this area's subcommands to the parser."""
    p = sub.add_parser("week", parents=[common],
                       help="a week at a glance: sessions, breaks, supervision, warnings")
    p.add_argument("date", nargs="?",
                   help="any day of the week, YYYY-MM-DD (default: today, in your time zone)")
    p.add_argument("--reveal", action="store_true",
                   help="also show real names (opens the store; pseudonyms only without it)")
    p.set_defaults(handler=cmd_week)


def cmd_week(args) -> int:
    settings = app.load_settings(args.config)
    now = datetime.now(timezone.utc)
    day = _day(args.date) if args.date else now.astimezone(ZoneInfo(settings.timezone)).date()
    names = _real_names(settings) if args.reveal else None
    shown = week.build_week(settings, day, now, names)
    emit(args, week.as_dict(shown), week.render_text(shown))
    return 0


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{text!r} is not a date", next_step="write it as YYYY-MM-DD, "
                         "e.g. 2026-12-07 (any day of the week you want)") from None


def _real_names(settings) -> dict[str, str]:
    """Pseudonym (normalised) -> real name, decrypted from the store."""
    with app.open_store(settings) as store:
        return {normalise(c.pseudonym): c.identity.name for c in store.list_clients()}
