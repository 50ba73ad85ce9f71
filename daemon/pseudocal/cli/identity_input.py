"""Client identity in: from a prompt or one document on standard input, never from arguments.

Anything on a command line lands in the shell history and is readable by every local user
in /proc/PID/cmdline while the command runs, so `client add` and `client edit` take no
identity as arguments. They read it

- from a prompt, one question per field, when standard input is a terminal;
- else from standard input as ONE document, JSON (it starts with `{`) or TOML:

      {"name": "Jane Example", "email": "jane@example.org", "timezone": "America/New_York"}

      name = "Jane Example"
      phone = "+44 7700 900123"

Fields: name, email, phone, country, timezone, contact, notes; for `add`, also pseudonym
(a pseudonym is not identity: `--pseudonym` works too). For `edit`, a field left out is
kept, and an empty string (or JSON null) clears it; the name cannot be cleared.

Every value is one line of plain text: control characters (newline and tab included),
escape sequences, bidi controls, every other invisible character (format characters and
Unicode's default-ignorables: Hangul fillers, variation selectors, the combining grapheme
joiner...), the blank braille pattern and every space but the ordinary one (no-break,
ideographic...) are refused, with a message that names the field, never the value
(`terminal.unsafe_in` is the rule, the same one `terminal.safe` escapes on output).
Nothing here prints a value unless the person at the prompt asks for it (`?` in
`client edit`).
"""
from __future__ import annotations

import json
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field, replace
from typing import Any, TextIO

from ..errors import InputError
from ..models import ClientIdentity
from . import terminal
from .usage import IDENTITY_OPTIONS

FIELDS = ("name", "email", "phone", "country", "timezone", "contact", "notes")
QUESTIONS = {
    "name": "name",
    "email": "email",
    "phone": "phone (+44 7700 900123, or national with the country below)",
    "country": "country (ISO code such as GB or US)",
    "timezone": "time zone (such as America/New_York)",
    "contact": "backup contact route if the connection drops",
    "notes": "notes (one line)",
}
MAX_LENGTH = {"name": 200, "notes": 4000}
DEFAULT_MAX = 320
MAX_DOCUMENT = 64 * 1024
PROMPT_TRIES = 3

HOW = ("run the command in a terminal and answer its questions, or give one JSON or TOML "
       "document on standard input, e.g. `pseudocal client add < client.toml` with lines "
       "such as name = \"...\" and email = \"...\" in the file (README: Using it)")


@dataclass(frozen=True)
class Entered:
    """What was typed or read: the fields given (None = cleared) and, for add, a pseudonym."""
    values: dict[str, str | None] = field(default_factory=dict)
    pseudonym: str | None = None


# ---------------------------------------------------------------- arguments


def refuse_arguments(extras: list[str], command: str) -> bool:
    """InputError when identity (or anything unknown) was passed as arguments; True when the
    one extra argument was `-` (read standard input), False when there was none."""
    if not extras:
        return False
    if extras == ["-"]:
        return True
    options = sorted({a.split("=", 1)[0] for a in extras} & IDENTITY_OPTIONS)
    others = sum(1 for a in extras if a.split("=", 1)[0] not in IDENTITY_OPTIONS)
    parts = [", ".join(options)] if options else []
    if others:
        parts.append(f"{others} other argument{'s' if others > 1 else ''}, not shown")
    raise InputError(
        f"`pseudocal client {command}` takes no client details as arguments ("
        + "; ".join(parts) + "): arguments stay in your shell history, and every local user "
        "can read them in the process list (/proc/PID/cmdline) while the command runs; "
        "nothing was stored", next_step=HOW.replace("client add", f"client {command}"))


# ---------------------------------------------------------------- values


MAX_MARKS = 4  # marks on one letter: Vietnamese has two, Thai three; "Zalgo" text dozens


def _stacked(text: str) -> bool:
    """True when some letter carries more than MAX_MARKS combining marks."""
    run = 0
    for ch in unicodedata.normalize("NFD", text):
        run = run + 1 if unicodedata.category(ch) in ("Mn", "Me") else 0
        if run > MAX_MARKS:
            return True
    return False


