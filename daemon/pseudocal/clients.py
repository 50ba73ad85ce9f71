"""Client operations that span the store and the config: safe pseudonyms, renames.

A pseudonym never shares a word with any client's name, the clients added later included:
adding a client (or editing a name) whose name shares a word with another client's
pseudonym rotates that pseudonym first (`rotate_clashing`), so the colliding one is never
in the store beside the name and never published again; the config's `client = "..."`
lines follow (`rename_in_config`), and the next sync re-titles the events.
"""
from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from . import privacy, pseudonyms
from .errors import InputError
from .models import Client, ClientIdentity

DRAW_TRIES = 50
CLIENT_LINE = re.compile(r'^(\s*client\s*=\s*)(["\'])(.*?)\2(\s*(#.*)?)$')


def choose_pseudonym(identity: ClientIdentity, others: list[ClientIdentity],
                     taken: set[str], chosen: str | None) -> str:
    """A pseudonym sharing no word with this client's name nor with any other client's."""
    if chosen is None:
        return _draw(identity, others, taken)
    pseudonyms.check(chosen, identity.name)
    if privacy.REVEALING.search(privacy.fold(chosen)):
        raise InputError("the chosen pseudonym says what the events are about (a word such as "
                         "therapy, counselling, client or patient)",
                         next_step="choose another, or leave out --pseudonym to draw one")
    if any(pseudonyms.shares_word(chosen, o.name) for o in others):
        raise InputError("the chosen pseudonym shares a word with another client's name",
                         next_step="choose another, or leave out --pseudonym to draw one")
    return chosen


def _draw(identity: ClientIdentity, others: list[ClientIdentity], taken: set[str]) -> str:
    everyone = " ".join([identity.name, *(o.name for o in others)])
    for _ in range(DRAW_TRIES):
        drawn = pseudonyms.draw(everyone, taken)
        try:
            pseudonyms.check(drawn, identity.name)  # initials are checked per name
        except InputError:
            continue
        return drawn
    return pseudonyms.draw(everyone, taken)  # still no word of anyone's name


@dataclass(frozen=True)
class Rotation:
    """A pseudonym retired because it shared a word with a client's name."""
    client_id: str
    old: str
    new: str
    config_lines: int = 0  # `client = "old"` lines rewritten
    config_error: str = ""  # why the config could not be rewritten (then: by hand)

    def as_dict(self) -> dict:
        return {"old": self.old, "pseudonym": self.new, "config_lines_changed": self.config_lines,
                "config_error": self.config_error or None}


def add_client(store, identity: ClientIdentity, chosen: str | None,
               config: Path | None) -> tuple[Client, list[Rotation]]:
    """Store a new client; first rotate every other pseudonym that shares a word with its name.

    The new client's pseudonym is chosen (and checked) before anything is written, so a
    refused one changes nothing."""
    existing = store.list_clients()
    taken = {c.pseudonym for c in existing}
    pseudonym = choose_pseudonym(identity, [c.identity for c in existing], taken, chosen)
    if pseudonyms.normalise(pseudonym) in {pseudonyms.normalise(t) for t in taken}:
        raise InputError("the chosen pseudonym is already in use",
                         next_step="choose another, or leave out --pseudonym to draw one")
    everyone = {c.id: c.identity for c in existing}
    rotations = rotate_clashing(store, existing, identity.name, everyone, [identity],
                                taken | {pseudonym}, config)
    return store.add_client(identity, pseudonym), rotations


def edit_client(store, client: Client, identity: ClientIdentity,
                config: Path | None) -> tuple[Client, list[Rotation]]:
    """Replace a client's identity. Other pseudonyms sharing a word with the (new) name are
    rotated first; the client's own is rotated too when it no longer fits its new name."""
    existing = store.list_clients()
    others = [c for c in existing if c.id != client.id]
    taken = {c.pseudonym for c in existing}
    everyone = {c.id: c.identity for c in others}
    own = None
    try:
        pseudonyms.check(client.pseudonym, identity.name)
    except InputError:
        own = choose_pseudonym(identity, list(everyone.values()), taken, None)
        taken.add(own)
    rotations = rotate_clashing(store, others, identity.name, everyone, [identity], taken,
                                config)
    edited = store.edit_client(client.id, identity, pseudonym=own)
    if own is not None:
        rotations.append(_follow(config, Rotation(client.id, client.pseudonym,
                                                  edited.pseudonym)))
    return edited, rotations


def rotate_clashing(store, candidates: list[Client], name: str,
                    everyone: dict[str, ClientIdentity], extra: list[ClientIdentity],
                    taken: set[str], config: Path | None) -> list[Rotation]:
    """Draw a new pseudonym for each candidate whose pseudonym shares a word with `name`,
    avoiding every name (`everyone` by client id, plus `extra`) and every pseudonym in
    `taken` (which grows); each rename is followed in the config file at once."""
    rotations = []
    for client in candidates:
        if not pseudonyms.shares_word(client.pseudonym, name):
            continue
        avoid = [i for cid, i in everyone.items() if cid != client.id] + list(extra)
        new = choose_pseudonym(client.identity, avoid, taken, None)
        renamed = store.rename_client(client.id, new)
        taken.add(renamed.pseudonym)
        rotations.append(_follow(config, Rotation(client.id, client.pseudonym,
                                                  renamed.pseudonym)))
    return rotations


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
