"""Text from the store on its way to a terminal: never a raw control or invisible character.

A name is typed by a person, but a store can be restored from elsewhere or written by an
older version, and a terminal obeys what it is sent: ESC starts a sequence that can move
the cursor, recolour or retitle the window, and the bidi controls (U+202A-U+202E,
U+2066-U+2069) reorder what is shown after them. A character that shows nothing, or shows
as a blank other than the ordinary space, makes two different values look alike ("Zed
Test Person" with a Hangul filler U+115F in it, or with an ideographic space U+3000). So
everything printed from the store goes through `safe`, which shows such characters as
visible escapes (`\\u001b`, `\\u202e`, `\\u3000`), and input refuses them (`unsafe_in`),
one rule for both directions:

    every character of a Unicode category C* (control Cc, format Cf, surrogate Cs,
    private use Co, unassigned Cn); the line and paragraph separators (Zl, Zp); every
    space separator (Zs) but the ordinary space U+0020 (U+00A0, U+2007, U+3000...);
    every default-ignorable code point (Unicode's Default_Ignorable_Code_Point: the
    Hangul fillers U+115F, U+1160, U+3164, U+FFA0, the combining grapheme joiner U+034F,
    the variation selectors U+FE00-U+FE0F and U+E0100-U+E01EF, the Mongolian ones
    U+180B-U+180F, U+17B4/U+17B5, U+2060-U+206F, U+FEFF...); and the blank braille
    pattern U+2800. Whatever `textforms.invisible` calls invisible is escaped too.

JSON output needs nothing more: `json.dumps` escapes these itself (ensure_ascii).
"""
from __future__ import annotations

import re
import unicodedata

from ..identity.textforms import invisible

_SEPARATORS = frozenset({"Zl", "Zp"})
# Default_Ignorable_Code_Point (Unicode DerivedCoreProperties.txt), whatever their category
# (most are Cf or Cn; the fillers are Lo, the selectors Mn), and the blank braille pattern
_BLANK = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
                    "\u202a-\u202e\u2060-\u206f\u2800\u3164\ufe00-\ufe0f\ufeff\uffa0"
                    "\ufff0-\ufff8\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
                    "\U000e0000-\U000e0fff]")


def is_unsafe(ch: str) -> bool:
    """True for a character that must never reach a terminal raw."""
    category = unicodedata.category(ch)
    return (category[0] == "C" or category in _SEPARATORS
            or (category == "Zs" and ch != " ") or bool(_BLANK.match(ch))
            or invisible(ch))  # whatever the redactor's canonical form drops, too


def unsafe_in(text: str) -> bool:
    """True when `text` holds any character `safe` would escape."""
    return any(is_unsafe(ch) for ch in text)


def escape(ch: str) -> str:
    code = ord(ch)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def safe(text: object) -> str:
    """`text` for a terminal: each unsafe character as a visible \\uXXXX escape;
    None is the empty string."""
    if text is None:
        return ""
    text = str(text)
    if not unsafe_in(text):
        return text
    return "".join(escape(ch) if is_unsafe(ch) else ch for ch in text)
