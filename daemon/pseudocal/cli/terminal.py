"""Text from the store on its way to a terminal: never a raw control character.

A name is typed by a person, but a store can be restored from elsewhere or written by an
older version, and a terminal obeys what it is sent: ESC starts a sequence that can move
the cursor, recolour or retitle the window, and the bidi controls (U+202A-U+202E,
U+2066-U+2069) reorder what is shown after them. So everything printed from the store
goes through `safe`, which shows such characters as visible escapes (`\\u001b`,
`\\u202e`), and input refuses them (`unsafe_in`), one rule for both directions:

    every character of a Unicode category C* (control Cc, format Cf, surrogate Cs,
    private use Co, unassigned Cn), and the line and paragraph separators (Zl, Zp).

JSON output needs nothing more: `json.dumps` escapes these itself (ensure_ascii).
"""
from __future__ import annotations

import unicodedata

_SEPARATORS = frozenset({"Zl", "Zp"})


def is_unsafe(ch: str) -> bool:
    """True for a character that must never reach a terminal raw."""
    category = unicodedata.category(ch)
    return category[0] == "C" or category in _SEPARATORS


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
