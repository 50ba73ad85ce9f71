"""A recording HTTP proxy on loopback in front of a test CalDAV server, and the fault layer.

Every request is recorded as it arrives (method, path, query, headers, body), as the
embedded Radicale's recorder does, so the tests count and read requests the same way on
every server. A `dialect` can rewrite the server's answers into another server's:

    CyrusDialect    a second object with a UID already in the account answers 403 with
                    `unique-scheduling-object-resource` naming the href that holds it (Cyrus,
                    and so Fastmail, keep UIDs unique across all of an account's calendars);
                    an update into a taken UID answers 403 `no-uid-conflict`
    DavicalDialect  a second object with an existing UID is stored anyway and answered 201
                    (an update into a taken UID: 204); both copies are then listed

Both work on the embedded Radicale's storage folder (`collection-root/USER/CALENDAR/*.ics`):
the DAViCal dialect writes the duplicate there itself, so Radicale really lists and serves
both objects. The proxy closes each connection after one answer (as Radicale's own server
does), so a stopped proxy is a stopped server to the client.
"""
from __future__ import annotations

import http.client
import http.server
import os
import re
import socketserver
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te",
              "trailer", "upgrade", "host", "content-length"}
METHODS = ("GET", "HEAD", "PUT", "DELETE", "POST", "OPTIONS", "PROPFIND", "PROPPATCH",
           "REPORT", "MKCALENDAR", "MKCOL", "MOVE", "COPY")
