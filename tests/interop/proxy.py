"""A recording reverse proxy on loopback, in front of one interop server.

pseudocal talks to the server through it, so a test can see every request pseudocal sent and
every answer the server gave (status and body), count writes as they happen (to kill a sync
after N of them), and quote the server's exact answer when a step fails. Requests and bodies
are forwarded unchanged; only hop-by-hop headers are dropped and Host names the server.

    with RecordingProxy("http://127.0.0.1:8080") as proxy:
        url = proxy.url + "/caldav.php/practitioner/practice/"
        ...
        proxy.writes()        # [Exchange(method="PUT", path=..., status=201, ...)]
"""
from __future__ import annotations

import http.client
import http.server
import socketserver
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te",
              "trailer", "upgrade", "host", "content-length"}
METHODS = ("GET", "HEAD", "PUT", "DELETE", "POST", "OPTIONS", "PROPFIND", "PROPPATCH", "REPORT",
           "MKCALENDAR", "MKCOL", "MOVE", "COPY")


@dataclass(frozen=True)
class Exchange:
    method: str
    path: str
    request_headers: dict[str, str]  # lower-case names
    status: int  # 0: the server never answered
    body: bytes  # the server's answer
    at: float

    def header(self, name: str) -> str | None:
        return self.request_headers.get(name.lower())

    def brief(self, limit: int = 300) -> str:
        text = " ".join(self.body.decode("utf-8", "replace").split())
        text = text if len(text) <= limit else text[:limit] + "..."
        return f"{self.method} {self.path} -> {self.status}" + (f": {text}" if text else "")


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class RecordingProxy:
    def __init__(self, upstream: str, timeout: float = 60) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname, parts.port)
        self.timeout = timeout
        self.lock = threading.Lock()
        self.exchanges: list[Exchange] = []
        self._server: _Server | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "RecordingProxy":
        self._server = _Server(("127.0.0.1", 0), _handler(self))
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "RecordingProxy":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------ what was seen

    def reset(self) -> None:
        with self.lock:
            self.exchanges.clear()

    def seen(self) -> list[Exchange]:
        with self.lock:
            return list(self.exchanges)

    def writes(self) -> list[Exchange]:
        return [e for e in self.seen() if e.method in ("PUT", "DELETE")]

    def refused(self) -> list[Exchange]:
        """Every answer that was not a success (status 0 or >= 300)."""
        return [e for e in self.seen() if not 200 <= e.status < 300]

    def wait_writes(self, count: int, timeout: float) -> int:
        """Wait until `count` writes were answered with success; the number seen."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = sum(200 <= e.status < 300 for e in self.writes())
            if done >= count:
                return done
            time.sleep(0.002)
        return sum(200 <= e.status < 300 for e in self.writes())

    def _record(self, exchange: Exchange) -> None:
        with self.lock:
            self.exchanges.append(exchange)


def _handler(proxy: RecordingProxy):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = 120

        def _forward(self) -> None:
            body = self._read_body()
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            host, port = proxy.upstream
            headers["Host"] = f"{host}:{port}"
            status, reply_headers, reply = 0, [], b""
            conn = http.client.HTTPConnection(host, port, timeout=proxy.timeout)
            try:
                conn.request(self.command, self.path, body, headers)
                resp = conn.getresponse()
                status, reply_headers, reply = resp.status, resp.getheaders(), resp.read()
            except OSError as exc:  # the server did not answer: say so as a 502
                reply = f"proxy: no answer from the server ({type(exc).__name__})".encode()
            finally:
                conn.close()
            proxy._record(Exchange(self.command, self.path.split("?", 1)[0],
                                   {k.lower(): v for k, v in self.headers.items()
                                    if k.lower() != "authorization"},
                                   status, reply, time.monotonic()))
            self.send_response(status or 502)
            for name, value in reply_headers:
                if name.lower() not in HOP_BY_HOP:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply)

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

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

        def handle_one_request(self) -> None:
            try:
                super().handle_one_request()
            except (ConnectionError, TimeoutError):
                self.close_connection = True  # the client went away (kill -9): normal here

    for method in METHODS:
        setattr(Handler, f"do_{method}", Handler._forward)
    return Handler
