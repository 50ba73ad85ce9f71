"""Drawing and checking pseudonyms.

A drawn pseudonym is "Adjective Noun" from the built-in lists, picked with a
CSPRNG, unused in the store, and unrelated to the client's name: it shares no
word with it (ignoring case and accents, nor is one word a prefix of the
other, e.g. "Amber" and "Amberley"), and its initials are not the name's.
Initials are identity: nothing here derives anything from a name.

    tidy(p)        display form: NFC, single spaces, trimmed
    normalise(p)   comparison form: tidy + casefold (the blind index input)
    draw(name, taken)   a fresh pseudonym
    check(p, name)      InputError when a chosen pseudonym is unsafe
"""
from __future__ import annotations

import itertools
import random
import re
import secrets
import unicodedata
from collections.abc import Iterable

from .errors import InputError
from .wordlists import ADJECTIVES, NOUNS

MAX_LENGTH = 60
PREFIX_MIN = 3  # shorter words only clash when equal
RANDOM_TRIES = 200
_SYSTEM_RANDOM = secrets.SystemRandom()
_SPLIT = re.compile(r"[\W_]+")

# ---------------------------------------------------------------- forms


def tidy(pseudonym: str) -> str:
    """The display form: NFC, whitespace runs collapsed to one space, trimmed."""
    return " ".join(unicodedata.normalize("NFC", pseudonym).split())


def normalise(pseudonym: str) -> str:
    """The comparison form: NFC, casefolded, whitespace collapsed."""
    folded = unicodedata.normalize("NFC", tidy(pseudonym).casefold())
    return " ".join(folded.split())


def fold(text: str) -> str:
    """Case- and accent-insensitive form of `text` for word comparisons."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFKC", stripped).casefold()


def words(text: str) -> list[str]:
    """The folded words of `text`, split at anything not a letter or digit."""
    return [w for w in _SPLIT.split(fold(text)) if w]


def initials(text: str) -> str:
    """First letter of each word of `text` (folded)."""
    return "".join(w[0] for w in words(text))

# ---------------------------------------------------------------- relations


def _related(a: str, b: str) -> bool:
    if a == b:
        return True
    if min(len(a), len(b)) < PREFIX_MIN:
        return False
    return a.startswith(b) or b.startswith(a)


def shares_word(pseudonym: str, name: str) -> bool:
    """True when a word of `pseudonym` equals (or prefixes) a word of `name`."""
    return _shares(words(pseudonym), set(words(name)))


def _shares(pseudonym_words: Iterable[str], name_words: set[str]) -> bool:
    return any(_related(p, n) for p in pseudonym_words for n in name_words)


def _initial_forms(name_words: list[str]) -> set[str]:
    """The name's initials, all and first+last ("jms", "js")."""
    if len(name_words) < 2:
        return set()
    everything = "".join(w[0] for w in name_words)
    return {everything, name_words[0][0] + name_words[-1][0]}


def _echoes_initials(pseudonym_words: list[str], name_words: list[str]) -> bool:
    """True for "J.S."/"JS" forms, or a pseudonym whose initials are the name's."""
    letters = {w[0] for w in name_words}
    compact = "".join(pseudonym_words)
    if compact and len(compact) <= len(name_words) and set(compact) <= letters:
        return True
    if len(pseudonym_words) < 2:
        return False
    return "".join(w[0] for w in pseudonym_words) in _initial_forms(name_words)

# ---------------------------------------------------------------- draw


def draw(name: str, taken: Iterable[str], rng: random.Random = _SYSTEM_RANDOM) -> str:
    """A random two-word pseudonym unrelated to `name` and not in `taken`."""
    name_words = words(name)
    taken_forms = {normalise(t) for t in taken}
    for _ in range(RANDOM_TRIES):
        candidate = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
        if _acceptable(candidate, name_words, taken_forms):
            return candidate
    return _draw_exhaustive(name_words, taken_forms, rng)


def _draw_exhaustive(name_words: list[str], taken_forms: set[str],
                     rng: random.Random) -> str:
    """Fallback when random tries keep failing: choose among every free pair."""
    pairs = (f"{a} {n}" for a, n in itertools.product(ADJECTIVES, NOUNS))
    free = [p for p in pairs if _acceptable(p, name_words, taken_forms)]
    if not free:
        raise InputError("no unused pseudonym is left in the built-in word lists",
                         next_step="choose one yourself with --pseudonym")
    return rng.choice(free)


def _acceptable(candidate: str, name_words: list[str], taken_forms: set[str]) -> bool:
    if normalise(candidate) in taken_forms:
        return False
    candidate_words = words(candidate)
    if _shares(candidate_words, set(name_words)):
        return False
    return not _echoes_initials(candidate_words, name_words)

# ---------------------------------------------------------------- check


def check(pseudonym: str, name: str) -> None:
    """Raise InputError when `pseudonym` is unusable for a client called `name`.

    Messages never repeat the pseudonym or the name: they may end up in logs.
    """
    _check_text(pseudonym)
    pseudonym_words, name_words = words(pseudonym), words(name)
    if _shares(pseudonym_words, set(name_words)):
        raise InputError("the pseudonym shares a word with the client's name",
                         next_step=_PICK_OTHER)
    if _echoes_initials(pseudonym_words, name_words):
        raise InputError("the pseudonym could be derived from the client's initials",
                         next_step=_PICK_OTHER)


_PICK_OTHER = ("choose a pseudonym unrelated to the client's name, "
               "or leave it out to have one drawn")


def _check_text(pseudonym: str) -> None:
    """Shape rules that do not depend on the name."""
    if not isinstance(pseudonym, str) or not tidy(pseudonym):
        raise InputError("a pseudonym cannot be empty", next_step=_PICK_OTHER)
    if any(unicodedata.category(ch).startswith("C") or ch in "{}" for ch in pseudonym):
        raise InputError("a pseudonym cannot contain control characters, '{' or '}'",
                         next_step="use letters, digits, spaces and ordinary punctuation")
    if len(tidy(pseudonym)) > MAX_LENGTH:
        raise InputError(f"a pseudonym can be at most {MAX_LENGTH} characters",
                         next_step="choose a shorter pseudonym")
    if not words(pseudonym):
        raise InputError("a pseudonym needs at least one letter or digit",
                         next_step=_PICK_OTHER)
