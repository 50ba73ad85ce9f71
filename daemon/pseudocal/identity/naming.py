"""Client operations that span the store and the config: safe pseudonyms, renames.

Every decision about a pseudonym uses the check that runs before anything is sent
(`privacy.Identities.find`: name parts, email local parts, phone numbers, notes and
contact routes, folded for case, accents and look-alike letters), so a pseudonym the
store accepts is always one the calendar can be sent:

* a drawn pseudonym names no client (`Identities.of(every client).find`), shares no word
  with any name and is not a look-alike of one already taken or retired;
* a chosen one (`--pseudonym`, the document's `pseudonym`, `client rename`) is refused on
  the same grounds, look-alikes of a client's name ("WiII Falcon" for Will) or of a
  pseudonym in use ("R\u0430pid Stickleback" beside "Rapid Stickleback") included;
* adding a client (or editing one) rotates every other pseudonym that the new identity's
  check finds (`Identities.of([new]).find`: "Quiet Heron" once a client's email is
  heron@example.org), and shares a word with the new name (`rotate_clashing`), so the
  colliding one is never in the store beside the identity and never published again;
  the config's `client = "..."` lines follow (`rename_in_config`), and the next sync
  re-titles the events. The store remembers each retired pseudonym by its blind index,
  so a config that could not be rewritten still maps to the client (`replaced_in_config`).

Messages never repeat a pseudonym that was refused: it may be a real name.
"""
from __future__ import annotations

import difflib
import functools
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import InputError, Problem
from ..models import Client, ClientIdentity, Settings
from . import privacy, pseudonyms
from .textforms import look_tokens

DRAW_TRIES = 50
CLIENT_LINE = re.compile(r'^(\s*client\s*=\s*)(["\'])(.*?)\2(\s*(#.*)?)$')
_OTHER = "choose another, or leave it out to have one drawn"
_TYPED = ("; if that was a real name, it is now in your shell history, and other users "
          "could see it in the process list while the command ran: remove it from the history")


def choose_pseudonym(identity: ClientIdentity, others: list[ClientIdentity],
                     taken: set[str], chosen: str | None, *,
                     retired: Callable[[str], bool] | None = None,
                     typed: bool = False) -> str:
    """A pseudonym for a client (`identity`) that the check before sending lets through.

    `others`: every other client's identity; `taken`: the pseudonyms other clients have
    (the same one or a look-alike is refused); `retired(p)`: True when `p` was another
    client's pseudonym (the store remembers it: a config may still name it). `chosen`
    None draws one; a chosen one is checked and refused with InputError, naming what it
    holds, never the pseudonym (`typed`: it came from the command line, and the message
    says where it went)."""
    everyone = privacy.Identities.of([identity, *others])
    if chosen is None:
        return _draw(identity, others, taken, everyone, retired)
    pseudonyms.check(chosen, "")  # its shape alone (no name to compare with)
    if privacy.REVEALING.search(privacy.fold(chosen)):  # first: the reason that holds for
        # every client ("Therapy Owl" is that, whatever a client's initials)
        raise InputError("the chosen pseudonym says what the events are about (a word such as "
                         "therapy, counselling, client or patient)", next_step=_OTHER)
    try:
        _check_identity_free(chosen, identity, others, everyone)
    except InputError as exc:
        if typed:
            exc.message += _TYPED
        raise
    _check_free(chosen, taken, retired)
    return chosen


def _check_identity_free(chosen: str, identity: ClientIdentity,
                         others: list[ClientIdentity], everyone: privacy.Identities) -> None:
    pseudonyms.check(chosen, identity.name)  # shape, the client's own words and initials
    kind = everyone.find(chosen) if everyone else None
    if kind:
        raise InputError(f"the chosen pseudonym contains {kind} (compared as the check before "
                         "sending compares: any case, accents, look-alike letters), so it "
                         "could never be published; nothing was stored", next_step=_OTHER)
    if any(pseudonyms.shares_word(chosen, o.name) for o in others):
        raise InputError("the chosen pseudonym shares a word with another client's name",
                         next_step=_OTHER)


@functools.lru_cache(maxsize=65536)  # a draw compares with every taken pseudonym
def look_alike_form(pseudonym: str) -> str:
    """How two pseudonyms are told apart: their look-alike words (`textforms.look_tokens`:
    case, accents, invisible characters, look-alike letters of other scripts and the ASCII
    ones people type, 0 for o or 1 for l, folded away), so "R\u0430pid Stickleback" with a
    Cyrillic a and "W00dland Gazelle" are "Rapid Stickleback" and "Woodland Gazelle"; in
    any order, so "Crag Granite" is "Granite Crag" (a calendar reader would mix them up)."""
    return " ".join(sorted(look_tokens(pseudonym)))


