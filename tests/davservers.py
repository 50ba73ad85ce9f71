"""Real CalDAV servers for the tests besides the embedded Radicale: Xandikos (a subprocess
from the package index, on a free loopback port), and Radicale behind the fault layer.

Each test server has the embedded Radicale's (`pseudocal.devserver.DevServer`) surface, so
a test is written once and runs on each: `calendar_url(user, name)`, `make_calendar(user,
name)`, `collection_dir(user, name)` (where the server keeps the calendar's .ics files),
`http(method, path, ...)` (another client), `requests`, `request_count`,
`reset_counters()`, `stop()`, `restart()`, and `profile` (pseudocal's `server =`).

One Xandikos serves a whole test session (it takes ~0.8 s to start); each test gets
fresh calendars of its own (`XandikosService.tenant`, named tN-NAME), behind a recording proxy
of its own
(`davproxy.Proxy`) that stops and restarts like a server.
"""
from __future__ import annotations

import base64
import http.client
import itertools
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from davproxy import CyrusDialect, DavicalDialect, Proxy

_MKCALENDAR = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
    "<D:set><D:prop><D:displayname>{name}</D:displayname></D:prop></D:set></C:mkcalendar>"
).format
_PROPFIND = (b'<?xml version="1.0" encoding="utf-8"?>\n<d:propfind xmlns:d="DAV:"><d:prop>'
             b"<d:resourcetype/></d:prop></d:propfind>")
START_TIMEOUT = 20.0  # seconds for Xandikos to answer, each attempt


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def path_of(url: str) -> str:
    return urlsplit(url).path


def profile_of(server) -> str | None:
    """pseudocal's `server =` profile for a test server (the embedded Radicale has none)."""
    return getattr(server, "profile", "radicale")


