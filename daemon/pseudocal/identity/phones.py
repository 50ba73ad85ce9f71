"""Phone numbers compared as numbers, not as strings.

A client's phone is parsed once, when it is entered, with `phonenumbers` (the Python port
of Google's libphonenumber, which knows every country's national and international
forms); the store keeps the E.164 form (`+447700900123`) beside the text as typed.
Numbers written with a leading `+` or `00` parse anywhere; a national number
(`07700 900123`) is read in the client's country when `country` is an ISO 3166 code
that phonenumbers knows (`GB`, `US`, `DE`...), else as a UK number (`DEFAULT_REGION`).

`national_digits` is what leak checks look for: the national significant number
(`7700900123`), which every way of writing the number contains once its separators are
dropped -- `07700 900123`, `+44 (0)7700-900-123`, `0044 7700 900123`.
"""
from __future__ import annotations

import re
from functools import cache
from types import ModuleType

DEFAULT_REGION = "GB"
MIN_DIGITS = 6  # shorter digit strings are not treated as phone numbers
# anything but letters between two digits, however long: "07700 - 900_123",
# "07700·900·123", "07700—900—123", "(07700) 900,123", "07700 ... ... 900123"
_SEPARATORS = re.compile(r"(?<=\d)[^\w]+(?=\d)|(?<=\d)_+(?=\d)")
# letters typed for digits in a number: "O77OO 9OO123"
_DIGIT_LOOK = str.maketrans({"o": "0", "O": "0", "l": "1", "I": "1", "|": "1", "i": "1",
                             "\u00a1": "1"})
# and, inside a word that holds a digit (once those above are read), the letters that pass
# for the other digits: "lZ3" is 123, "O7OO 9OOl2S" 0700 900125; "Zone", "Bass" stay words
_DIGIT_LOOK_MIXED = str.maketrans({"Z": "2", "z": "2", "S": "5", "s": "5", "B": "8",
                                   "b": "6", "G": "6", "T": "7", "E": "3", "g": "9", "q": "9"})
_WORD = re.compile(r"[^\W_]+")
LOCAL_DIGITS = 7  # a number written without its area code still holds its last 7 digits


@cache
def _phonenumbers() -> ModuleType:
    """phonenumbers, imported when a number is first read (commands that read none, such
    as `--help` and `status`, do not pay for its metadata)."""
    import phonenumbers
    return phonenumbers


def region(country: str | None) -> str:
    code = (country or "").strip().upper()
    return code if code in _phonenumbers().SUPPORTED_REGIONS else DEFAULT_REGION


def to_e164(phone: str | None, country: str | None = None) -> str | None:
    """The E.164 form of `phone`, or None when it is not a possible phone number."""
    if not phone or len(re.sub(r"\D", "", phone)) < MIN_DIGITS:
        return None
    phonenumbers = _phonenumbers()
    try:
        number = phonenumbers.parse(phone, region(country))
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def national_digits(phone: str | None, e164: str | None = None,
                    country: str | None = None) -> str | None:
    """The digits any written form of the number contains (its national significant
    number); for a number phonenumbers cannot read, its own digits without leading zeros."""
    e164 = e164 or to_e164(phone, country)
    if e164:
        phonenumbers = _phonenumbers()
        number = phonenumbers.parse(e164, None)
        return phonenumbers.national_significant_number(number)
    digits = re.sub(r"\D", "", phone or "").lstrip("0")
    return digits if len(digits) >= MIN_DIGITS else None


def local_tail(digits: str) -> str | None:
    """The last LOCAL_DIGITS digits of a national number long enough to have an area code
    ("555 0100" for +1 212 555 0100, "7946 0018" for 020 7946 0018)."""
    return digits[-LOCAL_DIGITS:] if len(digits) >= LOCAL_DIGITS + 2 else None


# what separates two numbers written in one field: "07700 900123 / 020 7946 0018",
# "07700 900123, 020 7946 0018", "07700 900123 (work 020 7946 0018)", "... or ..."
_LIST = re.compile(r"[/,;|()\[\]]|\b(?:or|and|oder|ou|o|y|et|und)\b", re.IGNORECASE)


def numbers_in(text: str | None, country: str | None = None) -> set[str]:
    """The national digits of every number written in `text`, however many: each found by
    phonenumbers in the client's country, and each piece between list separators read on
    its own (two numbers in one field must not merge into one digit run)."""
    if not text:
        return set()
    phonenumbers = _phonenumbers()
    found = set()
    for match in phonenumbers.PhoneNumberMatcher(text, region(country),
                                                 leniency=phonenumbers.Leniency.POSSIBLE):
        found.add(phonenumbers.national_significant_number(match.number))
    for piece in _LIST.split(text):
        for run in digit_runs(piece):
            if len(run) >= MIN_DIGITS:
                found.add(national_digits(run, None, country) or "")
    return {n for n in found if n}


def digit_runs(text: str) -> list[str]:
    """The digit sequences of `text`, joined across the separators phone numbers are
    written with (anything but letters): "+44 (0)7700-900 123" -> ["4407700900123"]."""
    joined = _SEPARATORS.sub("", text)
    return re.findall(r"\d+", joined)


def contains_number(text: str, numbers: frozenset[str]) -> bool:
    """True when any of `numbers` (national digits) is written in `text` (its canonical
    form with case kept: "B" is read as 8, "b" as 6)."""
    if not numbers:
        return False
    read = text.translate(_DIGIT_LOOK)
    return any(n in run for form in (text, read, _WORD.sub(_mixed, read))
               for run in digit_runs(form) for n in numbers)


def _mixed(word: re.Match[str]) -> str:
    text = word.group()
    return text.translate(_DIGIT_LOOK_MIXED) if any(c.isdigit() for c in text) else text
