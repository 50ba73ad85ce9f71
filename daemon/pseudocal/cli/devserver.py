"""An embedded Radicale on loopback, for `pseudocal demo` and for the tests.

Radicale's own WSGI application runs behind a threaded `wsgiref` server in a
background thread. A small middleware counts every request before Radicale sees it
(`DevServer.wrap` puts another one in front of Radicale: the tests' recorder, in
tests/recording.py). Only loopback addresses are accepted: this server has no
authentication (`[auth] type = none`, any user name and password pass).

    with start_radicale(tmp_path) as server:
        url = server.make_calendar("practitioner", "practice")

Radicale is an optional extra: it is imported only when a server starts.
"""
from __future__ import annotations

import base64
import http.client
import ipaddress
import logging
import socket
import socketserver
import threading
from pathlib import Path
from urllib.parse import unquote
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

from ..errors import InputError

_MKCALENDAR_BODY = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
    "<D:set><D:prop><D:displayname>{name}</D:displayname></D:prop></D:set>"
    "</C:mkcalendar>"
)


def loopback_host(host: str) -> str:
    """The literal loopback address to bind for `host`; refuses anything else."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        address = None
    if address is None or not address.is_loopback:
        raise InputError(
            f"the development server only listens on loopback, not on {host!r}",
            next_step="use 127.0.0.1, ::1 or localhost; it has no authentication",
        )
    return str(address)


# ---------------------------------------------------------------- WSGI plumbing


class _Counter:
    """WSGI middleware: counts each request."""

    def __init__(self, app) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.count = 0

    def __call__(self, environ, start_response):
        with self.lock:
            self.count += 1
        return self.app(environ, start_response)

    def reset(self) -> None:
        with self.lock:
            self.count = 0


class _Handler(WSGIRequestHandler):
    timeout = 30  # an idle client cannot hold a worker (and stop()) forever

    def get_environ(self):
        environ = super().get_environ()
        environ["pseudocal.raw_path"] = self.path
        environ["PATH_INFO"] = unquote(self.path.split("?", 1)[0])  # UTF-8, not Latin-1
        return environ

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - base signature
        logging.getLogger("pseudocal.devserver").debug(format, *args)


class _Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = False
    block_on_close = True  # server_close() joins the request threads
    allow_reuse_address = True

    def handle_error(self, request, client_address) -> None:
        # A client hanging up mid-request is normal in tests; no traceback spam.
        logging.getLogger("pseudocal.devserver").debug(
            "request from %s failed", client_address, exc_info=True)


class _Server6(_Server):
    address_family = socket.AF_INET6


# ---------------------------------------------------------------- the server


def _radicale_app(storage_dir: Path):
    import radicale  # optional extra: only needed when a server starts
    from radicale import config

    configuration = config.load()
    configuration.update({
        "server": {"delay_on_error": "0"},
        "auth": {"type": "none", "delay": "0.1"},
        "rights": {"type": "owner_only"},  # with auth "none": every user, every path
        "storage": {"filesystem_folder": str(storage_dir), "strict_preconditions": "True"},
        "web": {"type": "none"},
        "logging": {"level": "error", "mask_passwords": "True"},
    }, "pseudocal devserver")
    logging.getLogger("radicale").setLevel(logging.ERROR)
    return radicale.Application(configuration)


class DevServer:
    """A running embedded Radicale; see `start_radicale`."""

    def __init__(self, storage_dir: Path, host: str, port: int) -> None:
        self.storage_dir = Path(storage_dir)
        self.host = loopback_host(host)
        self.port = port
        self._counter: _Counter | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ lifecycle

    def start(self) -> "DevServer":
        if self._server is not None:
            return self
        self.storage_dir.mkdir(parents=True, exist_ok=True)
        app = self.wrap(_radicale_app(self.storage_dir))
        if self._counter is None:  # kept over a restart, as the storage is
            self._counter = _Counter(app)
        self._counter.app = app
        server_class = _Server6 if ":" in self.host else _Server
        self._server = server_class((self.host, self.port), _Handler)
        self._server.set_app(self._counter)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name=f"radicale:{self.port}", daemon=True)
        self._thread.start()
        return self

    def wrap(self, app):
        """The WSGI application behind the counter: Radicale's own, here (the one seam a
        subclass may use to put middleware in front of it)."""
        return app

    def stop(self) -> None:
        """Stop serving, join the threads and release the port. Idempotent."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join()

    def __enter__(self) -> "DevServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ------------------------------------------------------------ addresses

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/"

    def calendar_url(self, user: str = "practitioner", name: str = "practice") -> str:
        return f"{self.base_url}{user}/{name}/"

    def make_calendar(self, user: str = "practitioner", name: str = "practice") -> str:
        """MKCALENDAR /user/name/ (idempotent); returns the calendar URL."""
        body = _MKCALENDAR_BODY.format(name=name).encode()
        status, answer = self.http("MKCALENDAR", f"/{user}/{name}/", body, user=user)
        exists = status == 409 and b"resource-must-be-null" in answer
        if status != 201 and not exists:
            raise RuntimeError(f"MKCALENDAR /{user}/{name}/ failed: {status} {answer[:200]!r}")
        return self.calendar_url(user, name)

    def http(self, method: str, path: str, body: bytes = b"",
             headers: dict[str, str] | None = None, user: str | None = None
             ) -> tuple[int, bytes]:
        """One plain HTTP request to this server (as another client would)."""
        headers = dict(headers or {})
        if user is not None:
            token = base64.b64encode(f"{user}:".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    # ------------------------------------------------------------ counters

    @property
    def request_count(self) -> int:
        return self._counter.count if self._counter is not None else 0

    def reset_counters(self) -> None:
        if self._counter is not None:
            self._counter.reset()


def start_radicale(storage_dir: Path, host: str = "127.0.0.1", port: int = 0) -> DevServer:
    """Start Radicale on host:port (0 = a free port) serving `storage_dir`.

    Without authentication every client may read and write every calendar:
    that is why only loopback is allowed.
    """
    return DevServer(storage_dir, host, port).start()
