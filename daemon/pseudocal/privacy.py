"""The last line of defence: an allow-list check on every object before it is sent.

An object passes only if every component, property and parameter is on the
spec's list, its UID is one of ours and safe, every TZID has its VTIMEZONE,
times are not floating, and no text names a client (in any case or Unicode
normal form) or says what the events are about. A failure raises
PrivacyViolation naming the object and the property, never the matched
identity.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable

from icalendar import Calendar

from .crypto import is_own_uid
from .errors import PrivacyViolation
from .models import ClientIdentity

ALLOWED = {
    "VCALENDAR": {"VERSION", "PRODID", "CALSCALE"},
    "VEVENT": {"UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "SEQUENCE", "RRULE", "EXDATE",
               "RECURRENCE-ID", "TRANSP", "CLASS"},
    "VALARM": {"ACTION", "TRIGGER", "DESCRIPTION"},
    "VTIMEZONE": {"TZID"},
    "STANDARD": {"DTSTART", "TZOFFSETFROM", "TZOFFSETTO", "TZNAME", "RRULE", "RDATE"},
    "DAYLIGHT": {"DTSTART", "TZOFFSETFROM", "TZOFFSETTO", "TZNAME", "RRULE", "RDATE"},
}
ALLOWED_PARAMS = {"TZID", "VALUE", "RELATED"}
TEXT_PROPS = {"SUMMARY", "DESCRIPTION"}
TIME_PROPS = {"DTSTART", "DTEND", "EXDATE", "RECURRENCE-ID"}
SAFE_UID = re.compile(r"^[A-Za-z0-9._-]{8,255}$")
REVEALING = re.compile(r"therap|counsel|psych|patient|client")  # on folded text; also any word containing them
MIN_TOKEN = 2  # name parts shorter than this are not matched as words
LOOSE_WORD = 3  # name parts at least this long are redacted from logs on their own
PHONE_TAIL = 9  # digits at the end of a phone number that identify it in logs


@dataclass(frozen=True)
class Identities:
    """The strings that must never leave, prepared once per sync.

    `pattern` matches any full name, email, phone or note as a whole word
    sequence; `words` holds each client's name parts (by client id), checked
    in that client's own objects; `digits` holds phone numbers as digits.
    """
    pattern: re.Pattern | None
    words: dict[str, frozenset[str]]
    digits: frozenset[str]
    alternatives: str = ""  # the phrases of `pattern`, as regex alternatives

    @classmethod
    def of(cls, identities: dict[str, ClientIdentity] | Iterable[ClientIdentity]) -> "Identities":
        items = identities.items() if isinstance(identities, dict) else enumerate(identities)
        phrases, words, digits = set(), {}, set()
        for key, ident in items:
            for term in ident.terms():
                phrases.update(_forms(term))
            words[str(key)] = frozenset(w for form in _forms(ident.name) for w in _words(form)
                                        if len(w) >= MIN_TOKEN)
            if ident.phone and len(_digits(ident.phone)) >= 6:
                digits.add(_digits(ident.phone))
        phrases.discard("")
        alternatives = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
        pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)") if phrases else None
        return cls(pattern, words, frozenset(digits), alternatives)

    def all_words(self) -> frozenset[str]:
        return frozenset().union(*self.words.values()) if self.words else frozenset()

    def loose_pattern(self) -> re.Pattern | None:
        """For the log redactor: full identities, each name part of 3 letters or more as a
        word ("Quimby, Zelda", "Ms QUIMBY"), and phone numbers written with any separators or
        prefix (the last 9 digits). Broader than `pattern`: a log line may lose a common word
        that is also a client's name, which is the right way round for a safety net."""
        parts = [self.alternatives] if self.alternatives else []
        names = sorted({w for w in self.all_words() if len(w) >= LOOSE_WORD}, key=len,
                       reverse=True)
        if names:
            parts.append("|".join(re.escape(w) for w in names))
        phones = [r"[\s\-./()]*".join(d[-PHONE_TAIL:]) for d in self.digits
                  if len(d) >= PHONE_TAIL]
        words = rf"(?<!\w)(?:{'|'.join(parts)})(?!\w)" if parts else None
        numbers = rf"(?:{'|'.join(phones)})(?!\d)" if phones else None
        both = "|".join(x for x in (words, numbers) if x)
        return re.compile(both) if both else None


