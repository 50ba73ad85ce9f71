"""The privacy promise against a real Radicale: what the server stores and every request."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from davservers import profile_of
from practice import Practice, Session


@pytest.fixture
def server(dav_server):
    """The embedded Radicale, then a Xandikos (tests/conftest.py `dav_server`)."""
    return dav_server


def stored(server) -> bytes:
    """Everything Radicale keeps of the calendar (items and caches), lower-cased."""
    folder = server.collection_dir("practitioner", "practice")
    return b"\n".join(p.read_bytes() for p in folder.rglob("*") if p.is_file()).lower()


def objects(server) -> int:
    return len(list(server.collection_dir("practitioner", "practice").glob("*.ics")))


def sent(server) -> bytes:
    return b"\n".join(r.body or b"" for r in server.requests).lower()


def test_a_published_text_that_a_later_client_makes_identifying_leaves_the_calendar(
        tmp_path, server, capsys):
    """An alarm written before Gwen was a client goes online; once Gwen Ng is added the
    next sync replaces it with pseudocal's own text (exit 3, the key named, never the
    word), instead of failing every sync while the text stays online. Nothing else of
    that config is published (a session added in the same edit waits) until the text is
    reworded."""
    p = Practice(tmp_path / "p", server.calendar_url("practitioner", "practice"),
                 profile=profile_of(server),
                 header_extra='[breaks]\nalarm = "Phone Gwen about the rota"\n')
    p.root.mkdir()
    assert p.run("init") == 0
    first = p.add_client("Test Person Alpha", capsys)
    start = date.today() + timedelta(days=(7 - date.today().weekday()) % 7 + 7)
    p.sessions = [Session(first, f"{start}T10:00:00")]
    assert p.run("sync") == 0
    assert b"phone gwen about the rota" in stored(server)

    before = objects(server)
    p.add_client("Gwen Ng", capsys)
    p.sessions.append(Session(first, f"{start + timedelta(days=2)}T15:00:00"))
    capsys.readouterr()
    server.reset_counters()
    assert p.run("sync") == 3
    out = capsys.readouterr()
    said = out.out + out.err
    assert "breaks.alarm" in said and "gwen" not in said.casefold()
    assert "other changes in this config wait" in said
    assert b"gwen" not in stored(server) and b"gwen" not in sent(server)
    assert b"stand up and walk around" in stored(server)  # pseudocal's own alarm text
    assert objects(server) == before  # the new session (and its breaks) wait
    assert p.run("sync") == 3 and b"gwen" not in stored(server)  # until it is reworded
    assert objects(server) == before
    p.header_extra = '[breaks]\nalarm = "Phone the office about the rota"\n'
    assert p.run("sync") == 0
    assert objects(server) > before and b"phone the office" in stored(server)


def test_pseudocals_own_words_in_the_log_survive_clients_named_like_them(tmp_path, server,
                                                                          capsys):
    """Clients called Will Screen and Walk Book: the sync's log still says "screen break"
    and "Book supervision" (pseudocal's own words), and never a client's whole name."""
    p = Practice(tmp_path / "p", server.calendar_url("practitioner", "practice"),
                 profile=profile_of(server),
                 header_extra="[breaks]\n[supervision]\n")
    p.root.mkdir()
    assert p.run("init") == 0
    first = p.add_client("Will Screen", capsys)
    p.add_client("Walk Book", capsys)
    start = date.today() + timedelta(days=(7 - date.today().weekday()) % 7 + 7)
    p.sessions = [Session(first, f"{start}T10:00:00")]
    capsys.readouterr()
    assert p.run("sync") == 0
    log = capsys.readouterr().err
    assert "screen break after" in log and "Book supervision" in log, log
    assert "[redacted]" not in log
    assert "will screen" not in log.casefold() and "walk book" not in log.casefold()
