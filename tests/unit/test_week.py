"""`pseudocal week`: the week at a glance, pseudonyms only unless --reveal."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from practice import Practice, Session
from pseudocal.cli import week

SUPERVISION = ('[supervision]\nstart = 2027-03-05T14:00:00\nduration = "1h"\nrepeat = "monthly"\n'
               '[breaks]\nmax_screen = "1h30m"\n')
NAMES = {"Amber Falcon": "Test Person Alpha", "Quiet Heron": "Test Person Beta"}


@pytest.fixture
def practice(tmp_path) -> Practice:
    p = Practice(tmp_path, "http://127.0.0.1:9/practitioner/practice/", header_extra=SUPERVISION)
    p.sessions = [
        Session("Amber Falcon", "2027-03-01T09:00:00"),
        Session("Amber Falcon", "2027-03-01T09:50:00", extra='timezone = "Europe/London"'),
        Session("Quiet Heron", "2027-03-03T09:00:00", extra='timezone = "America/New_York"'),
    ]
    return p


def week_text(p: Practice, capsys, *argv: str) -> str:
    capsys.readouterr()
    assert p.run("week", *argv) == 0
    return capsys.readouterr().out


@pytest.fixture
def stored(practice) -> Practice:
    """The practice with a store that knows both pseudonyms."""
    assert practice.run("init") == 0
    for pseudonym, name in NAMES.items():
        assert practice.run("client", "add", "--pseudonym", pseudonym,
                            stdin=json.dumps({"name": name})) == 0
    return practice


def test_without_a_store_every_session_is_named_by_its_place_only(practice, capsys):
    capsys.readouterr()
    assert practice.run("week", "2027-03-03") == 0
    said = capsys.readouterr()
    assert "Amber Falcon" not in said.out and "Quiet Heron" not in said.out
    row = next(ln for ln in said.out.splitlines() if "09:00-09:50 New York" in ln)
    assert row.split()[:6] == ["Wed", "3", "Mar", "14:00-14:50", "session", "sessions[2]"]
    assert "no store at" in said.err and "sessions[N]" in said.err


def test_without_a_store_the_configs_texts_are_shown_as_pseudocals_own(practice, capsys):
    """Nothing can tell a text naming a client from one that does not without the store
    (the system service's key is not the practitioner's to read): `week` shows pseudocal's
    own title and says so, never the config's text (third review, C6)."""
    practice.header_extra = (
        '[supervision]\nstart = 2027-03-05T14:00:00\nduration = "1h"\nrepeat = "monthly"\n'
        'title = "Supervision re Quimby"\n[breaks]\nmax_screen = "1h30m"\n'
        'title = "Quimby break"\n')
    for argv in (("week", "2027-03-03"), ("week", "2027-03-03", "--json")):
        capsys.readouterr()
        assert practice.run(*argv) == 0
        said = capsys.readouterr()
        assert "Quimby" not in said.out, said.out
        assert "own texts as pseudocal's" in said.err
    assert "Supervision" in said.out


def test_a_week_shows_pseudonyms_breaks_and_supervision(stored, capsys):
    practice = stored
    out = week_text(practice, capsys, "2027-03-03")
    assert out.startswith("Week of Monday 1 March 2027 to Sunday 7 March 2027, "
                          "times in Europe/London")
    lines = out.splitlines()
    row = next(ln for ln in lines if "Quiet Heron" in ln)
    assert row.split()[:4] == ["Wed", "3", "Mar", "14:00-14:50"]
    assert "09:00-09:50 New York" in row and "13:45" in row  # client's time, preparation
    assert any("10:40-11:10" in ln and "long break" in ln for ln in lines)
    assert not any("09:50-10:00" in ln for ln in lines)  # back to back: no break squeezed in
    assert any("14:50-15:00" in ln and "break" in ln for ln in lines)
    assert any("14:00-15:00" in ln and "supervision" in ln for ln in lines)
    assert "Supervision March 2027: 1h booked (0m taken place); 1h30m needed for " in out
    assert out.count("- SHORT") == 1
    assert "Test Person" not in out and "name" not in lines[2]


def test_reveal_adds_the_real_names_from_the_store(stored, capsys):
    practice = stored
    plain = week_text(practice, capsys, "2027-03-03")
    assert "Test Person" not in plain
    revealed = week_text(practice, capsys, "2027-03-03", "--reveal")
    row = next(ln for ln in revealed.splitlines() if "Quiet Heron" in ln)
    assert row.endswith("Test Person Beta")
    doc = json.loads(week_text(practice, capsys, "2027-03-03", "--reveal", "--json"))
    names = {e.get("name") for d in doc["days"] for e in d["entries"] if e["kind"] == "session"}
    assert names == {"Test Person Alpha", "Test Person Beta"}


def test_reveal_needs_the_store(practice, capsys):
    assert practice.run("week", "2027-03-03", "--reveal") in (4, 5)  # no key, no store
    assert "pseudocal init" in capsys.readouterr().err


