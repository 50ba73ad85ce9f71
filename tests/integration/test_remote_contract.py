"""One contract, three implementations: MemoryRemote, and CalDAVRemote on a real Radicale
and on a real Xandikos (the CalDAV-on-the-wire part runs on both servers too).

`make interop` runs the same contract against DAViCal and Cyrus too (PSEUDOCAL_INTEROP_SERVERS).
"""
from __future__ import annotations

import http.server
import socket
import threading
import time

import pytest

from davservers import path_of, profile_of
from interop.servers import interop_params  # [] unless PSEUDOCAL_INTEROP_SERVERS is set
from pseudocal.errors import ConfigError, ConflictError, ServerError
from pseudocal.models import CalendarSettings
from pseudocal.remote import MemoryRemote, Remote


def ics(uid: str, summary: str = "Amber Falcon") -> bytes:
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//pseudocal//tests//EN",
        "BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260101T000000Z",
        "DTSTART:20261201T100000Z", "DTEND:20261201T105000Z", f"SUMMARY:{summary}",
        "END:VEVENT", "END:VCALENDAR", "",
    ]
    return "\r\n".join(lines).encode()


def caldav_remote(url: str, timeout: float = 5, **kw):
    from pseudocal.remote import CalDAVRemote

    settings = CalendarSettings(url=url, username=kw.pop("username", "practitioner"),
                                server=kw.pop("server", "radicale"))
    return CalDAVRemote(settings, kw.pop("password", "not-checked"), timeout=timeout)


def summary_of(data: bytes) -> str:
    line = next(x for x in data.decode().splitlines() if x.startswith("SUMMARY:"))
    return line.split(":", 1)[1]


@pytest.fixture(params=["memory", "radicale", "xandikos", *interop_params()])
def remote(request):
    if request.param == "memory":
        yield MemoryRemote()
        return
    if request.param not in ("radicale", "xandikos"):  # a `make interop` server: a fresh
        # calendar of its own
        server, url = request.getfixturevalue("interop_calendar")(request.param, "contract")
        with caldav_remote(url, username=server.user, password=server.password,
                           server=None) as dav:
            yield dav
        return
    server = request.getfixturevalue(request.param)  # a fresh calendar on a real server
    with caldav_remote(server.calendar_url(), server=profile_of(server)) as dav:
        yield dav


@pytest.fixture
def dav(dav_server):
    with caldav_remote(dav_server.calendar_url(), server=profile_of(dav_server)) as remote:
        yield remote


# ---------------------------------------------------------------- the contract


def test_is_a_remote(remote):
    assert isinstance(remote, Remote)


def test_empty_calendar_lists_nothing(remote):
    assert remote.list() == {}


def test_create_returns_href_and_etag_and_list_shows_it(remote):
    href, etag = remote.create("a1.ics", ics("a1"))
    assert href.startswith("/") and href.endswith("/a1.ics")
    assert etag
    assert remote.list() == {href: etag}


def test_create_at_a_taken_name_is_exists(remote):
    href, etag = remote.create("a1.ics", ics("a1"))
    with pytest.raises(ConflictError) as caught:
        remote.create("a1.ics", ics("a1", "Other"))
    assert caught.value.kind == "exists"
    assert caught.value.href == href
    assert summary_of(remote.get(href)[0]) == "Amber Falcon"


# Servers that store a second object with a UID already in the calendar (201) instead of
# refusing it (tests/interop/FINDINGS.md): for them the contract is that both copies are
# listed, so the engine sees them and keeps one (plan.keep_one_copy).
STORES_DUPLICATE_UIDS = {"davical"}


def _stores_duplicates(request) -> bool:
    return request.node.callspec.params.get("remote") in STORES_DUPLICATE_UIDS


def test_create_with_a_taken_uid_is_uid_conflict(remote, request):
    href, etag = remote.create("a1.ics", ics("same-uid"))
    if _stores_duplicates(request):
        other, _ = remote.create("b2.ics", ics("same-uid"))
        assert set(remote.list()) == {href, other}
        return
    with pytest.raises(ConflictError) as caught:
        remote.create("b2.ics", ics("same-uid"))
    assert caught.value.kind == "uid"
    assert remote.list() == {href: etag}


def test_update_with_the_right_etag_gives_a_new_etag(remote):
    href, etag = remote.create("a1.ics", ics("a1"))
    new = remote.update(href, ics("a1", "Renamed"), etag)
    assert new and new != etag
    assert remote.list() == {href: new}
    data, current = remote.get(href)
    assert current == new
    assert summary_of(data) == "Renamed"


def test_update_with_a_stale_etag_is_refused_and_changes_nothing(remote):
    href, old = remote.create("a1.ics", ics("a1"))
    current = remote.update(href, ics("a1", "Second"), old)
    with pytest.raises(ConflictError) as caught:
        remote.update(href, ics("a1", "Third"), old)
    assert caught.value.kind == "etag"
    assert caught.value.href == href
    data, etag = remote.get(href)
    assert (summary_of(data), etag) == ("Second", current)


