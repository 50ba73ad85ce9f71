"""Network rules of the CalDAV seam (README "Network rules"), against real loopback servers.

Every server here is real and on loopback: http.server calendars, a redirecting server, a
recording forward proxy (it answers absolute-form requests itself and tunnels CONNECT to a
loopback backend), and https servers whose certificates each test makes with `cryptography`.
Each protection is shown next to a control: the bare HTTP stack (niquests, environment
trusted, redirects followed) on the same servers does leak, so the tests can fail.
"""
from __future__ import annotations

import datetime as dt
import http.server
import ipaddress
import os
import selectors
import socket
import ssl
import threading
import time
from pathlib import Path

import pytest

from pseudocal.cli import checks, main
from pseudocal.cli.output import render_error
from pseudocal.config.loader import load_settings
from pseudocal.errors import ConfigError, ServerError
from pseudocal.models import CalendarSettings
from pseudocal.remote import network

niquests = pytest.importorskip("niquests")

PASSWORD = "s3cret-calendar-password"
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                   "all_proxy", "NO_PROXY", "no_proxy", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
                   "SSL_CERT_FILE", "NETRC")


def _clear_niquests_caches() -> None:
    """niquests caches the proxy variables and netrc answers for the life of the process;
    the controls below must see this test's environment."""
    from niquests import utils

    for cached in (utils.getproxies, utils.getproxies_environment, utils.get_netrc_auth):
        cached.cache_clear()


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch, tmp_path):
    """No proxy, CA or netrc variable from the machine running the tests."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    _clear_niquests_caches()
    yield
    _clear_niquests_caches()


def ics(uid: str, summary: str = "Amber Falcon") -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//pseudocal//tests//EN",
             "BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260101T000000Z",
             "DTSTART:20261201T100000Z", "DTEND:20261201T105000Z", f"SUMMARY:{summary}",
             "END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines).encode()


def remote_for(url: str, *, username: str | None = "practitioner", ca_file: Path | None = None,
               timeout: float = 3):
    from pseudocal.remote import CalDAVRemote

    settings = CalendarSettings(url=url, username=username, server="radicale", ca_file=ca_file)
    return CalDAVRemote(settings, PASSWORD if username else None, timeout=timeout)


# ---------------------------------------------------------------- loopback servers


class Recorded(dict):
    """One request a server saw: method, path, headers (lower-case names), body."""


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:
        pass

    def record(self) -> Recorded:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        seen = Recorded(method=self.command, path=self.path, body=body,
                        headers={k.lower(): v for k, v in self.headers.items()})
        self.server.seen.append(seen)
        return seen

    def reply(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


MULTISTATUS = (
    b'<?xml version="1.0" encoding="utf-8"?>\n'
    b'<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
    b'<d:response><d:href>/cal/</d:href><d:propstat><d:prop><d:getetag>"c1"</d:getetag>'
    b'<d:resourcetype><d:collection/><c:calendar/></d:resourcetype></d:prop>'
    b'<d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>'
    b'<d:response><d:href>/cal/a1.ics</d:href><d:propstat><d:prop><d:getetag>"e1"</d:getetag>'
    b'<d:resourcetype/></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>'
    b'</d:multistatus>')


class _Calendar(_Handler):
    """A tiny CalDAV collection at /cal/ holding a1.ics."""

    def do_PROPFIND(self):
        self.record()
        self.reply(207, MULTISTATUS, {"Content-Type": "application/xml; charset=utf-8"})

    def do_PUT(self):
        self.record()
        self.reply(201, headers={"ETag": '"e2"'})

    def do_GET(self):
        self.record()
        self.reply(200, ics("a1"), {"Content-Type": "text/calendar", "ETag": '"e1"'})

    def do_DELETE(self):
        self.record()
        self.reply(204)


class _Redirect(_Handler):
    """Answers every request with a 307 (method and body kept) to `server.location`."""

    def _redirect(self):
        self.record()
        self.reply(307, b"moved", {"Location": self.server.location})

    do_GET = do_PUT = do_DELETE = do_PROPFIND = _redirect


class _Page(_Handler):
    """Answers PROPFIND with `server.page`: (status, content type, body)."""

    def do_PROPFIND(self):
        self.record()
        status, kind, body = self.server.page
        self.reply(status, body, {"Content-Type": kind})


class _Proxy(_Handler):
    """A recording forward proxy: tunnels CONNECT to `server.upstream` (a loopback port,
    whatever host was asked for) and answers absolute-form requests with its own 207 page,
    the kind of answer that must never become an empty listing."""

    def do_CONNECT(self):
        self.record()
        if self.server.upstream is None:
            self.reply(502)
            return
        upstream = socket.create_connection(("127.0.0.1", self.server.upstream), timeout=3)
        self.send_response(200, "Connection established")
        self.end_headers()
        self.wfile.flush()
        _pipe(self.connection, upstream, deadline=time.monotonic() + 5)
        self.close_connection = True

    def _answer_itself(self):
        self.record()
        self.reply(207, b'<?xml version="1.0"?><d:multistatus xmlns:d="DAV:"/>',
                   {"Content-Type": "application/xml"})

    do_GET = do_PUT = do_DELETE = do_PROPFIND = _answer_itself


def _pipe(a: socket.socket, b: socket.socket, deadline: float) -> None:
    """Copy bytes both ways until one side closes or the deadline passes."""
    with selectors.DefaultSelector() as sel:
        sel.register(a, selectors.EVENT_READ, b)
        sel.register(b, selectors.EVENT_READ, a)
        while time.monotonic() < deadline:
            for key, _ in sel.select(timeout=0.2):
                try:
                    data = key.fileobj.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    b.close()
                    return
                key.data.sendall(data)
    b.close()


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    location = ""
    page = (200, "text/html", b"")
    upstream: int | None = None

    def __init__(self, handler, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), handler)
        self.seen: list[Recorded] = []
        if tls is not None:
            self.socket = tls.wrap_socket(self.socket, server_side=True)
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def url(self, host: str = "127.0.0.1", path: str = "/cal/") -> str:
        scheme = "https" if isinstance(self.socket, ssl.SSLSocket) else "http"
        return f"{scheme}://{host}:{self.port}{path}"

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


@pytest.fixture
def serve():
    """serve(handler, tls=None) -> a started loopback Server, stopped after the test."""
    started = []

    def start(handler, tls=None) -> Server:
        server = Server(handler, tls)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


# ---------------------------------------------------------------- certificates


class PKI:
    """A private certificate authority made in the test, and leaf certificates from it."""

    def __init__(self, root: Path) -> None:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        self._x509, self._hashes, self._ser, self._ec, self._oid = (
            x509, hashes, serialization, ec, NameOID)
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Private CA")])
        now = dt.datetime.now(dt.timezone.utc)
        self.cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                     .public_key(self.key.public_key()).serial_number(x509.random_serial_number())
                     .not_valid_before(now - dt.timedelta(days=1))
                     .not_valid_after(now + dt.timedelta(days=30))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                     .sign(self.key, hashes.SHA256()))
        self.ca_file = root / "ca.pem"
        self.ca_file.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    def server_context(self, names=("localhost", "127.0.0.1"), expired: bool = False,
                       tag: str = "leaf") -> ssl.SSLContext:
        x509 = self._x509
        key = self._ec.generate_private_key(self._ec.SECP256R1())
        now = dt.datetime.now(dt.timezone.utc)
        start, end = ((now - dt.timedelta(days=10), now - dt.timedelta(days=1)) if expired else
                      (now - dt.timedelta(days=1), now + dt.timedelta(days=10)))
        alt = []
        for n in names:
            try:
                alt.append(x509.IPAddress(ipaddress.ip_address(n)))
            except ValueError:
                alt.append(x509.DNSName(n))
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(self._oid.COMMON_NAME, names[0])]))
                .issuer_name(self.cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(start).not_valid_after(end)
                .add_extension(x509.SubjectAlternativeName(alt), critical=False)
                .sign(self.key, self._hashes.SHA256()))
        cert_file, key_file = self.root / f"{tag}.pem", self.root / f"{tag}.key"
        cert_file.write_bytes(cert.public_bytes(self._ser.Encoding.PEM))
        key_file.write_bytes(key.private_bytes(self._ser.Encoding.PEM,
                                               self._ser.PrivateFormat.PKCS8,
                                               self._ser.NoEncryption()))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        return context


@pytest.fixture
def pki(tmp_path) -> PKI:
    pytest.importorskip("cryptography")
    return PKI(tmp_path / "pki")


def _text(error: ServerError) -> str:
    return f"{error.message} {error.next_step} {error.where} {error!r}"


# ---------------------------------------------------------------- redirects


def test_a_redirect_from_https_to_http_on_another_host_is_refused_and_nothing_reaches_it(
        serve, pki):
    target = serve(_Calendar)  # http://127.0.0.1: another scheme, host and port
    source = serve(_Redirect, tls=pki.server_context(("localhost",)))
    source.location = target.url(path="/collect/")
    url = source.url(host="localhost")
    with remote_for(url, ca_file=pki.ca_file) as remote:
        for call in (remote.list, lambda: remote.create("a1.ics", ics("a1")),
                     lambda: remote.update("/cal/a1.ics", ics("a1"), '"e1"'),
                     lambda: remote.delete("/cal/a1.ics", '"e1"'),
                     lambda: remote.get("/cal/a1.ics")):
            with pytest.raises(ServerError) as caught:
                call()
            error = caught.value
            assert error.exit_code == 6 and error.next_step
            assert url.rsplit("/cal/", 1)[0] in error.message  # the URL asked for
            assert source.location in error.message  # and where it was sent
            assert "another scheme https to http, host localhost to 127.0.0.1" in error.message
            assert PASSWORD not in _text(error)
        assert remote.requests == 5  # one request each, none followed
    assert target.seen == []
    assert [r["method"] for r in source.seen] == ["PROPFIND", "PUT", "PUT", "DELETE", "GET"]


def test_control_the_bare_http_stack_follows_that_redirect_with_the_body(serve, pki):
    """Without our rules the same redirect delivers the calendar data to the other host."""
    target = serve(_Calendar)
    source = serve(_Redirect, tls=pki.server_context(("localhost",)))
    source.location = target.url(path="/collect/")
    with niquests.Session() as session:
        session.put(source.url(host="localhost", path="/cal/a1.ics"), data=ics("a1"),
                    verify=str(pki.ca_file), timeout=3)
    assert [(r["method"], r["path"]) for r in target.seen] == [("PUT", "/collect/")]
    assert b"SUMMARY:Amber Falcon" in target.seen[0]["body"]


@pytest.mark.parametrize("change", ["port", "host", "scheme"])
def test_a_redirect_to_another_port_host_or_scheme_is_refused(serve, change):
    source = serve(_Redirect)
    other = serve(_Calendar)
    source.location = {"port": other.url(path="/cal/"),
                       "host": source.url(host="localhost", path="/moved/"),
                       "scheme": source.url(path="/cal/").replace("http://", "https://")}[change]
    with remote_for(source.url()) as remote:
        with pytest.raises(ServerError) as caught:
            remote.create("a1.ics", ics("a1"))
    assert f"another {change} " in caught.value.message
    assert source.location in caught.value.message
    assert [r["path"] for r in source.seen] == ["/cal/a1.ics"] and other.seen == []


def test_a_redirect_on_the_same_server_is_not_followed_either(serve):
    source = serve(_Redirect)
    source.location = "/elsewhere/"
    with remote_for(source.url()) as remote:
        with pytest.raises(ServerError) as caught:
            remote.list()
    error = caught.value
    moved = source.url(path="/elsewhere/")
    assert moved in error.message and "follows no redirect" in error.message
    assert moved in error.next_step
    assert [r["path"] for r in source.seen] == ["/cal/"]


def test_sync_against_a_redirecting_server_exits_6_naming_both_urls(serve, tmp_path, capsys):
    source = serve(_Redirect)
    source.location = "http://localhost:9/collect/"
    state = tmp_path / "state"
    config = tmp_path / "config.toml"
    config.write_text(f'timezone = "Europe/London"\n\n[calendar]\nurl = "{source.url()}"\n\n'
                      f'[store]\npath = "{state / "store.db"}"\n'
                      f'key_file = "{state / "store-key"}"\n', encoding="utf-8")
    assert main.main(["init", "--config", str(config)]) == 0
    capsys.readouterr()
    assert main.main(["sync", "--config", str(config)]) == 6
    err = capsys.readouterr().err
    assert source.url() in err and "http://localhost:9/collect/" in err
    assert "next step:" in err


SYNTHETIC = "Ottilie Brackenbury"  # a made-up client; no part of it may reach the terminal


class _Home(_Handler):
    """A calendar home at /p2/ whose one calendar is named after a client."""

    def do_PROPFIND(self):
        self.record()
        body = (b'<?xml version="1.0" encoding="utf-8"?>\n'
                b'<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">'
                b'<d:response><d:href>/p2/</d:href><d:propstat><d:prop><d:resourcetype>'
                b'<d:collection/></d:resourcetype></d:prop><d:status>HTTP/1.1 200 OK'
                b'</d:status></d:propstat></d:response>'
                b'<d:response><d:href>/p2/ottilie-brackenbury/</d:href><d:propstat><d:prop>'
                b'<d:resourcetype><d:collection/><c:calendar/></d:resourcetype></d:prop>'
                b'<d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>'
                # one name part, percent-escaped, beside a bidi override (third review, C1)
                b'<d:response><d:href>/p2/Brackenbury%20family%E2%80%AE/</d:href>'
                b'<d:propstat><d:prop><d:resourcetype><d:collection/><c:calendar/>'
                b'</d:resourcetype></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>'
                b'</d:response></d:multistatus>')
        self.reply(207, body, {"Content-Type": "application/xml; charset=utf-8"})


def _practice_with_client(url: str, tmp_path, capsys, monkeypatch) -> Path:
    import io
    state = tmp_path / "state"
    config = tmp_path / "config.toml"
    config.write_text(f'timezone = "Europe/London"\n\n[calendar]\nurl = "{url}"\n\n'
                      f'[store]\npath = "{state / "store.db"}"\n'
                      f'key_file = "{state / "store-key"}"\n', encoding="utf-8")
    assert main.main(["init", "--config", str(config)]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO('{"name": "%s"}' % SYNTHETIC))
    assert main.main(["client", "add", "--config", str(config)]) == 0
    capsys.readouterr()
    return config


def _all_output(config: Path, capsys) -> str:
    """What sync and check print, as text and as JSON (each exits non-zero)."""
    seen = []
    for argv in (["sync"], ["sync", "--json"], ["check"], ["check", "--json"]):
        assert main.main([*argv, "--config", str(config)]) != 0
        out, err = capsys.readouterr()
        seen.append(out + err)
    return "\n".join(seen)


def _leaks(text: str) -> list[str]:
    folded = text.casefold()
    return [part for part in SYNTHETIC.casefold().split() if part in folded]


@pytest.mark.parametrize("path", ["/Ottilie-Brackenbury/cal/",
                                  "/cal/Brackenbury/",  # a name part alone (attack round 4)
                                  "/cal/%4Fttilie/"])  # percent-escaped
def test_a_redirect_target_naming_a_client_is_redacted_in_the_next_step_too(
        serve, tmp_path, capsys, monkeypatch, path):
    """The message and the next step both quote the redirect's target: neither may show
    the client's name it holds (render_error, --json, and `check`), whole or in part."""
    source = serve(_Redirect)
    source.location = f"http://127.0.0.1:{source.port}{path}"
    config = _practice_with_client(source.url(), tmp_path, capsys, monkeypatch)
    shown = _all_output(config, capsys)
    assert "next step:" in shown and '"next_step"' in shown and "[redacted]" in shown
    assert _leaks(shown) == [], shown


