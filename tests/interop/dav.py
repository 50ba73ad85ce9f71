"""A raw WebDAV/CalDAV client for the interop scripts and tests: the standard library only.

It plays "another client" (a phone app) and the test's own eyes on the server: every request
is sent as written, with Basic auth, and the whole answer (status, headers, body) comes back,
so a test can quote what the server said. pseudocal's own CalDAVRemote is never used here.

    python3 dav.py wait SECONDS URL USER PASSWORD   until PROPFIND Depth 0 on URL answers 207
    python3 dav.py mkcalendar URL USER PASSWORD     MKCALENDAR, then check it is a calendar
"""
from __future__ import annotations

import base64
import http.client
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import unquote, urljoin, urlsplit

DAV, CAL = "{DAV:}", "{urn:ietf:params:xml:ns:caldav}"
XML = "application/xml; charset=utf-8"
ICAL = "text/calendar; charset=utf-8"
PROPFIND_ETAG = (b'<?xml version="1.0" encoding="utf-8"?>\n<d:propfind xmlns:d="DAV:"><d:prop>'
                 b'<d:getetag/><d:resourcetype/></d:prop></d:propfind>')
PROPFIND_TYPE = (b'<?xml version="1.0" encoding="utf-8"?>\n<d:propfind xmlns:d="DAV:"><d:prop>'
                 b'<d:resourcetype/></d:prop></d:propfind>')


@dataclass
class Answer:
    method: str
    path: str
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def text(self, limit: int = 600) -> str:
        body = self.body.decode("utf-8", "replace").strip()
        return body if len(body) <= limit else body[:limit] + "..."

    def brief(self, limit: int = 300) -> str:
        """One line for a report: `PUT /path -> 403: <body>`."""
        body = " ".join(self.text(limit).split())
        return f"{self.method} {self.path} -> {self.status}" + (f": {body}" if body else "")

    def tree(self) -> ET.Element | None:
        try:
            return ET.fromstring(self.body)
        except ET.ParseError:
            return None


class Dav:
    """One user on one server; a new connection per request (simple, and no stale sockets)."""

    def __init__(self, user: str, password: str, timeout: float = 20) -> None:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self.auth = f"Basic {token}"
        self.timeout = timeout

    def request(self, method: str, url: str, body: bytes = b"",
                headers: dict[str, str] | None = None) -> Answer:
        parts = urlsplit(url)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=self.timeout)
        try:
            conn.request(method, parts.path, body, {"Authorization": self.auth,
                                                    "User-Agent": "pseudocal-interop-phone",
                                                    **(headers or {})})
            resp = conn.getresponse()
            data = resp.read()
            return Answer(method, parts.path, resp.status,
                          {k.lower(): v for k, v in resp.getheaders()}, data)
        finally:
            conn.close()

    # ------------------------------------------------------------ the usual requests

    def get(self, url: str) -> Answer:
        return self.request("GET", url, headers={"Accept": "text/calendar"})

    def put(self, url: str, data: bytes, if_match: str | None = None,
            create: bool = False) -> Answer:
        headers = {"Content-Type": ICAL}
        if if_match:
            headers["If-Match"] = if_match
        if create:
            headers["If-None-Match"] = "*"
        return self.request("PUT", url, data, headers)

    def delete(self, url: str, if_match: str | None = None) -> Answer:
        return self.request("DELETE", url, headers={"If-Match": if_match} if if_match else {})

    def propfind(self, url: str, depth: str, body: bytes = PROPFIND_ETAG) -> Answer:
        return self.request("PROPFIND", url, body, {"Depth": depth, "Content-Type": XML})

    def report(self, url: str, body: bytes, depth: str | None = None) -> Answer:
        headers = {"Content-Type": XML}
        if depth is not None:
            headers["Depth"] = depth
        return self.request("REPORT", url, body, headers)

    def mkcalendar(self, url: str, name: str) -> Answer:
        body = ('<?xml version="1.0" encoding="utf-8"?>\n<C:mkcalendar xmlns:D="DAV:" '
                'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>'
                f'<D:displayname>{name}</D:displayname></D:prop></D:set></C:mkcalendar>')
        return self.request("MKCALENDAR", url, body.encode(), {"Content-Type": XML})

    # ------------------------------------------------------------ reading answers

    def listing(self, url: str) -> dict[str, str]:
        """{href path: etag} of the objects in a collection (PROPFIND Depth 1)."""
        answer = self.propfind(url, "1")
        if answer.status != 207:
            raise AssertionError(f"listing failed: {answer.brief()}")
        own = unquote(urlsplit(url).path).rstrip("/") + "/"
        return {href: etag for href, etag, is_coll in responses(answer)
                if unquote(href).rstrip("/") + "/" != own and not is_coll and etag is not None}

    def objects(self, url: str) -> dict[str, bytes]:
        """{href path: bytes} of every object in a collection (one GET each)."""
        found = {}
        for href in self.listing(url):
            answer = self.get(urljoin(url, href))
            if answer.status == 200:
                found[href] = answer.body
        return found

    def is_calendar(self, url: str) -> bool:
        answer = self.propfind(url, "0", PROPFIND_TYPE)
        return answer.status == 207 and answer.tree() is not None and \
            answer.tree().find(f".//{DAV}resourcetype/{CAL}calendar") is not None


