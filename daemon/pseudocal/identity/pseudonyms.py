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

import functools
import random
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import InputError
from .textforms import canon, invisible, tokens
from .wordlists import ADJECTIVES, NOUNS

MAX_LENGTH = 60
PREFIX_MIN = 3  # shorter words only clash when equal
RANDOM_TRIES = 200
_SYSTEM_RANDOM = secrets.SystemRandom()

# ---------------------------------------------------------------- forms


def tidy(pseudonym: str) -> str:
    """The display form: NFC, whitespace runs collapsed to one space, trimmed."""
    return " ".join(unicodedata.normalize("NFC", pseudonym).split())


def normalise(pseudonym: str) -> str:
    """The comparison form: NFC, casefolded, whitespace collapsed."""
    folded = unicodedata.normalize("NFC", tidy(pseudonym).casefold())
    return " ".join(folded.split())


def fold(text: str) -> str:
    """The comparison form of `text` (`textforms.canon`: case, accents, compatibility
    forms, format characters and confusable look-alikes folded away)."""
    return canon(text)


def words(text: str) -> list[str]:
    """The folded words of `text`, split at anything not a letter or digit."""
    return tokens(text)


# ---------------------------------------------------------------- relations


def _related(a: str, b: str) -> bool:
    if a == b:
        return True
    if min(len(a), len(b)) < PREFIX_MIN:
        return False
    return a.startswith(b) or b.startswith(a)


@dataclass(frozen=True)
class _Name:
    """What a pseudonym must not echo: a name's folded words and initials."""
    words: tuple[str, ...]
    letters: frozenset[str]
    forms: frozenset[str]  # all initials, and first+last ("jms", "js")

    @classmethod
    def of(cls, name: str) -> "_Name":
        ws = tuple(words(name))
        forms = {"".join(w[0] for w in ws), ws[0][0] + ws[-1][0]} if len(ws) > 1 else set()
        return cls(ws, frozenset(w[0] for w in ws), frozenset(forms))

    def clashes(self, word: str) -> bool:
        """True when `word` equals, or prefixes, or is prefixed by a name word."""
        return any(_related(word, n) for n in self.words)

    def echoed_by(self, pseudonym_words: list[str]) -> bool:
        """True for "J.S."/"JS"-like pseudonyms, or ones with the name's initials."""
        compact = "".join(pseudonym_words)
        if compact and len(compact) <= len(self.words) and set(compact) <= self.letters:
            return True
        theirs = "".join(w[0] for w in pseudonym_words)
        return len(pseudonym_words) > 1 and theirs in self.forms


def shares_word(pseudonym: str, name: str) -> bool:
    """True when a word of `pseudonym` equals (or prefixes) a word of `name`."""
    profile = _Name.of(name)
    return any(profile.clashes(w) for w in words(pseudonym))

# ---------------------------------------------------------------- draw

@functools.cache
def _folded() -> dict[str, str]:
    """Each word of the lists in its folded form: made when a pseudonym is first drawn, not
    by every command that reads a config."""
    return {w: fold(w) for w in ADJECTIVES + NOUNS}


def draw(name: str, taken: Iterable[str], rng: random.Random = _SYSTEM_RANDOM) -> str:
    """A random two-word pseudonym unrelated to `name` and not in `taken`."""
    profile = _Name.of(name)
    taken_forms = {normalise(t) for t in taken}
    for _ in range(RANDOM_TRIES):
        adjective, noun = rng.choice(ADJECTIVES), rng.choice(NOUNS)
        if _acceptable(adjective, noun, profile, taken_forms):
            return f"{adjective} {noun}"
    return _draw_exhaustive(profile, taken_forms, rng)


def _draw_exhaustive(profile: _Name, taken_forms: set[str], rng: random.Random) -> str:
    """Fallback when random tries keep failing: choose among every free pair."""
    folded = _folded()
    adjectives = [a for a in ADJECTIVES if not profile.clashes(folded[a])]
    nouns = [n for n in NOUNS if not profile.clashes(folded[n])]
    free = [f"{a} {n}" for a in adjectives for n in nouns
            if _acceptable(a, n, profile, taken_forms, checked=True)]
    if not free:
        raise InputError("no unused pseudonym is left in the built-in word lists",
                         next_step="choose one yourself with --pseudonym")
    return rng.choice(free)


def _acceptable(adjective: str, noun: str, profile: _Name, taken_forms: set[str],
                checked: bool = False) -> bool:
    folded = _folded()
    pair = [folded[adjective], folded[noun]]
    if " ".join(pair) in taken_forms:  # == normalise(): list words are plain ASCII
        return False
    if not checked and any(profile.clashes(w) for w in pair):
        return False
    return not profile.echoed_by(pair)

# ---------------------------------------------------------------- check


def check(pseudonym: str, name: str) -> None:
    """Raise InputError when `pseudonym` is unusable for a client called `name`.

    Messages never repeat the pseudonym or the name: they may end up in logs.
    """
    _check_text(pseudonym)
    pseudonym_words, profile = words(pseudonym), _Name.of(name)
    if any(profile.clashes(w) for w in pseudonym_words):
        raise InputError("the pseudonym shares a word with the client's name",
                         next_step=_PICK_OTHER)
    if profile.echoed_by(pseudonym_words):
        raise InputError("the pseudonym could be derived from the client's initials",
                         next_step=_PICK_OTHER)


_PICK_OTHER = ("choose a pseudonym unrelated to the client's name, "
               "or leave it out to have one drawn")


def _check_text(pseudonym: str) -> None:
    """Shape rules that do not depend on the name."""
    if not isinstance(pseudonym, str) or not tidy(pseudonym):
        raise InputError("a pseudonym cannot be empty", next_step=_PICK_OTHER)
    if any(unicodedata.category(ch).startswith("C") or ch in "{}" or invisible(ch)
           or (unicodedata.category(ch).startswith("Z") and ch != " ") for ch in pseudonym):
        raise InputError("a pseudonym cannot contain control or invisible characters (a "
                         "Hangul filler, a variation selector), spaces other than the "
                         "ordinary one, '{' or '}'",
                         next_step="use letters, digits, spaces and ordinary punctuation")
    if len(tidy(pseudonym)) > MAX_LENGTH:
        raise InputError(f"a pseudonym can be at most {MAX_LENGTH} characters",
                         next_step="choose a shorter pseudonym")
    if not words(pseudonym):
        raise InputError("a pseudonym needs at least one letter or digit",
                         next_step=_PICK_OTHER)