def test_a_calendar_home_whose_calendar_is_named_after_a_client_is_redacted_in_the_next_step(
        serve, tmp_path, capsys, monkeypatch):
    home = serve(_Home)
    config = _practice_with_client(home.url(path="/p2/"), tmp_path, capsys, monkeypatch)
    shown = _all_output(config, capsys)
    assert "not a calendar" in shown and "such as" in shown and "[redacted]" in shown
    assert _leaks(shown) == [], shown
    assert "\u202e" not in shown and "\\u202e" in shown  # escaped, never raw


def test_control_without_a_client_in_the_store_the_next_step_names_the_url(serve, capsys):
    """The redaction is what hides it: the same error, shown with nobody loaded, names
    the target in its next step."""
    from pseudocal.identity import redaction as logs
    source = serve(_Redirect)
    source.location = f"http://127.0.0.1:{source.port}/Ottilie-Brackenbury/cal/"
    saved = logs.REDACTOR.strict, logs.REDACTOR.loose
    logs.REDACTOR.strict = logs.REDACTOR.loose = None
    try:
        with remote_for(source.url()) as remote, pytest.raises(ServerError) as caught:
            remote.list()
        render_error(caught.value)
    finally:
        logs.REDACTOR.strict, logs.REDACTOR.loose = saved
    err = capsys.readouterr().err
    step = next(line for line in err.splitlines() if "next step:" in line)
    assert "Ottilie-Brackenbury" in step


