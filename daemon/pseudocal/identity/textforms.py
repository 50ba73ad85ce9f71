"""Comparison forms for every text that is checked against an identity.

`canon(text)` is what two texts are compared by, built so that what looks alike on a
screen compares alike:

    1. NFKC: compatibility forms fold to their plain letters (fullwidth, ligatures,
       mathematical alphabets, superscripts);
    2. invisible characters dropped: format characters (Unicode category Cf: zero-width
       space and joiners, the soft hyphen, bidi controls, the word joiner, BOM) and every
       other default-ignorable code point (Hangul fillers, variation selectors...), so
       "Ja\u200bne" and "J\u3164ane" are "Jane"; so are the marks that only stretch a
       word without changing it, the Arabic tatweel (U+0640) and N'Ko's lajanyalan
       (`ELONGATION`): "مـحمد" is "محمد";
    3. case folded; accents dropped (NFD, combining marks removed): "ZOË" is "zoe";
    4. confusable look-alikes of other scripts replaced by their Unicode TR39 prototype
       (the skeleton's table, `confusables.txt`), so a Cyrillic "а" in "Jаne" is a Latin
       "a"; ASCII letters and digits stay what they are (phone numbers need their digits);
    5. decimal digits of any script as ASCII digits.

`look(text)` goes further, for names only: it is `canon` with TR39's prototypes for ASCII
too ("I", "i", "1", "!", "¡" and "|" as "l", "0" as "o", "m" as "rn", "w" as "vv", "u" as
"v"), and the characters people type for letters ("5" and "$" for "s", "3" for "e", "@" and
"4" for "a", "7" for "t", "8" for "b"), so "WiII", "W1ll", "W¡ll", "VViII", "J0nes", "R0se",
"Ro5e", "Br@ckenbury", "8rackenbury", "Brackenbvry" and "Jarnes" look like "Will", "Jones",
"Rose", "Brackenbury" and "James". A number standing alone, two digits or more not touching
a letter ("10:00", "80 minutes"), stays a number: read as letters it would be "lo" or "bo".
Both sides of a comparison are put in the same form.

A Han character compares as the first of its variants (Unihan: traditional and simplified,
Japanese and older forms: 張偉 is 张伟, 渡邊 and 渡邉 are 渡辺, 齋藤 is 斎藤, 髙橋 is 高橋).
Two spellings of one letter compare alike: the Arabic teh marbuta "ة" as the "ه" it is often
written with ("فاطمة" is "فاطمه"), and katakana as hiragana ("サクラ" is "さくら"; a katakana
whose TR39 prototype is a letter of another script, "カ" like "力", keeps it, and its
hiragana "か" with it). `units(text)` keeps each character as written apart (a Hangul
syllable is one unit, not its jamo), for comparing whole characters of unspaced scripts.

Letters that NFKC leaves alone but a screen shows as letters (in a box or a circle, as
regional indicators or small capitals: "🅾", "🅦", "🇴", "ᴛ") are read by their Unicode name.

`tokens(text)` splits at anything not a letter or digit and at case changes inside a word
("JaneSmith" and "RMay" are two words each, as a reader sees them). A token's position
in the original is not kept: these forms are for deciding, never for display.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

_TOKEN = re.compile(r"[^\W_]+")
# default-ignorable code points that are not Cf (DerivedCoreProperties.txt, Unicode 15)
_IGNORABLE = re.compile("[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\ufe00-\ufe0f"
                        "\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
                        "\U000e0000-\U000e0fff]")
# ASCII characters typed for the letters they imitate, and letters that pass for others
# on a screen (both sides of a comparison are mapped: "Will" and "W1ll" and "VViII" are
# all "vvlll"; "Brackenbury" and "Brackenbvry" both "brackenbvry")
_ASCII_LOOK = {"I": "l", "i": "l", "1": "l", "|": "l", "!": "l", "\u00a1": "l", "0": "o",
               "5": "s", "$": "s", "3": "e", "@": "a", "4": "a", "7": "t", "8": "b", "u": "v",
               "U": "v", "w": "vv", "W": "vv"}
# a number of two digits or more that touches no letter (nor a character typed for one)
_LETTERISH = r"(?:[^\W\d_]|[@$!|\u00a1])"
_NUMBER = re.compile(rf"(?<!{_LETTERISH})\d{{2,}}(?!{_LETTERISH})")
# marks that only stretch a word (category Lm, so not invisible): dropped like invisibles
ELONGATION = frozenset("\u0640\u07fa")
# a letter shown in a box, a circle or as a small capital, which NFKC leaves alone
# ("NEGATIVE SQUARED LATIN CAPITAL LETTER O", "LATIN LETTER SMALL CAPITAL L",
# "REGIONAL INDICATOR SYMBOL LETTER O"): read by its Unicode name
_NAMED_LETTER = re.compile(r"\b(?:SMALL CAPITAL|CIRCLED|SQUARED|PARENTHESIZED|"
                           r"REGIONAL INDICATOR SYMBOL LETTER)\b.*?\b([A-Z])$")


TEH_MARBUTA = "\u0629"
_KANA = 0x60  # katakana U+30A1-30F6 is hiragana U+3041-3096 plus this


def _rows(name: str) -> list[list[str]]:
    """The rows of one of this package's tables: lines of hex code points, "#" comments."""
    table = resources.files(__package__).joinpath(name).read_text("utf-8")
    return [[chr(int(c, 16)) for c in line.split()] for line in table.splitlines()
            if line and not line.startswith("#")]