class XandikosService:
    """`xandikos serve --defaults` in a subprocess on 127.0.0.1 (no authentication)."""

    profile = "xandikos"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.data = self.root / "data"
        self.log = self.root / "xandikos.log"
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self._tenants = itertools.count(1)

    def start(self) -> "XandikosService":
        try:
            import xandikos  # noqa: F401 - the `test` extra installs it
        except ImportError:
            raise RuntimeError("xandikos is not installed: run `make test`, or "
                               "`pip install -e '.[test]'`") from None
        problem = ""
        for _attempt in range(3):  # a free port can be taken between choosing and binding
            self.port = free_port()
            with open(self.log, "ab") as log:
                self.proc = subprocess.Popen(
                    [sys.executable, "-m", "xandikos", "serve", "-d", str(self.data),
                     "--defaults", "-l", "127.0.0.1", "-p", str(self.port)],
                    stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            problem = self._wait_ready()
            if not problem:
                return self
            self.stop()
        raise RuntimeError(f"Xandikos did not start: {problem}; its log: "
                           f"{self.log.read_text(errors='replace')[-2000:]}")

    def _wait_ready(self) -> str:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return f"it exited with {self.proc.returncode}"
            try:
                status, _ = self.http("PROPFIND", "/user/calendars/", _PROPFIND, {"Depth": "0"})
                if status == 207:
                    return ""
            except OSError:
                pass
            time.sleep(0.05)
        return f"no answer within {START_TIMEOUT} s"

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)

    def http(self, method: str, path: str, body: bytes = b"",
             headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        headers = dict(headers or {})
        if body and method in ("PROPFIND", "REPORT", "MKCALENDAR"):
            headers.setdefault("Content-Type", "application/xml; charset=utf-8")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def tenant(self) -> "XandikosTenant":
        return XandikosTenant(self, f"t{next(self._tenants)}")


class _BehindProxy:
    """What a test server behind its own recording proxy (`self.proxy`) answers alike:
    requests sent through the proxy, and the proxy's record of them."""

    proxy: Proxy

    def _through_proxy(self, method: str, path: str, body: bytes,
                       headers: dict[str, str]) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.proxy.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    @property
    def requests(self):
        return self.proxy.requests

    @property
    def request_count(self) -> int:
        return self.proxy.request_count

    def reset_counters(self) -> None:
        self.proxy.reset_counters()


class XandikosTenant(_BehindProxy):
    """One test's calendars on the shared Xandikos (`/user/calendars/tN-NAME/`), behind a
    recording proxy of its own; `close()` deletes them."""

    profile = "xandikos"

    def __init__(self, service: XandikosService, prefix: str) -> None:
        self.service = service
        self.prefix = prefix
        self.proxy = Proxy("127.0.0.1", service.port).start()

    # ------------------------------------------------------------ the DevServer surface

    @property
    def base_url(self) -> str:
        return self.proxy.base_url

    def calendar_path(self, user: str = "practitioner", name: str = "practice") -> str:
        owner = "" if user == "practitioner" else f"{user}-"
        return f"/user/calendars/{self.prefix}-{owner}{name}/"

    def calendar_url(self, user: str = "practitioner", name: str = "practice") -> str:
        return self.base_url.rstrip("/") + self.calendar_path(user, name)

    def collection_dir(self, user: str = "practitioner", name: str = "practice") -> Path:
        return self.service.data / self.calendar_path(user, name).strip("/")

    def make_calendar(self, user: str = "practitioner", name: str = "practice") -> str:
        """MKCALENDAR (idempotent), straight to Xandikos (not recorded)."""
        path = self.calendar_path(user, name)
        status, answer = self.service.http("MKCALENDAR", path,
                                           _MKCALENDAR(name=name).encode())
        if status != 201 and b"resource-must-be-null" not in answer:
            raise RuntimeError(f"MKCALENDAR {path} failed: {status} {answer[:200]!r}")
        return self.calendar_url(user, name)

    def http(self, method: str, path: str, body: bytes = b"",
             headers: dict[str, str] | None = None, user: str | None = None
             ) -> tuple[int, bytes]:
        """One request as another client would send it (through the proxy: recorded)."""
        headers = dict(headers or {})
        if user is not None:
            headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:".encode()).decode()
        return self._through_proxy(method, path, body, headers)

    def stop(self) -> None:
        """The proxy stops: to the client, the server is down (Xandikos keeps running)."""
        self.proxy.stop()

    def restart(self) -> None:
        self.proxy.restart()

    @property
    def running(self) -> bool:
        return self.proxy.running

    def close(self) -> None:
        """Stop the proxy and delete every calendar of this tenant (also those the test
        made through pseudocal, e.g. `check --create-calendars`)."""
        self.proxy.stop()
        home = self.service.data / "user" / "calendars"
        for folder in sorted(home.glob(f"{self.prefix}-*")):
            self.service.http("DELETE", f"/user/calendars/{folder.name}/")


class FaultyRadicale(_BehindProxy):
    """The embedded Radicale behind the fault layer: `dialect` is "cyrus" (403
    `unique-scheduling-object-resource`, UIDs unique across the account) or "davical"
    (a duplicate UID stored and answered 201). Clients talk to the proxy; `collection_dir`
    and `make_calendar` reach Radicale itself."""

    profile = None  # pseudocal's generic profile, as for a server it has no profile for

    def __init__(self, radicale, dialect: str) -> None:
        self.radicale = radicale
        self.dialect_name = dialect
        kind = {"cyrus": CyrusDialect, "davical": DavicalDialect}[dialect]
        self.proxy = Proxy(radicale.host, radicale.port, kind(radicale.storage_dir)).start()

    @property
    def base_url(self) -> str:
        return self.proxy.base_url

    def calendar_url(self, user: str = "practitioner", name: str = "practice") -> str:
        return f"{self.base_url}{user}/{name}/"

    def collection_dir(self, user: str = "practitioner", name: str = "practice") -> Path:
        return self.radicale.collection_dir(user, name)

    def make_calendar(self, user: str = "practitioner", name: str = "practice") -> str:
        self.radicale.make_calendar(user, name)
        return self.calendar_url(user, name)

    def http(self, method: str, path: str, body: bytes = b"",
             headers: dict[str, str] | None = None, user: str | None = None
             ) -> tuple[int, bytes]:
        headers = dict(headers or {})
        token = base64.b64encode(f"{user or 'practitioner'}:".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
        return self._through_proxy(method, path, body, headers)

    def close(self) -> None:
        self.proxy.stop()
