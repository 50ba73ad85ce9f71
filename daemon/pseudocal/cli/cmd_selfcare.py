"""Command registration for this area (see commands.register): `pseudocal week`."""
from __future__ import annotations

import sys
from datetime import date, datetime, timezone

from ..errors import InputError, KeyError_, StoreError
from .output import emit


def register(sub, common) -> None:
    """Add this area's subcommands to the parser."""
    p = sub.add_parser("week", parents=[common],
                       help="a week at a glance: sessions, breaks, supervision, warnings")
    p.add_argument("date", nargs="?",
                   help="any day of the week, YYYY-MM-DD (default: today, in your time zone)")
    p.add_argument("--reveal", action="store_true",
                   help="also show real names (from the store, on your screen only)")
    p.set_defaults(handler=cmd_week)


def cmd_week(args) -> int:
    from zoneinfo import ZoneInfo

    from ..config.schema import default_texts
    from ..service import app
    from . import week
    settings = app.load_settings(args.config)
    now = datetime.now(timezone.utc)
    day = _day(args.date) if args.date else now.astimezone(ZoneInfo(settings.timezone)).date()
    known, names, note, named = _from_store(settings, args.reveal)
    if named:  # shown as the sync publishes them: pseudocal's own text at those keys
        settings = default_texts(settings, named)
    if named and not note:  # (with a note: no store, so the texts were not checked)
        note = (f"{', '.join(named)} name{'s' if len(named) == 1 else ''} a client: shown "
                "with pseudocal's own text, as the sync publishes it (`pseudocal check` "
                "says more); reword the config")
    shown = week.build_week(settings, day, now, names, known)
    emit(args, week.as_dict(shown), week.render_text(shown))
    if note:
        print(f"note: {note}", file=sys.stderr)
    return 0


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:  # not echoed: whatever was typed is in the shell history already
        raise InputError("the date given is not a date (it is not repeated here)",
                         next_step="write it as YYYY-MM-DD, e.g. 2026-12-07 (any day of the "
                         "week you want)") from None


def _from_store(settings, reveal: bool
                ) -> tuple[dict[str, str], dict[str, str] | None, str, list[str]]:
    """What the store says: the pseudonyms it knows (normalised config value -> pseudonym
    now), with --reveal the real names (normalised pseudonym -> name), and a note when
    sessions are shown by place only, and the config keys whose texts name a client (the
    privacy check's, never the word). Without a store every session is sessions[N]; a
    store that does not open is an error with --reveal, else a note."""
    from ..config.schema import online_texts
    from ..identity import naming, privacy
    from ..identity.pseudonyms import normalise
    from ..service import app, wording
    # without the store nothing tells a pseudonym, or a text, from a name typed by mistake:
    # sessions by their place, and every text that goes online as pseudocal's own
    unchecked = [key for key, _ in online_texts(settings)]
    texts = (" and the config's own texts as pseudocal's" if unchecked else "")
    if not reveal and not settings.store.path.exists():  # Store.exists, without the database
        return {}, None, (f"no store at {settings.store.path}: sessions are shown by their "
                          f"place in the config (sessions[N]){texts}, as the store alone can "
                          "tell a pseudonym or a text from a name typed by mistake"), unchecked
    try:
        with app.open_store(settings) as store:
            everyone = store.list_clients()
            known = naming.known_pseudonyms(settings, everyone)
            names = ({normalise(c.pseudonym): c.identity.name for c in everyone}
                     if reveal else None)
            ids = privacy.Identities.of(c.identity for c in everyone)
            named = [p.path for p in privacy.config_text_problems(online_texts(settings), ids)]
            return known, names, "", named
    except (KeyError_, StoreError) as exc:
        if reveal:
            raise
        return {}, None, (f"the store could not be opened ({wording.one_line(exc)}): "
                          f"sessions are shown by their place in the config (sessions[N])"
                          f"{texts}"), unchecked