def fold(text: str) -> str:
    """One form for comparison: compatibility-composed, case-folded, accents kept and dropped."""
    return unicodedata.normalize("NFKC", text).casefold()


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def check(ical: bytes, ids: Identities, tag_key: bytes, label: str = "object",
          client_id: str | None = None) -> None:
    """Raise PrivacyViolation unless `ical` is on the allow-list and names nobody.

    Name parts are matched as words in the text of the object's own client
    (`client_id`), full identities in every object.
    """
    try:
        cal = Calendar.from_ical(ical)
    except ValueError as exc:
        raise PrivacyViolation(f"{label}: not valid iCalendar ({type(exc).__name__})") from None
    _check_structure(cal, label)
    _check_uids(cal, tag_key, label)
    _check_times(cal, label)
    _check_identities(ical, cal, ids, label, ids.words.get(client_id or "", frozenset()))


def _check_structure(cal: Calendar, label: str) -> None:
    if cal.name != "VCALENDAR":
        raise _violation(label, f"top-level component {cal.name} is not VCALENDAR")
    for comp in cal.walk():
        allowed = ALLOWED.get(comp.name)
        if allowed is None:
            raise _violation(label, f"component {comp.name} is not allowed")
        for name, value in comp.property_items(recursive=False):
            if name == "BEGIN" or name == "END":
                continue
            if name not in allowed:
                raise _violation(label, f"property {name} is not allowed in {comp.name}")
            extra = set(getattr(value, "params", {}) or {}) - ALLOWED_PARAMS
            if extra:
                raise _violation(label, f"parameter {sorted(extra)[0]} on {name} is not allowed")
        if comp.name == "VALARM" and str(comp.get("ACTION", "")).upper() != "DISPLAY":
            raise _violation(label, "only DISPLAY alarms are allowed")


def _check_uids(cal: Calendar, tag_key: bytes, label: str) -> None:
    events = list(cal.walk("VEVENT"))
    if not events:
        raise _violation(label, "no VEVENT")
    for ev in events:
        uid = str(ev.get("UID", ""))
        if not SAFE_UID.match(uid):
            raise _violation(label, "UID is missing or has unsafe characters")
        if not is_own_uid(tag_key, uid):
            raise _violation(label, "UID does not carry pseudocal's ownership tag")


def _check_times(cal: Calendar, label: str) -> None:
    zones = {str(tz.get("TZID")) for tz in cal.walk("VTIMEZONE")}
    for ev in cal.walk("VEVENT"):
        for name in TIME_PROPS & set(ev.keys()):
            for value in _as_list(ev[name]):
                _check_time_value(name, value, zones, label)


def _check_time_value(name: str, value, zones: set[str], label: str) -> None:
    tzid = value.params.get("TZID")
    if tzid is not None:
        if tzid not in zones:
            raise _violation(label, f"{name} uses TZID {tzid} without a matching VTIMEZONE")
        return
    text = value.to_ical().decode() if hasattr(value, "to_ical") else str(value)
    if "T" in text and not text.endswith("Z"):
        raise _violation(label, f"{name} is a floating time (no TZID, not UTC)")


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _check_identities(ical: bytes, cal: Calendar, ids: Identities, label: str,
                      words: frozenset[str]) -> None:
    raw = ical.decode("utf-8", errors="replace").replace("\r\n ", "").replace("\n ", "")
    if ids.pattern is not None and any(ids.pattern.search(h) for h in _forms(raw)):
        raise _violation(label, "the object contains a client's identity")
    for comp in cal.walk():
        for name in TEXT_PROPS & set(comp.keys()):
            # name parts only where the pseudonym goes: the alarm texts are the
            # practitioner's own fixed wording, and "smart speakers" must not block
            # a client whose surname is Smart (full names are caught above)
            _check_text(str(comp[name]), ids, words if name == "SUMMARY" else frozenset(),
                        label, name)


def _check_text(text: str, ids: Identities, words: frozenset[str], label: str, prop: str) -> None:
    for form in _forms(text):
        if words & set(_words(form)):
            raise _violation(label, f"{prop} contains part of the client's name")
        if REVEALING.search(form):
            raise _violation(label, f"{prop} says what the events are about")
    digits = _digits(text)
    if any(d in digits for d in ids.digits):
        raise _violation(label, f"{prop} contains a client's phone number")


def _forms(text: str) -> set[str]:
    folded = fold(text)
    return {folded, _strip_accents(folded), unicodedata.normalize("NFD", folded),
            unicodedata.normalize("NFC", folded)}


def _violation(label: str, what: str) -> PrivacyViolation:
    return PrivacyViolation(f"{label}: {what}; nothing was sent",
                            next_step="change the title or text templates in the config, "
                                      "or rename the pseudonym (pseudocal client rename)")
