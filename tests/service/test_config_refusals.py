"""Config values a reviewer used to get a client's name echoed or sent, or a traceback:
a placeholder holding a name, a calendar URL with a query naming a client, a horizon past
the end of the calendar. Each is a config error (exit 3) that names the key, repeats
nothing and sends nothing. Synthetic names only."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from practice import Practice, Session

CLOSED_PORT = "http://127.0.0.1:9/"  # any request would fail with exit 6, not 3


class SyncPractice(Practice):
    """A Practice whose [sync] table is `sync_table` when set."""
    sync_table = ""

    def write_config(self):
        path = super().write_config()
        if self.sync_table:
            text = path.read_text(encoding="utf-8")
            path.write_text(text.replace('horizon = "52w"\nkeep_past = "30d"\n',
                                         self.sync_table), encoding="utf-8")
        return path


def practice_with_client(tmp_path, capsys, url: str = CLOSED_PORT + "cal/practice/"):
    p = SyncPractice(tmp_path / "p", url)
    p.root.mkdir(parents=True)
    assert p.run("init") == 0
    pseudonym = p.add_client("Ottilie Quimby", capsys)
    p.sessions = [Session(pseudonym, f"{date.today() + timedelta(days=3)}T10:00:00")]
    capsys.readouterr()
    return p


def said(capsys) -> str:
    out = capsys.readouterr()
    return out.out + out.err


def test_a_placeholder_holding_a_name_is_refused_without_repeating_it(tmp_path, capsys):
    p = practice_with_client(tmp_path, capsys)
    p.header_extra = '[events]\nsession_title = "{pseudonym} with {Ottilie Quimby}"\n'
    for argv in (("check",), ("check", "--offline"), ("check", "--json"), ("sync",)):
        assert p.run(*argv) == 3
        text = said(capsys)
        assert "events.session_title" in text and "other than {pseudonym}" in text
        assert "ottilie" not in text.lower() and "quimby" not in text.lower()


def test_a_calendar_url_with_a_query_is_a_config_error_and_nothing_is_sent(tmp_path, capsys):
    for i, tail in enumerate(("?for=ottilie-quimby", "?x=1", "#quimby")):
        p = practice_with_client(tmp_path / str(i), capsys)
        p.calendar_url = CLOSED_PORT + "cal/" + tail
        for argv in (("check",), ("sync",)):
            assert p.run(*argv) == 3  # port 9 was never asked (that would be 6)
            text = said(capsys)
            assert "calendar.url" in text and "no ?query or #fragment" in text
            assert "ottilie" not in text.lower() and "quimby" not in text.lower()


def test_a_horizon_past_the_end_of_the_calendar_is_a_config_error_not_a_traceback(
        tmp_path, capsys):
    p = practice_with_client(tmp_path, capsys)
    for key, value in (("horizon", "9999999w"), ("horizon", "157w"), ("keep_past", "999999w")):
        p.sync_table = f'{key} = "{value}"\n'
        assert p.run("check", "--offline") == 3, (key, value)
        out = said(capsys)
        assert f"sync.{key}" in out and "too long" in out and "Traceback" not in out
    p.sync_table = 'horizon = "156w"\nkeep_past = "520w"\n'
    assert p.run("check", "--offline") == 0, said(capsys)  # the control: at the bounds


HUGE = [  # (where, TOML, key path in the error): each crashed a command with a traceback
    ("session", {"duration": "9999999w"}, "sessions[0].duration"),
    ("session", {"extra": "count = 999999999999999999"}, "sessions[0].count"),
    ("session", {"repeat": "FREQ=WEEKLY;INTERVAL=99999999999999999999"}, "sessions[0].repeat"),
    ("header", '[supervision]\nratio = inf\n', "supervision.ratio"),
    ("header", '[supervision]\nratio = 1e308\n', "supervision.ratio"),
    ("header", '[breaks]\nafter_session = "9999999w"\n', "breaks.after_session"),
    ("header", '[preparation]\nbefore = "9999999w"\n', "preparation.before"),
]


@pytest.mark.parametrize("where, value, key", HUGE, ids=[k for _, _, k in HUGE])
def test_a_huge_value_is_a_config_error_in_every_command_not_a_traceback(
        tmp_path, capsys, where, value, key):
    p = practice_with_client(tmp_path, capsys)
    if where == "session":
        for name, text in value.items():
            setattr(p.sessions[0], name, text)
    else:
        p.header_extra = value
    for argv in (("check", "--offline"), ("sync", "--dry-run"), ("week",)):
        code = p.run(*argv)
        out = said(capsys)
        assert code == 3, (argv, out)
        assert key in out and "Traceback" not in out, (argv, out)


@pytest.mark.parametrize("zone", ["GMT", "Etc/GMT", "Greenwich", "gmt0"])
def test_gmt_is_refused_as_the_uk_winter_time_only(tmp_path, capsys, zone):
    """A London practitioner who writes GMT would get every summer session an hour off."""
    p = practice_with_client(tmp_path, capsys)
    p.sessions[0].extra = f'timezone = "{zone}"'
    assert p.run("check", "--offline") == 3
    out = said(capsys)
    assert "sessions[0].timezone" in out and "Europe/London" in out
    p.sessions[0].extra = 'timezone = "UTC"'  # the control: no daylight saving, meant so
    assert p.run("check", "--offline") == 0, said(capsys)


@pytest.mark.parametrize("table", ["ottilie", "Quimby_cal", "ottilie-quimby"])
def test_a_calendar_table_named_after_a_client_is_refused_without_naming_it(
        tmp_path, capsys, table):
    p = practice_with_client(tmp_path, capsys)
    p.calendar_extra = f'[calendars.{table}]\nurl = "{CLOSED_PORT}cal/other/"\n\n'
    for argv in (("check",), ("check", "--offline"), ("sync",), ("sync", "--json")):
        assert p.run(*argv) == 3, argv  # before any request (port 9 would be exit 6)
        out = said(capsys)
        assert "calendars (table 1 of 1)" in out, out
        assert "ottilie" not in out.lower() and "quimby" not in out.lower(), out
    p.calendar_extra = f'[calendars.selfcare]\nurl = "{CLOSED_PORT}cal/other/"\n\n'
    assert p.run("check", "--offline") == 0, said(capsys)  # the control