# ---------------------------------------------------------------- proxies


def _set_proxy(monkeypatch, proxy: Server, *names: str) -> None:
    for name in names:
        monkeypatch.setenv(name, f"http://127.0.0.1:{proxy.port}")


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"])
def test_loopback_calendar_never_goes_through_a_proxy(serve, monkeypatch, variable):
    proxy, calendar = serve(_Proxy), serve(_Calendar)
    _set_proxy(monkeypatch, proxy, variable)
    with remote_for(calendar.url()) as remote:
        assert remote.list() == {"/cal/a1.ics": '"e1"'}
        remote.create("a2.ics", ics("a2"))
    assert proxy.seen == []
    assert [r["method"] for r in calendar.seen] == ["PROPFIND", "PUT"]
    assert calendar.seen[0]["headers"]["authorization"].startswith("Basic ")


def test_control_the_bare_http_stack_sends_loopback_traffic_and_credentials_to_the_proxy(
        serve, monkeypatch):
    proxy, calendar = serve(_Proxy), serve(_Calendar)
    _set_proxy(monkeypatch, proxy, "HTTP_PROXY")
    _clear_niquests_caches()
    with niquests.Session() as session:
        answer = session.request("PROPFIND", calendar.url(), auth=("practitioner", PASSWORD),
                                 timeout=3)
    assert answer.status_code == 207 and calendar.seen == []
    assert proxy.seen[0]["path"] == calendar.url()
    assert proxy.seen[0]["headers"]["authorization"].startswith("Basic ")


