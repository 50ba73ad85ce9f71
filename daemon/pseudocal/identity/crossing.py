"""Names across scripts: a Cyrillic or Greek name and its Latin spellings compare alike.

A client stored as "Анна Петрова" is "Anna Petrova" on a Latin keyboard, and a client
stored as "Yulia" may be written "Юлия" by a practitioner who types in Russian. Latin
spellings of one Cyrillic or Greek name differ by scheme (passport, BGN/PCGN, ISO 9,
German or French habits: "Yuliya", "Iulia", "Julija"; "Pyotr", "Piotr"), so the two
sides meet in a coarse form, `key`, that folds those differences away:

    1. the Cyrillic or Greek letters spelled in Latin, one letter or digraph each
       (ж zh, х kh, ц ts, ч ch, ш sh, щ shch, ю iu, я ia, θ th, χ kh, ψ ps, ξ ks; soft
       and hard signs dropped; Greek ου ou, αυ av, ευ ev, γγ ng), with ё spelled both e
       and io (Пётр is Petr and Piotr) and χ both kh and ch (Χρήστος is Christos);
    2. in Latin then: y and j as i, w as v, x as ks, kh and h as h, ph as f, tz/cz/ts as
       ts, doubled letters as one, a leading "ie" or "io" as "e"/"o" (Yelena is Elena).

Only a text token holding a Cyrillic or Greek letter is spelled this way, and only a
name's Latin tokens are keyed: a Latin text is compared in `key` with the names that were
written in another script, never with Latin names, so the coarse form adds no false
match between two Latin words. For comparing, never for display.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
    "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch",
    "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "iu", "я": "ia",
    "і": "i", "ї": "i", "є": "ie", "ґ": "g", "ў": "u", "ј": "j", "љ": "lj", "њ": "nj",
    "ћ": "c", "ђ": "dj", "џ": "dz", "ѕ": "dz", "ќ": "k", "ѓ": "g",
}
_YO = "ё"
_TWO_WAYS = {_YO: ("e", "io"), "χ": ("kh", "ch")}  # both spellings are kept
_GREEK = {
    "α": "a", "β": "v", "γ": "g", "δ": "d", "ε": "e", "ζ": "z", "η": "i", "θ": "th",
    "ι": "i", "κ": "k", "λ": "l", "μ": "m", "ν": "n", "ξ": "ks", "ο": "o", "π": "p",
    "ρ": "r", "σ": "s", "ς": "s", "τ": "t", "υ": "i", "φ": "f", "ψ": "ps",
    "ω": "o",
}
_GREEK_PAIRS = {"ου": "ou", "αυ": "av", "ευ": "ev", "γγ": "ng", "γκ": "g"}
_COARSE = [(re.compile(p), r) for p, r in (
    (r"[yj]", "i"), (r"w", "v"), (r"x", "ks"), (r"ph", "f"), (r"kh", "h"),
    (r"(?:tz|cz|ts)", "ts"), (r"(.)\1+", r"\1"), (r"^i(?=[eo])", ""),
)]
MIN_KEY = 3  # shorter keys ("an", "ia") would meet too many words by chance


def foreign(token: str) -> bool:
    """True when `token` holds a Cyrillic or Greek letter (its lower-case form)."""
    return any(c in _CYRILLIC or c in _GREEK or c in _TWO_WAYS for c in _plain(token))


@lru_cache(maxsize=8192)
def spelled(token: str) -> frozenset[str]:
    """The Latin spellings of a token in Cyrillic or Greek letters (ё, χ both ways), in
    `key` form; Latin letters in it stay; other characters are dropped."""
    forms, plain = [""], _plain(token)
    for pair, pair_spelled in _GREEK_PAIRS.items():
        plain = plain.replace(pair, pair_spelled)
    for char in plain:
        if char in _TWO_WAYS:
            forms = [f + s for f in forms for s in _TWO_WAYS[char]][:8]
        else:
            spelled_as = _CYRILLIC.get(char, _GREEK.get(char))
            if spelled_as is None:
                spelled_as = char if char.isascii() else ""
            forms = [f + spelled_as for f in forms]
    return frozenset(k for k in map(key, forms) if len(k) >= MIN_KEY)


@lru_cache(maxsize=8192)
def key(latin: str) -> str:
    """The coarse comparison form of a Latin spelling (see the module's text)."""
    text = "".join(c for c in _plain(latin) if c.isascii() and c.isalpha())
    for pattern, replacement in _COARSE:
        text = pattern.sub(replacement, text)
    return text


def _plain(text: str) -> str:
    """Case folded, accents dropped, but ё kept (NFD would make it е)."""
    return "".join(c if c == _YO else "".join(
        d for d in unicodedata.normalize("NFD", c) if not unicodedata.combining(d))
        for c in unicodedata.normalize("NFC", text.casefold()))
