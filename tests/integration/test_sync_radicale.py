"""End to end against a real Radicale and a real Xandikos on loopback (each test runs on
both: the `server` fixture), through the real CLI and caldav.

What the engine does is shown in-process in tests/unit/test_engine.py; here, the same cycle on
real servers as the command line runs it: the requests on the wire (If-None-Match, If-Match),
the objects the servers store, exit codes and what `sync`, `check` and `status` print."""
from __future__ import annotations

import json

import pytest
from icalendar import Calendar

from practice import Practice, Session
from synced_practice import foreign_bytes, monday, sync_json, three_clients, writes


@pytest.fixture
def server(dav_server):
    """The embedded Radicale, then a Xandikos: practitioner/practice exists, requests are
    recorded (`requests`, `reset_counters()`), files are in `collection_dir()`."""
    return dav_server


@pytest.fixture
def practice(tmp_path, server, capsys):
    return three_clients(tmp_path, server, capsys)


def test_first_push_then_resync_makes_no_write(practice, server, capsys):
    before = foreign_bytes(server)
    first = sync_json(practice, capsys)
    assert (first["created"], first["updated"], first["deleted"]) == (3, 0, 0)
    assert len(writes(server)) == 3
    assert all(r.header("If-None-Match") == "*" for r in writes(server))
    server.reset_counters()
    second = sync_json(practice, capsys)
    assert (second["created"], second["updated"], second["deleted"]) == (0, 0, 0)
    assert writes(server) == [] and server.request_count == 1
    assert foreign_bytes(server) == before


def test_objects_on_the_server_are_recurring_and_pseudonymous(practice, server, capsys):
    sync_json(practice, capsys)
    files = [f for f in server.collection_dir().glob("*.ics") if f.name != "foreign.ics"]
    assert len(files) == 3
    summaries = set()
    for f in files:
        event = Calendar.from_ical(f.read_bytes()).walk("VEVENT")[0]
        summaries.add(str(event["SUMMARY"]))
        assert event["DTSTART"].params.get("TZID") in ("Europe/London", "America/New_York")
    assert summaries == {s.client for s in practice.sessions}
    rules = [Calendar.from_ical(f.read_bytes()).walk("VEVENT")[0].get("RRULE") for f in files]
    assert sum(r is not None for r in rules) == 2  # weekly + fortnightly, one object each


def test_one_changed_session_is_one_update(practice, server, capsys):
    sync_json(practice, capsys)
    practice.sessions[0].duration = "1h"
    server.reset_counters()
    result = sync_json(practice, capsys)
    assert (result["created"], result["updated"], result["deleted"]) == (0, 1, 0)
    [put] = writes(server)
    assert put.method == "PUT" and put.header("If-Match")


def test_one_removed_session_is_one_delete(practice, server, capsys):
    sync_json(practice, capsys)
    before = foreign_bytes(server)
    practice.sessions.pop()
    server.reset_counters()
    result = sync_json(practice, capsys)
    assert (result["created"], result["updated"], result["deleted"]) == (0, 0, 1)
    [delete] = writes(server)
    assert delete.method == "DELETE" and delete.header("If-Match")
    assert foreign_bytes(server) == before


def test_dry_run_prints_the_plan_and_changes_nothing(practice, server, capsys):
    assert practice.run("sync", "--dry-run") == 0
    out = capsys.readouterr().out
    assert out.count("create") >= 3 and "Test Person" not in out
    assert writes(server) == []
    assert sync_json(practice, capsys)["created"] == 3


def test_emptied_config_refuses_and_deletes_nothing(practice, server, capsys):
    sync_json(practice, capsys)
    practice.sessions = []
    server.reset_counters()
    assert practice.run("sync") == 7
    assert "--allow-deletes" in capsys.readouterr().err
    assert writes(server) == []
    assert sync_json(practice, capsys, "--allow-deletes")["deleted"] == 3


def test_check_reports_everything_ok(practice, server, capsys):
    assert practice.run("check") == 0
    out = capsys.readouterr().out
    assert "server" in out and "FAIL" not in out


def test_unknown_pseudonym_in_config_is_a_config_error(practice, server, capsys):
    practice.sessions.append(Session("Nobody Here", f"{monday()}T12:00:00"))
    assert practice.run("sync") == 3
    err = capsys.readouterr().err
    assert "sessions[3].client" in err and writes(server) == []


def test_rename_updates_the_config_and_retitles_with_one_update(practice, server, capsys):
    sync_json(practice, capsys)
    old = practice.sessions[0].client
    assert practice.run("client", "rename", old, "Copper Lantern", "--json") == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["pseudonym"] == "Copper Lantern" and doc["config_lines_changed"] == 1
    text = practice.config.read_text()
    assert 'client = "Copper Lantern"' in text and old not in text
    # the helper rewrites the config from its own list: follow the rename there too
    practice.sessions[0].client = "Copper Lantern"
    server.reset_counters()
    result = sync_json(practice, capsys)
    assert (result["created"], result["updated"], result["deleted"]) >= (0, 1, 0)
    assert result["created"] == 0 and result["deleted"] == 0
    titles = {str(Calendar.from_ical(f.read_bytes()).walk("VEVENT")[0]["SUMMARY"])
              for f in server.collection_dir().glob("*.ics") if f.name != "foreign.ics"}
    assert "Copper Lantern" in titles and old not in titles