def clean(name: str, value: object) -> str | None:
    """A checked field value: stripped text, or None for empty."""
    if value is None:
        return None
    if not isinstance(value, str):
        example = ('phone = "+44 7700 900123" (in quotes, with its country code)'
                   if name == "phone" else f'{name} = "..." (in quotes)')
        raise InputError(f"{name}: give it as text, in quotes; nothing was stored",
                         next_step=f"write it as {example}")
    if terminal.unsafe_in(value):
        raise InputError(f"{name}: contains a control character, an escape sequence, an "
                         "invisible character (such as a line break, a tab, a bidi override, "
                         "a zero-width space, a Hangul filler or a variation selector) or a "
                         "space other than the ordinary one (such as a no-break or an "
                         "ideographic space); the value was not stored",
                         next_step=f"type the {name} again as plain text on one line, with "
                                   "ordinary spaces")
    text = value.strip()
    if not text:
        return None
    if _stacked(text):
        raise InputError(f"{name}: holds a letter with more than {MAX_MARKS} accents or "
                         "marks stacked on it (text that spills over the lines around it); "
                         "the value was not stored",
                         next_step=f"type the {name} again with its usual accents")
    limit = MAX_LENGTH.get(name, DEFAULT_MAX)
    if len(text) > limit:
        raise InputError(f"{name}: longer than {limit} characters",
                         next_step=f"shorten the {name}")
    if name == "timezone":
        from ..schedule import recurrence  # dateutil and the zone list: only for a zone typed
        problem = recurrence.zone_problem(text)
        if problem is not None:
            raise InputError(f"timezone: {problem[0]}", next_step=problem[1])
    return text


def new_identity(entered: Entered) -> ClientIdentity:
    """The identity of a new client; InputError without a name."""
    values = {k: v for k, v in entered.values.items() if v is not None}
    if not values.get("name"):
        raise InputError("a client needs a name; nothing was stored", next_step=HOW)
    return ClientIdentity(**values)


def edited_identity(current: ClientIdentity, entered: Entered) -> ClientIdentity:
    """`current` with the entered fields replaced (None clears); the name stays required."""
    if "name" in entered.values and not entered.values["name"]:
        raise InputError("a client needs a name: it cannot be cleared; nothing was changed",
                         next_step="leave name out to keep it, or give the new name")
    changes: dict[str, Any] = {**entered.values, "phone_e164": None}  # name checked above
    return replace(current, **changes)


def changed_fields(before: ClientIdentity, after: ClientIdentity) -> list[str]:
    return [f for f in FIELDS if getattr(before, f) != getattr(after, f)]


# ---------------------------------------------------------------- standard input


def read_input(stdin: TextIO | None, prompts: TextIO, *, command: str,
               current: ClientIdentity | None = None, label: str = "",
               document: bool = False) -> Entered:
    """From a prompt when `stdin` is a terminal (and `document` is False), else one
    document read from `stdin`. `current` is the client being edited (None: a new one)."""
    if stdin is None:
        raise InputError("there is no standard input to read the client's details from",
                         next_step=HOW)
    if not document and _is_terminal(stdin):
        if current is None:
            return prompt_new(stdin, prompts)
        return prompt_edit(stdin, prompts, current, label)
    text = stdin.read(MAX_DOCUMENT + 1)
    if len(text) > MAX_DOCUMENT:
        raise InputError(f"standard input is longer than {MAX_DOCUMENT // 1024} KiB",
                         next_step="give one small JSON or TOML document")
    return parse_document(text, allow_pseudonym=current is None, command=command)


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


_WHERE = re.compile(r"\(at (line \d+, column \d+|end of document)\)")


def parse_document(text: str, *, allow_pseudonym: bool, command: str = "add") -> Entered:
    """One JSON object or TOML document -> Entered; errors name lines and fields only."""
    body = text.lstrip("\ufeff \t\r\n")
    example = (f"pipe or redirect one document into `pseudocal client {command}`: JSON such "
               "as {\"name\": \"...\", \"email\": \"...\"} or TOML lines such as "
               "name = \"...\"; or run it in a terminal to be asked")
    if not body:
        raise InputError("standard input is empty: no client details were given",
                         next_step=example)
    if body.startswith("{"):
        try:
            doc = json.loads(body)
        except json.JSONDecodeError as exc:  # its message names positions, not content
            raise InputError(f"standard input is not valid JSON (line {exc.lineno}, column "
                             f"{exc.colno}: {exc.msg})", next_step=example) from None
        if not isinstance(doc, dict):
            raise InputError("standard input must be one JSON object", next_step=example)
    else:
        try:
            doc = tomllib.loads(body)
        except tomllib.TOMLDecodeError as exc:  # its message may quote content: keep the place
            found = _WHERE.search(str(exc))
            where = f" ({found.group(1)})" if found else ""
            raise InputError(f"standard input is neither a JSON object nor a TOML "
                             f"document{where}", next_step=example) from None
    return _entered(doc, allow_pseudonym)