@lru_cache(maxsize=1)
def _prototypes() -> dict[str, str]:
    """Each confusable character to its TR39 prototype (confusables.txt)."""
    return {source: "".join(target) for source, *target in _rows("confusables.txt")}


@lru_cache(maxsize=1)
def _han_variants() -> dict[str, str]:
    """Each Han character with variants, to the first of its class (han_variants.txt)."""
    return {c: first for first, *others in _rows("han_variants.txt") for c in others}


def han_folded(text: str) -> str:
    """`text` with each Han character as the first of its variants: traditional and
    simplified, Japanese and older forms of one character compare alike."""
    table = _han_variants()
    return "".join(table.get(c, c) for c in text)


def invisible(char: str) -> bool:
    """A character that shows nothing: a format character or another default-ignorable."""
    return unicodedata.category(char) == "Cf" or bool(_IGNORABLE.match(char))


def canon_char(char: str, shown: bool = False) -> str:
    """The canonical form of one character (may be empty, or several characters); `shown`:
    the look-alike of the character as written first, not of its small form."""
    out = []
    for c in unicodedata.normalize("NFKC", char):
        if invisible(c) or c in ELONGATION:
            continue
        for d in unicodedata.normalize("NFD", c):
            if not unicodedata.combining(d):
                out.append(_folded(d, shown))
    return "".join(out)


@lru_cache(maxsize=4096)
def _folded(char: str, shown: bool = False) -> str:
    """Case-folded, and for a non-ASCII letter its TR39 prototype, preferring an ASCII
    letter that looks like its own, small or capital form in that order (Greek "Η" is
    Latin "H", not the "n" its small form "η" is like; Cyrillic "м" is read as its capital
    "М", whose prototype is Latin "M"). A letter never becomes a digit or punctuation: a
    name in it would vanish or be cut in two at the digit (Cyrillic "б" is like "6", Hebrew
    "י" like an apostrophe); without a letter look-alike it stays its small self. Decimal
    digits of any script as ASCII digits."""
    if char.isascii():
        return char.casefold()
    digit = unicodedata.decimal(char, None)
    if digit is not None:
        return str(digit)
    named = _NAMED_LETTER.search(unicodedata.name(char, ""))
    if named:
        return named.group(1).lower()
    if not unicodedata.category(char).startswith("L"):
        return char.casefold()  # a dash or dot must not become a letter ("—" is like "ー")
    han = _han_variants().get(char)
    if han is not None:
        return han  # 張 is 张, 邊 and 邉 are 辺: one name's variants (traditional, Japanese)
    if char == TEH_MARBUTA:
        return _folded("\u0647", shown)  # ة is written ه as often: فاطمة is فاطمه
    kana = ord(char)
    if 0x3041 <= kana <= 0x3096:  # hiragana compares as its katakana does (さくら, サクラ)
        return _folded(chr(kana + _KANA), shown)
    if 0x30a1 <= kana <= 0x30f6:
        mapped = _letter(char, shown)  # a katakana's look-alike of another script ("カ"
        return chr(kana - _KANA) if mapped == char else mapped  # is "力"), else hiragana
    return _letter(char, shown)


