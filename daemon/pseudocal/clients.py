"""Client operations that span the store and the config: safe pseudonyms, renames."""
from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from . import privacy, pseudonyms
from .errors import InputError
from .models import ClientIdentity

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
    return pseudonyms.draw(identity.name, taken)


def clashing_pseudonyms(identity: ClientIdentity, existing: dict[str, str]) -> list[str]:
    """Existing pseudonyms that contain a word of a new client's name (pseudonym -> name)."""
    return [p for p in existing if pseudonyms.shares_word(p, identity.name)]


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