def _entered(doc: dict, allow_pseudonym: bool) -> Entered:
    known = set(FIELDS) | ({"pseudonym"} if allow_pseudonym else set())
    unknown = [k for k in doc if k not in known]
    if unknown:  # keys are not echoed either: someone may have typed a name as a key
        hint = ("to change the pseudonym use `pseudocal client rename`"
                if "pseudonym" in unknown else "the fields are: " + ", ".join(sorted(known)))
        raise InputError(f"the document has {len(unknown)} field(s) pseudocal does not take "
                         "(not shown); nothing was stored", next_step=hint)
    values = {k: clean(k, doc[k]) for k in FIELDS if k in doc}
    pseudonym = doc.get("pseudonym")
    if pseudonym is not None and not isinstance(pseudonym, str):
        raise InputError("pseudonym: give it as text, in quotes", next_step=HOW)
    return Entered(values, pseudonym or None)


# ---------------------------------------------------------------- prompts


def _ask(stdin: TextIO, out: TextIO, question: str) -> str:
    out.write(question)
    out.flush()
    line = stdin.readline()
    if not line:
        out.write("\n")
        raise InputError("the prompt was closed (end of input); nothing was stored",
                         next_step="run the command again and answer each question")
    return line.rstrip("\r\n")


def _ask_field(stdin: TextIO, out: TextIO, name: str, question: str,
               accept=lambda text: True) -> str | None:
    """Ask until the answer is clean (at most PROMPT_TRIES times)."""
    for attempt in range(PROMPT_TRIES):
        answer = _ask(stdin, out, question)
        try:
            value = clean(name, answer)
        except InputError as exc:
            if attempt == PROMPT_TRIES - 1:
                raise
            out.write(f"  {exc.message}\n")
            continue
        if accept(value):
            return value
        if attempt == PROMPT_TRIES - 1:
            break
    raise InputError(f"no usable {name} after {PROMPT_TRIES} tries; nothing was stored",
                     next_step="run the command again")


def prompt_new(stdin: TextIO, out: TextIO) -> Entered:
    out.write("New client. The answers stay on this machine, encrypted; Enter skips a "
              "field.\n")
    values: dict[str, str | None] = {}

    def named(value: str | None) -> bool:
        if value is None:
            out.write("  a client needs a name\n")
        return value is not None

    values["name"] = _ask_field(stdin, out, "name", f"{QUESTIONS['name']}: ", named)
    for name in FIELDS[1:]:
        value = _ask_field(stdin, out, name, f"{QUESTIONS[name]}: ")
        if value is not None:
            values[name] = value
    return Entered(values)


def prompt_edit(stdin: TextIO, out: TextIO, current: ClientIdentity, label: str) -> Entered:
    """Ask for each field; says which are set, shows a value only when asked with `?`."""
    set_ = [f for f in FIELDS if getattr(current, f)]
    unset = [f for f in FIELDS if not getattr(current, f)]
    out.write(f"Editing {terminal.safe(label)}. Set: {', '.join(set_) or 'none'}. "
              f"Not set: {', '.join(unset) or 'none'}.\n"
              "For each field: Enter keeps it, '-' clears it, '?' shows the current value.\n")
    values: dict[str, str | None] = {}
    for name in FIELDS:
        has = bool(getattr(current, name))
        question = f"{QUESTIONS[name]} [{'set' if has else 'not set'}]: "
        for attempt in range(PROMPT_TRIES + 2):
            answer = _ask(stdin, out, question)
            if answer.strip() == "?":
                shown = terminal.safe(getattr(current, name)) if has else "(not set)"
                out.write(f"  current {name}: {shown}\n")
                continue
            if answer.strip() == "":
                break  # keep
            if answer.strip() == "-":
                if name == "name":
                    out.write("  a client needs a name: it cannot be cleared\n")
                    continue
                values[name] = None
                break
            try:
                values[name] = clean(name, answer)
                break
            except InputError as exc:
                if attempt == PROMPT_TRIES + 1:
                    raise
                out.write(f"  {exc.message}\n")
        else:
            raise InputError(f"no usable {name} after several tries; nothing was changed",
                             next_step="run the command again")
    return Entered(values)