def test_json_is_pseudonymous(stored, capsys):
    practice = stored
    doc = json.loads(week_text(practice, capsys, "2027-03-01", "--json"))
    assert doc["week_of"] == "2027-03-01" and doc["timezone"] == "Europe/London"
    assert [d["date"] for d in doc["days"]][::6] == ["2027-03-01", "2027-03-07"]
    wednesday = doc["days"][2]["entries"]
    session = next(e for e in wednesday if e["kind"] == "session")
    assert session == {"start": "2027-03-03T14:00:00+00:00", "end": "2027-03-03T14:50:00+00:00",
                       "kind": "session", "title": "Quiet Heron",
                       "client_time": "09:00-09:50 New York",
                       "preparation": "2027-03-03T13:45:00+00:00"}
    assert doc["supervision"][0]["month"] == "2027-03" and doc["supervision"][0]["short"]


def test_the_week_when_only_america_has_changed_its_clocks(stored, capsys):
    practice = stored
    out = week_text(practice, capsys, "2027-03-19")
    assert "Week of Monday 15 March 2027" in out
    assert "Wed 17 Mar  13:00-13:50" in out
    assert "  - 17 and 24 March 2027: Quiet Heron at 13:00 instead of 14:00" in out


def test_a_bad_date_is_an_input_error(practice, capsys):
    assert practice.run("week", "next tuesday") == 9
    err = capsys.readouterr().err
    assert "YYYY-MM-DD" in err and "tuesday" not in err.lower()  # what was typed: not repeated


@pytest.mark.parametrize("typed", ["Test Person Beta", "Test P\u0435rson B\u0435ta", "Beta"])
def test_a_real_name_typed_into_client_is_never_shown(stored, capsys, typed):
    """A client's real name (or a part of it, or it with a Cyrillic look-alike letter) in
    `client =` by mistake: sessions[N] in the rows, the warnings and --json, never the text."""
    practice = stored
    practice.sessions[2].client = typed  # the New York client, whose clock change warns
    out = week_text(practice, capsys, "2027-03-17")
    doc = json.loads(week_text(practice, capsys, "2027-03-17", "--json"))
    said = out + json.dumps(doc, ensure_ascii=False) + capsys.readouterr().err
    assert "Beta" not in said and "B\u0435ta" not in said and "\u0435" not in said
    row = next(ln for ln in out.splitlines() if "09:00-09:50 New York" in ln)
    assert row.split()[:6] == ["Wed", "17", "Mar", "13:00-13:50", "session", "sessions[2]"]
    assert "  - 17 and 24 March 2027: sessions[2] at 13:00 instead of 14:00" in out
    titles = {e["title"] for d in doc["days"] for e in d["entries"] if e["kind"] == "session"}
    assert titles == {"Amber Falcon", "sessions[2]"}
    assert any("sessions[2]" in w["message"] for w in doc["warnings"])
    practice.sessions[2].client = "Quiet Heron"  # control: the pseudonym itself is shown
    assert "17 and 24 March 2027: Quiet Heron at 13:00" in week_text(practice, capsys,
                                                                      "2027-03-17")


def test_a_store_that_does_not_open_names_sessions_by_place_and_says_why(stored, capsys):
    practice = stored
    key = practice.root / "state" / "store-key"
    key.unlink()
    capsys.readouterr()
    assert practice.run("week", "2027-03-03") == 0
    said = capsys.readouterr()
    assert "Quiet Heron" not in said.out and "sessions[2]" in said.out
    assert "could not be opened" in said.err
    assert practice.run("week", "2027-03-03", "--reveal") == 4  # the names need the key


def test_default_is_this_week(practice, capsys):
    out = week_text(practice, capsys)
    today = datetime.now(ZoneInfo("Europe/London")).date()
    monday = today - timedelta(days=today.weekday())
    assert out.startswith(f"Week of Monday {monday.day} {monday:%B %Y}")


def test_an_empty_day_has_a_dash_and_reminders_show(tmp_path):
    p = Practice(tmp_path, "http://127.0.0.1:9/practitioner/practice/", header_extra=SUPERVISION)
    p.sessions = [Session("Amber Falcon", "2027-03-01T09:00:00")]
    from pseudocal.config import loader
    settings = loader.load_settings(p.write_config(), env={})
    now = datetime(2027, 3, 2, 12, tzinfo=timezone.utc)  # March is short of supervision
    shown = week.build_week(settings, date(2027, 3, 3), now)
    kinds = [(e.start.date(), e.kind, e.title) for e in shown.entries]
    assert (date(2027, 3, 3), "reminder", "Book supervision (March)") in kinds
    text = week.render_text(shown)
    assert [ln.split() for ln in text.splitlines() if ln.startswith("Tue")] == \
        [["Tue", "2", "Mar", "-"]]


def test_a_config_text_naming_a_client_is_shown_as_the_sync_publishes_it(stored, capsys):
    """`[breaks] title` naming a client: week shows pseudocal's own text there (what the
    sync puts online), with a note naming the key, never the word; control: a text that
    names nobody is shown as written."""
    practice = stored
    practice.header_extra = SUPERVISION.replace(
        "[breaks]\n", '[breaks]\ntitle = "Phone Beta about the rota"\n')
    capsys.readouterr()
    assert practice.run("week", "2027-03-01") == 0
    out, err = capsys.readouterr()
    doc = json.loads(week_text(practice, capsys, "2027-03-01", "--json"))
    said = out + err + json.dumps(doc) + capsys.readouterr().err
    assert "Beta" not in said and "rota" not in said
    assert "Screen break" in out and "breaks.title names a client" in err
    practice.header_extra = SUPERVISION.replace("[breaks]\n", '[breaks]\ntitle = "Stretch"\n')
    assert "Stretch" in week_text(practice, capsys, "2027-03-01")
