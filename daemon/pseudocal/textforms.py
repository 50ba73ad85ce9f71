"""One comparison form for every text that is checked against an identity.

`canon(text)` is what two texts are compared by, built so that what looks alike on a
screen compares alike:

    1. NFKC: compatibility forms fold to their plain letters (fullwidth, ligatures,
       mathematical alphabets, superscripts);
    2. format characters dropped (Unicode category Cf: zero-width space and joiners, the
       soft hyphen, bidi controls, the word joiner, BOM), so "Ja\u200bne" is "Jane";
    3. case folded; accents dropped (NFD, combining marks removed): "ZOË" is "zoe";
    4. confusable look-alikes replaced by their Unicode TR39 prototype (the skeleton's
       table, `confusables.txt`), for non-ASCII characters only, so a Cyrillic "а" in
       "Jаne" is a Latin "a" while ASCII letters and digits stay what they are;
    5. decimal digits of any script as ASCII digits.

`tokens(text)` splits the canonical form at anything not a letter or digit. A token's
position in the original is not kept: these forms are for deciding, never for display.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

_TOKEN = re.compile(r"[^\W_]+")


@lru_cache(maxsize=1)
def _prototypes() -> dict[str, str]:
    table = resources.files(__package__).joinpath("confusables.txt").read_text("utf-8")
    found = {}
    for line in table.splitlines():
        if line and not line.startswith("#"):
            source, *target = line.split()
            found[chr(int(source, 16))] = "".join(chr(int(t, 16)) for t in target)
    return found


def canon_char(char: str) -> str:
    """The canonical form of one character (may be empty, or several characters)."""
    out = []
    for c in unicodedata.normalize("NFKC", char):
        if unicodedata.category(c) == "Cf":
            continue
        for d in unicodedata.normalize("NFD", c):
            if not unicodedata.combining(d):
                out.append(_folded(d))
    return "".join(out)


@lru_cache(maxsize=4096)
def _folded(char: str) -> str:
    """Case-folded, and for a non-ASCII character its TR39 prototype, preferring an ASCII
    look-alike of its small, own or capital form in that order (Cyrillic "м" is read as
    its capital "М", whose prototype is Latin "M", so both cases of a letter agree);
    decimal digits of any script as ASCII digits."""
    if char.isascii():
        return char.casefold()
    digit = unicodedata.decimal(char, None)
    if digit is not None:
        return str(digit)
    table, small = _prototypes(), char.casefold()
    for form in (small, char, char.upper()):
        mapped = _plain(table.get(form, form))
        if mapped.isascii():
            return mapped
    return _plain(table.get(small, small))


def _plain(text: str) -> str:
    return "".join(d for d in unicodedata.normalize("NFD", text.casefold())
                   if not unicodedata.combining(d))


@lru_cache(maxsize=8192)
def canon(text: str) -> str:
    """`text` in the comparison form described above."""
    return "".join(canon_char(c) for c in text)


def tokens(text: str) -> list[str]:
    """The canonical letters-and-digits runs of `text`."""
    return _TOKEN.findall(canon(text))