def test_https_loopback_never_goes_through_a_proxy(serve, pki, monkeypatch):
    proxy = serve(_Proxy)
    calendar = serve(_Calendar, tls=pki.server_context())
    _set_proxy(monkeypatch, proxy, "HTTPS_PROXY", "ALL_PROXY")
    with remote_for(calendar.url(host="localhost"), ca_file=pki.ca_file) as remote:
        assert remote.list() == {"/cal/a1.ics": '"e1"'}
    assert proxy.seen == [] and len(calendar.seen) == 1


def test_https_to_another_host_uses_https_proxy_by_connect_and_it_never_sees_the_password(
        serve, pki, monkeypatch):
    calendar = serve(_Calendar, tls=pki.server_context(("cal.example.test",)))
    proxy, http_proxy = serve(_Proxy), serve(_Proxy)
    proxy.upstream = calendar.port  # the proxy resolves the name; we never do
    _set_proxy(monkeypatch, proxy, "HTTPS_PROXY")
    _set_proxy(monkeypatch, http_proxy, "HTTP_PROXY")  # for http:// only: never used
    url = f"https://cal.example.test:{calendar.port}/cal/"
    with remote_for(url, ca_file=pki.ca_file) as remote:
        assert remote.list() == {"/cal/a1.ics": '"e1"'}
        remote.create("a2.ics", ics("a2"))
    assert {(r["method"], r["path"]) for r in proxy.seen} == {
        ("CONNECT", f"cal.example.test:{calendar.port}")}
    assert all("authorization" not in r["headers"] for r in proxy.seen)
    assert all(r["body"] == b"" for r in proxy.seen)
    assert http_proxy.seen == []
    # the calendar got the credentials and the data, inside the tunnel
    assert [r["method"] for r in calendar.seen] == ["PROPFIND", "PUT"]
    assert calendar.seen[0]["headers"]["authorization"].startswith("Basic ")


