"""Every text that can leave the machine, checked against every identity, normalised.

Two checks share one idea of "names a client" (`Identities.find`):

* **Config texts** (titles, alarm texts, the checklist, the reminder word: every key read
  with `config.values.online_text`) are checked when a sync, `check` or the daemon builds
  the objects, against the clients in the store at that moment (`config_text_problems`):
  a hit is a config error that names the key and what kind of identity it holds, never
  the word.
* **Each rendered object** is checked again just before it is sent (`check`): the
  allow-list of components, properties and parameters, UIDs, time zones, and every text
  property (SUMMARY, alarm DESCRIPTION) against every client.

"Names a client" means, on the comparison form of `textforms.canon` (case, accents,
compatibility forms, format characters and TR39 confusables folded away):

    name      any token of two letters or more of any client's name, alone or spelled
              across separators ("J.a.n.e", "Ja-ne"); joined forms too ("Rose-May" ->
              "rosemay", "O'Neill" -> "oneill"); run together or plural, also in the
              look-alike form of `textforms.look` ("r0semay", "J4nes"); in unspaced
              scripts each part of 2+ whole characters inside a longer run ("督导李明",
              "민준 씨" for 김민준); each name also in its keyboard spellings
              (`name_forms`: "Mueller" and "Muller" for Müller, "Djordje" for Đorđe);
              a Cyrillic or Greek name in Latin letters and a Latin one in Cyrillic or
              Greek (`crossing`: "Anna" for Анна, "Юлия" for Yulia)
    email     the address, or its local part, also spelled with "at"/"dot"
              ("rose.may at example dot org"), split up ("Blue-Fox") or in look-alikes
              ("b1uef0x1987")
    phone     the number in any national or international form, compared as digits
              (`phones.national_digits`: "+44 7700 900123" is in "07700-900 123"),
              also with letters typed for digits ("077OO 9OO lZ3")
    identity  a whole note or contact route, and the numbers and addresses inside it

A text is also compared as a link or an HTML description shows it: percent-escapes and HTML
character references decoded (`decodings`: "R%256Fse" and "Ro&#115;e" are "Rose").

pseudocal's own words. Its fixed phrases (the default title, alarm, checklist and
reminder texts: `OWN_PHRASES`) and what it generates (month names, hours, numbers in a
"Book supervision" alarm) are not data: an object lists the exact spans it generated
(`DesiredObject.own`), and these, with `OWN_PHRASES`, are cut out of a text before its
data parts are checked. A text the practitioner wrote is always checked whole, so a client
called May blocks `title = "Screen break in May"` but never pseudocal's own reminder for
May 2027. Full identities (a whole name, an address, a number) are looked for in the raw
object too, own words included.

A failure raises PrivacyViolation naming the object and the property, never the match.
"""
from __future__ import annotations

import html
import itertools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import unquote

from ..crypto import is_own_uid
from ..errors import PrivacyViolation, Problem
from ..models import DEFAULT_CHECKLIST, BreakSettings, ClientIdentity, SupervisionSettings
from . import crossing, phones, textforms
from .textforms import (
    canon,
    cased,
    invisible,
    look,
    look_tokens,
    shown_tokens,
    tokens,
    written_tokens,
)

if TYPE_CHECKING:
    from icalendar import Calendar

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
REVEALING = re.compile(r"therap|counsel|psych|patient|client")  # on canonical text
MIN_TOKEN = 2  # name parts shorter than this are not matched
IN_WORD = 5  # a name part this long is found inside a longer word too ("callottilie")
MAX_RUN = 40  # at most this many separated pieces are joined back into one word
SPELLED = frozenset({"at", "dot"})  # "rose dot may at example dot org"
_EMAIL = re.compile(r"[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"']+\.[^\s@<>()\[\],;:\"']+")
_SEP = r"[\W_]*"  # between the pieces of a name in a log line: any punctuation or space

_BREAKS, _SUPERVISION = BreakSettings(), SupervisionSettings()
OWN_PHRASES = (DEFAULT_CHECKLIST, _BREAKS.title, _BREAKS.alarm, _SUPERVISION.title,
               _SUPERVISION.reminder)

# kinds of identity, as messages say them
NAME, EMAIL, PHONE, IDENTITY = ("a client's name (or part of it)", "a client's email address",
                                "a client's phone number", "a client's notes or contact route")


def fold(text: str) -> str:
    """The comparison form (`textforms.canon`); kept for callers that fold before matching."""
    return canon(text)


# ---------------------------------------------------------------- what must never leave