def responses(answer: Answer) -> list[tuple[str, str | None, bool]]:
    """(href path, etag or None, is a collection) for each DAV:response of a multistatus."""
    tree = answer.tree()
    if tree is None:
        return []
    found = []
    for node in tree.iter(f"{DAV}response"):
        href = urlsplit((node.findtext(f"{DAV}href") or "").strip()).path
        etag, is_coll = None, False
        for propstat in node.iter(f"{DAV}propstat"):
            if " 200 " not in f"{propstat.findtext(f'{DAV}status') or ''} ":
                continue
            etag = (propstat.findtext(f"{DAV}prop/{DAV}getetag") or "").strip() or etag
            is_coll |= propstat.find(f"{DAV}prop/{DAV}resourcetype/{DAV}collection") is not None
        found.append((href, etag, is_coll))
    return found


def uid_of(data: bytes) -> str | None:
    """The first UID: line of an iCalendar object (unfolded well enough for our UIDs)."""
    text = data.decode("utf-8", "replace").replace("\r\n ", "").replace("\n ", "")
    for line in text.splitlines():
        if line.startswith("UID:"):
            return line[4:].strip()
    return None


# ---------------------------------------------------------------- command line (scripts)


def _wait(seconds: str, url: str, user: str, password: str) -> int:
    dav, deadline, last = Dav(user, password, timeout=5), time.monotonic() + float(seconds), ""
    while time.monotonic() < deadline:
        try:
            answer = dav.propfind(url, "0", PROPFIND_TYPE)
            if answer.status == 207:
                return 0
            last = answer.brief()
        except OSError as exc:
            last = f"{type(exc).__name__}: {exc}"
        time.sleep(0.3)
    print(f"no 207 from {url} within {seconds} s; last answer: {last}", file=sys.stderr)
    return 1


def _mkcalendar(url: str, user: str, password: str) -> int:
    dav = Dav(user, password)
    name = url.rstrip("/").rsplit("/", 1)[-1]
    answer = dav.mkcalendar(url, name)
    if answer.status not in (200, 201):
        print(f"MKCALENDAR failed: {answer.brief()}", file=sys.stderr)
        return 1
    if not dav.is_calendar(url):
        print(f"{url} was made but is not a calendar collection", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str]) -> int:
    commands = {"wait": (_wait, 4), "mkcalendar": (_mkcalendar, 3)}
    if not argv or argv[0] not in commands or len(argv) - 1 != commands[argv[0]][1]:
        print(__doc__, file=sys.stderr)
        return 2
    return commands[argv[0]][0](*argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