def _check_free(chosen: str, taken: set[str], retired) -> None:
    if pseudonyms.normalise(chosen) in {pseudonyms.normalise(t) for t in taken}:
        raise InputError("the chosen pseudonym is already in use", next_step=_OTHER)
    if look_alike_form(chosen) in {look_alike_form(t) for t in taken}:
        raise InputError("the chosen pseudonym looks like one already in use (the same "
                         "letters, or look-alike ones from another script)", next_step=_OTHER)
    if retired is not None and retired(chosen):
        raise InputError("the chosen pseudonym was another client's before a rename, and a "
                         "config may still name it for that client", next_step=_OTHER)


def _draw(identity: ClientIdentity, others: list[ClientIdentity], taken: set[str],
          everyone: privacy.Identities, retired) -> str:
    """A random pseudonym unrelated to this client's name (words, initials), sharing no
    word with another client's name, naming nobody, and unlike every taken one."""
    taken_forms = {look_alike_form(t) for t in taken}
    for _ in range(DRAW_TRIES):
        drawn = pseudonyms.draw(identity.name, taken)
        if any(pseudonyms.shares_word(drawn, o.name) for o in others):
            continue
        if (everyone and everyone.find(drawn)) or look_alike_form(drawn) in taken_forms:
            continue
        if retired is not None and retired(drawn):
            continue
        return drawn
    raise InputError(f"could not draw a pseudonym that names no client in {DRAW_TRIES} "
                     "tries; nothing was changed",
                     next_step="choose one yourself (--pseudonym, or pseudocal client rename)")


def retired_for_others(store, client_id: str | None):
    """`retired` for choose_pseudonym: True for a pseudonym the store remembers as another
    client's earlier one (asked of the store each time: rotations add to it)."""
    owner_of = getattr(store, "retired_owner", None)
    if owner_of is None:
        return None
    return lambda pseudonym: owner_of(pseudonym) not in (None, client_id)


@dataclass(frozen=True)
class Rotation:
    """A pseudonym retired because the check before sending finds a client's identity in it."""
    client_id: str
    old: str
    new: str
    config_lines: int = 0  # `client = "old"` lines rewritten
    config_error: str = ""  # why the config could not be rewritten (then: by hand)

    def as_dict(self) -> dict:
        return {"old": self.old, "pseudonym": self.new, "config_lines_changed": self.config_lines,
                "config_error": self.config_error or None}


def add_client(store, identity: ClientIdentity, chosen: str | None,
               config: Path | None, *, typed: bool = False) -> tuple[Client, list[Rotation]]:
    """Store a new client; first rotate every other pseudonym its identity would block.

    The new client's pseudonym is chosen (and checked) before anything is written, so a
    refused one changes nothing. `typed`: `chosen` came from the command line."""
    existing = store.list_clients()
    taken = {c.pseudonym for c in existing}
    pseudonym = choose_pseudonym(identity, [c.identity for c in existing], taken, chosen,
                                 retired=retired_for_others(store, None), typed=typed)
    everyone = {c.id: c.identity for c in existing}
    rotations = rotate_clashing(store, existing, identity, everyone, taken | {pseudonym},
                                config)
    return store.add_client(identity, pseudonym), rotations


def edit_client(store, client: Client, identity: ClientIdentity,
                config: Path | None) -> tuple[Client, list[Rotation]]:
    """Replace a client's identity. Other pseudonyms the new identity would block are
    rotated first; the client's own is rotated too when it no longer fits."""
    existing = store.list_clients()
    others = [c for c in existing if c.id != client.id]
    taken = {c.pseudonym for c in existing}
    everyone = {c.id: c.identity for c in others}
    own = None
    if blocks(identity, client.pseudonym) or not _fits_own_name(client.pseudonym, identity):
        own = choose_pseudonym(identity, list(everyone.values()), taken, None,
                               retired=retired_for_others(store, client.id))
        taken.add(own)
    rotations = rotate_clashing(store, others, identity, everyone, taken, config)
    edited = store.edit_client(client.id, identity, pseudonym=own)
    if own is not None:
        rotations.append(_follow(config, Rotation(client.id, client.pseudonym,
                                                  edited.pseudonym)))
    return edited, rotations


def blocks(identity: ClientIdentity, pseudonym: str) -> bool:
    """Would the check before sending refuse `pseudonym` because of this identity, or does
    it share a word with its name?"""
    return (privacy.Identities.of([identity]).find(pseudonym) is not None
            or pseudonyms.shares_word(pseudonym, identity.name))


def _fits_own_name(pseudonym: str, identity: ClientIdentity) -> bool:
    try:
        pseudonyms.check(pseudonym, identity.name)
    except InputError:
        return False
    return True