def test_update_changing_the_uid_into_a_taken_one_is_uid_conflict(remote, request):
    first, _ = remote.create("a1.ics", ics("a1"))
    href, etag = remote.create("b2.ics", ics("b2"))
    if _stores_duplicates(request):
        remote.update(href, ics("a1"), etag)
        assert set(remote.list()) == {first, href}
        return
    with pytest.raises(ConflictError) as caught:
        remote.update(href, ics("a1"), etag)
    assert caught.value.kind == "uid"


def test_delete_with_a_stale_etag_is_refused(remote):
    href, old = remote.create("a1.ics", ics("a1"))
    current = remote.update(href, ics("a1", "Second"), old)
    with pytest.raises(ConflictError) as caught:
        remote.delete(href, old)
    assert caught.value.kind == "etag"
    assert remote.list() == {href: current}


def test_delete_with_the_right_etag_removes_it(remote):
    href, etag = remote.create("a1.ics", ics("a1"))
    keep, keep_etag = remote.create("b2.ics", ics("b2"))
    remote.delete(href, etag)
    assert remote.list() == {keep: keep_etag}


def test_get_returns_bytes_and_the_current_etag(remote):
    href, etag = remote.create("a1.ics", ics("a1"))
    data, current = remote.get(href)
    assert isinstance(data, bytes)
    assert b"UID:a1" in data and b"BEGIN:VEVENT" in data
    assert current == etag


def test_a_vanished_object_is_gone(remote):
    href, etag = remote.create("a1.ics", ics("a1"))
    remote.delete(href, etag)
    for call in (lambda: remote.delete(href, etag), lambda: remote.get(href)):
        with pytest.raises(ConflictError) as caught:
            call()
        assert caught.value.kind == "gone"
    with pytest.raises(ConflictError) as caught:
        remote.update(href, ics("a1"), etag)
    assert caught.value.kind in ("gone", "etag")  # Radicale answers 412 here


@pytest.mark.parametrize("name", ["", "../x.ics", "a/b.ics", ".hidden", "a b.ics"])
def test_unsafe_names_are_refused_without_a_request(remote, name):
    before = remote.requests
    with pytest.raises(ValueError):
        remote.create(name, ics("a1"))
    assert remote.requests == before


# ---------------------------------------------------------------- CalDAV on the wire


def test_each_operation_is_exactly_one_request(dav_server, dav):
    def one(call):
        dav_server.reset_counters()
        before = dav.requests
        result = call()
        assert dav_server.request_count == 1
        assert dav.requests - before == 1
        return dav_server.requests[0], result

    put, (href, etag) = one(lambda: dav.create("a1.ics", ics("a1")))
    assert (put.method, put.header("If-None-Match"), put.header("If-Match")) == ("PUT", "*", None)
    assert put.path == href and put.body == ics("a1")
    put, new = one(lambda: dav.update(href, ics("a1", "Second"), etag))
    assert (put.method, put.header("If-Match"), put.header("If-None-Match")) == ("PUT", etag, None)
    assert put.header("If-Schedule-Tag-Match") is None
    found, _ = one(dav.list)
    assert (found.method, found.header("Depth")) == ("PROPFIND", "1")
    got, _ = one(lambda: dav.get(href))
    assert got.method == "GET"
    gone, _ = one(lambda: dav.delete(href, new))
    assert (gone.method, gone.header("If-Match")) == ("DELETE", new)


def test_conflicts_cost_one_request_and_are_not_retried(dav_server, dav):
    href, etag = dav.create("a1.ics", ics("a1"))
    dav.update(href, ics("a1", "Second"), etag)
    for call in (lambda: dav.create("a1.ics", ics("a1")),
                 lambda: dav.create("b2.ics", ics("a1")),
                 lambda: dav.update(href, ics("a1"), etag),
                 lambda: dav.delete(href, etag)):
        dav_server.reset_counters()
        with pytest.raises(ConflictError):
            call()
        assert dav_server.request_count == 1


def test_a_stopped_server_is_a_quick_server_error(dav_server):
    url = dav_server.calendar_url()
    with caldav_remote(url, timeout=2, server=profile_of(dav_server)) as remote:
        href, etag = remote.create("a1.ics", ics("a1"))
        dav_server.stop()
        calls = [remote.list, lambda: remote.get(href),
                 lambda: remote.create("b2.ics", ics("b2")),
                 lambda: remote.update(href, ics("a1", "x"), etag),
                 lambda: remote.delete(href, etag)]
        for call in calls:
            started = time.monotonic()
            with pytest.raises(ServerError) as caught:
                call()
            assert not isinstance(caught.value, ConflictError)
            assert time.monotonic() - started < 1.5
            assert dav_server.calendar_url() in caught.value.message
            assert caught.value.next_step
        dav_server.restart()
        assert remote.list() == {href: etag}