@dataclass(frozen=True)
class Identities:
    """Every client's identity in comparison form, prepared once per sync."""
    names: frozenset[str] = frozenset()  # name tokens and joined forms (canon and look)
    fragments: frozenset[str] = frozenset()  # pieces of names in scripts written unspaced
    unspaced: frozenset[str] = frozenset()  # the same, as whole characters (`_aligned`)
    locals: frozenset[str] = frozenset()  # email local parts, letters and digits joined
    handles: frozenset[str] = frozenset()  # one-word notes, contact handles ("bluebird77")
    numbers: frozenset[str] = frozenset()  # national digits of phones (and of contact routes)
    phrases: tuple[str, ...] = ()  # canonical whole names (2+ tokens), emails, notes, contacts
    phrase_pattern: re.Pattern[str] | None = None
    long_names: frozenset[str] = frozenset()  # names of IN_WORD letters+: found inside words
    local_words: frozenset[str] = frozenset()  # letter runs of IN_WORD+ in email local parts
    crossed: frozenset[str] = frozenset()  # Cyrillic and Greek name tokens spelled in Latin
    latin_keys: frozenset[str] = frozenset()  # Latin name tokens (`crossing.key`)
    initials: frozenset[str] = frozenset()  # "rq" of Rosalind Quimby (and "rjq", "rq" of R J Q)
    surname_pattern: re.Pattern[str] | None = None  # 王先生, 小王, 김 씨: one-character surnames

    @classmethod
    def of(cls, identities: Mapping[str, ClientIdentity] | Iterable[ClientIdentity]
           ) -> "Identities":
        items = identities.values() if isinstance(identities, Mapping) else identities
        names: set[str] = set()
        plain: set[str] = set()  # name tokens in canonical form only
        words: set[str] = set()  # of email local parts ("bluefox" of bluefox1987)
        fragments: set[str] = set()
        unspaced: set[str] = set()
        locals_: set[str] = set()
        handles: set[str] = set()
        numbers: set[str] = set()
        phrases: set[str] = set()
        crossed: set[str] = set()
        latin_keys: set[str] = set()
        initials: set[str] = set()
        surnames: set[str] = set()
        for ident in items:
            initials |= _initials(ident.name)
            surnames |= _surname(ident.name)
            latin_words = []
            for word in written_tokens(ident.name):  # "Анна" as "Anna", "Yulia" as "Юлия"
                if crossing.foreign(word):
                    crossed |= crossing.spelled(word)
                else:
                    latin_words.append(crossing.key(word))
            latin_keys |= {k for k in latin_words if len(k) >= crossing.MIN_KEY}
            latin_keys |= {a + b for a, b in itertools.pairwise(latin_words)}  # "minjun"
            for form in name_forms(ident.name):  # "Müller", and "Mueller" as typed
                plain |= name_tokens(form)
                names |= name_tokens(form) | name_tokens(form, look_tokens)
                if len(tokens(form)) > 1:
                    phrases.add(canon(form).strip())
            pieces = _unspaced_fragments(ident.name)
            fragments |= {"".join(p) for p in pieces}
            unspaced |= {_aligned(p) for p in pieces}
            for address in _addresses(ident):
                local, _, domain = address.partition("@")
                for part in {local, local.split("+", 1)[0]}:  # the mailbox without its tag
                    locals_ |= {"".join(tokens(part)), "".join(look_tokens(part))}
                runs = {w for w in _split_digits(tokens(local))
                        if len(w) >= IN_WORD and w.isalpha()}
                runs |= _own_domain(domain)  # x9@rosalindquimby.com: the domain names them
                words |= runs | {look(w) for w in runs}  # "bluefox" and "blvefox"
                phrases.add(canon(address))
            numbers |= _numbers(ident)
            for handle in _handles(ident):  # "bluebird77", "B1uebird77", "bluebird"
                runs = {w for w in _split_digits([handle]) if len(w) >= IN_WORD and w.isalpha()}
                handles |= {handle, look(handle)} | runs | {look(w) for w in runs}
            phrases |= {canon(t).strip() for t in (ident.notes, ident.contact, ident.phone)
                        if t and len(tokens(t)) > 1}
        phrases.discard("")
        ordered = tuple(sorted(phrases, key=len, reverse=True))
        pattern = (re.compile(rf"(?<!\w)(?:{'|'.join(re.escape(p) for p in ordered)})(?!\w)")
                   if ordered else None)
        long_names = frozenset(form for n in plain if len(n) >= IN_WORD and n.isalpha()
                               for form in (n, look(n)))
        return cls(frozenset(names), frozenset(fragments), frozenset(unspaced),
                   frozenset(x for x in locals_ if x),
                   frozenset(handles), frozenset(numbers), ordered, pattern, long_names,
                   frozenset(words), frozenset(crossed), frozenset(latin_keys),
                   frozenset(initials), _surname_pattern(surnames))

    def __bool__(self) -> bool:
        return bool(self.names or self.locals or self.numbers or self.phrases or self.handles)

    def find(self, text: str, own: Iterable[str] = ()) -> str | None:
        """What kind of identity `text` holds (NAME, EMAIL, PHONE, IDENTITY), or None.

        The spans in `own` (and OWN_PHRASES) are pseudocal's own words: cut out first, as
        whole words only ("Screen breakwell" keeps its last word whole), and a name run
        across the edge of one ("Screen break well" for a client Breakwell) still counts.
        A text with percent-escapes or HTML character references is also read as a link or
        an HTML description shows it ("R%6Fse", "R%256Fse", "Ro&#115;e" are "Rose")."""
        for variant in (*decodings(text), *_typed(text)):
            kind = self._find_whole(variant, own)
            if kind:
                return kind
        return None

    def _find_whole(self, text: str, own: Iterable[str]) -> str | None:
        spans = (*own, *OWN_PHRASES)
        for part in _without(text, spans):
            kind = self._find_in(part)
            if kind:
                return kind
        if spans and _across_own(text, spans, self.names):
            return NAME
        return None

    def _find_in(self, text: str) -> str | None:
        folded = canon(text)
        pieces, looks = _split_digits(tokens(text)), _split_digits(look_tokens(text))
        shown = _split_digits(shown_tokens(text))  # "ΗAZEL": Η as the H it looks like
        if _joined_run(pieces, self.names) or _joined_run(looks, self.names) or \
                _joined_run(shown, self.names) or any(_composed(t, self.names) for t in pieces) \
                or any(_composed(t, self.names) for t in set(looks) - set(pieces)):
            return NAME  # run together in look-alikes too: "r0semay", "J4nes"
        if self.long_names and any(n in t for p in (pieces, looks, shown) for t in p
                                   for n in self.long_names):
            return NAME  # "callottilie", "meetottiliebrackenbury"
        if self._crosses(text):
            return NAME  # "Anna" for a client "Анна", "Юлия" for a client "Yulia"
        if any(_initialled(word, self.names) for word in written_tokens(text)):
            return NAME  # "Ыهطع": an initial whose look-alike is two letters (Ы is "bl")
        if any(_prefixed(t, self.names) for t in pieces):
            return NAME  # "לדוד", "ومحمد": a name after Hebrew or Arabic prefix letters
        if self.initials and _has_initials(text, self.initials):
            return NAME  # "Screen break RQ", "R.Q." for Rosalind Quimby
        if self.surname_pattern is not None and \
                self.surname_pattern.search(textforms.han_folded(textforms.written(text))):
            return NAME  # "王先生", "小王", "김 씨 전화"
        if self.unspaced:  # whole characters: "민준" in "민준 씨 전화", 李明 in 督导李明
            aligned = _aligned(textforms.units(text))
            if any(f in aligned for f in self.unspaced):
                return NAME
        for runs in (pieces, looks):  # "b1uef0x1987" in look-alikes
            if _joined_run(runs, self.locals) or _joined_run(
                    [p for p in runs if p not in SPELLED], self.locals):
                return EMAIL  # "x76at" is a local part too, not "x76" and a spelled "at"
            if self.local_words and (any(w in t for t in runs for w in self.local_words)
                                     or _joined_run(runs, self.local_words)):
                return EMAIL  # "Bluefox Heron", "Blue-Fox", "b l u e f o x", "blu3fox"
        if phones.contains_number(folded, self.numbers) or \
                phones.contains_number(cased(text), self.numbers):
            return PHONE  # "077OO 9OO lZ3": letters for digits, "B" as 8 and "b" as 6
        if _joined_run(pieces, self.handles) or _joined_run(looks, self.handles) or (
                self.phrase_pattern is not None and self.phrase_pattern.search(folded)):
            return IDENTITY
        return None

    def _crosses(self, text: str) -> bool:
        """A name written in another script: a Cyrillic or Greek word spelled in Latin is
        any client's name token; a Latin word is a Cyrillic or Greek name spelled so."""
        if not (self.crossed or self.latin_keys):
            return False
        words = written_tokens(text)
        for i, word in enumerate(words):
            if crossing.foreign(word):  # Hangul and kana: runs of two syllables or more
                if crossing.spelled(word, 2) & self.latin_keys or \
                        crossing.spelled(word) & self.crossed:
                    return True
            elif self.crossed and (crossing.key(word) in self.crossed or crossing.key(
                    word + (words[i + 1] if i + 1 < len(words) else "")) in self.crossed):
                return True  # "Min-jun", "Min jun" too
        return False

    # ------------------------------------------------------------ for the log redactor

    def strict_pattern(self) -> re.Pattern[str] | None:
        """Whole identities only: full names (pieces in order, any separators), addresses,
        phone numbers in any form, notes and contact routes. For pseudocal's own messages,
        whose words must survive ("the next sync will try again" for a client called Will)."""
        # whole numbers only: a number's last digits alone ("0261202") are found in
        # pseudocal's own dates and counts ("2026-12-02"), and are left to the data net
        whole = {n for n in self.numbers if not any(n != m and m.endswith(n)
                                                    for m in self.numbers)}
        parts = [_phrase(p) for p in self.phrases] + [_number(n) for n in sorted(whole)]
        return _compile(parts)

    def loose_pattern(self) -> re.Pattern[str] | None:
        """Also every name part and email local part as a word: for data (log arguments,
        library and server texts), where losing a common word is the right way round."""
        parts = [_phrase(p) for p in self.phrases]
        words = self.names | self.locals | self.handles | self.fragments
        parts += [re.escape(w) for w in sorted(words, key=len, reverse=True)]
        parts += [_number(n) for n in self.numbers]
        return _compile(parts)


