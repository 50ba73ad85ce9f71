"""The calendar URL must be a calendar: `sync` and `check` refuse a calendar home, a
principal, a plain collection, an address book or a web page, saying what it is and what to
do; `check` lists every missing calendar at once and `check --create-calendars` makes them.

On a real Radicale and a real Xandikos (`dav_server`), through the real CLI and CalDAVRemote.
"""
from __future__ import annotations

import http.server
import json
import logging
import threading
from datetime import date, timedelta

import pytest

from davservers import path_of, profile_of
from practice import Practice, Session
from pseudocal.errors import ConfigError, ServerError
from pseudocal.models import CalendarSettings


def remote_for(server, url: str):
    from pseudocal.remote import CalDAVRemote
    return CalDAVRemote(CalendarSettings(url=url, username="practitioner",
                                         server=profile_of(server)), "not-checked", timeout=5)


def monday() -> date:
    today = date.today()
    return today + timedelta(days=(0 - today.weekday()) % 7 + 7)


# What each server has that is not a calendar: (path, words the error must use, does the
# error name the calendars inside it).
NOT_CALENDARS = {
    "radicale": [("/practitioner/", "the account's principal", True),
                 ("/", "a plain WebDAV collection", False)],
    "xandikos": [("/user/calendars/", "a calendar home", True),
                 ("/user/", "the account's principal", False),
                 ("/user/contacts/addressbook/", "an address book", False),
                 ("/", "a single resource", False)],
}


def kind(server) -> str:
    return "xandikos" if profile_of(server) == "xandikos" else "radicale"


def not_calendars():
    return [pytest.param(name, i, id=f"{name}-{path.strip('/') or 'root'}")
            for name, cases in NOT_CALENDARS.items() for i, (path, _, _) in enumerate(cases)]


@pytest.mark.parametrize(("server_name", "case"), not_calendars())
def test_listing_something_that_is_not_a_calendar_says_what_it_is(request, server_name, case):
    server = request.getfixturevalue(server_name)
    path, words, names_calendars = NOT_CALENDARS[server_name][case]
    url = server.base_url.rstrip("/") + path
    with remote_for(server, url) as remote:
        server.reset_counters()
        with pytest.raises(ConfigError) as caught:
            remote.list()
        assert server.request_count == 1  # the listing's own entry: no extra request
    error = caught.value
    assert error.exit_code == 3 and error.where == "calendar.url"
    assert error.message.startswith(f"calendar.url: {url} is {words}")
    assert "not a calendar" in error.message and "nothing was written" in error.message
    assert "calendar.url" in error.next_step
    if names_calendars:  # it names the calendars in it, and offers one as the fix
        assert server.calendar_url() in error.message or "more" in error.message
        assert "such as http://" in error.next_step
    else:
        assert "it holds the calendars" not in error.message


def test_a_calendar_lists_as_before(dav_server):
    with remote_for(dav_server, dav_server.calendar_url()) as remote:
        assert remote.list() == {}


def home_of(server) -> str:
    """A URL that holds the practice calendar but is none: what people paste by mistake."""
    return server.base_url.rstrip("/") + ("/user/calendars/" if kind(server) == "xandikos"
                                          else "/practitioner/")


def two_sessions(root, url: str, profile: str | None, capsys) -> Practice:
    p = Practice(root, url, profile=profile)
    p.root.mkdir()
    assert p.run("init") == 0
    p.sessions = [Session(p.add_client("Test Person Alpha", capsys), f"{monday()}T10:00:00"),
                  Session(p.add_client("Test Person Beta", capsys), f"{monday()}T12:00:00")]
    capsys.readouterr()
    return p


@pytest.fixture
def practice(tmp_path, dav_server, capsys):
    p = two_sessions(tmp_path / "practice", dav_server.calendar_url(), profile_of(dav_server),
                     capsys)
    dav_server.reset_counters()
    return p


