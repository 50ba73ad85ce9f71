"""pseudocal's own generated words never block its own objects: a client named after a
month (or "May", "Will") still gets the "Book supervision" reminders that spell that
month, through the real build, privacy check and engine (issue 7, B1: the generated span
": 1h booked for January 2027, ..." starts with ':' after a word and was not cut out, so
the month was checked as data and every sync failed). Synthetic names only."""
from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from icalendar import Calendar

from pseudocal.config import loader
from pseudocal.crypto import generate_key
from pseudocal.identity import privacy
from pseudocal.models import ClientIdentity, Recurrence, SessionRule
from pseudocal.remote.memory import MemoryRemote
from pseudocal.store import Store
from pseudocal.sync import engine

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
# first names that are pseudocal's own words, each with the month it is about (the
# reminder for that month spells it); "Will" is in no reminder, a control of sorts
NAMED = [(f"{m} Quillfeather", i + 1) for i, m in enumerate(MONTHS)] + [
    ("May Rose", 5), ("Will Brackenbury", 3), ("August Tester", 8), ("June Smith", 6),
    ("April Example", 4), ("Quillfeather January", 1)]
CONFIG = """timezone = "Europe/London"
[calendar]
url = "http://127.0.0.1:9/practitioner/practice/"
[sync]
{horizon}keep_past = "30d"
[supervision]
minimum_per_month = "1.5h"
"""


def _now(month: int) -> datetime:
    """The 15th of the month before: the named month is inside any horizon of 12w+."""
    first = date(2027, month, 1)
    before = (first - timedelta(days=1)).replace(day=15)
    return datetime(before.year, before.month, before.day, 9, 0, tzinfo=timezone.utc)


def _descriptions(remote: MemoryRemote) -> list[str]:
    return [str(alarm["DESCRIPTION"]) for data in remote.objects.values()
            for alarm in Calendar.from_ical(data).walk("VALARM") if "DESCRIPTION" in alarm]


@pytest.mark.parametrize("horizon", ["", 'horizon = "26w"\n'], ids=["12w", "26w"])
@pytest.mark.parametrize("name, month", NAMED, ids=[n for n, _ in NAMED])
def test_a_client_named_like_a_month_gets_its_reminders_published(tmp_path: Path, name, month,
                                                                  horizon):
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(horizon=horizon), encoding="utf-8")
    settings = loader.load_settings(path, env={"PSEUDOCAL_STATE_DIR": str(tmp_path)})
    store = Store.create(tmp_path / "store.db", generate_key())
    try:
        client = store.add_client(ClientIdentity(name))
        now = _now(month)
        start = datetime(now.year, now.month, 1, 10, 0) - timedelta(days=14)
        rule = SessionRule(0, client.pseudonym, Recurrence(
            start, timedelta(minutes=50), "Europe/London", "FREQ=WEEKLY"), "weekly")
        settings = dataclasses.replace(settings, sessions=(rule,))
        remote = MemoryRemote()
        first = engine.recorded_sync(settings, store, {"main": remote}, now=now)
        assert first.failed == [] and first.created >= 3  # the session and 2+ reminders
        said = _descriptions(remote)
        spelled = f"{MONTHS[month - 1]} {2027}"
        assert any(spelled in d for d in said), said  # the month the client is named after
        assert store.last_runs(1)[0]["result"] == "ok"
        # the attacker's second repro: a session moved an hour is updated, not refused
        moved = dataclasses.replace(rule, when=dataclasses.replace(
            rule.when, start=rule.when.start + timedelta(hours=1)))
        again = engine.recorded_sync(dataclasses.replace(settings, sessions=(moved,)), store,
                                     {"main": remote}, now=now + timedelta(hours=1))
        assert again.failed == [] and again.updated >= 1
    finally:
        store.close()


@pytest.mark.parametrize("span", [": 1h booked for May 2027, 3h needed",
                                  ", May 2027", "(May 2027)", " May 2027:", "- May -"])
def test_an_own_span_is_cut_out_however_it_is_punctuated(span):
    ids = privacy.Identities.of([ClientIdentity("May Rose")])
    assert ids.find(f"Book supervision{span}", own=(span,)) is None
    assert ids.find(f"Book supervision{span} and call May", own=(span,))  # data after it
    assert ids.find(f"Book supervision{span}")  # not own: checked as data


def test_an_own_span_inside_a_word_is_not_cut_out():
    """A span that is a word must still stand whole: 'Mayrose' holds no own 'May'."""
    ids = privacy.Identities.of([ClientIdentity("May Rose")])
    assert ids.find("Book Mayrose", own=("May",))
    assert ids.find("Book supervision:xMay 2027", own=(":xMay",)) is None
    assert ids.find("Book supervisionMay 2027", own=("May 2027",))


PHRASE_NAMES = ["Screen Break", "Smart Speakers", "Other Programmes", "Backup Contact"]
PHRASE_CONFIG = """timezone = "Europe/London"
[calendar]
url = "http://127.0.0.1:9/practitioner/practice/"
[breaks]
after_session = "10m"
[preparation]
before = "15m"
"""


@pytest.mark.parametrize("name", PHRASE_NAMES)
def test_a_client_whose_full_name_is_one_of_pseudocals_own_phrases_blocks_nothing(
        tmp_path: Path, name):
    """The second attacker's N3: the whole-name scan over the raw object did not cut out
    pseudocal's own break title and checklist, so a client called "Screen Break" blocked
    every sync. The same name written by the practitioner is still refused (the control)."""
    path = tmp_path / "config.toml"
    path.write_text(PHRASE_CONFIG, encoding="utf-8")
    settings = loader.load_settings(path, env={"PSEUDOCAL_STATE_DIR": str(tmp_path)})
    store = Store.create(tmp_path / "store.db", generate_key())
    try:
        client = store.add_client(ClientIdentity(name))
        now = datetime(2027, 2, 1, 9, 0, tzinfo=timezone.utc)
        rule = SessionRule(0, client.pseudonym, Recurrence(
            datetime(2027, 2, 3, 10, 0), timedelta(minutes=50), "Europe/London",
            "FREQ=WEEKLY"), "weekly")
        settings = dataclasses.replace(settings, sessions=(rule,))
        remote = MemoryRemote()
        done = engine.recorded_sync(settings, store, {"main": remote}, now=now)
        assert done.failed == [] and done.created >= 2, done  # the session and its break
        texts = " ".join(_descriptions(remote)) + " ".join(
            str(ev["SUMMARY"]) for data in remote.objects.values()
            for ev in Calendar.from_ical(data).walk("VEVENT"))
        assert "Screen break" in texts and "smart speakers off" in texts
        ids = privacy.Identities.of([ClientIdentity(name)])
        assert ids.find(f"Call {name} back")  # the practitioner's own text naming them
    finally:
        store.close()
