"""Names across scripts: a Cyrillic, Greek, Korean or kana name and its Latin spellings
compare alike (Korean by Revised Romanization and the usual surname spellings, kana by
Hepburn; names in Han characters, Arabic, Hebrew or Indic scripts are not spelled).

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
    (r"oo", "u"), (r"eo", "o"),  # Korean spellings: Yoon and Yun, Jeon and Jon
    (r"[yj]", "i"), (r"w", "v"), (r"x", "ks"), (r"ph", "f"), (r"kh", "h"),
    (r"(?:tz|cz|ts)", "ts"), (r"(.)\1+", r"\1"), (r"^i(?=[eo])", ""),
)]
MIN_KEY = 3  # shorter keys ("an", "ia") would meet too many words by chance

# Korean: Revised Romanization, syllable by syllable (initial, vowel, final), and the usual
# spellings of common surnames beside it (김 Kim, 이 Lee, 박 Park...)
_HANGUL_INITIAL = "g kk n d tt r m b pp s ss - j jj ch k t p h".split()
_HANGUL_VOWEL = "a ae ya yae eo e yeo ye o wa wae oe yo u wo we wi yu eu ui i".split()
_HANGUL_FINAL = ("- k k ks n nj nh t l lk lm lb ls lt lp lh m p ps t t ng t t k t p t"
                 .split())
_SURNAMES = {"김": ("kim",), "이": ("lee", "yi", "rhee"), "박": ("park",), "최": ("choi",),
             "정": ("jung", "chung"), "강": ("kang",), "조": ("cho",), "윤": ("yoon",),
             "장": ("chang",), "임": ("lim",), "오": ("oh",), "서": ("suh",), "신": ("shin",),
             "권": ("kwon",), "안": ("ahn",), "전": ("jun",), "고": ("ko",), "문": ("moon",),
             "허": ("huh",), "유": ("yoo",), "류": ("ryu", "yoo"), "백": ("baek", "paik")}
# Japanese kana: Hepburn (katakana is read as its hiragana first)
_KANA = dict(zip(
    "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをん"
    "がぎぐげござじずぜぞだぢづでどばびぶべぼぱぴぷぺぽぁぃぅぇぉゔ",
    ("a i u e o ka ki ku ke ko sa shi su se so ta chi tsu te to na ni nu ne no ha hi fu he "
     "ho ma mi mu me mo ya yu yo ra ri ru re ro wa o n ga gi gu ge go za ji zu ze zo da ji zu "
     "de do ba bi bu be bo pa pi pu pe po a i u e o vu").split(), strict=True))
_SMALL_Y = {"ゃ": "a", "ゅ": "u", "ょ": "o"}


def foreign(token: str) -> bool:
    """True when `token` holds a Cyrillic, Greek, Hangul or kana letter."""
    return any(_syllabic(c) for c in token) or any(
        c in _CYRILLIC or c in _GREEK or c in _TWO_WAYS for c in _plain(token))


def _syllabic(char: str) -> bool:
    return 0xAC00 <= ord(char) <= 0xD7A3 or 0x3041 <= ord(char) <= 0x30FA or char == "ー"


@lru_cache(maxsize=8192)
def spelled(token: str, runs_from: int = 1) -> frozenset[str]:
    """The Latin spellings of a token in Cyrillic or Greek letters (ё, χ both ways), in
    `key` form; Latin letters in it stay; other characters are dropped. A token of Hangul
    or kana, written without spaces, gives the spelling of each run of two syllables or
    more, and of a Korean surname (김민준: Minjun, Kim, Gimminjun...)."""
    if any(_syllabic(c) for c in token):
        return _syllable_runs(token, runs_from)
    plain = _plain(token)
    paired = plain
    for pair, pair_spelled in _GREEK_PAIRS.items():
        paired = paired.replace(pair, pair_spelled)
    return _letters(plain) | _letters(paired)  # ου as ou, and letter by letter (oy)


def _letters(plain: str) -> frozenset[str]:
    forms = [""]
    for char in plain:
        if char in _TWO_WAYS:
            forms = [f + s for f in forms for s in _TWO_WAYS[char]][:8]
        else:
            spelled_as = _CYRILLIC.get(char, _GREEK.get(char))
            if spelled_as is None:
                spelled_as = char if char.isascii() else ""
            forms = [f + spelled_as for f in forms]
    return frozenset(k for k in map(key, forms) if len(k) >= MIN_KEY)


def _syllable_runs(token: str, runs_from: int) -> frozenset[str]:
    """Each run of `runs_from` syllables or more (two at least, but a Korean surname: the
    first syllable of three alone, 김 of 김민준; "min" alone is also "10 min")."""
    units = _syllables(token)
    found = set()
    if runs_from == 1 and len(units) == 3 and 0xAC00 <= ord(token[0]) <= 0xD7A3:
        found |= {k for k in map(key, units[0]) if len(k) >= MIN_KEY}
    for i in range(len(units)):
        for j in range(i + max(runs_from, 2), min(len(units), i + 6) + 1):
            forms = [""]
            for options in units[i:j]:
                forms = [f + o for f in forms for o in options][:16]
            # long vowels as Hepburn without marks writes them: Satou is Sato, Yuuki Yuki
            forms = [f.replace("ou", "o").replace("uu", "u") for f in forms]
            found |= {k for k in map(key, forms) if len(k) >= MIN_KEY}
    return frozenset(found)


def _syllables(token: str) -> list[tuple[str, ...]]:
    """Each Hangul syllable or kana (with its small ya/yu/yo) as its Latin spellings."""
    out: list[tuple[str, ...]] = []
    double = False
    for char in token:
        code = ord(char)
        if 0x30A1 <= code <= 0x30F6:
            char = chr(code - 0x60)
        if 0xAC00 <= ord(char) <= 0xD7A3:
            n = ord(char) - 0xAC00
            rr = "".join(p for p in (_HANGUL_INITIAL[n // 588], _HANGUL_VOWEL[n % 588 // 28],
                                     _HANGUL_FINAL[n % 28]) if p != "-")
            out.append((rr, *_SURNAMES.get(char, ())))
        elif char in ("っ", "ー"):
            double = char == "っ"
        elif char in _SMALL_Y and out and out[-1][0].endswith("i"):
            base = out[-1][0][:-1]
            out[-1] = ((base if base in ("sh", "ch", "j") else base + "y") + _SMALL_Y[char],)
        elif char in _KANA:
            latin = _KANA[char]
            out.append((latin[0] + latin if double and latin[0] not in "aiueo" else latin,))
            double = False
    return out


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