def test_a_real_name_in_the_config_is_refused_without_being_echoed(practice, server, capsys):
    practice.sessions[0].client = "Test Person Alpha"
    assert practice.run("sync") == 3
    err = capsys.readouterr().err
    assert "Test Person Alpha" not in err and "no client has this pseudonym" in err
    assert writes(server) == []


def test_a_chosen_pseudonym_may_not_share_a_word_with_another_clients_name(
        practice, capsys):
    assert practice.run("client", "add", "--pseudonym", "Gamma Heron",
                        stdin='name = "Test Person Delta"') == 9
    err = capsys.readouterr().err
    assert "a client's name" in err and "Gamma Heron" not in err


def test_dry_run_shows_the_plan_a_real_sync_would_refuse(practice, server, capsys):
    sync_json(practice, capsys)
    practice.sessions = []
    server.reset_counters()
    assert practice.run("sync", "--dry-run") == 7
    out, err = capsys.readouterr()
    assert out.count("delete") >= 3 and "would delete all 3" in err
    assert writes(server) == []


def test_status_after_a_refused_sync_says_which_safety_valve_and_why(practice, server,
                                                                   capsys):
    sync_json(practice, capsys)
    practice.sessions = []
    assert practice.run("sync") == 7
    capsys.readouterr()
    assert practice.run("status") != 0
    text = capsys.readouterr().out
    assert "why (safety valve: config-emptied): " in text and "no sessions" in text
    practice.run("status", "--json")
    doc = json.loads(capsys.readouterr().out)
    assert doc["refused_because"] == "config-emptied" and "no sessions" in doc["run_error"]


def test_changed_calendar_url_is_refused_and_dry_run_changes_no_record(
        practice, server, capsys):
    sync_json(practice, capsys)
    practice.calendar_url = server.make_calendar("practitioner", "elsewhere")
    before = len(practice_records(practice))
    assert practice.run("sync") == 7
    assert "--accept-calendar-change" in capsys.readouterr().err
    assert practice.run("sync", "--dry-run") == 7
    assert "create" in capsys.readouterr().out
    assert len(practice_records(practice)) == before
    result = sync_json(practice, capsys, "--accept-calendar-change")
    assert result["created"] == 3 and result["deleted"] == 0
    old = [f for f in server.collection_dir().glob("*.ics") if f.name != "foreign.ics"]
    assert len(old) == 3  # the old calendar's events were left alone


def practice_records(practice: Practice) -> list:
    import sqlite3
    with sqlite3.connect(practice.root / "state" / "store.db") as db:
        return db.execute("SELECT uid FROM records").fetchall()


def test_check_reports_the_next_sync_and_a_refusal_it_would_meet(practice, server, capsys):
    assert practice.run("check") == 0
    assert "next sync: 3 to create" in capsys.readouterr().out
    sync_json(practice, capsys)
    practice.sessions = []
    assert practice.run("check") == 7
    out = capsys.readouterr().out
    assert "FAIL  plan" in out and "--allow-deletes" in out


def test_status_after_a_manual_sync_shows_it_and_asks_for_the_daemon(practice, server, capsys):
    sync_json(practice, capsys)
    assert practice.run("status", "--json") == 11
    doc = json.loads(capsys.readouterr().out)
    assert doc["result"] == "ok" and doc["counts"]["created"] == 3
    assert any("not running" in p for p in doc["problems"])
    assert "no sync has succeeded yet" not in doc["problems"]


def test_a_pseudonym_that_says_what_the_events_are_is_refused(practice, capsys):
    old = practice.sessions[0].client
    assert practice.run("client", "rename", old, "Therapy Time") == 9
    assert "says what the events are about" in capsys.readouterr().err
    assert f'client = "{old}"' in practice.config.read_text()


def test_status_after_a_manual_sync_carries_the_ledger_and_warnings(practice, server, capsys):
    practice.header_extra = '[supervision]\nminimum_per_month = "1.5h"\n'
    practice.sessions.append(Session(practice.sessions[0].client,
                                     practice.sessions[0].start.replace("10:00", "10:30"),
                                     repeat="once"))
    sync_json(practice, capsys)
    practice.run("status", "--json")
    doc = json.loads(capsys.readouterr().out)
    assert doc["supervision"] and any("overlaps" in w for w in doc["warnings"]), doc


def test_a_calendar_whose_name_extends_the_old_one_is_still_a_changed_calendar(
        practice, server, capsys):
    practice.calendar_url = server.make_calendar("practitioner", "practice-old")
    sync_json(practice, capsys)  # records now at .../practice-old/...
    practice.calendar_url = server.calendar_url().rstrip("/")  # .../practice, no slash
    assert practice.run("sync") == 7
    assert "--accept-calendar-change" in capsys.readouterr().err


def test_a_time_zone_that_is_a_folder_or_fixed_offset_is_refused_cleanly(practice, capsys):
    for zone in ("America", "EST"):
        doc = json.dumps({"name": "Test Person Epsilon", "timezone": zone})
        assert practice.run("client", "add", stdin=doc) == 9
        assert "timezone:" in capsys.readouterr().err