def _initialled(word: str, names: frozenset[str]) -> bool:
    """A name part of 3+ letters after one initial in capitals, the initial being one
    character as written, whatever its comparison form ("RMay"; "Ыهطع", where Ы compares
    as "bl"); not before a small letter ("Okay" is no O + Kay, "Truth" no T + Ruth)."""
    if len(word) <= 3 or not word[0].isupper() or word[1].islower():
        return False
    rest = "".join(tokens(word[1:]))
    return len(rest) >= 3 and rest in names


# the one-letter words Hebrew and Arabic write joined to the next ("and", "the", "in",
# "to", "from", "like", "that"; the Arabic article), in their comparison forms
_PREFIXES = tuple(sorted({canon(p) for p in (*"\u05d5\u05d4\u05d1\u05db\u05dc\u05de\u05e9",
                                             *"\u0648\u0641\u0628\u0643\u0644",
                                             "\u0627\u0644")}, key=len, reverse=True))


def _semitic(char: str) -> bool:
    return "\u0590" <= char <= "\u06ff"


def _prefixed(token: str, names: frozenset[str], depth: int = 3) -> bool:
    """A Hebrew or Arabic name part of 3+ letters after up to three prefix letters,
    written joined as those scripts write them ("לדוד" to David, "ובמחמד", "والحسن")."""
    if depth == 0 or not token or not any(_semitic(c) for c in token):
        return False
    for prefix in _PREFIXES:
        rest = token[len(prefix):]
        if token.startswith(prefix) and rest:
            if len(rest) >= 3 and _semitic(rest[0]) and rest in names:
                return True
            if _prefixed(rest, names, depth - 1):
                return True
    return False


