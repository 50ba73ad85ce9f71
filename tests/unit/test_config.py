"""config.py: TOML -> frozen Settings, with every problem reported at once."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pseudocal.config.loader import default_config_path, load_settings, state_dir
from pseudocal.config.values import DurationError, format_duration, parse_duration
from pseudocal.errors import ConfigError
from pseudocal.identity.naming import check_pseudonyms, pseudonym_key

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "example.toml"
ENV = {"HOME": "/home/alex"}
STATE = Path("/home/alex/.local/state/pseudocal")
BASE = '''
timezone = "Europe/London"

[calendar]
url = "https://cal.example.org/dav/alex/practice/"
username = "alex"
password_file = "caldav-password"
'''
SESSION = '''
[[sessions]]
client = "Amber Falcon"
start = 2026-12-01T10:00:00
duration = "50m"
'''


def load(tmp_path: Path, text: str, env: dict[str, str] | None = None):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return load_settings(path, env=ENV if env is None else env)


def problems(tmp_path: Path, text: str) -> dict[str, str]:
    """Key path -> "message; hint" for every problem reported."""
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    return {p.path: f"{p.message}; {p.hint}" for p in caught.value.problems}


def one_problem(tmp_path: Path, text: str) -> tuple[str, str]:
    found = problems(tmp_path, text)
    assert len(found) == 1, found
    return next(iter(found.items()))


def session(**keys: str) -> str:
    lines = {"client": '"Amber Falcon"', "start": "2026-12-01T10:00:00", "duration": '"50m"'}
    lines.update(keys)
    return BASE + "\n[[sessions]]\n" + "".join(f"{k} = {v}\n" for k, v in lines.items() if v)


# ---------------------------------------------------------------- the example


def test_example_loads_without_problems():
    settings = load_settings(EXAMPLE, env=ENV)
    assert settings.source == EXAMPLE
    assert settings.timezone == "Europe/London"
    assert settings.calendar.url == "http://127.0.0.1:5232/practitioner/practice/"
    assert settings.calendar.server == "radicale"
    assert settings.calendar.password_file == STATE / "caldav-password"
    assert settings.calendars["selfcare"].username == "practitioner"  # same server: borrowed
    assert settings.store.path == STATE / "store.db"
    assert [s.client for s in settings.sessions] == ["Amber Falcon", "Quiet Heron", "Silver Maple"]
    assert [s.repeat for s in settings.sessions] == ["weekly", "fortnightly", "monthly"]
    heron = settings.sessions[1].when
    assert (heron.rrule, heron.until, heron.skip) == (
        "FREQ=WEEKLY;INTERVAL=2", date(2027, 6, 30), (date(2026, 12, 30),))
    assert settings.sessions[2].when.count == 12
    assert settings.supervision.when.duration == timedelta(minutes=90)
    assert settings.supervision.minimum_per_month == timedelta(hours=1.5)


def test_settings_are_frozen():
    settings = load_settings(EXAMPLE, env=ENV)
    assert isinstance(settings.sessions, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.sessions[0].when.start = datetime(2027, 1, 1)  # type: ignore[misc]


def test_minimal_config_gets_defaults(tmp_path):
    settings = load(tmp_path, BASE)
    assert settings.sessions == ()
    assert settings.sync.every == timedelta(minutes=5)
    assert settings.events.session_title == "{pseudonym}"
    assert settings.supervision.when is None


# ---------------------------------------------------------------- all problems at once


def test_every_problem_is_reported_in_one_error(tmp_path):
    text = '''
timezone = "Europe/Londn"
[calendar]
url = "ftp://cal.example.org/"
server = "radical"
[sync]
every = "0m"
[events]
session_title = "Therapy: {pseudonym}"
[[sessions]]
client = "Amber Falcon"
start = 2026-12-01T10:00:00
duration = "50m"
[[sessions]]
client = "Quiet Heron"
start = 2026-12-02T09:00:00
durration = "50m"
duration = "50"
[breaks]
max_screen = 120
'''
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env=ENV)
    error = caught.value
    found = {p.path: p for p in error.problems}
    assert error.message == f"8 problems in {path}"
    assert error.where == str(path) and error.exit_code == 3
    assert set(found) == {"timezone", "calendar.url", "calendar.server", "sync.every",
                          "events.session_title", "sessions[1]",
                          "sessions[1].duration", "breaks.max_screen"}
    assert found["timezone"].hint == 'did you mean "Europe/London"?'
    assert found["calendar.server"].hint == 'did you mean "radicale"?'
    assert found["sessions[1]"].render("config.toml").startswith(
        "config.toml: sessions[1]: a key that is not known here (not repeated: a key could be "
        "a name); did you mean 'duration'? known keys: client, ")
    assert found["sessions[1].duration"].render("c") == (
        'c: sessions[1].duration: this is not a duration; write 50m or PT50M')
    assert "therapy" in found["events.session_title"].hint
    assert found["breaks.max_screen"].hint.startswith('write "120m"')


@pytest.mark.parametrize("text, path, hint", [
    ("sesions = 1\n" + BASE, "(top level)", "did you mean 'sessions'?"),
    (BASE + "[sync]\nhorizn = \"12w\"\n", "sync", "did you mean 'horizon'?"),
    (BASE.replace("username", "usernme"), "calendar", "did you mean 'username'?"),
    (BASE + "[breaks]\nzzz = 1\n", "breaks", "known keys: "),
])
def test_unknown_keys_get_a_suggestion(tmp_path, text, path, hint):
    found = problems(tmp_path, text)
    assert hint in found[path]
    assert "known keys: " in found[path] and "not repeated" in found[path]
    assert not any(typo in " ".join([*found, *found.values()])
                   for typo in ("sesions", "horizn", "usernme", "zzz"))


def test_two_unknown_keys_in_one_table_are_one_problem_with_both_suggestions(tmp_path):
    found = problems(tmp_path, BASE + "[sync]\nhorizn = \"12w\"\nevry = \"5m\"\n")
    assert found["sync"].startswith("2 keys that are not known here (not repeated")
    assert "did you mean 'horizon' or 'every'?" in found["sync"]
    assert "horizn" not in found["sync"] and "evry" not in found["sync"]


@pytest.mark.parametrize("text", [
    BASE + "[breaks]\nOlga = 1\n",
    BASE + '[breaks]\nOttilie = "x"\n',  # close to "title": still not repeated
    BASE + "[breaks.Ottilie]\n",
    BASE + '[[sessions]]\nclient = "Amber Falcon"\nstart = 2026-12-01T10:00:00\n'
           'duration = "50m"\nStuart = 1\n',  # close to "start"
    'Ottilie = 1\n' + BASE,  # close to "timezone"? at the top level, never repeated either
    BASE + '[calendar.Ottilie]\n',
    BASE + '[calendars."Olga Petrova"]\nurl = "https://cal.example.org/x/"\n',
    BASE + "[supervision]\n[supervision.Olga-Petrova]\n[supervision.Olga-Petrova]\n",
])
def test_a_key_that_may_be_a_name_is_never_repeated(tmp_path, text):
    """A key typed by mistake may be a client's name, and a config error is printed before
    the store is open to say so: unknown keys far from any known one, bad calendar names
    and the keys tomllib quotes in a syntax error are not repeated."""
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={"PSEUDOCAL_STATE_DIR": str(tmp_path)})
    said = " ".join([caught.value.message, caught.value.next_step,
                     *(p.render("c") for p in caught.value.problems)])
    assert not {"olga", "petrova", "ottilie", "stuart"} & set(
        said.casefold().replace(".", " ").replace("'", " ").split()), said
    assert not any(n in said.casefold() for n in ("olga", "petrova", "ottilie", "stuart")), said


@pytest.mark.parametrize("text, path, near", [
    (BASE + '[breaks]\nOttilie = "x"\n', "breaks", "'title'"),
    (BASE + "[breaks.Ottilie]\n", "breaks", "'title'"),
    (BASE + '[[sessions]]\nclient = "Amber Falcon"\nstart = 2026-12-01T10:00:00\n'
            'duration = "50m"\nStuart = 1\n', "sessions[0]", "'start'"),
])
def test_a_key_close_to_a_known_one_is_named_by_its_table_with_the_suggestion(
        tmp_path, text, path, near):
    found = problems(tmp_path, text)
    assert found[path].startswith("a key that is not known here (not repeated: a key could "
                                  "be a name); did you mean ")
    assert near in found[path] and "known keys: " in found[path]


def test_missing_required_keys(tmp_path):
    found = problems(tmp_path, "[[sessions]]\nclient = \"Amber Falcon\"\n")
    assert set(found) == {"timezone", "calendar", "sessions[0].start", "sessions[0].duration"}
    assert found["sessions[0].start"] == "missing; add start = 2026-12-01T10:00:00"


# ---------------------------------------------------------------- file errors


def test_missing_file_names_it(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path / "nowhere.toml", env=ENV)
    assert "nowhere.toml" in caught.value.message and "does not exist" in caught.value.message
    assert caught.value.next_step


def test_unreadable_path_names_it(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, env=ENV)
    assert str(tmp_path) in caught.value.message and caught.value.next_step


def test_syntax_error_names_file_and_line(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, BASE + "\n[sync\nevery = 5\n")
    error = caught.value
    assert "config.toml, line 9: TOML syntax error" in error.message
    assert error.where.endswith("config.toml:9") and "line 9" in error.next_step


@pytest.mark.parametrize("twice", [
    '[calendars."Ro\'sa \\"Quimby"]\nurl = "http://127.0.0.1:9/a/"\n',  # both quotes
    "[calendars.'rose-quimby']\nurl = \"http://127.0.0.1:9/a/\"\n"])
def test_a_key_declared_twice_is_not_quoted_even_with_both_quote_characters(tmp_path, twice):
    """tomllib quotes the key, escaping one quote character when it holds both: nothing of
    it may be printed (third review, C7)."""
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, BASE + "\n" + twice + twice)
    assert "TOML syntax error" in caught.value.message
    assert "quimby" not in caught.value.message.lower()


# ---------------------------------------------------------------- durations

VALID = [("50m", timedelta(minutes=50)), ("1h30m", timedelta(minutes=90)),
         ("90s", timedelta(seconds=90)), ("2h", timedelta(hours=2)), ("30d", timedelta(days=30)),
         ("12w", timedelta(weeks=12)), ("1.5h", timedelta(minutes=90)),
         ("1h 30m", timedelta(minutes=90)), ("PT50M", timedelta(minutes=50)),
         ("P1D", timedelta(days=1)), ("P2W", timedelta(weeks=2)),
         ("PT1H30M", timedelta(minutes=90)), ("pt50m", timedelta(minutes=50)),
         ("P1DT12H", timedelta(hours=36)), ("-10m", -timedelta(minutes=10))]


@pytest.mark.parametrize("text, expected", VALID)
def test_durations_parse(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text, hint", [
    ("50", "write 50m or PT50M"), ("", "write 50m"), ("P", "write 50m"), ("PT", "write 50m"),
    ("P1M", "no fixed length"), ("P1Y", "no fixed length"), ("50 minutes", "write 50m"),
    ("30m1h", "write 50m"), ("1h1h", "write 50m"), ("fifty", "write 50m"),
])
def test_not_durations(text, hint):
    with pytest.raises(DurationError) as caught:
        parse_duration(text)
    assert caught.value.message == "this is not a duration"  # the text is never repeated
    assert hint in caught.value.hint


@given(st.timedeltas(timedelta(0), timedelta(days=9999)).map(
    lambda d: timedelta(seconds=int(d.total_seconds()))))
def test_format_duration_round_trips(value):
    assert parse_duration(format_duration(value)) == value


@pytest.mark.parametrize("value, message", [
    ('"0m"', 'this duration is zero'), ('"PT0S"', 'this duration is zero'),
    ('"-5m"', 'this duration is negative'),
])
def test_zero_and_negative_durations_are_problems(tmp_path, value, message):
    path, text = one_problem(tmp_path, session(duration=value))
    assert path == "sessions[0].duration" and text.startswith(message)


def test_keep_past_may_be_zero_and_breaks_may_be_off(tmp_path):
    settings = load(tmp_path, BASE + '[sync]\nkeep_past = "0m"\n'
                    "[breaks]\nafter_session = false\nmax_screen = false\n"
                    "[preparation]\nbefore = false\n")
    assert settings.sync.keep_past == timedelta(0)
    assert settings.breaks.after_session is None and settings.breaks.max_screen is None
    assert settings.preparation.before is None


def test_max_delete_share_range(tmp_path):
    assert "sync.max_delete_share" in problems(tmp_path, BASE + "[sync]\nmax_delete_share = 0\n")
    assert load(tmp_path, BASE + "[sync]\nmax_delete_share = 1\n").sync.max_delete_share == 1.0


# ---------------------------------------------------------------- sessions and their times


@pytest.mark.parametrize("repeat, rrule, name", [
    ('"once"', None, "once"), ('"weekly"', "FREQ=WEEKLY", "weekly"),
    ('"fortnightly"', "FREQ=WEEKLY;INTERVAL=2", "fortnightly"),
    ('"monthly"', "FREQ=MONTHLY", "monthly"),
    ('"RRULE:freq=weekly;byday=tu,th"', "FREQ=WEEKLY;BYDAY=TU,TH", "rrule"),
])
def test_repeat_becomes_an_rrule(tmp_path, repeat, rrule, name):
    rule = load(tmp_path, session(repeat=repeat)).sessions[0]
    assert (rule.when.rrule, rule.repeat) == (rrule, name)


def test_rrule_with_until_inside_is_a_problem(tmp_path):
    path, text = one_problem(tmp_path, session(repeat='"FREQ=WEEKLY;UNTIL=20270101T000000Z"'))
    assert path == "sessions[0].repeat" and "set the until key" in text


def test_until_before_start(tmp_path):
    path, text = one_problem(tmp_path, session(repeat='"weekly"', until="2026-11-30"))
    assert path == "sessions[0].until"
    assert text.startswith("2026-11-30 is before start 2026-12-01T10:00:00")


def test_until_and_count_together(tmp_path):
    path, text = one_problem(tmp_path, session(repeat='"weekly"', until="2027-01-01", count="3"))
    assert path == "sessions[0].count" and "keep one of them" in text


def test_count_must_be_positive_and_needs_a_repeat(tmp_path):
    assert "sessions[0].count" in problems(tmp_path, session(repeat='"weekly"', count="0"))
    path, text = one_problem(tmp_path, session(count="3"))
    assert path == "sessions[0].count" and "repeat is once" in text


def test_offset_datetime_is_a_problem(tmp_path):
    path, text = one_problem(tmp_path, session(start="2026-12-01T10:00:00+01:00"))
    assert path == "sessions[0].start" and text.endswith("write local time and set timezone")


def test_quoted_start_gets_an_unquoted_hint(tmp_path):
    path, text = one_problem(tmp_path, session(start='"2026-12-01 10:00"'))
    assert text.endswith("write 2026-12-01T10:00:00 (no quotes)")


@pytest.mark.parametrize("zone, hint", [
    ('"Europe/Londn"', 'did you mean "Europe/London"?'),
    ('"america/new_york"', 'did you mean "America/New_York"?'),
    ('"EST"', "a place such as America/New_York"), ('"Mars/Olympus"', "IANA zone"),
])
def test_invalid_zone(tmp_path, zone, hint):
    path, text = one_problem(tmp_path, session(timezone=zone))
    assert path == "sessions[0].timezone" and hint in text


@pytest.mark.parametrize("zone, start, message, hint", [
    ("Europe/London", "2027-03-28T01:30:00",
     "01:30 on 2027-03-28 does not exist in Europe/London (clocks go forward)",
     "choose 00:30 or 02:30"),
    ("Europe/London", "2027-10-31T01:30:00",
     "01:30 on 2027-10-31 happens twice in Europe/London (clocks go back)",
     "choose 00:30 or 02:30"),
    ("America/New_York", "2027-03-14T02:30:00",
     "02:30 on 2027-03-14 does not exist in America/New_York (clocks go forward)",
     "choose 01:30 or 03:30"),
    ("America/New_York", "2027-11-07T01:30:00",
     "01:30 on 2027-11-07 happens twice in America/New_York (clocks go back)",
     "choose 00:30 or 02:30"),
])
def test_gap_and_fold_first_start(tmp_path, zone, start, message, hint):
    path, text = one_problem(tmp_path, session(timezone=f'"{zone}"', start=start))
    assert (path, text) == ("sessions[0].start", f"{message}; {hint}")


def test_gap_follows_the_top_level_zone(tmp_path):
    text = session(start="2027-03-28T01:30:00").replace("Europe/London", "America/New_York")
    assert load(tmp_path, text).sessions[0].when.timezone == "America/New_York"


def test_skip_must_be_a_day_the_rule_produces(tmp_path):
    path, text = one_problem(tmp_path, session(repeat='"weekly"', skip="[2026-12-09]"))
    assert path == "sessions[0].skip"
    assert text == ("2026-12-09 is not a day this rule happens on; "
                    "did you mean 2026-12-08 or 2026-12-15?")


def test_skip_dates_are_dates(tmp_path):
    path, text = one_problem(tmp_path, session(repeat='"weekly"', skip='["2026-12-08"]'))
    assert path == "sessions[0].skip" and "without quotes" in text


def test_skip_cannot_remove_everything(tmp_path):
    path, text = one_problem(tmp_path, session(skip="[2026-12-01]"))
    assert "removes every occurrence" in text


def test_supervision_schedule(tmp_path):
    text = BASE + '[supervision]\nstart = 2026-12-04T14:00:00\nduration = "90m"\n' \
                  'repeat = "monthly"\nratio = 0.17\n'
    supervision = load(tmp_path, text).supervision
    assert supervision.when.rrule == "FREQ=MONTHLY" and supervision.ratio == 0.17
    assert "supervision.start" in problems(tmp_path, BASE + '[supervision]\nduration = "90m"\n')


def test_duplicate_sessions(tmp_path):
    text = session() + SESSION.replace("Amber Falcon", "amber  falcon")
    path, message = one_problem(tmp_path, text)
    assert path == "sessions[1]" and "sessions[0]" in message


def test_sessions_must_be_an_array_of_tables(tmp_path):
    path, text = one_problem(tmp_path, BASE + '[sessions]\nclient = "Amber Falcon"\n')
    assert path == "sessions" and "[[sessions]]" in text


# ---------------------------------------------------------------- privacy rules


@pytest.mark.parametrize("extra, path, hint", [
    ('password = "hunter2"\n', "password", "set password_file"),
    ('[store]\nkey = "c2VjcmV0"\n', "store.key", "set key_file"),
    ('[store]\nmaster_key = "c2VjcmV0"\n', "store.master_key", "set key_file"),
    ('[sync]\ntoken = "abc123"\n', "sync.token", "put it in a file"),
    ('[calendars.selfcare]\nurl = "https://cal.example.org/s/"\npassword = "hunter2"\n',
     "calendars.selfcare.password", "set password_file"),
])
def test_inline_secrets_are_refused_and_never_echoed(tmp_path, extra, path, hint):
    text = BASE.replace('[calendar]', extra + '[calendar]') if extra.startswith("password") \
        else BASE + extra
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    (problem,) = caught.value.problems
    assert problem.path == path
    assert problem.message == "secrets are not allowed in the config" and hint in problem.hint
    rendered = problem.render("c") + caught.value.message
    assert not any(secret in rendered for secret in ("hunter2", "c2VjcmV0", "abc123"))


def test_password_inside_the_url_is_refused(tmp_path):
    path, text = one_problem(tmp_path, BASE.replace("https://", "https://alex:hunter2@"))
    assert path == "calendar.url" and "secrets are not allowed" in text and "hunter2" not in text


def test_plain_http_only_on_loopback(tmp_path):
    plain = BASE.replace("https://cal.example.org", "http://cal.example.org")
    path, text = one_problem(tmp_path, plain)
    assert path == "calendar.url" and "https://" in text
    for host in ("127.0.0.1:5232", "localhost:5232", "[::1]:5232"):
        assert load(tmp_path, BASE.replace("https://cal.example.org", f"http://{host}"))


@pytest.mark.parametrize("title, ok", [
    ("{pseudonym}", True), ("Appointment: {pseudonym}", True), ("Busy", True),
    ("{name}", False), ("{pseudonym} {start}", False), ("{pseudonym", False),
    ("pseudonym}", False), ("{{pseudonym}}", False), ("{}", False),
    ("Therapy with {pseudonym}", False), ("{pseudonym} (client)", False),
    ("Counselling", False), ("Psychotherapy", False), ("Patient {pseudonym}", False),
    ("Therapist time", False), ("Counseling", False),
])
def test_session_title_rules(tmp_path, title, ok):
    text = BASE + f"[events]\nsession_title = {title!r}\n".replace("'", '"')
    if ok:
        assert load(tmp_path, text).events.session_title == title
    else:
        assert set(problems(tmp_path, text)) == {"events.session_title"}


@pytest.mark.parametrize("section, key", [
    ("breaks", "title"), ("breaks", "alarm"), ("preparation", "checklist"),
    ("supervision", "title"),
])
def test_other_online_texts_take_no_braces(tmp_path, section, key):
    text = BASE + f'[{section}]\n{key} = "Break {{pseudonym}}"\n'
    path, message = one_problem(tmp_path, text)
    assert path == f"{section}.{key}" and "not allowed" in message


def test_calendar_credentials_are_borrowed_only_by_the_same_server(tmp_path):
    same = BASE + '[calendars.selfcare]\nurl = "https://cal.example.org/dav/alex/selfcare/"\n'
    other = BASE + '[calendars.selfcare]\nurl = "https://elsewhere.example.net/selfcare/"\n'
    assert load(tmp_path, same).calendars["selfcare"].password_file == STATE / "caldav-password"
    assert load(tmp_path, other).calendars["selfcare"].password_file is None


def test_calendar_names(tmp_path):
    text = BASE + '[calendars.main]\nurl = "https://cal.example.org/x/"\n'
    assert set(problems(tmp_path, text)) == {"calendars.main"}


# ---------------------------------------------------------------- check_pseudonyms


def test_check_pseudonyms(tmp_path):
    text = session() + SESSION.replace("Amber Falcon", "Amber Falcn").replace("10:00", "11:00") \
        + SESSION.replace("Amber Falcon", "  quiet   HERON ").replace("10:00", "12:00")
    settings = load(tmp_path, text)
    found = check_pseudonyms(settings, {"Amber Falcon", "Quiet Heron"})
    assert [p.render("c") for p in found] == [
        'c: sessions[1].client: no client has this pseudonym; '
        'did you mean "Amber Falcon"? run pseudocal client list']
    assert [p.path for p in check_pseudonyms(settings, set())] == [
        "sessions[0].client", "sessions[1].client", "sessions[2].client"]
    assert pseudonym_key(" Quiet  HERON") == "quiet heron"


# ---------------------------------------------------------------- paths


def test_relative_paths_resolve_in_the_state_directory(tmp_path):
    settings = load(tmp_path, BASE)
    assert settings.store.path == STATE / "store.db"
    assert settings.store.key_file == STATE / "store-key"
    assert settings.calendar.password_file == STATE / "caldav-password"


def test_credentials_directory_holds_key_and_password(tmp_path):
    env = {"STATE_DIRECTORY": "/var/lib/pseudocal:/var/lib/other",
           "CREDENTIALS_DIRECTORY": "/run/credentials/pseudocal.service"}
    settings = load(tmp_path, BASE, env)
    creds = Path("/run/credentials/pseudocal.service")
    assert settings.store.path == Path("/var/lib/pseudocal/store.db")
    assert settings.store.key_file == creds / "store-key"
    assert settings.calendar.password_file == creds / "caldav-password"


def test_absolute_and_home_paths_stay(tmp_path):
    text = BASE.replace('"caldav-password"', '"~/secrets/pw"') + \
        '[store]\npath = "/srv/store.db"\nkey_file = "/srv/key"\n'
    settings = load(tmp_path, text, {"HOME": "/home/alex", "CREDENTIALS_DIRECTORY": "/run/c"})
    assert settings.calendar.password_file == Path("/home/alex/secrets/pw")
    assert settings.store.path == Path("/srv/store.db")
    assert settings.store.key_file == Path("/srv/key")


@pytest.mark.parametrize("env, expected", [
    ({"STATE_DIRECTORY": "/var/lib/pseudocal", "PSEUDOCAL_STATE_DIR": "/x"}, "/var/lib/pseudocal"),
    ({"PSEUDOCAL_STATE_DIR": "/srv/pc", "XDG_STATE_HOME": "/xdg"}, "/srv/pc"),
    ({"XDG_STATE_HOME": "/xdg", "HOME": "/home/a"}, "/xdg/pseudocal"),
    ({"XDG_STATE_HOME": "relative", "HOME": "/home/a"}, "/home/a/.local/state/pseudocal"),
    ({"HOME": "/home/a"}, "/home/a/.local/state/pseudocal"),
])
def test_state_dir(env, expected):
    assert state_dir(env) == Path(expected)


def test_default_config_path(tmp_path):
    assert default_config_path({"PSEUDOCAL_CONFIG": "/etc/x.toml"}) == Path("/etc/x.toml")
    xdg = tmp_path / "xdg"
    (xdg / "pseudocal").mkdir(parents=True)
    (xdg / "pseudocal" / "config.toml").write_text("")
    assert default_config_path({"XDG_CONFIG_HOME": str(xdg)}) == xdg / "pseudocal/config.toml"
    home = tmp_path / "home"
    expected = {home / ".config/pseudocal/config.toml", Path("/etc/pseudocal/config.toml")}
    assert default_config_path({"HOME": str(home)}) in expected