def test_a_missing_calendar_is_a_server_error(dav_server):
    url = dav_server.calendar_url("practitioner", "nope")
    with caldav_remote(url, server=profile_of(dav_server)) as remote:
        with pytest.raises(ServerError) as caught:
            remote.list()
        assert "does not exist" in caught.value.message
        with pytest.raises(ServerError) as caught:
            remote.create("a1.ics", ics("a1"))
        assert not isinstance(caught.value, ConflictError)


def test_foreign_objects_are_listed_and_stay_byte_identical(dav_server, dav):
    foreign = ics("phone-made-1", "Dentist").replace(b"END:VEVENT", b"LOCATION:Town\r\nEND:VEVENT")
    path = path_of(dav_server.calendar_url()) + "phone-made-1.ics"
    status, _ = dav_server.http("PUT", path, foreign,
                                {"Content-Type": "text/calendar", "If-None-Match": "*"})
    assert status == 201
    stored = dav_server.collection_dir() / "phone-made-1.ics"
    raw_before = stored.read_bytes()
    listed = dav.list()
    assert path in listed
    data_before = dav.get(path)

    href, etag = dav.create("a1.ics", ics("a1"))
    etag = dav.update(href, ics("a1", "Second"), etag)
    dav.create("b2.ics", ics("b2"))
    dav.delete(href, etag)

    assert stored.read_bytes() == raw_before
    assert dav.get(path) == data_before
    assert dav.list()[path] == listed[path]
    assert not any(r.path == path and r.method != "GET" for r in dav_server.requests[1:])


# ---------------------------------------------------------------- CalDAV error mapping


class _Fixed(http.server.BaseHTTPRequestHandler):
    status = 500

    def _answer(self) -> None:
        self.send_response(self.status)
        self.send_header("Content-Length", "0")
        if self.status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="x"')
        if self.status in (429, 503):
            self.send_header("Retry-After", "120")
        self.end_headers()

    do_GET = do_PUT = do_DELETE = do_PROPFIND = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def fixed_status():
    """A loopback server answering every request with one status code."""
    servers = []

    def start(status: int) -> str:
        handler = type("Handler", (_Fixed,), {"status": status})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/practitioner/practice/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("status", [401, 403, 429, 500, 503])
def test_error_statuses_are_server_errors_without_credentials(fixed_status, status):
    url = fixed_status(status)
    secret_url = url.replace("http://", "http://alex:s3cret-in-url@")
    with caldav_remote(secret_url, password="s3cret-password") as remote:
        for call in (remote.list, lambda: remote.create("a1.ics", ics("a1")),
                     lambda: remote.delete("/practitioner/practice/a1.ics", '"x"')):
            with pytest.raises(ServerError) as caught:
                call()
            error = caught.value
            assert not isinstance(error, ConflictError)
            assert url in error.message and str(status) in error.message
            text = f"{error.message} {error.next_step} {error.where} {error!r}"
            assert "s3cret" not in text
        assert remote.requests == 3  # no retries


def test_a_silent_server_times_out_as_server_error():
    with socket.socket() as listener:  # accepts connections, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/practitioner/practice/"
        with caldav_remote(url, timeout=0.3) as remote:
            started = time.monotonic()
            with pytest.raises(ServerError) as caught:
                remote.list()
            assert time.monotonic() - started < 2
            assert "no answer" in caught.value.message


def test_unknown_server_profile_is_a_config_error():
    with pytest.raises(ConfigError):
        caldav_remote("http://127.0.0.1:9/x/", server="exchange")


# ---------------------------------------------------------------- MemoryRemote hooks


def test_memory_fault_injection_before_and_after():
    remote = MemoryRemote()
    remote.fail_next(1)
    with pytest.raises(ServerError):
        remote.create("a1.ics", ics("a1"))
    assert remote.objects == {}
    remote.fail_next(1, TimeoutError("lost reply"), after=True)
    with pytest.raises(TimeoutError):
        remote.create("a1.ics", ics("a1"))
    assert list(remote.objects) == ["/practitioner/practice/a1.ics"]
    assert remote.requests == 2


def test_memory_external_changes_look_like_another_client():
    remote = MemoryRemote()
    href, etag = remote.create("a1.ics", ics("a1"))
    phone_etag = remote.external_put(href, ics("a1", "Edited on phone"))
    assert remote.list() == {href: phone_etag} and phone_etag != etag
    remote.external_delete(href)
    assert remote.list() == {}


def test_memory_rejects_data_that_is_not_icalendar():
    with pytest.raises(ServerError):
        MemoryRemote().create("a1.ics", b"not a calendar")
