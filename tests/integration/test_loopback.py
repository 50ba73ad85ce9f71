"""Loopback, however it is spelled: one rule decides "never through a proxy" and "plain
http:// allowed" (`remote.loopback.is_loopback`, used by `proxy_for` and the config's URL
check). The resolver accepts more spellings than 127.0.0.1: each must count. A name other
than localhost counts only when the hosts file maps it, and only to loopback: anything else
is resolved by DNS, and plain http:// with the password would go wherever DNS says."""
from __future__ import annotations

import http.server
import socket
import threading
from pathlib import Path

import pytest

from pseudocal.config import loopback, values
from pseudocal.remote import network

PROXY = "http://proxy.example.org:3128"
ENV = {"HTTPS_PROXY": PROXY, "ALL_PROXY": PROXY, "HTTP_PROXY": PROXY}
LOOPBACK = ["127.0.0.1", "127.1", "127.0.1", "2130706433", "0x7f000001", "0x7f.1",
            "0177.0.0.1", "127.255.255.254", "0.0.0.0", "0", "localhost", "LOCALHOST",
            "localhost.", "[::1]", "[0:0:0:0:0:0:0:1]", "[::ffff:127.0.0.1]",
            "[::ffff:7f00:1]", "[::]",
            "\uff11\uff12\uff17.\uff10.\uff10.\uff11"]  # fullwidth digits, as IDNA reads them
ELSEWHERE = ["cal.example.org", "8.8.8.8", "134744072", "0x8080808", "128.0.0.1",
             "10.0.0.1", "[::ffff:8.8.8.8]", "[2001:db8::1]", "localhost.example.org",
             "127.0.0.1.example.org", "1.2.3.4.5", "08.1.1.1"]
# loopback names of some hosts files, and RFC 6761's *.localhost: resolved by DNS where the
# machine's hosts file lacks them
HOSTS_NAMES = ["localhost.localdomain", "localhost4", "localhost4.localdomain4", "localhost6",
               "ip6-localhost", "ip6-loopback", "cal.localhost", "LOCALHOST.LOCALDOMAIN",
               "localhost.localdomain."]
HOSTS = """# a hosts file as distributions write it
127.0.0.1   localhost localhost.localdomain localhost4 localhost4.localdomain4
::1         localhost6 ip6-localhost ip6-loopback   # IPv6
127.0.1.1   cal.localhost
192.0.2.10  printer
127.0.0.1   twice
192.0.2.11  twice
0x7f.1      short-form
"""


@pytest.fixture
def hosts(tmp_path, monkeypatch) -> Path:
    """A hosts file with the usual loopback names, used by every check in the test."""
    path = tmp_path / "hosts"
    path.write_text(HOSTS, encoding="utf-8")
    monkeypatch.setattr(loopback, "HOSTS_FILE", path)
    return path


@pytest.fixture
def bare_hosts(tmp_path, monkeypatch) -> Path:
    """A hosts file that names localhost only (as on many containers)."""
    path = tmp_path / "bare-hosts"
    path.write_text("127.0.0.1 localhost\n::1 localhost\n", encoding="utf-8")
    monkeypatch.setattr(loopback, "HOSTS_FILE", path)
    return path


@pytest.mark.parametrize("host", LOOPBACK)
def test_every_spelling_of_loopback_goes_direct_and_may_be_plain_http(host, bare_hosts):
    assert loopback.is_loopback(host.strip("[]"))
    assert loopback.is_loopback(host.strip("[]"), hosts_file=bare_hosts.parent / "nowhere")
    assert network.proxy_for(f"https://{host}/dav/", ENV) is None
    assert network.proxy_for(f"https://{host}:8443/dav/", ENV) is None
    assert values.url(f"http://{host}:5232/dav/") == f"http://{host}:5232/dav/"


@pytest.mark.parametrize("host", ELSEWHERE)
def test_other_hosts_use_the_proxy_and_need_https(host, hosts):
    """The control: the rule is not "everything goes direct"."""
    assert not loopback.is_loopback(host.strip("[]"))
    found = network.proxy_for(f"https://{host}/dav/", ENV)
    assert found is not None and found[0] == PROXY
    with pytest.raises(values.ValueProblem, match="unencrypted"):
        values.url(f"http://{host}:5232/dav/")


@pytest.mark.parametrize("host", HOSTS_NAMES)
def test_a_loopback_name_of_the_hosts_file_counts(host, hosts):
    assert loopback.is_loopback(host)
    assert network.proxy_for(f"https://{host}/dav/", ENV) is None
    assert values.url(f"http://{host}:5232/dav/") == f"http://{host}:5232/dav/"


@pytest.mark.parametrize("host", HOSTS_NAMES)
def test_a_loopback_name_the_hosts_file_lacks_is_resolved_by_dns_so_it_does_not_count(
        host, bare_hosts):
    """localhost.localdomain, ip6-localhost, *.localhost... by name alone would send plain
    http:// and the Basic credentials to whatever DNS answers."""
    assert not loopback.is_loopback(host)
    assert network.proxy_for(f"https://{host}/dav/", ENV) is not None
    with pytest.raises(values.ValueProblem, match="unencrypted"):
        values.url(f"http://{host}:5232/dav/")


@pytest.mark.parametrize("host, counts", [
    ("printer", False),  # mapped, but elsewhere
    ("twice", False),  # mapped to loopback and to another address: not loopback only
    ("short-form", True),  # 0x7f.1, as the C resolver reads hosts-file addresses
    ("nowhere", False),  # not in the file
    ("#", False), ("IPv6", False),  # words of comments are not names
])
def test_the_hosts_file_must_map_the_name_to_loopback_only(host, counts, hosts):
    assert loopback.is_loopback(host, hosts_file=hosts) is counts


def test_the_hosts_file_is_a_parameter_and_a_missing_one_maps_nothing(tmp_path, hosts):
    assert loopback.is_loopback("localhost.localdomain", hosts_file=hosts)
    assert not loopback.is_loopback("localhost.localdomain", hosts_file=tmp_path / "absent")
    assert loopback.is_loopback("localhost", hosts_file=tmp_path / "absent")  # always
    other = tmp_path / "other"
    other.write_text("203.0.113.5 localhost.localdomain\n", encoding="utf-8")
    assert not loopback.is_loopback("localhost.localdomain", hosts_file=other)


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
