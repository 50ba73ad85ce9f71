"""Loopback, however it is spelled: one rule decides "never through a proxy" and "plain
http:// allowed" (`config.loopback.is_loopback`, used by `proxy_for` and the config's URL
check). The resolver accepts more spellings than 127.0.0.1: each must count."""
from __future__ import annotations

import http.server
import socket
import threading

import pytest

from pseudocal.config import loopback, values
from pseudocal.remote import network

PROXY = "http://proxy.example.org:3128"
ENV = {"HTTPS_PROXY": PROXY, "ALL_PROXY": PROXY, "HTTP_PROXY": PROXY}
LOOPBACK = ["127.0.0.1", "127.1", "127.0.1", "2130706433", "0x7f000001", "0x7f.1",
            "0177.0.0.1", "127.255.255.254", "0.0.0.0", "0", "localhost", "LOCALHOST",
            "localhost.", "localhost.localdomain", "cal.localhost", "ip6-localhost",
            "[::1]", "[0:0:0:0:0:0:0:1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[::]",
            "\uff11\uff12\uff17.\uff10.\uff10.\uff11"]  # fullwidth digits, as IDNA reads them
ELSEWHERE = ["cal.example.org", "8.8.8.8", "134744072", "0x8080808", "128.0.0.1",
             "10.0.0.1", "[::ffff:8.8.8.8]", "[2001:db8::1]", "localhost.example.org",
             "127.0.0.1.example.org", "1.2.3.4.5", "08.1.1.1"]


@pytest.mark.parametrize("host", LOOPBACK)
def test_every_spelling_of_loopback_goes_direct_and_may_be_plain_http(host):
    assert loopback.is_loopback(host.strip("[]"))
    assert network.proxy_for(f"https://{host}/dav/", ENV) is None
    assert network.proxy_for(f"https://{host}:8443/dav/", ENV) is None
    assert values.url(f"http://{host}:5232/dav/") == f"http://{host}:5232/dav/"


@pytest.mark.parametrize("host", ELSEWHERE)
def test_other_hosts_use_the_proxy_and_need_https(host):
    """The control: the rule is not "everything goes direct"."""
    assert not loopback.is_loopback(host.strip("[]"))
    found = network.proxy_for(f"https://{host}/dav/", ENV)
    assert found is not None and found[0] == PROXY
    with pytest.raises(values.ValueProblem, match="unencrypted"):
        values.url(f"http://{host}:5232/dav/")


@pytest.mark.parametrize("host", ["127.1", "2130706433", "0x7f000001", "0177.0.0.1"])
def test_the_short_forms_agree_with_the_c_resolver(host):
    assert socket.inet_ntoa(socket.inet_aton(host)) == "127.0.0.1"
    assert str(loopback._ip_address(host)) == "127.0.0.1"


class _Listing(http.server.BaseHTTPRequestHandler):
    def do_PROPFIND(self):  # noqa: N802
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = (b'<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" '
                b'xmlns:c="urn:ietf:params:xml:ns:caldav"><d:response><d:href>/cal/</d:href>'
                b"<d:propstat><d:prop><d:resourcetype><d:collection/><c:calendar/>"
                b"</d:resourcetype></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>"
                b"</d:response></d:multistatus>")
        self.send_response(207)
        self.send_header("Content-Type", "application/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.seen.append(self.path)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("host", ["127.1", "2130706433", "0x7f000001"])
def test_a_calendar_at_a_short_spelling_is_reached_directly_with_a_proxy_set(host,
                                                                          monkeypatch):
    """A real listing over loopback: the proxy variables point at a port where nothing
    listens, so a request sent through them would fail."""
    from pseudocal.models import CalendarSettings
    from pseudocal.remote.caldav_remote import CalDAVRemote
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Listing)
    server.seen = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        dead = spare.getsockname()[1]
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{dead}")
    url = f"http://{host}:{server.server_address[1]}/cal/"
    try:
        remote = CalDAVRemote(CalendarSettings(url=values.url(url)), None, timeout=5)
        try:
            assert remote.list() == {}
        finally:
            remote.close()
    finally:
        server.shutdown()
        server.server_close()
    assert server.seen == ["/cal/"]
