"""The embedded Radicale: lifecycle, loopback only, request recording."""
from __future__ import annotations

import socket

import pytest

from pseudocal.errors import InputError

pytest.importorskip("radicale")

from pseudocal.cli.devserver import start_radicale  # noqa: E402
from recording import start_recording  # noqa: E402

EVENT = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//pseudocal//tests//EN\r\n"
         b"BEGIN:VEVENT\r\nUID:dev-1\r\nDTSTAMP:20260101T000000Z\r\n"
         b"DTSTART:20261201T100000Z\r\nSUMMARY:Break\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def test_start_stop_restart_on_the_same_port(tmp_path):
    server = start_radicale(tmp_path / "store")
    port = server.port
    assert port > 0 and server.base_url == f"http://127.0.0.1:{port}/"
    url = server.make_calendar("practitioner", "practice")
    assert url == server.calendar_url() == f"http://127.0.0.1:{port}/practitioner/practice/"
    assert server.make_calendar("practitioner", "practice") == url  # idempotent
    assert server.http("PUT", "/practitioner/practice/dev-1.ics", EVENT)[0] == 201

    server.stop()
    assert port_is_free(port)
    server.stop()  # idempotent
    server.start()  # again, on the same port
    assert server.port == port and not port_is_free(port)
    status, body = server.http("GET", "/practitioner/practice/dev-1.ics")
    assert status == 200 and b"UID:dev-1" in body  # same storage
    server.stop()
    assert port_is_free(port)


def test_context_manager_and_counters(tmp_path):
    with start_radicale(tmp_path) as server:
        server.make_calendar("someone", "cal")
        assert server.request_count == 1
        assert not hasattr(server, "requests")  # the package counts, never keeps
        server.reset_counters()
        assert server.request_count == 0
        port = server.port
    assert port_is_free(port)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.org", "::"])
def test_refuses_a_non_loopback_host(tmp_path, host):
    with pytest.raises(InputError) as caught:
        start_radicale(tmp_path, host=host)
    assert "loopback" in caught.value.message


def test_localhost_is_accepted(tmp_path):
    with start_radicale(tmp_path, host="localhost") as server:
        assert server.base_url.startswith("http://127.0.0.1:")


def test_recorded_requests_include_the_body(tmp_path):
    with start_recording(tmp_path) as server:
        server.make_calendar()
        server.reset_counters()
        status, _ = server.http("PUT", "/practitioner/practice/dev-1.ics?x=1", EVENT,
                                {"If-None-Match": "*", "Content-Type": "text/calendar"})
        assert status == 201
        (put,) = server.requests
        assert (put.method, put.path, put.query) == (
            "PUT", "/practitioner/practice/dev-1.ics", "x=1")
        assert put.body == EVENT
        assert put.headers["If-None-Match"] == "*"
        assert put.header("content-type") == "text/calendar"
        assert server.request_count == 1
        status, body = server.http("GET", "/practitioner/practice/dev-1.ics")
        assert status == 200 and b"UID:dev-1" in body  # Radicale still got the body
