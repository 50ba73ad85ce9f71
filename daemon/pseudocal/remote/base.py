"""The remote seam: the one place where calendar bytes meet the network.

A `Remote` is one CalDAV collection (one calendar). Every method is exactly
one HTTP request on a well-behaved server, and every write is conditional:

    list()                     -> {href: etag}          PROPFIND Depth: 1
    get(href)                  -> (data, etag)          GET
    multiget(hrefs)            -> {href: (data, etag)}  REPORT calendar-multiget (RFC 4791
                                                        §7.9); an href that is gone is
                                                        left out of the answer
    create(name, data)         -> (href, etag)          PUT If-None-Match: *
    update(href, data, etag)   -> new etag              PUT If-Match: etag
    delete(href, etag)         -> None                  DELETE If-Match: etag

Hrefs are absolute paths ("/practitioner/practice/x.ics") exactly as the
server spells them; ETags are opaque strings including their quotes.

Errors (from `pseudocal.errors`), never a raw library exception:

    ServerError                 unreachable, timeout, DNS, 5xx, 401, 403, a
                                missing collection, a reply we cannot read, any
                                redirect (never followed), a TLS failure, a listing
                                that is not a WebDAV multistatus (remote.network)
    ConflictError(kind=...)     a conditional write was refused; read, never
                                retried blindly:
        "exists"  create: something already lives at that href (412)
        "uid"     create/update: the UID already lives at another href
                  (Radicale 409, Xandikos 412, both `no-uid-conflict`; Cyrus 403
                  `unique-scheduling-object-resource`); `holder` is that href when
                  the server names it (Cyrus does, possibly in another calendar)
        "etag"    update/delete: the object changed since we read it (412);
                  Radicale also answers 412 to an update of a vanished object
        "gone"    update/delete/get: the object no longer exists (404)
    ObjectRefused(status=...)   the server refused this one object (400, 403 without
                                a UID precondition, 413, 415, 422 to a PUT or DELETE)

ConflictError and ObjectRefused are about one object: the engine records them and goes
on with the others. Every other ServerError stops a sync.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from ..errors import ConflictError, ObjectRefused, ServerError

CONFLICT_KINDS = ("exists", "uid", "etag", "gone")

# One path segment, safe for every server and sync tool; no "..", no slash.
_SAFE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}")


@runtime_checkable
class Remote(Protocol):
    """One calendar collection on a CalDAV server (or a fake of one)."""

    requests: int  # HTTP requests made so far (for benchmarks and tests)

    def list(self) -> dict[str, str]:
        """Every object in the collection: href -> etag. One request."""
        ...

    def get(self, href: str) -> tuple[bytes, str]:
        """The object's bytes and current etag. One request."""
        ...

    def multiget(self, hrefs: Sequence[str]) -> dict[str, tuple[bytes, str]]:
        """The bytes and etag of each href still there: one REPORT calendar-multiget."""
        ...

    def create(self, name: str, data: bytes) -> tuple[str, str]:
        """PUT <calendar>/<name> with If-None-Match: * -> (href, etag)."""
        ...

    def update(self, href: str, data: bytes, etag: str) -> str:
        """PUT with If-Match: etag -> the new etag."""
        ...

    def delete(self, href: str, etag: str) -> None:
        """DELETE with If-Match: etag."""
        ...

    def close(self) -> None:
        """Release connections. Safe to call twice."""
        ...


def check_name(name: str) -> str:
    """Refuse an object name that is not one safe path segment."""
    if not isinstance(name, str) or not _SAFE_NAME.fullmatch(name):
        raise ValueError(
            f"unsafe calendar object name {name!r}: use letters, digits, '-', '_' "
            "and '.', not starting with '.'"
        )
    return name


def conflict(kind: str, href: str, what: str, holder: str = "") -> ConflictError:
    """A ConflictError with a message and next step fitting its kind."""
    steps = {
        "exists": "list the calendar again; an object already lives at that name",
        "uid": "list the calendar again; the same UID lives at another href",
        "etag": "list the calendar again; the object was changed by someone else",
        "gone": "list the calendar again; the object was deleted by someone else",
    }
    return ConflictError(f"{what}: {href}", kind=kind, href=href, holder=holder,
                         next_step=steps.get(kind, ""), where=href)


REFUSED_STATUSES = frozenset({400, 403, 413, 415, 422})  # about the object, not the server


def refused(status: int, method: str, href: str, url: str) -> ObjectRefused:
    """The server refused one object: an ObjectRefused naming the answer."""
    what = {400: "a bad request", 403: "forbidden", 413: "too large",
            415: "an unsupported media type", 422: "unprocessable"}.get(status, "refused")
    return ObjectRefused(
        f"the calendar server at {url} refused {method} {href} ({status}: {what})",
        status=status, href=href, where=href,
        next_step="check that this account may write to this calendar; if it may, the server "
                  "refuses this object itself: look at the server's logs and report it")


def unreachable(url: str, detail: str) -> ServerError:
    """A ServerError for a server we could not talk to at all."""
    return ServerError(
        f"cannot reach the calendar server at {url}: {detail}",
        next_step="check the network and the calendar URL; the next sync will try again",
        where=url,
    )