def test_an_unreachable_proxy_is_named_with_its_variable(monkeypatch):
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        port = spare.getsockname()[1]  # closed when the block ends: nothing listens
    monkeypatch.setenv("HTTPS_PROXY", f"http://proxyuser:proxypass@127.0.0.1:{port}")
    with remote_for("https://cal.example.test/cal/") as remote:
        with pytest.raises(ServerError) as caught:
            remote.list()
    error = caught.value
    assert f"through the proxy http://127.0.0.1:{port}" in error.message
    assert "HTTPS_PROXY" in error.message and "NO_PROXY" in error.next_step
    assert "proxypass" not in _text(error)


def test_a_proxy_or_web_page_answering_the_listing_is_a_server_error_not_an_empty_listing(
        serve):
    page = serve(_Page)
    pages = [(200, "text/html", b"<html><body>Welcome to the proxy</body></html>"),
             (207, "text/html", b"<html><body>Welcome</body></html>"),
             (207, "application/xml", b'<?xml version="1.0"?><status>ok</status>'),
             (207, "application/xml", b'<?xml version="1.0"?><d:multistatus xmlns:d="DAV:"/>'),
             (207, "text/plain", b"all good {")]
    for answer in pages:
        page.page = answer
        with remote_for(page.url()) as remote, pytest.raises(ServerError) as caught:
            remote.list()
        assert "instead of a WebDAV listing" in caught.value.message, answer
        assert caught.value.exit_code == 6
    page.page = (207, "application/xml", MULTISTATUS)  # control: a real listing is read
    with remote_for(page.url()) as remote:
        assert remote.list() == {"/cal/a1.ics": '"e1"'}