def collections(server) -> list[str]:
    """What the server keeps next to the practice calendar (calendars, stray objects)."""
    return sorted(p.name for p in server.collection_dir().parent.iterdir())


def test_sync_into_a_calendar_home_is_refused_and_writes_nothing(practice, dav_server, capsys):
    before = collections(dav_server)
    practice.calendar_url = home_of(dav_server)
    assert practice.run("sync") == 3
    err = capsys.readouterr().err
    assert f"calendar.url: {practice.calendar_url} is " in err and "not a calendar" in err
    assert "next step: set calendar.url to the URL of one calendar" in err
    assert [r.method for r in dav_server.requests] == ["PROPFIND"]
    assert collections(dav_server) == before  # no calendar made per event
    assert not list(dav_server.collection_dir().glob("*.ics"))


def test_check_refuses_a_calendar_home_too(practice, dav_server, capsys):
    practice.calendar_url = home_of(dav_server)
    assert practice.run("check") == 3
    out = capsys.readouterr().out
    assert "FAIL  calendar   calendar.url: " in out and "not a calendar" in out
    assert "next sync" not in out  # no plan for a calendar that is none


def test_check_lists_every_missing_calendar_then_creates_them(practice, dav_server, capsys):
    practice.calendar_url = dav_server.calendar_url("practitioner", "clients")
    selfcare = dav_server.calendar_url("practitioner", "selfcare")
    home = home_of(dav_server)
    practice.calendar_extra = (f'[calendars.selfcare]\nurl = "{selfcare}"\n\n'
                               f'[calendars.spare]\nurl = "{home}"\n\n')
    assert practice.run("check", "--json") == 6  # the first failure: a missing calendar
    doc = json.loads(capsys.readouterr().out)
    failed = {item["detail"].split(":", 1)[0]: item["detail"] for item in doc["checks"]
              if item["status"] == "FAIL"}
    assert set(failed) == {"calendar.url", "calendars.selfcare.url", "calendars.spare.url"}
    for key, url in (("calendar.url", practice.calendar_url),
                     ("calendars.selfcare.url", selfcare)):
        assert f"the calendar {url} does not exist" in failed[key]
        assert "pseudocal check --create-calendars" in failed[key]
    assert "not a calendar" in failed["calendars.spare.url"]
    assert not any(r.method == "MKCALENDAR" for r in dav_server.requests)

    dav_server.reset_counters()
    assert practice.run("check", "--create-calendars") == 3  # the home is still no calendar
    out = capsys.readouterr().out
    assert f"ok    calendar   calendar.url: created the calendar {practice.calendar_url}" in out
    assert f"calendars.selfcare.url: created the calendar {selfcare}" in out
    assert "FAIL  calendar   calendars.spare.url: " in out
    made = [r.path for r in dav_server.requests if r.method == "MKCALENDAR"]
    assert made == [path_of(practice.calendar_url), path_of(selfcare)]  # never the home

    practice.calendar_extra = f'[calendars.selfcare]\nurl = "{selfcare}"\n\n'
    assert practice.run("check") == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out and "next sync: 2 to create" in out
    assert practice.run("sync") == 0
    assert len(list(dav_server.collection_dir("practitioner", "clients").glob("*.ics"))) == 2


def test_create_calendars_makes_nothing_when_every_calendar_exists(practice, dav_server,
                                                                   capsys):
    assert practice.run("check", "--create-calendars") == 0
    assert "created the calendar" not in capsys.readouterr().out
    assert not any(r.method == "MKCALENDAR" for r in dav_server.requests)


