"""pseudonyms: drawn ones never echo the name; chosen ones are checked."""
from __future__ import annotations

import itertools
import random
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pseudocal.errors import InputError
from pseudocal.identity import pseudonyms
from pseudocal.identity.wordlists import ADJECTIVES, NOUNS

ALL_WORDS = ADJECTIVES + NOUNS


def plain_words(text: str) -> set[str]:
    """An independent fold: strip accents, casefold, split at non-alphanumerics."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return {w for w in re.split(r"[\W_]+", bare) if w}


# ---------------------------------------------------------------- word lists


def test_word_lists_are_large_distinct_and_plain():
    assert len(ADJECTIVES) >= 150 and len(NOUNS) >= 150
    assert len({w.casefold() for w in ALL_WORDS}) == len(ALL_WORDS)
    assert all(re.fullmatch(r"[A-Z][a-z]+", w) for w in ALL_WORDS)


@pytest.mark.parametrize("word", [
    "rose", "amber", "hazel", "robin", "hunter", "baker", "fox", "swift", "green",
    "calm", "blue", "anxious", "lonely", "storm", "haven", "anchor", "therapy", "cuckoo",
])
def test_word_lists_avoid_names_and_loaded_words(word):
    assert word not in {w.casefold() for w in ALL_WORDS}

# ---------------------------------------------------------------- forms


def test_normalise_and_tidy():
    assert pseudonyms.normalise("  Cobalt \t  OTTER ") == "cobalt otter"
    assert pseudonyms.tidy("  Cobalt \t  Otter ") == "Cobalt Otter"
    assert pseudonyms.normalise("Cafe\u0301 Heron") == pseudonyms.normalise("Café heron")


def test_words_fold_accents_and_case():
    assert pseudonyms.words("Ótter-Kestrel O'Hare") == ["otter", "kestrel", "o", "hare"]

# ---------------------------------------------------------------- draw

variants = st.sampled_from(ALL_WORDS).flatmap(lambda w: st.sampled_from(
    [w, w.upper(), w.lower(), w[0] + "\u0301" + w[1:], f"{w}'s", f"({w})"]))
name_words = st.lists(variants, max_size=4)
names = st.builds(lambda ws, t: " ".join([*ws, t]), name_words, st.text(max_size=30))


@settings(max_examples=300)
@given(names, st.integers(0, 2**32))
def test_draw_never_shares_a_word_with_the_name(name, seed):
    drawn = pseudonyms.draw(name, set(), rng=random.Random(seed))
    assert not plain_words(drawn) & plain_words(name)
    adjective, noun = drawn.split(" ")
    assert adjective in ADJECTIVES and noun in NOUNS


def test_draw_avoids_an_accented_name_word():
    rng = random.Random(7)
    for _ in range(200):
        assert "otter" not in pseudonyms.draw("Ótter Smíth", set(), rng=rng).casefold()


def test_draw_avoids_prefixes_of_name_words():
    for _ in range(200):
        drawn = pseudonyms.draw("Cobaltina Heronsgate", set())
        assert "Cobalt" not in drawn.split() and "Heron" not in drawn.split()


def test_draw_avoids_the_names_initials():
    rng = random.Random(3)
    for _ in range(300):
        adjective, noun = pseudonyms.draw("Jane Smith", set(), rng=rng).split()
        assert (adjective[0].lower(), noun[0].lower()) != ("j", "s")


def test_draw_respects_a_large_taken_set():
    every = [f"{a} {n}" for a, n in itertools.product(ADJECTIVES, NOUNS)]
    rng = random.Random(11)
    free = set(rng.sample(every, 25))
    taken = {p.upper() for p in every if p not in free}  # compared normalised
    seen = {pseudonyms.draw("Zed Quill", taken, rng=rng) for _ in range(5)}
    assert seen <= free


def test_draw_with_nothing_left_is_an_input_error():
    every = {f"{a} {n}" for a, n in itertools.product(ADJECTIVES, NOUNS)}
    with pytest.raises(InputError):
        pseudonyms.draw("Zed Quill", every)


@given(st.sets(st.sampled_from(ALL_WORDS), max_size=40))
def test_draw_is_unique_against_taken(taken_words):
    taken = {f"{a} {n}" for a in taken_words for n in NOUNS[:20]}
    assert pseudonyms.normalise(pseudonyms.draw("Zed Quill", taken)) not in {
        pseudonyms.normalise(t) for t in taken}

# ---------------------------------------------------------------- check


def test_check_accepts_a_fine_pseudonym():
    pseudonyms.check("Cobalt Otter", "Jane Smith")
    pseudonyms.check("Client 7", "Jane Smith")


@pytest.mark.parametrize("pseudonym", [
    "Jane Falcon", "SMITH Heron", "smíth", "Otter-Jane", "Janet", "Smi",
])
def test_check_rejects_shared_words(pseudonym):
    with pytest.raises(InputError) as caught:
        pseudonyms.check(pseudonym, "Jane Smith")
    assert "Jane" not in str(caught.value) and "Smith" not in str(caught.value)


@pytest.mark.parametrize("pseudonym", ["J.S.", "JS", "js", "J S", "S.J.", "J", "Jolly Sparrow"])
def test_check_rejects_initials(pseudonym):
    with pytest.raises(InputError) as caught:
        pseudonyms.check(pseudonym, "Jane Smith")
    assert "initials" in caught.value.message


def test_check_rejects_middle_name_initials():
    with pytest.raises(InputError):
        pseudonyms.check("JMS", "Jane Mary Smith")


@pytest.mark.parametrize("pseudonym", [
    "", "   ", "x" * 61, "Cobalt\nOtter", "Cobalt\tOtter", "Cobalt\x00", "{pseudonym}",
    "Cobalt }", "...", "Cobalt\u200bOtter",
])
def test_check_rejects_bad_shapes(pseudonym):
    with pytest.raises(InputError):
        pseudonyms.check(pseudonym, "Jane Smith")


def test_check_allows_sixty_characters():
    pseudonyms.check("x" * 60, "Jane Smith")