def test_netrc_is_not_read(serve, tmp_path, monkeypatch):
    """No credentials from ~/.netrc behind the config's back (a calendar without username)."""
    calendar = serve(_Calendar)
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password netrc-secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    with remote_for(calendar.url(), username=None) as remote:
        remote.list()
    assert "authorization" not in calendar.seen[0]["headers"]
    _clear_niquests_caches()
    with niquests.Session() as session:  # control: the bare stack would send them
        session.request("PROPFIND", calendar.url(), timeout=3)
    assert calendar.seen[1]["headers"]["authorization"].startswith("Basic ")


PROXY = "http://proxy.example.org:3128"


@pytest.mark.parametrize("url, env, expected", [
    ("https://cal.example.org/dav/", {"HTTPS_PROXY": PROXY}, PROXY),
    ("https://cal.example.org/dav/", {"https_proxy": PROXY, "HTTPS_PROXY": "http://x:1"}, PROXY),
    ("https://cal.example.org/dav/", {"ALL_PROXY": PROXY}, PROXY),
    ("https://cal.example.org/dav/", {"HTTPS_PROXY": "proxy.example.org:3128"}, PROXY),
    ("https://cal.example.org/dav/", {"HTTP_PROXY": PROXY}, None),
    ("http://127.0.0.1:5232/dav/", {"HTTP_PROXY": PROXY, "ALL_PROXY": PROXY}, None),
    ("https://127.0.0.1/dav/", {"HTTPS_PROXY": PROXY}, None),
    ("https://127.8.9.10/dav/", {"HTTPS_PROXY": PROXY}, None),
    ("https://[::1]/dav/", {"HTTPS_PROXY": PROXY}, None),
    ("https://localhost/dav/", {"HTTPS_PROXY": PROXY}, None),
    ("https://localhost./dav/", {"HTTPS_PROXY": PROXY}, None),  # *.localhost: test_loopback
    ("https://cal.example.org/dav/", {"HTTPS_PROXY": PROXY, "NO_PROXY": "example.org"}, None),
    ("https://cal.example.org/dav/", {"HTTPS_PROXY": PROXY, "no_proxy": ".example.org"}, None),
    ("https://cal.example.org/dav/", {"HTTPS_PROXY": PROXY, "NO_PROXY": "*"}, None),
    ("https://cal.example.org/dav/", {"HTTPS_PROXY": PROXY, "NO_PROXY": "ample.org"}, PROXY),
    ("https://cal.example.org/dav/", {"HTTPS_PROXY": PROXY, "NO_PROXY": "x.org, *.example.org"},
     None),
    ("https://cal.example.org:8443/", {"HTTPS_PROXY": PROXY, "NO_PROXY": "cal.example.org:443"},
     PROXY),
    ("https://cal.example.org/", {"HTTPS_PROXY": PROXY, "NO_PROXY": "cal.example.org:443"}, None),
    ("https://10.1.2.3/dav/", {"HTTPS_PROXY": PROXY, "NO_PROXY": "10.0.0.0/8"}, None),
    ("https://11.1.2.3/dav/", {"HTTPS_PROXY": PROXY, "NO_PROXY": "10.0.0.0/8"}, PROXY),
])
def test_the_proxy_rule(url, env, expected):
    found = network.proxy_for(url, env)
    assert (found[0] if found else None) == expected


