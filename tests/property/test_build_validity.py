"""`Desired.valid_until` is sound: a build at any instant from `now` up to it gives the same
objects (but for DTSTAMP) and the same retired UIDs as the build at `now`, so the engine
may reuse it (a sync with nothing to do then builds nothing). Practices are generated
through the real config reader: sessions weekly, fortnightly and once, in zones with clock
changes (30 minutes on Lord Howe, at midnight in Nuuk), supervision monthly or none, and
keep_past and horizon of several lengths; `now` falls around the autumn and spring changes
and month ends. Synthetic pseudonyms only."""
from __future__ import annotations

import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from pseudocal.config import loader
from pseudocal.errors import ConfigError
from pseudocal.identity.pseudonyms import normalise
from pseudocal.sync import desired

KEY = b"v" * 32
ZONES = ["Europe/London", "America/New_York", "Australia/Lord_Howe", "America/Nuuk",
         "Asia/Kolkata"]
PSEUDONYMS = ["Amber Kestrel", "Silent Otter", "Copper Fern", "Quiet Heron"]
CLIENTS = {normalise(p): (f"c{i}", p) for i, p in enumerate(PSEUDONYMS)}
# around the changes of 2026-27 in those zones, and month ends
NOW_BASES = [datetime(2026, 10, 24, 20, 0), datetime(2026, 10, 31, 22, 30),
             datetime(2026, 11, 30, 23, 0), datetime(2027, 3, 27, 22, 0),
             datetime(2027, 4, 3, 14, 0), datetime(2026, 12, 31, 8, 55)]

session = st.fixed_dictionaries({
    "client": st.sampled_from(PSEUDONYMS),
    "days": st.integers(-60, 60), "hour": st.sampled_from([0, 8, 9, 17, 23]),
    "minute": st.sampled_from([0, 30]), "duration": st.sampled_from(["50m", "90m"]),
    "repeat": st.sampled_from(["weekly", "fortnightly", "once"]),
    "zone": st.sampled_from(ZONES)})


def _config(sessions: list[dict], zone: str, keep: str, ahead: str, supervision: bool,
            base: datetime) -> str:
    lines = [f'timezone = "{zone}"\n[calendar]\nurl = "http://127.0.0.1:9/p/c/"\n'
             f'[sync]\nkeep_past = "{keep}"\nhorizon = "{ahead}"\n[breaks]\n']
    if supervision:
        lines.append(f'[supervision]\nstart = {(base - timedelta(days=20)):%Y-%m-%dT14:00:00}'
                     '\nduration = "90m"\nrepeat = "monthly"\n')
    for s in sessions:
        start = (base + timedelta(days=s["days"])).replace(hour=s["hour"], minute=s["minute"])
        lines.append(f'[[sessions]]\nclient = "{s["client"]}"\nstart = {start:%Y-%m-%dT%H:%M:%S}\n'
                     f'duration = "{s["duration"]}"\nrepeat = "{s["repeat"]}"\n'
                     f'timezone = "{s["zone"]}"\n')
    return "\n".join(lines)


def _outcome(want: desired.Desired) -> tuple:
    return ({uid: (o.calendar, o.content_hash) for uid, o in want.objects.items()},
            frozenset(want.retired))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sessions=st.lists(session, min_size=1, max_size=5), zone=st.sampled_from(ZONES),
       keep=st.sampled_from(["0m", "1d", "7d", "30d"]), ahead=st.sampled_from(["2w", "12w"]),
       supervision=st.booleans(), base=st.sampled_from(NOW_BASES),
       offset=st.integers(0, 24 * 60), fractions=st.lists(st.floats(0, 1), max_size=4))
def test_a_build_holds_until_valid_until(sessions, zone, keep, ahead, supervision, base,
                                         offset, fractions):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.toml"
        path.write_text(_config(sessions, zone, keep, ahead, supervision, base))
        try:
            conf = loader.load_settings(path, env={"PSEUDOCAL_STATE_DIR": tmp})
        except ConfigError:  # two sessions of one client at one time: not a practice
            assume(False)
    now = (base + timedelta(minutes=offset)).replace(tzinfo=timezone.utc)
    first = desired.build(conf, CLIENTS, KEY, now)
    until = first.valid_until
    assert until is not None and until >= now
    assert until <= now + timedelta(days=1)
    span = until - now
    # as the engine passes it: in UTC (render reads the date of `now` in its own zone)
    probes = [now + span * f for f in fractions] + [until - timedelta(seconds=1)]
    for probe in (p for p in probes if now <= p < until):
        assert _outcome(desired.build(conf, CLIENTS, KEY, probe)) == _outcome(first), \
            (now, probe, until)


def test_valid_until_comes_no_later_than_a_past_session_leaves():
    """Not just any bound: with keep_past 1 day, a one-off session of 10:00-10:50 leaves
    the calendar just after 10:50 the next day; valid_until is after `now` (the build is
    reused) and no later than that (10:00, its start plus keep_past, is a crossing too)."""
    base = datetime(2026, 12, 2, 8, 0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.toml"
        path.write_text(_config([{"client": "Amber Kestrel", "days": 0, "hour": 10,
                                  "minute": 0, "duration": "50m", "repeat": "once",
                                  "zone": "UTC"}], "UTC", "1d", "2w", False, base))
        conf = loader.load_settings(path, env={"PSEUDOCAL_STATE_DIR": tmp})
    now = datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)
    first = desired.build(conf, CLIENTS, KEY, now)
    leaves = datetime(2026, 12, 3, 10, 50, tzinfo=timezone.utc)
    assert first.valid_until is not None and now < first.valid_until <= leaves
    again = desired.build(conf, CLIENTS, KEY, first.valid_until)
    assert again.valid_until is not None and again.valid_until <= leaves
    assert _outcome(desired.build(conf, CLIENTS, KEY, leaves - timedelta(seconds=1))) == \
        _outcome(first)
    assert _outcome(desired.build(conf, CLIENTS, KEY, leaves + timedelta(seconds=1))) != \
        _outcome(first)