def _initials(name: str) -> set[str]:
    """A name's initials as a reader abbreviates it, for names of two words or more in
    letters of cased scripts: all of them, and first and last ("rjq", "rq" of Rosalind
    Jane Quimby); honorifics left out."""
    words = [t for t in tokens(name) if t.isalpha() and t not in HONORIFICS]
    words = [w for w in words if unicodedata.category(w[0]) == "Ll"]  # a cased script
    if len(words) < 2:
        return set()
    return {"".join(w[0] for w in words), words[0][0] + words[-1][0]}


# capitals that are words of their own in a practitioner's texts, never read as initials
ABBREVIATIONS = frozenset({
    "am", "pm", "ok", "tv", "uk", "us", "eu", "nhs", "gp", "cbt", "cpd", "dbt", "emdr",
    "bst", "gmt", "utc", "cet", "est", "pst", "fyi", "asap", "id", "ps", "nb", "dm", "hr",
    "it", "ai", "pc", "cv", "iq", "tbc", "tbd", "rsvp", "eta", "bacp", "ukcp", "ncps", "hcpc",
    "act", "nlp", "ptsd", "adhd", "ocd", "asd", "dna", "faq", "url", "pdf", "sms", "ip"})


def _has_initials(text: str, initials: frozenset[str]) -> bool:
    """Initials written as initials are: in capitals, a word of two to four letters
    ("RQ") or single capitals in a row ("R.Q.", "R Q")."""
    written = written_tokens(text)
    run: list[str] = []
    for word in [*written, ""]:
        if len(word) == 1 and word.isupper():
            run.append(word)
            continue
        if len(run) >= 2 and canon("".join(run)) in initials - ABBREVIATIONS:
            return True
        run = []
        if 2 <= len(word) <= 4 and word.isalpha() and word.isupper() and \
                canon(word) in initials - ABBREVIATIONS:
            return True
    return False