def test_a_socks_proxy_is_refused_with_what_to_do():
    with pytest.raises(ServerError) as caught:
        network.proxy_for("https://cal.example.org/",
                          {"ALL_PROXY": "socks5h://u:pw@10.0.0.1:9050"})
    assert "ALL_PROXY" in caught.value.message and "pw@" not in caught.value.message
    assert "NO_PROXY" in caught.value.next_step


# ---------------------------------------------------------------- TLS


def test_a_private_ca_is_not_trusted_and_the_error_says_how_to_give_a_ca_file(serve, pki):
    calendar = serve(_Calendar, tls=pki.server_context())
    with remote_for(calendar.url(host="localhost")) as remote:
        with pytest.raises(ServerError) as caught:
            remote.list()
    error = caught.value
    assert error.exit_code == 6
    assert f"localhost:{calendar.port}" in error.message
    assert "not trusted" in error.message and "nothing was sent" in error.message
    assert "ca_file" in error.next_step
    assert calendar.seen == []
    with remote_for(calendar.url(host="localhost"), ca_file=pki.ca_file) as remote:
        assert remote.list() == {"/cal/a1.ics": '"e1"'}  # control: with the CA it works


def test_an_expired_certificate_says_so(serve, pki):
    calendar = serve(_Calendar, tls=pki.server_context(expired=True))
    with remote_for(calendar.url(host="localhost"), ca_file=pki.ca_file) as remote:
        with pytest.raises(ServerError) as caught:
            remote.list()
    assert f"localhost:{calendar.port}" in caught.value.message
    assert "expired" in caught.value.message and "renew" in caught.value.next_step