def test_create_calendars_needs_the_server(tmp_path, capsys):
    practice = two_sessions(tmp_path / "practice", "http://127.0.0.1:9/cal/", None, capsys)
    with pytest.raises(SystemExit) as caught:
        practice.run("check", "--offline", "--create-calendars")
    assert caught.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_make_calendar_then_again_then_under_a_missing_parent(dav_server):
    url = dav_server.calendar_url("practitioner", "fresh")
    with remote_for(dav_server, url) as remote:
        assert remote.make_calendar() is True
        assert remote.make_calendar() is False  # already there: said, not an error
        assert remote.list() == {}
    deeper = url + "inner/deeper/"
    with remote_for(dav_server, deeper) as remote, pytest.raises(ServerError) as caught:
        remote.make_calendar()
    assert caught.value.message.startswith(f"could not create the calendar {deeper}")
    assert caught.value.next_step


# ---------------------------------------------------------------- a plain web server


class _WebPage(http.server.BaseHTTPRequestHandler):
    """A web server: an HTML page for everything, or 405 to WebDAV methods."""
    status = 200
    PAGE = (b'<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'  # not XML
            b"<h1>Welcome to example-web-page-body</h1><br></body></html>")

    def _page(self) -> None:
        self.send_response(self.status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.PAGE)))
        self.end_headers()
        self.wfile.write(self.PAGE)

    def do_GET(self) -> None:  # noqa: N802
        self.status, status = 200, self.status
        self._page()
        self.status = status

    do_PROPFIND = do_PUT = do_DELETE = _page

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def web_page():
    servers = []

    def start(status: int) -> str:
        server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), type("Page", (_WebPage,), {"status": status}))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/calendar/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("status", [200, 207, 405, 501])  # 501: python -m http.server
def test_a_web_page_is_a_clear_error_with_no_traceback_or_body_in_the_log(
        tmp_path, web_page, capsys, status):
    practice = two_sessions(tmp_path / "practice", web_page(status), None, capsys)
    assert practice.run("sync", "--verbose") == 6
    err = capsys.readouterr().err
    assert practice.calendar_url in err
    if status in (405, 501):
        assert f"is not a WebDAV collection: it answered PROPFIND with {status}" in err
        assert "the server is failing" not in err
    else:
        assert "instead of a WebDAV listing of the calendar" in err
    assert "Traceback" not in err and "Expected some valid XML" not in err
    assert "example-web-page-body" not in err and "<!DOCTYPE" not in err
    assert "Deviation from expectations" not in err


def test_the_caldav_noise_is_dropped_at_the_logger_not_just_hidden(web_page, caplog):
    from pseudocal.remote import CalDAVRemote
    url = web_page(200)
    caplog.set_level(logging.DEBUG)
    with CalDAVRemote(CalendarSettings(url=url), None, timeout=5) as remote:
        with pytest.raises(ServerError):
            remote.list()
    assert not [r for r in caplog.records if "valid XML" in r.getMessage()
                or r.exc_info or "example-web-page-body" in r.getMessage()]
    logging.getLogger().info("Expected some valid XML: only caldav's own line is dropped")
    assert [r.getMessage() for r in caplog.records if "valid XML" in r.getMessage()] == [
        "Expected some valid XML: only caldav's own line is dropped"]



def test_create_calendars_never_makes_a_calendar_inside_a_calendar(practice, dav_server,
                                                                    capsys):
    """A URL below the practice calendar (a pasted path one level too deep): Xandikos and
    Radicale would make a calendar no phone shows, inside the practice calendar."""
    inside = dav_server.calendar_url() + "clients/"
    practice.calendar_url = inside
    assert practice.run("check", "--create-calendars") != 0
    out = capsys.readouterr().out
    assert "FAIL  calendar   calendar.url: not creating the calendar" in out
    assert f"{dav_server.calendar_url()}, is itself a calendar" in out
    assert f"set calendar.url to {dav_server.calendar_url()} itself" in out
    assert not any(r.method == "MKCALENDAR" for r in dav_server.requests)
    assert not (dav_server.collection_dir() / "clients").exists()
    assert practice.run("sync") != 0  # and the sync makes nothing there either
    capsys.readouterr()
    assert not (dav_server.collection_dir() / "clients").exists()