def rotate_clashing(store, candidates: list[Client], identity: ClientIdentity,
                    everyone: dict[str, ClientIdentity], taken: set[str],
                    config: Path | None) -> list[Rotation]:
    """Draw a new pseudonym for each candidate whose pseudonym `identity` blocks (`blocks`),
    avoiding every identity (`everyone` by client id, and `identity`), every pseudonym in
    `taken` (which grows) and every retired one, and sharing no word with the pseudonym
    it replaces ("Hilltop Mica" never becomes "Hilltop Rapids": nothing published or
    logged after the rotation echoes the retired pseudonym); each rename is followed in
    the config."""
    rotations = []
    for client in candidates:
        if not blocks(identity, client.pseudonym):
            continue
        avoid = [i for cid, i in everyone.items() if cid != client.id] + [
            identity, ClientIdentity(client.pseudonym)]
        new = choose_pseudonym(client.identity, avoid, taken, None,
                               retired=retired_for_others(store, client.id))
        renamed = store.rename_client(client.id, new)
        taken.add(renamed.pseudonym)
        rotations.append(_follow(config, Rotation(client.id, client.pseudonym,
                                                  renamed.pseudonym)))
    return rotations


def replaced_in_config(settings: Settings, clients) -> dict[int, Client]:
    """Sessions (by index) whose `client =` is no client's pseudonym now but one the store
    remembers as a client's earlier one: that client (`clients` is Store.list_clients())."""
    replaced_by = getattr(clients, "replaced_by", None)
    if replaced_by is None:
        return {}
    current = {pseudonyms.normalise(c.pseudonym) for c in clients}
    found = {}
    for rule in settings.sessions:
        if pseudonyms.normalise(rule.client) not in current:
            client = replaced_by(rule.client)
            if client is not None:
                found[rule.index] = client
    return found


def replaced_warnings(settings: Settings, clients) -> list[str]:
    """One warning per session naming a replaced pseudonym; never the old pseudonym (it
    may have been replaced because it held a client's name)."""
    return [f"sessions[{index}].client uses a pseudonym that was replaced; write the current "
            f"one (pseudocal client list): client = \"{client.pseudonym}\""
            for index, client in sorted(replaced_in_config(settings, clients).items())]


def known_pseudonyms(settings: Settings, clients) -> dict[str, str]:
    """How schedule warnings and `week` name sessions: normalised config value -> the
    client's pseudonym now, for current and replaced pseudonyms (others: sessions[N])."""
    known = {pseudonyms.normalise(c.pseudonym): c.pseudonym for c in clients}
    for index, client in replaced_in_config(settings, clients).items():
        rule = next(r for r in settings.sessions if r.index == index)
        known[pseudonyms.normalise(rule.client)] = client.pseudonym
    return known


def _follow(config: Path | None, rotation: Rotation) -> Rotation:
    """The rotation with the config's `client = "..."` lines rewritten (or why not)."""
    if config is None:
        return rotation
    try:
        lines = rename_in_config(config, rotation.old, rotation.new)
    except OSError as exc:
        return replace(rotation, config_error=exc.strerror or type(exc).__name__)
    return replace(rotation, config_lines=lines)


def rename_in_config(path: Path, old: str, new: str) -> int:
    """Rewrite `client = "old"` lines to the new pseudonym, atomically; how many changed."""
    text = path.read_text(encoding="utf-8")
    lines, changed = [], 0
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        match = CLIENT_LINE.match(body)
        if match and pseudonyms.normalise(match.group(3)) == pseudonyms.normalise(old):
            line = f'{match.group(1)}"{new}"{match.group(4)}' + line[len(body):]
            changed += 1
        lines.append(line)
    if changed:
        _replace_file(path, "".join(lines))
    return changed


def _replace_file(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def pseudonym_key(name: str) -> str:
    """How pseudonyms compare: case- and space-insensitive (the store's own comparison form)."""
    return pseudonyms.normalise(name)


def check_pseudonyms(settings: Settings, known: set[str]) -> list[Problem]:
    """A problem for each session naming a pseudonym the store does not know.

    The unknown value is never repeated (it may be a real name typed by mistake); a
    close known pseudonym is suggested."""
    by_key = {pseudonym_key(p): p for p in known}
    problems = []
    for rule in settings.sessions:
        wanted = pseudonym_key(rule.client)
        if wanted in by_key:
            continue
        close = difflib.get_close_matches(wanted, list(by_key), n=1)
        hint = f'did you mean "{by_key[close[0]]}"? ' if close else ""
        problems.append(Problem(f"sessions[{rule.index}].client",
                                "no client has this pseudonym",
                                hint + "run pseudocal client list"))
    return problems
