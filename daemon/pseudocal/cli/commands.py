"""Command handlers: each opens what it needs through `app`, does one thing, reports."""
from __future__ import annotations

import argparse
import logging
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import PARTIAL_SYNC, AlreadyExists, InputError
from . import cmd_key, cmd_selfcare, cmd_service
from .output import emit
from .usage import HoldingParser

if TYPE_CHECKING:
    from ..sync import engine

# Each handler imports what it uses: building the parser (and `--help`) loads none of the
# config, store, sync or network layers.

log = logging.getLogger("pseudocal")


def register(sub, common) -> None:
    p = sub.add_parser("init", parents=[common], help="create the store and a new master key")
    p.set_defaults(handler=cmd_init)

    client = sub.add_parser("client", help="manage clients (identities stay local)")
    csub = client.add_subparsers(dest="client_command", required=True, metavar="ACTION",
                                 parser_class=HoldingParser)
    p = csub.add_parser("add", parents=[common], hold_extras=True, allow_abbrev=False,
                        help="add a client (details from a prompt or standard input); "
                        "prints the pseudonym", description=_IDENTITY_HELP,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--pseudonym", help="choose the pseudonym instead of drawing one")
    p.set_defaults(handler=cmd_client_add)
    p = csub.add_parser("edit", parents=[common], hold_extras=True, allow_abbrev=False,
                        help="change a client's details (from a prompt or standard input)",
                        description=_IDENTITY_HELP,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("pseudonym")
    p.set_defaults(handler=cmd_client_edit)
    p = csub.add_parser("list", parents=[common], help="pseudonyms and identities, decrypted")
    p.set_defaults(handler=cmd_client_list)
    p = csub.add_parser("show", parents=[common], help="one client, decrypted")
    p.add_argument("pseudonym")
    p.set_defaults(handler=cmd_client_show)
    p = csub.add_parser("rename", parents=[common],
                        help="choose a new pseudonym; the config and future events follow")
    p.add_argument("pseudonym")
    p.add_argument("new")
    p.set_defaults(handler=cmd_client_rename)
    p = csub.add_parser("rotate", parents=[common],
                        help="draw a new pseudonym; the config and future events follow")
    p.add_argument("pseudonym")
    p.set_defaults(handler=cmd_client_rename, new=None)

    p = sub.add_parser("sync", parents=[common], help="one reconciliation with the calendar")
    p.add_argument("--dry-run", action="store_true", help="print the plan; change nothing")
    p.add_argument("--allow-deletes", action="store_true",
                   help="go ahead even when the sync would delete many events")
    p.add_argument("--accept-calendar-change", action="store_true",
                   help="the calendar URL changed on purpose: forget the old records")
    p.set_defaults(handler=cmd_sync)

    p = sub.add_parser("check", parents=[common],
                       help="validate config, key, store, server and permissions")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--offline", action="store_true", help="do not contact the server")
    where.add_argument("--create-calendars", action="store_true",
                       help="make each configured calendar that does not exist yet (MKCALENDAR)")
    p.set_defaults(handler=cmd_check)

    p = sub.add_parser("demo", parents=[common],
                       help="a local CalDAV server, demo store and config, and a real sync")
    p.add_argument("--once", action="store_true", help="exit after the first syncs")
    p.add_argument("--port", type=int, default=0, help="loopback port (default: a free one)")
    p.add_argument("--dir", type=Path, help="where to keep the demo files (default: a temp dir)")
    p.set_defaults(handler=cmd_demo)

    cmd_service.register(sub, common)
    cmd_selfcare.register(sub, common)
    cmd_key.register(sub, common)


# ---------------------------------------------------------------- init


def cmd_init(args) -> int:
    from .. import crypto
    from ..service import app
    from ..store import Store
    settings = app.load_settings(args.config)
    store_path, key_path = settings.store.path, settings.store.key_file
    if Store.exists(store_path):
        raise AlreadyExists(f"a store already exists at {store_path}; it was left untouched",
                            next_step="use it as it is; to start over, move it away yourself")
    created_key = not key_path.exists()
    if created_key:
        crypto.write_key_file(key_path, crypto.generate_key())
    Store.create(store_path, app.load_key(settings)).close()
    doc = {"store": str(store_path), "key_file": str(key_path), "key_created": created_key}
    emit(args, doc, _init_text(store_path, key_path, created_key))
    return 0


def _init_text(store: Path, key: Path, created: bool) -> str:
    made = "created a new master key at" if created else "used the existing master key at"
    return (f"created the store at {store}\n{made} {key} (mode 0600)\n\n"
            "Back the key up now, somewhere other than this machine (a password manager or\n"
            "an encrypted USB stick): without it the store cannot be opened, and with it\n"
            "anyone holding a copy of the store can read it. For example:\n"
            f"  cat {key}    # copy the line into your password manager\n"
            "Back the store up with `sqlite3 STORE \".backup copy.db\"` (not by copying the file).")


# ---------------------------------------------------------------- clients


_IDENTITY_HELP = """\
Client details are never taken as arguments: arguments stay in the shell history and
every local user can read them in /proc/PID/cmdline. In a terminal, the command asks for
each field (name, email, phone, country, timezone, contact, notes; Enter skips or keeps).
Type them at the prompt: a value written in a command line stays in the history even
when it only goes to printf or echo. From a script, give one JSON or TOML document on
standard input, from where the details already are (another program's output, a file you
keep encrypted), e.g.

  gpg --decrypt client.toml.gpg | pseudocal client add   (name = "...", one per line)

For edit, a field left out is kept and an empty one ("") is cleared."""


def cmd_client_add(args) -> int:
    from ..identity import naming
    from ..service import app
    from . import identity_input, terminal
    document = identity_input.refuse_arguments(getattr(args, "refused_args", []), "add")
    settings = app.load_settings(args.config)
    with app.open_store(settings) as store:
        entered = identity_input.read_input(sys.stdin, sys.stderr, command="add",
                                            document=document)
        identity = identity_input.new_identity(entered)
        chosen = _chosen_pseudonym(args.pseudonym, entered.pseudonym)
        client, rotations = naming.add_client(store, identity, chosen, settings.source,
                                               typed=args.pseudonym is not None)
        named = _texts_naming(settings, store)
    stored = client.identity
    doc = {"pseudonym": client.pseudonym, "id": client.id,
           "rotated": [r.as_dict() for r in rotations], "phone_parsed": _phone_parsed(stored),
           "texts_naming_clients": named}
    text = (f"added a client as {terminal.safe(client.pseudonym)}\n"
            f"use this pseudonym in the config: client = \"{terminal.safe(client.pseudonym)}\""
            + _phone_note(stored) + _rotation_text(rotations, settings.source)
            + _named_note(named, settings.source))
    emit(args, doc, text)
    return 0


def cmd_client_edit(args) -> int:
    from ..identity import naming
    from ..service import app
    from . import identity_input, terminal
    document = identity_input.refuse_arguments(getattr(args, "refused_args", []),
                                               "edit PSEUDONYM")
    settings = app.load_settings(args.config)
    with app.open_store(settings) as store:
        client = _find(store, args.pseudonym)
        entered = identity_input.read_input(sys.stdin, sys.stderr, command="edit PSEUDONYM",
                                            current=client.identity, label=client.pseudonym,
                                            document=document)
        identity = identity_input.edited_identity(client.identity, entered)
        changed = identity_input.changed_fields(client.identity, identity)
        if changed:
            edited, rotations = naming.edit_client(store, client, identity, settings.source)
        else:
            edited, rotations = client, []
        named = _texts_naming(settings, store) if changed else []
    doc: dict[str, Any] = {"pseudonym": edited.pseudonym, "id": edited.id, "changed": changed,
           "rotated": [r.as_dict() for r in rotations], "texts_naming_clients": named}
    label = terminal.safe(client.pseudonym)
    text = (f"updated {label}: {', '.join(changed)} changed" if changed
            else f"no change to {label}")
    if changed:
        doc["phone_parsed"] = _phone_parsed(edited.identity)
        text += _phone_note(edited.identity) if "phone" in changed else ""
    emit(args, doc, text + _rotation_text(rotations, settings.source)
         + _named_note(named, settings.source))
    return 0


def _texts_naming(settings, store) -> list[str]:
    from ..sync import engine
    return engine.texts_naming_clients(settings, store.list_clients())


def _named_note(keys: list[str], config: Path) -> str:
    """A text in the config that names the client just added or edited (written before)."""
    if not keys:
        return ""
    return (f"\nnote: {', '.join(keys)} in {config} now name(s) a client: reword it; until "
            "then each sync puts pseudocal's own text there on the calendar instead (the "
            "running service does it within seconds) and publishes no other change")


def _chosen_pseudonym(option: str | None, document: str | None) -> str | None:
    if option is not None and document is not None and option != document:
        raise InputError("two different pseudonyms were given (--pseudonym and the "
                         "document's pseudonym); nothing was stored",
                         next_step="give one of them")
    return option if option is not None else document


def _phone_parsed(identity) -> bool | None:
    return None if not identity.phone else identity.phone_e164 is not None


def _phone_note(identity) -> str:
    if _phone_parsed(identity) is not False:
        return ""
    return ("\nnote: the phone was stored but could not be read as one phone number (two "
            "numbers in one field are each still matched); write a single number with its "
            "country code (+44 ...) or set the client's country (GB, US...), so leak checks "
            "read it as that country's number in any format")


def _rotation_text(rotations, config: Path) -> str:
    from . import terminal
    lines = []
    for r in rotations:
        where = (f"{r.config_lines} session(s) in {config} updated" if not r.config_error
                 else f"could not update {config} ({r.config_error}): replace "
                      f"\"{terminal.safe(r.old)}\" with \"{terminal.safe(r.new)}\" there by hand")
        lines.append(f"\nrotated {terminal.safe(r.old)} to {terminal.safe(r.new)}: it shared "
                     "a word with a client's details (name, email, phone, notes or contact "
                     f"route), so it is never published again; {where}; "
                     "the next sync re-titles its events")
    return "".join(lines)


def _client_doc(client) -> dict:
    ident = client.identity
    return {"pseudonym": client.pseudonym, "name": ident.name, "email": ident.email,
            "phone": ident.phone, "timezone": ident.timezone, "country": ident.country,
            "contact": ident.contact, "notes": ident.notes,
            "added": client.created_at.isoformat()}


def cmd_client_list(args) -> int:
    from ..service import app
    from . import terminal
    settings = app.load_settings(args.config)
    with app.open_store(settings) as store:
        everyone = store.list_clients()
    rows = [_client_doc(c) for c in everyone]
    lines = [f"{terminal.safe(r['pseudonym']):<24} {terminal.safe(r['name'])}"
             for r in rows] or ["no clients yet"]
    emit(args, {"clients": rows}, "\n".join(lines))
    return 0


def _find(store, pseudonym: str):
    client = store.find_client(pseudonym)
    if client is None:  # not echoed: a real name may have been typed by mistake
        raise InputError(
            "no client has the pseudonym given (it is not repeated here); if it was a real "
            "name, remember that a name typed on a command line lands in your shell history "
            "and, while the command runs, in the process list every local user can read: "
            "remove it from the history (e.g. `history -d` in bash)",
            next_step="look the pseudonym up with `pseudocal client list` and give that")
    return client


def cmd_client_show(args) -> int:
    from ..service import app
    from . import terminal
    settings = app.load_settings(args.config)
    with app.open_store(settings) as store:
        client = _find(store, args.pseudonym)
    doc = _client_doc(client)
    emit(args, doc, "\n".join(f"{k:<10} {terminal.safe(v)}" for k, v in doc.items() if v))
    return 0


def cmd_client_rename(args) -> int:
    from ..identity import naming
    from ..service import app
    settings = app.load_settings(args.config)
    with app.open_store(settings) as store:
        client = _find(store, args.pseudonym)
        others = [c.identity for c in store.list_clients() if c.id != client.id]
        taken = set(store.pseudonyms()) - {client.pseudonym}
        new = naming.choose_pseudonym(client.identity, others, taken, args.new,
                                       retired=naming.retired_for_others(store, client.id),
                                       typed=True)
        renamed = store.rename_client(client.id, new)
    try:
        changed = naming.rename_in_config(settings.source, client.pseudonym,
                                           renamed.pseudonym)
        where = f"{changed} session(s) in {settings.source} updated"
    except OSError as exc:
        changed, where = 0, (f"could not update {settings.source} ({exc.strerror}): replace "
                             f"\"{client.pseudonym}\" with \"{renamed.pseudonym}\" there by hand")
    emit(args, {"old": client.pseudonym, "pseudonym": renamed.pseudonym,
                "config_lines_changed": changed},
         f"{client.pseudonym} is now {renamed.pseudonym}; {where}; "
         "the next sync re-titles the future events")
    return 0


# ---------------------------------------------------------------- sync


def cmd_sync(args) -> int:
    from ..service import app, progress
    from ..sync import engine
    from .output import render_error
    settings = app.load_settings(args.config)
    options = engine.SyncOptions(dry_run=args.dry_run, allow_deletes=args.allow_deletes,
                                 accept_calendar_change=args.accept_calendar_change)
    with app.open_store(settings) as store, app.open_remotes(settings) as remotes:
        bar = progress.for_terminal(sys.stderr) if not args.json else None
        try:
            result = engine.recorded_sync(settings, store, remotes, options=options,
                                          progress=bar)
        finally:
            if bar:
                bar.close()
            if not args.dry_run:
                _note_for_status(settings, store)
    emit(args, result.as_dict(), _plan_text(result) if args.dry_run else result.summary())
    if result.refusal is not None:
        render_error(result.refusal, stream=sys.stderr)
        return result.refusal.exit_code
    if result.failed:
        _say_failed(result)
        return PARTIAL_SYNC
    return 0


def _say_failed(result: engine.SyncResult) -> None:
    """Each action the server refused, its reason and next step (all others were done)."""
    from ..service import wording
    for f in result.failed:
        print(wording.refused(f), file=sys.stderr)


def _note_for_status(settings, store) -> None:
    """Record the sync for `status`; never in the way of the sync's own result."""
    from ..selfcare import advice
    from ..service import health
    try:
        runs = store.last_runs(1)
        found = advice.review(settings, list(store.pseudonyms()), datetime.now(timezone.utc),
                              clients=store.list_clients())
        health.note_manual_sync(settings, runs[0] if runs else None, store.last_good_run(),
                                found.warnings, found.ledger, store.failed_actions())
    except OSError as exc:
        log.warning("cannot record this sync for `pseudocal status`: %s", exc.strerror)
    except Exception:  # noqa: BLE001 - a bug here must not hide the sync's outcome
        log.exception("cannot record this sync for `pseudocal status` (a bug: please report it)")


def _plan_text(result: engine.SyncResult) -> str:
    lines = [f"{a.op:<12} {a.label}  ({a.reason})" for a in result.ordered_actions()]
    return "\n".join(lines + [result.summary()]) if lines else "nothing to do"


# ---------------------------------------------------------------- check


def cmd_check(args) -> int:
    from .checks import run_checks
    items, code = run_checks(args.config, offline=args.offline,
                             create_calendars=args.create_calendars)
    text = "\n".join(f"{i['status']:<5} {i['what']:<10} {i['detail']}" for i in items)
    emit(args, {"ok": code == 0, "exit_code": code, "checks": items}, text)
    return code


# ---------------------------------------------------------------- demo


def cmd_demo(args) -> int:
    from .demo import run_demo
    return run_demo(once=args.once, port=args.port, workdir=args.dir, json_mode=args.json)