# how one refers to a person by the surname alone, in Chinese, Japanese and Korean
HONORIFICS_AFTER = ("先生", "太太", "小姐", "女士", "老师", "老師", "医生", "醫生", "さん",
                    "さま", "様", "君", "くん", "ちゃん", "氏", "선생님", "선생", "씨", "님",
                    "군", "양", "여사")
HONORIFICS_BEFORE = ("小", "老", "阿")
_HAN_OR_HANGUL = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
                            "\U00020000-\U0002fa1f]")


def _surname(name: str) -> set[str]:
    """A one-character surname written first, as Chinese and Korean names are (王 of 王小明,
    김 of 김민준, 李 of "李 明"): alone it names too many people, with an honorific one."""
    text = textforms.written(name).strip()
    words = text.split()
    first = words[0] if words else ""
    if len(first) == 1 and _HAN_OR_HANGUL.match(first) and len(words) > 1:
        return {first}
    if len(words) == 1 and 2 <= len(first) <= 4 and all(_HAN_OR_HANGUL.match(c) for c in first):
        return {first[0]}
    return set()


def _surname_pattern(surnames: set[str]) -> re.Pattern[str] | None:
    if not surnames:
        return None
    names = "|".join(map(re.escape, sorted(set(textforms.han_folded("".join(surnames))))))
    after = "|".join(map(re.escape, HONORIFICS_AFTER))
    before = "|".join(map(re.escape, HONORIFICS_BEFORE))
    return re.compile(rf"(?:{names})\s?(?:{after})|(?:{before})(?:{names})")


MAX_DECODINGS = 4  # "%25" nested deeper than this is not a link any reader follows


def decodings(text: str) -> list[str]:
    """`text`, and what it reads as once its percent-escapes and HTML character references
    are decoded, again and again up to MAX_DECODINGS times ("%254F" is "%4F", then "O")."""
    found = [text]
    while len(found) <= MAX_DECODINGS and ("%" in found[-1] or "&" in found[-1]):
        decoded = html.unescape(unquote(found[-1]))
        if decoded == found[-1]:
            break
        found.append(decoded)
    return found


def name_tokens(name: str, split=tokens) -> set[str]:
    """A name's comparison tokens of MIN_TOKEN letters or more, and the joined forms of
    the pieces of each word: "Rose-May O'Neill" -> rose, may, rosemay, neill, oneill."""
    name = " ".join(w for w in name.split() if canon(w).strip(".") not in HONORIFICS)
    found = {t for t in split(name) if len(t) >= MIN_TOKEN}  # "Dr" of Dr Jane Example: none
    for word in name.split():
        pieces = split(word)
        found |= {"".join(pieces[i:j]) for i in range(len(pieces))
                  for j in range(i + 2, len(pieces) + 1)}
    return found


