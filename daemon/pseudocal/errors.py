"""The exception tree. Every error a user can meet is one of these.

    PseudocalError                      exit 1   (base; never raised directly)
    ├── ConfigError                     exit 3   config file missing, unreadable or invalid
    ├── KeyError_                       exit 4   master key missing, unreadable or wrong
    ├── StoreError                      exit 5   store missing, corrupt, truncated, wrong version
    │   └── IntegrityError              exit 5   a sealed field fails authentication
    ├── ServerError                     exit 6   CalDAV server unreachable or answering badly
    │   ├── ConflictError               exit 6   412/409 (403 on Cyrus) on a conditional write
    │   └── ObjectRefused               exit 6   the server refused one object (400, 403, 415...)
    ├── SafetyRefusal                   exit 7   a sync would delete too much; needs a flag
    ├── PrivacyViolation                exit 8   an object failed the allow-list; nothing sent
    ├── InputError                      exit 9   a bad command-line argument (unknown pseudonym…)
    └── AlreadyExists                   exit 10  init over an existing store or key

ConflictError and ObjectRefused concern one object: the sync records them per action and
goes on with the others (`sync` then exits 12). Any other ServerError stops the sync.

Exit 2 is left to argparse (usage errors). `cli.output.render_error` is the one place
that turns these into words for a human; each carries `next_step`.

Messages never contain a client's identity: they name pseudonyms, row ids,
files and keys only.
"""
from __future__ import annotations

from dataclasses import dataclass, field


class PseudocalError(Exception):
    exit_code = 1
    title = "error"

    def __init__(self, message: str, *, next_step: str = "", where: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.next_step = next_step
        self.where = where


class ConfigError(PseudocalError):
    exit_code = 3
    title = "config error"

    def __init__(self, message: str, *, problems: list["Problem"] | None = None,
                 next_step: str = "", where: str = "") -> None:
        super().__init__(message, next_step=next_step, where=where)
        self.problems = list(problems or [])


class KeyError_(PseudocalError):
    exit_code = 4
    title = "key error"


class StoreError(PseudocalError):
    exit_code = 5
    title = "store error"


class IntegrityError(StoreError):
    title = "store integrity error"


class ServerError(PseudocalError):
    exit_code = 6
    title = "calendar server error"


class ConflictError(ServerError):
    title = "calendar conflict"

    def __init__(self, message: str, *, kind: str, href: str = "", holder: str = "",
                 **kw) -> None:
        super().__init__(message, **kw)
        self.kind = kind  # "etag" | "uid" | "exists" | "gone"
        self.href = href
        self.holder = holder  # a "uid" conflict: the href holding the UID, when named


class ObjectRefused(ServerError):
    """The server refused one object (400, 403, 413, 415, 422 to a PUT or DELETE); the
    server itself answers, so the other objects go ahead."""
    title = "calendar object refused"

    def __init__(self, message: str, *, status: int, href: str = "", **kw) -> None:
        super().__init__(message, **kw)
        self.status = status
        self.href = href


class SafetyRefusal(PseudocalError):
    exit_code = 7
    title = "sync refused"

    def __init__(self, message: str, *, deletes: int, managed: int,
                 situation: str = "too-many", **kw) -> None:
        super().__init__(message, **kw)
        self.deletes = deletes
        self.managed = managed
        # "config-emptied" | "calendar-empty" | "too-many" | "calendar-moved" (plan.check_safety)
        self.situation = situation


class PrivacyViolation(PseudocalError):
    exit_code = 8
    title = "privacy check failed"


class InputError(PseudocalError):
    exit_code = 9
    title = "bad input"


class AlreadyExists(PseudocalError):
    exit_code = 10
    title = "already exists"


PARTIAL_SYNC = 12  # `sync`: some actions refused (recorded), every other one done

EXIT_CODES = {
    0: "success",
    1: "unexpected internal error (a bug: please report it)",
    2: "command-line usage error",
    3: "config error",
    4: "key error: missing, unreadable or wrong master key",
    5: "store error: missing, corrupt, truncated, tampered or unknown schema version",
    6: "calendar server unreachable or failing",
    7: "sync refused by the deletion safety valve",
    8: "privacy allow-list rejected an object; nothing was sent",
    9: "bad command-line input",
    10: "refused to overwrite an existing store or key",
    11: "status: needs attention (syncs failing, last good sync too old, daemon not running, "
        "config broken, or an event that could not be written in 3 syncs in a row)",
    12: "sync: some events could not be written (each recorded with its reason, see "
        "`pseudocal check`); all the others were",
    141: "the output was closed early (e.g. piped to head); nothing is wrong",
}


@dataclass(frozen=True)
class Problem:
    """One config problem: where (file + key path) and what to write instead."""
    path: str
    message: str
    hint: str = ""

    def render(self, file: str) -> str:
        text = f"{file}: {self.path}: {self.message}"
        return f"{text}; {self.hint}" if self.hint else text


@dataclass
class Problems:
    """Collects every config problem so they are all reported at once."""
    items: list[Problem] = field(default_factory=list)

    def add(self, path: str, message: str, hint: str = "") -> None:
        self.items.append(Problem(path, message, hint))

    def __bool__(self) -> bool:
        return bool(self.items)