_UID = re.compile(rb"^UID:(.+?)\r?$", re.MULTILINE)


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # as sent, still percent-encoded
    query: str
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in self.headers if k.lower() == wanted), None)


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class Proxy:
    """`Proxy(host, port)` forwards to that server; `start()`, `stop()`, `restart()` (the
    same port). `dialect(proxy, request)` may answer in the server's place (an Answer) or
    return None to forward, and `dialect.rewrite(proxy, request, answer)` may change the
    server's answer."""

    def __init__(self, host: str, port: int, dialect=None, timeout: float = 30) -> None:
        self.upstream = (host, port)
        self.dialect = dialect
        self.timeout = timeout
        self.port = 0
        self.lock = threading.Lock()
        self._requests: list[Request] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ lifecycle

    def start(self) -> "Proxy":
        if self._server is None:
            self._server = _Server(("127.0.0.1", self.port), _handler(self))
            self.port = self._server.server_address[1]
            self._thread = threading.Thread(target=self._server.serve_forever,
                                            kwargs={"poll_interval": 0.05}, daemon=True,
                                            name=f"proxy:{self.port}")
            self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
            thread.join(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    # ------------------------------------------------------------ what was seen

    @property
    def requests(self) -> list[Request]:
        with self.lock:
            return list(self._requests)

    @property
    def request_count(self) -> int:
        with self.lock:
            return len(self._requests)

    def reset_counters(self) -> None:
        with self.lock:
            self._requests.clear()

    # ------------------------------------------------------------ upstream

    def upstream_request(self, method: str, path: str, body: bytes = b"",
                         headers: dict[str, str] | None = None) -> Answer:
        """One request to the server itself, not recorded."""
        host, port = self.upstream
        conn = http.client.HTTPConnection(host, port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body,
                         headers={**(headers or {}), "Host": f"{host}:{port}"})
            resp = conn.getresponse()
            return Answer(resp.status, resp.getheaders(), resp.read())
        finally:
            conn.close()

    def _record(self, request: Request) -> None:
        with self.lock:
            self._requests.append(request)


def _handler(proxy: Proxy):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"  # one answer per connection, as Radicale's server
        timeout = 30

        def _serve(self) -> None:
            body = self._read_body()
            path, _, query = self.path.partition("?")
            request = Request(self.command, path, query, dict(self.headers.items()), body)
            proxy._record(request)
            dialect = proxy.dialect
            answer = dialect.answer(proxy, request) if dialect else None
            if answer is None:
                headers = {k: v for k, v in self.headers.items()  # answers not compressed
                           if k.lower() not in HOP_BY_HOP and k.lower() != "accept-encoding"}
                try:
                    answer = proxy.upstream_request(self.command, self.path, body, headers)
                except OSError as exc:
                    answer = Answer(502, [], f"proxy: no answer ({type(exc).__name__})".encode())
                if dialect:
                    answer = dialect.rewrite(proxy, request, answer)
            self.send_response(answer.status)
            for name, value in answer.headers:
                if name.lower() not in HOP_BY_HOP and name.lower() not in ("date", "server"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(answer.body)

        def _read_body(self) -> bytes:
            if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                chunks = []
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        self.rfile.readline()
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def handle_one_request(self) -> None:
            try:
                super().handle_one_request()
            except (ConnectionError, TimeoutError):
                self.close_connection = True  # the client went away (kill -9): normal here

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    for method in METHODS:
        setattr(Handler, f"do_{method}", Handler._serve)
    return Handler


# ---------------------------------------------------------------- the fault layer


def uid_of(data: bytes) -> str | None:
    found = _UID.search(data)
    return found.group(1).decode("utf-8", "replace").strip() if found else None


class _RadicaleDialect:
    """Shared by the dialects: where Radicale keeps the objects behind an href."""

    def __init__(self, storage_dir: Path) -> None:
        self.root = Path(storage_dir) / "collection-root"

    def file_of(self, href: str) -> Path:
        return self.root / unquote(href).strip("/")

    def holders(self, uid: str, href: str, account_wide: bool) -> list[str]:
        """Hrefs other than `href` whose object has `uid`: in the same calendar, or in every
        calendar of the same user with `account_wide`."""
        parts = unquote(href).strip("/").split("/")
        if len(parts) < 3:
            return []
        folders = (self.root / parts[0]).iterdir() if account_wide else [
            self.root / parts[0] / parts[1]]
        found = []
        for folder in sorted(f for f in folders if f.is_dir()):
            for item in sorted(folder.glob("*.ics")):
                path = "/" + item.relative_to(self.root).as_posix()
                if path != unquote(href) and uid_of(item.read_bytes()) == uid:
                    found.append(path)
        return found

    def answer(self, proxy: Proxy, request: Request) -> Answer | None:
        return None

    def rewrite(self, proxy: Proxy, request: Request, answer: Answer) -> Answer:
        return answer


def _uid_conflict(answer: Answer) -> bool:
    return answer.status in (409, 412) and b"no-uid-conflict" in answer.body


class CyrusDialect(_RadicaleDialect):
    """Cyrus's answers to a UID that is already taken (measured on Cyrus 3.6, see
    .interop/cyrus/probes.json): 403 naming the holder for a new object, also when the
    holder is in another calendar of the account; 403 `no-uid-conflict` for an update."""

    def __init__(self, storage_dir: Path, account_wide: bool = True) -> None:
        super().__init__(storage_dir)
        self.account_wide = account_wide

    def answer(self, proxy: Proxy, request: Request) -> Answer | None:
        if request.method != "PUT" or not (uid := uid_of(request.body)):
            return None
        holders = self.holders(uid, request.path, self.account_wide)
        if not holders:
            return None
        if request.header("If-Match"):
            return _error(403, "no-uid-conflict", request.path)
        return _error(403, "unique-scheduling-object-resource", holders[0])

    def rewrite(self, proxy: Proxy, request: Request, answer: Answer) -> Answer:
        if request.method == "PUT" and _uid_conflict(answer):  # belt and braces
            holders = self.holders(uid_of(request.body) or "", request.path, False)
            return _error(403, "unique-scheduling-object-resource",
                          holders[0] if holders else request.path)
        return answer


class DavicalDialect(_RadicaleDialect):
    """DAViCal stores a second object with an existing UID (201; an update into a taken
    UID 204): Radicale refuses it (409), so the object is written into Radicale's folder
    here and answered with the ETag Radicale then lists for it."""

    def rewrite(self, proxy: Proxy, request: Request, answer: Answer) -> Answer:
        if request.method != "PUT" or not _uid_conflict(answer):
            return answer
        target = self.file_of(request.path)
        existed = target.exists()
        if request.header("If-None-Match") == "*" and existed:
            return answer
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".dup-", suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            out.write(request.body)
        os.replace(tmp, target)
        found = proxy.upstream_request(
            "PROPFIND", request.path,
            b'<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/>'
            b"</d:prop></d:propfind>", {"Depth": "0", "Content-Type": "application/xml"})
        etag = re.search(rb"<[^>]*getetag>([^<]+)<", found.body)
        headers = [("ETag", etag.group(1).decode())] if etag else []
        return Answer(204 if existed else 201, headers, b"")


def _error(status: int, precondition: str, href: str) -> Answer:
    body = ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<D:error xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
            f"<C:{precondition}><D:href>{href}</D:href></C:{precondition}></D:error>").encode()
    return Answer(status, [("Content-Type", 'application/xml; charset="utf-8"')], body)
