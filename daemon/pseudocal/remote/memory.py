"""An in-memory Remote with a real server's semantics, for unit and property tests.

- ETags are quoted strings and change on every write, even of the same bytes.
- create refuses an existing href ("exists") and a UID already stored at
  another href ("uid"); update refuses a stale etag ("etag"), a vanished
  object ("gone") and a UID taken elsewhere ("uid"); delete refuses a stale
  etag ("etag") and a vanished object ("gone").
- Data that is not iCalendar is rejected like a server's 400 (ServerError).
- UIDs are unique per collection (Radicale, Xandikos), or across an account's
  collections when the remotes share an `account` list (Cyrus, iCloud); a "uid"
  conflict names the href holding the UID (`holder`), as Cyrus's 403 does.
- multiget(hrefs) answers the hrefs still there, in one request.

Fault injection: `fail_next(n, exc)` makes the next n requests raise `exc`
(default: a ServerError). With `after=True` the request takes effect first
and then raises, as when a reply is lost after the server stored the write.
`refuse_writes(n, status)` makes the next n writes answer ObjectRefused (a server's 403
or 400 to that one object) without acting. `external_put` / `external_delete` act as
another client (the phone) would.
"""
from __future__ import annotations

import hashlib
import itertools
from collections import deque
from collections.abc import Sequence

from icalendar import Calendar

from ..errors import ServerError
from .base import check_name, conflict, refused


def uid_of(data: bytes) -> str | None:
    """The UID of the first non-timezone component, None if there is none.

    Raises ServerError (like a server's 400) when `data` is not iCalendar.
    """
    try:
        cal = Calendar.from_ical(data)
    except Exception as exc:  # icalendar raises ValueError and friends
        raise ServerError(f"the server rejected the object: not iCalendar ({exc})",
                          next_step="this is a bug in pseudocal: please report it") from exc
    for component in cal.subcomponents:
        if component.name != "VTIMEZONE" and "UID" in component:
            return str(component["UID"])
    return None


class MemoryRemote:
    """A calendar collection held in a dict. Not thread-safe."""

    def __init__(self, path: str = "/practitioner/practice/",
                 account: list["MemoryRemote"] | None = None) -> None:
        self.path = path if path.endswith("/") else path + "/"
        self.account = account if account is not None else []  # shares UID uniqueness
        self.account.append(self)
        self._refusals: deque[int] = deque()
        self.objects: dict[str, bytes] = {}
        self.etags: dict[str, str] = {}
        self.uids: dict[str, str | None] = {}
        self.requests = 0
        self.closed = False
        self._faults: deque[tuple[BaseException, bool]] = deque()
        self._versions = itertools.count(1)

    # ------------------------------------------------------------ test hooks

    def fail_next(self, n: int = 1, exc: BaseException | None = None,
                  after: bool = False) -> None:
        """Make the next `n` requests raise `exc` (before or after they act)."""
        for _ in range(n):
            self._faults.append((exc or self._default_fault(), after))

    def refuse_writes(self, n: int = 1, status: int = 403) -> None:
        """Make the next `n` writes answer ObjectRefused(status) without acting."""
        self._refusals.extend([status] * n)

    def external_put(self, name_or_href: str, data: bytes) -> str:
        """Another client creates or overwrites an object; returns the new etag."""
        href = name_or_href if name_or_href.startswith("/") else self.path + name_or_href
        return self._store(href, data, uid_of(data))

    def external_delete(self, href: str) -> None:
        """Another client deletes an object."""
        self.objects.pop(href, None)
        self.etags.pop(href, None)
        self.uids.pop(href, None)

    # ------------------------------------------------------------ Remote

    def list(self) -> dict[str, str]:
        return self._request(lambda: dict(self.etags))

    def get(self, href: str) -> tuple[bytes, str]:
        def run() -> tuple[bytes, str]:
            self._require(href, "cannot read a calendar object that is gone")
            return self.objects[href], self.etags[href]
        return self._request(run)

    def multiget(self, hrefs: Sequence[str]) -> dict[str, tuple[bytes, str]]:
        if not hrefs:
            return {}  # no request, as CalDAVRemote
        return self._request(lambda: {h: (self.objects[h], self.etags[h]) for h in hrefs
                                      if h in self.objects})

    def create(self, name: str, data: bytes) -> tuple[str, str]:
        href = self.path + check_name(name)

        def run() -> tuple[str, str]:
            self._refuse("PUT", href)
            if href in self.objects:
                raise conflict("exists", href, "an object already exists at this name")
            return href, self._store(href, data, self._check_uid(href, data))
        return self._request(run)

    def update(self, href: str, data: bytes, etag: str) -> str:
        def run() -> str:
            self._refuse("PUT", href)
            self._require(href, "cannot update a calendar object that is gone")
            self._check_etag(href, etag, "the object changed since it was read; not updated")
            return self._store(href, data, self._check_uid(href, data))
        return self._request(run)

    def delete(self, href: str, etag: str) -> None:
        def run() -> None:
            self._refuse("DELETE", href)
            self._require(href, "cannot delete a calendar object that is gone")
            self._check_etag(href, etag, "the object changed since it was read; not deleted")
            self.external_delete(href)
        self._request(run)

    def close(self) -> None:
        self.closed = True

    def __enter__(self) -> "MemoryRemote":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ------------------------------------------------------------ internals

    def _request(self, run):
        """Count one request, apply any injected fault, then run it."""
        self.requests += 1
        if not self._faults:
            return run()
        exc, after = self._faults.popleft()
        if after:
            run()
        raise exc

    def _default_fault(self) -> ServerError:
        return ServerError(f"injected fault talking to memory:{self.path}",
                           next_step="(test fault injection)")

    def _refuse(self, method: str, href: str) -> None:
        if self._refusals:
            raise refused(self._refusals.popleft(), method, href, f"memory:{self.path}")

    def _require(self, href: str, what: str) -> None:
        if href not in self.objects:
            raise conflict("gone", href, what)

    def _check_etag(self, href: str, etag: str, what: str) -> None:
        if self.etags[href] != etag:
            raise conflict("etag", href, what)

    def _check_uid(self, href: str, data: bytes) -> str | None:
        """The UID of `data`, if storing it at `href` keeps UIDs unique."""
        uid = uid_of(data)
        if uid is None:
            return None
        for collection in self.account:
            for other, other_uid in collection.uids.items():
                if other != href and other_uid == uid:
                    raise conflict("uid", href, f"the same UID already exists at {other}",
                                   holder=other)
        if self.uids.get(href) not in (None, uid):
            raise conflict("uid", href, "an update may not change the object's UID")
        return uid

    def _store(self, href: str, data: bytes, uid: str | None) -> str:
        data = bytes(data)
        digest = hashlib.sha256(data).hexdigest()[:12]
        etag = f'"{next(self._versions)}-{digest}"'
        self.objects[href] = data
        self.etags[href] = etag
        self.uids[href] = uid
        return etag