def test_a_certificate_for_another_host_name_says_so(serve, pki):
    calendar = serve(_Calendar, tls=pki.server_context(("other.example",)))
    with remote_for(calendar.url(host="localhost"), ca_file=pki.ca_file) as remote:
        with pytest.raises(ServerError) as caught:
            remote.list()
    assert "for another host name, not localhost" in caught.value.message


def test_https_to_a_plain_http_port_says_it_does_not_speak_tls(serve):
    calendar = serve(_Calendar)
    with remote_for(calendar.url().replace("http://", "https://")) as remote:
        with pytest.raises(ServerError) as caught:
            remote.list()
    assert "does not speak TLS" in caught.value.message


def test_a_missing_or_unusable_ca_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError) as caught:
        remote_for("https://cal.example.org/", ca_file=tmp_path / "missing.pem")
    assert caught.value.exit_code == 3 and "missing.pem" in caught.value.message
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    with pytest.raises(ConfigError) as caught:
        remote_for("https://cal.example.org/", ca_file=junk)
    assert "no PEM certificate" in caught.value.message


def test_ca_file_is_read_from_the_config_and_shared_with_a_same_host_calendar(tmp_path):
    (tmp_path / "state").mkdir()
    config = tmp_path / "config.toml"
    config.write_text(
        'timezone = "Europe/London"\n\n'
        '[calendar]\nurl = "https://cal.example.org/dav/practice/"\n'
        'ca_file = "/etc/pseudocal/ca.pem"\n\n'
        '[calendars.selfcare]\nurl = "https://cal.example.org/dav/selfcare/"\n\n'
        '[calendars.other]\nurl = "https://other.example.org/dav/x/"\n'
        'ca_file = "private-ca.pem"\n\n'
        f'[store]\npath = "{tmp_path / "state" / "store.db"}"\n', encoding="utf-8")
    settings = load_settings(config, env={"PSEUDOCAL_STATE_DIR": str(tmp_path / "state"),
                                          "HOME": str(tmp_path)})
    assert settings.calendar.ca_file == Path("/etc/pseudocal/ca.pem")
    assert settings.calendars["selfcare"].ca_file == Path("/etc/pseudocal/ca.pem")
    assert settings.calendars["other"].ca_file == tmp_path / "state" / "private-ca.pem"


# ---------------------------------------------------------------- check: file permissions


def test_check_flags_key_store_and_password_files_open_to_group_or_others(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    files = {"key": state / "store-key", "store": state / "store.db",
             "password": state / "caldav-password", "password (selfcare)": state / "selfcare-pw"}
    for path in files.values():
        path.write_text("synthetic\n")
    os.chmod(files["key"], 0o640)
    os.chmod(files["store"], 0o600)
    os.chmod(files["password"], 0o644)
    os.chmod(files["password (selfcare)"], 0o620)
    config = tmp_path / "config.toml"
    config.write_text(
        'timezone = "Europe/London"\n\n'
        '[calendar]\nurl = "https://cal.example.org/dav/practice/"\nusername = "practitioner"\n'
        f'password_file = "{files["password"]}"\n\n'
        '[calendars.selfcare]\nurl = "https://other.example.org/dav/selfcare/"\n'
        f'username = "practitioner"\npassword_file = "{files["password (selfcare)"]}"\n\n'
        f'[store]\npath = "{files["store"]}"\nkey_file = "{files["key"]}"\n', encoding="utf-8")
    items, _ = checks.run_checks(config, offline=True)
    warned = {i["what"]: i["detail"] for i in items if i["status"] == "warn"
              and i["what"] in files}
    assert set(warned) == {"key", "password", "password (selfcare)"}
    assert "can be read by its group (mode 0640)" in warned["key"]
    assert "can be read by its group and other users (mode 0644)" in warned["password"]
    assert "CalDAV password" in warned["password"]
    assert "is open to its group or others (mode 0620)" in warned["password (selfcare)"]
    for what, detail in warned.items():
        assert detail.endswith(f"run: chmod 600 {files[what]}")
    assert not any("can be read" in i["detail"] for i in items if i["what"] == "store")