def _letter(char: str, shown: bool) -> str:
    table, small = _prototypes(), char.casefold()
    forms = (char, small, char.lower(), char.upper()) if shown else \
        (small, char.lower(), char, char.upper())  # Cherokee folds to its capitals
    for form in forms:
        mapped = _plain(table.get(form, form))
        if mapped.isascii() and mapped.isalpha():  # a letter's look-alike must be a letter
            return mapped
    mapped = _plain(table.get(small, small))
    return mapped if mapped.isalpha() else small


def _plain(text: str) -> str:
    return "".join(d for d in unicodedata.normalize("NFD", text.casefold())
                   if not unicodedata.combining(d))


@lru_cache(maxsize=8192)
def canon(text: str) -> str:
    """`text` in the comparison form described above."""
    return "".join(canon_char(c) for c in text)


def units(text: str) -> list[str]:
    """The comparison form of each character of `text` as written (NFKC, invisibles and
    stretching marks dropped first, so a Hangul syllable stays one character: "민준" is two
    units, not the five jamo `canon` gives), without the characters that vanish: for
    comparing whole characters of scripts written without spaces."""
    return [u for u in (canon_char(c) for c in written(text)) if u]


def written(text: str) -> str:
    """`text` as its characters are written: invisibles and stretching marks dropped, then
    NFKC over the whole (conjoining jamo become their Hangul syllable)."""
    kept = "".join(c for c in text if not invisible(c) and c not in ELONGATION)
    return unicodedata.normalize("NFKC", kept)


@lru_cache(maxsize=8192)
def look(text: str) -> str:
    """`canon`, with ASCII look-alikes read as the letters they imitate (names only); a
    number standing alone stays its digits."""
    out, last = [], 0
    for number in _NUMBER.finditer(text):
        out += [_look(text[last:number.start()]), canon(number.group())]
        last = number.end()
    return "".join(out) + _look(text[last:])


def _look(text: str) -> str:
    folded = "".join(_ASCII_LOOK.get(c) or canon_char(c) for c in text)
    return "".join(_ASCII_LOOK.get(c, c) for c in folded).replace("m", "rn")


@lru_cache(maxsize=8192)
def cased(text: str) -> str:
    """`canon` with each letter's case kept (the look-alike of the letter as written):
    for numbers written with letters, where "B" is an 8 and "b" a 6."""
    return "".join(canon_char(c, True).upper() if c.isupper() else canon_char(c, True)
                   for c in text)


def split_case(text: str) -> str:
    """`text` with a space where a word changes case the way two words meet:
    "JaneSmith" -> "Jane Smith", "RMay" -> "R May", "OQuimby" -> "O Quimby"."""
    out = []
    for i, char in enumerate(text):
        before = text[i - 1] if i else ""
        after = text[i + 1] if i + 1 < len(text) else ""
        if char.isupper() and before.isalpha() and (before.islower() or after.islower()):
            out.append(" ")
        out.append(char)
    return "".join(out)


@lru_cache(maxsize=8192)
def shown_tokens(text: str) -> list[str]:
    """`tokens`, with each letter read as the look-alike of the form written, not of its
    small form: Greek "ΗAZEL" is "hazel" here (Η looks like H), "nazel" in `tokens` (its
    small form η looks like n). `tokens` keeps both cases of a letter alike, so a name is
    compared in it; a text is compared in both."""
    return _TOKEN.findall("".join(canon_char(c, True) for c in split_case(text)))


def tokens(text: str) -> list[str]:
    """The canonical letters-and-digits runs of `text`, split at case changes too."""
    return _TOKEN.findall(canon(split_case(text)))


def written_tokens(text: str) -> list[str]:
    """The letters-and-digits runs of `text` as written (`written`, split at case changes
    too), letters not folded: for spelling a name of one script in another."""
    return _TOKEN.findall(written(split_case(text)))


def look_tokens(text: str) -> list[str]:
    """`tokens` in the look-alike form (`look`)."""
    return _TOKEN.findall(look(split_case(text)))