HONORIFICS = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir"})
_UNSPACED = re.compile("[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3040-\u30ff"
                       "\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_UNSPACED_RUN = re.compile(_UNSPACED.pattern + "+")


def _composed(token: str, names: frozenset[str]) -> bool:
    """A name written as one word: name parts run together ("janesmith", "mayrose"),
    perhaps with one initial or title ("rmay", "mrsmith") or a plural or possessive s
    ("janes"). An initial or an s goes only with a name part of 3 letters or more, so
    "all" is not "Al" + l and "als" not "Al" + s."""
    if not names or not 3 <= len(token) <= 4 * MAX_RUN:
        return False
    return any(_cut(token[:len(token) - len(end)], names, bool(end))
               for end in ("", "s", "es") if token.endswith(end) and len(token) > len(end))


def _cut(body: str, names: frozenset[str], suffixed: bool) -> bool:
    """Can `body` be cut into name parts and at most one initial or title, so that the
    whole is more than one name part (or one with the suffix)?"""
    # a state after a cut: (position, initial used, parts >= 2, a part of 3+ letters)
    states = {(0, False, False, False)}
    seen = set(states)
    while states:
        pos, used, several, long_ = states.pop()
        if pos == len(body):
            if (used or suffixed) and not long_:
                continue
            if several or (suffixed and not used):
                return True
            continue
        for end in range(pos + 1, len(body) + 1):
            piece, first = body[pos:end], pos == 0 and not used
            if piece in names:
                nxt = (end, used, several or not first, long_ or len(piece) >= 3)
            elif not used and piece in HONORIFICS:  # "mrsmith"; an initial only as
                # written in capitals ("RMay", split there), or "time" would be Tim + e
                nxt = (end, True, several or not first, long_)
            else:
                continue
            if nxt not in seen:
                seen.add(nxt)
                states.add(nxt)
    return False


def _unspaced_fragments(name: str) -> set[tuple[str, ...]]:
    """For a name in a script written without spaces (Chinese, Japanese, Korean, Thai...),
    each part of two characters or more and every piece of it of two characters or more,
    found inside unspaced text too: 李明 in 督导李明, 田中 in 田中さんの休憩, 小明 in 王小明,
    민준 of 김민준 in "민준 씨". The pieces are whole characters of the name as written (NFC:
    a Hangul syllable is one), each in its comparison form afterwards (`textforms.units`):
    `canon` would break a syllable into jamo, which no piece may be cut from."""
    found = set()
    for run in _UNSPACED_RUN.findall(textforms.written(name)):
        forms = tuple(textforms.units(run))
        found |= {forms[i:j] for i in range(len(forms))
                  for j in range(i + MIN_TOKEN, len(forms) + 1)}
    return found


def _aligned(forms: Iterable[str]) -> str:
    """Character forms joined so that a piece matches only whole characters of a text."""
    return "\0" + "\0".join(forms) + "\0"


# standard keyboard spellings of letters with diacritics and special letters
# (Müller as Mueller, Þórsson as Thorsson, Đorđe as Djordje); the letter's own comparison
# form (u, d, o, a, l...) is kept as well
TRANSLITERATIONS = {"ü": ("ue",), "ö": ("oe",), "ä": ("ae",), "ß": ("ss",), "ẞ": ("ss",),
                    "þ": ("th",), "ð": ("d", "dh", "dj"), "đ": ("dj", "d"), "æ": ("ae",),
                    "ø": ("oe",), "å": ("aa",), "œ": ("oe",), "ł": ("l",)}
MAX_FORMS = 64  # a name with more combinations is spelled one way per letter throughout


def name_forms(name: str) -> list[str]:
    """`name` and its keyboard spellings (`TRANSLITERATIONS`): "Jürgen Müller" is also
    "Juergen Mueller", "Jürgen Mueller"...; names side only, so "queue" blocks nobody."""
    text = unicodedata.normalize("NFC", name)
    choices = [((c,) + _spelled(text, i)) if c.lower() in TRANSLITERATIONS else (c,)
               for i, c in enumerate(text)]
    count = 1
    for options in choices:
        count *= len(options)
    if count <= MAX_FORMS:
        return ["".join(p) for p in itertools.product(*choices)]
    widest = max(len(o) for o in choices)
    return [text] + ["".join(o[min(k, len(o) - 1)] for o in choices) for k in range(1, widest)]


def _typed(text: str) -> list[str]:
    """`text` with its special letters in their keyboard spellings ("Schröder" as
    "Schroeder"), when it has any: a name stored as typed on a UK keyboard is found when
    a text has its real letters."""
    text = unicodedata.normalize("NFC", text)
    if not any(c.lower() in TRANSLITERATIONS for c in text):
        return []
    return ["".join(_spelled(text, i)[0] if c.lower() in TRANSLITERATIONS else c
                    for i, c in enumerate(text))]


def _spelled(text: str, i: int) -> tuple[str, ...]:
    """The keyboard spellings of text[i], in capitals next to capitals ("MÜLLER" ->
    "MUELLER"), with a capital first letter alone ("Ðór" -> "Dhór")."""
    char = text[i]
    spellings = TRANSLITERATIONS[char.lower()]
    if not char.isupper():
        return spellings
    near = [c for c in (text[i + 1:i + 2] + text[i - 1:i] if i else text[i + 1:i + 2])
            if c.isalpha()]
    shout = bool(near) and near[0].isupper()
    return tuple(s.upper() if shout else s.capitalize() for s in spellings)


_SERVICES = frozenset({"skype", "signal", "telegram", "whatsapp", "zoom", "teams", "facetime",
                       "handle", "username", "user", "id", "discord", "wire", "threema"})


def _handles(ident: ClientIdentity) -> set[str]:
    """Words of the notes and contact route that point at one person: a one-word note or
    route, a handle with letters and digits ("bluebird77"), the word after a service
    ("skype rosie_m" -> "rosiem")."""
    found = set()
    for text in (ident.notes, ident.contact):
        words = tokens(text or "")
        if len(words) == 1 and len(words[0]) >= 3:
            found.add(words[0])
        for i, word in enumerate(words):
            if len(word) >= 4 and any(c.isdigit() for c in word) and \
                    any(c.isalpha() for c in word):
                found.add(word)
            if word in _SERVICES and i + 1 < len(words):
                handle = "".join(tokens(_after(text or "", word)))
                found |= {w for w in (words[i + 1], handle) if len(w) >= 3}
    return found


def _after(text: str, word: str) -> str:
    """The handle written after a service name: up to the next space after its first."""
    folded = canon(text)
    at = folded.find(word)
    rest = folded[at + len(word):].lstrip(" :=-").split()
    return rest[0] if rest else ""


# mail providers' domains, which name nobody (a domain of one's own may: hello@bluefoxstudio)
MAIL_PROVIDERS = frozenset({
    "gmail", "googlemail", "outlook", "hotmail", "live", "msn", "yahoo", "ymail", "icloud",
    "proton", "protonmail", "gmx", "posteo", "mailbox", "fastmail", "zoho", "yandex",
    "tutanota", "tuta", "btinternet", "virginmedia", "talktalk", "ntlworld", "orange",
    "laposte", "wanadoo", "online", "example", "email", "webmail", "hushmail", "runbox",
    "disroot", "riseup", "aol", "mail", "post"})


_SECOND_LEVEL = frozenset({"co", "ac", "org", "gov", "com", "net", "edu", "ltd", "plc",
                           "me", "nhs", "sch"})  # uk.co-style registries: the label before
OWN_DOMAIN = 8  # a domain of one's own is a compound: "rosalindquimby"; "company" is not


def _own_domain(domain: str) -> set[str]:
    """The registered label of a domain when it is long enough to be one's own and not a
    mail provider's ("rosalindquimby" of rosalindquimby.com, "bluefoxstudio" of
    bluefoxstudio.co.uk; gmail.com, student.gla.ac.uk, charter.net: none)."""
    labels = domain.lower().split(".")[:-1]
    while labels and labels[-1] in _SECOND_LEVEL:
        labels.pop()
    label = "".join(t for t in _split_digits(tokens(labels[-1])) if t.isalpha()) \
        if labels else ""
    if len(label) < OWN_DOMAIN or label in MAIL_PROVIDERS:
        return set()
    return {label, look(label)}


def _addresses(ident: ClientIdentity) -> list[str]:
    """Every address of the client: the email as typed, read as an address however its
    "@" was written (a full-width "＠" from a CJK keyboard, "(at)", "[at]", " at "), and
    the addresses in the contact route and notes."""
    found = [_as_address(ident.email)] if ident.email else []
    found += [a for text in (ident.contact, ident.notes)
              for a in _EMAIL.findall(_spelled_at(text or ""))]
    return [a.strip().strip(".") for a in found if a and "@" in a]


_AT = re.compile(r"\s*[(\[{<]\s*at\s*[)\]}>]\s*|\s+at\s+", re.IGNORECASE)
_DOT = re.compile(r"\s*[(\[{<]\s*dot\s*[)\]}>]\s*|\s+dot\s+", re.IGNORECASE)


def _spelled_at(text: str) -> str:
    """`text` with compatibility forms folded (＠ is @) and "(at)"/"[dot]" spellings as
    the characters they stand for."""
    return _DOT.sub(".", _AT.sub("@", unicodedata.normalize("NFKC", text)))


def _as_address(email: str) -> str:
    """An email field as an address: the whole field when it holds one "@" however
    written, else its first address."""
    text = _spelled_at(email).strip()
    if text.count("@") == 1 and not any(c.isspace() for c in text):
        return text
    found = _EMAIL.findall(text)
    return found[0] if found else text


def _numbers(ident: ClientIdentity) -> set[str]:
    """National digits of every number the client's phone, contact route and notes
    hold (several in one field each count: "07700 900123 / 020 7946 0018"), and of each
    its last LOCAL_DIGITS digits."""
    found = {phones.national_digits(ident.phone, ident.phone_e164, ident.country)}
    for text in (ident.phone, ident.contact, ident.notes):
        found |= phones.numbers_in(text, ident.country)
    found |= {phones.local_tail(n) for n in set(found) if n}
    return {n for n in found if n}


def _joined_run(pieces: list[str], wanted: frozenset[str]) -> bool:
    """True when a piece, or a run of adjacent pieces joined, is one of `wanted`."""
    if not wanted:
        return False
    longest = max(map(len, wanted))
    for i in range(len(pieces)):
        joined = ""
        for piece in pieces[i:i + MAX_RUN]:
            joined += piece
            if joined in wanted:
                return True
            if len(joined) >= longest:
                break
    return False


def _without(text: str, own: Iterable[str]) -> list[str]:
    """`text` split around every occurrence of the spans in `own` that stands as whole
    words, longest first: a span that begins (ends) with a letter or digit must not be
    preceded (followed) by one; one that begins or ends with punctuation or a space may
    meet anything there (": 1h booked for May 2027, 2h needed" after "Book supervision")."""
    parts = [text]
    for span in sorted({s for s in own if s}, key=len, reverse=True):
        whole = re.compile((r"(?<!\w)" if _wordy(span[0]) else "") + re.escape(span) +
                           (r"(?!\w)" if _wordy(span[-1]) else ""))
        parts = [piece for part in parts for piece in whole.split(part)]
    return [p for p in parts if p.strip()]


def _wordy(char: str) -> bool:
    return bool(re.match(r"\w", char))


def _across_own(text: str, own: Iterable[str], names: frozenset[str]) -> bool:
    """A name spelled in pieces of which some are pseudocal's own words and some are not
    ("Screen break well": break + well): a joined run over the whole text that is not
    made of own words alone."""
    mine = {t for span in own for t in tokens(span)}
    pieces = tokens(text)
    if not names or not mine & set(pieces):
        return False
    longest = max(map(len, names))
    for i in range(len(pieces)):
        joined, used = "", []
        for piece in pieces[i:i + MAX_RUN]:
            joined += piece
            used.append(piece)
            if len(used) > 1 and joined in names and not all(u in mine for u in used):
                return True
            if len(joined) >= longest:
                break
    return False


def _split_digits(pieces: list[str]) -> list[str]:
    """Tokens cut where letters meet digits too ("ottilie2027" -> ottilie, 2027)."""
    return [p for token in pieces for p in re.findall(r"[^\W\d_]+|\d+", token)]


def _phrase(phrase: str) -> str:
    return _SEP.join(re.escape(piece) for piece in re.findall(r"[^\W_]+|[^\w\s]", phrase))


def _number(digits: str) -> str:
    """A phone number's national digits with any separators, any prefix before them."""
    body = r"[\s\-./()]*".join(digits)
    return rf"(?:[+\d][\d\s\-./()]*?)?{body}(?!\d)"


def _compile(parts: list[str]) -> re.Pattern[str] | None:
    parts = [p for p in parts if p]
    return re.compile(rf"(?<!\w)(?:{'|'.join(parts)})(?!\w)") if parts else None


# ---------------------------------------------------------------- config texts


def config_text_problems(texts: Iterable[tuple[str, str]], ids: Identities) -> list[Problem]:
    """A problem for each config text (key path, text) that names a client; never the word."""
    found = []
    for key, text in texts:
        kind = ids.find(text) if ids else None
        if kind:
            found.append(Problem(key, f"this text contains {kind}",
                                 "reword it: texts in the config go to the calendar server "
                                 "and must not identify anybody"))
    return found


# ---------------------------------------------------------------- objects


def check(ical: bytes, ids: Identities, tag_key: bytes, label: str = "object",
          own: Iterable[str] = ()) -> None:
    """Raise PrivacyViolation unless `ical` is on the allow-list and names nobody.

    `own` lists the spans of its texts pseudocal generated itself (see the module text).
    """
    from icalendar import Calendar  # here, not at the top: the config checks need none of it
    try:
        cal = Calendar.from_ical(ical)
    except ValueError as exc:
        raise PrivacyViolation(f"{label}: not valid iCalendar ({type(exc).__name__})") from None
    _check_structure(cal, label)
    _check_uids(cal, tag_key, label)
    _check_times(cal, label)
    _check_identities(ical, cal, ids, label, tuple(own))


def _check_structure(cal: Calendar, label: str) -> None:
    if cal.name != "VCALENDAR":
        raise _violation(label, f"top-level component {cal.name} is not VCALENDAR")
    for comp in cal.walk():
        allowed = ALLOWED.get(comp.name or "")
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
                      own: tuple[str, ...]) -> None:
    # whole identities of two words or more anywhere else in the object (a one-word note
    # such as "London" would otherwise match the TZID); the text properties are checked in
    # full below, with pseudocal's own words cut out first (a client called "Screen Break"
    # must not block the break title pseudocal writes itself)
    raw = ical.decode("utf-8", errors="replace").replace("\r\n ", "").replace("\n ", "")
    raw = "\n".join(line for line in raw.splitlines()
                    if re.split(r"[;:]", line, maxsplit=1)[0].upper() not in TEXT_PROPS)
    if ids.phrase_pattern is not None and ids.phrase_pattern.search(canon(raw)):
        raise _violation(label, "the object holds a client's identity")
    for comp in cal.walk():
        for name in sorted(TEXT_PROPS & set(comp.keys())):
            text = str(comp[name])
            if any(unicodedata.category(c)[0] == "C" or invisible(c) for c in text):
                raise _violation(label, f"{name} holds a control or invisible character")
            if ids and ids.find(text, own):
                raise _violation(label, f"{name} holds a client's identity")
            if REVEALING.search(canon(text)):
                raise _violation(label, f"{name} says what the events are about")


def _violation(label: str, what: str) -> PrivacyViolation:
    return PrivacyViolation(f"{label}: {what}; nothing was sent",
                            next_step="change the title or text templates in the config, "
                                      "or rename the pseudonym (pseudocal client rename)")
