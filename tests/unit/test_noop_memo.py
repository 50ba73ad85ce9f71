"""A sync with nothing to do reuses the last build's renders and privacy checks, and gives
exactly what building afresh gives: the same bytes (DTSTAMP of this sync included), the same
privacy refusals."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from pseudocal.crypto import generate_key, make_uid
from pseudocal.errors import PrivacyViolation
from pseudocal.events.render import EventSpec, render
from pseudocal.identity import privacy
from pseudocal.models import ClientIdentity, Recurrence
from pseudocal.sync import desired, engine

TAG = generate_key()
# a series across a clock change: overrides, so several DTSTAMPs in one object
SPEC = EventSpec(uid=make_uid(TAG, "session:c1:0"), summary="Arctic Parrot",
                 when=Recurrence(datetime(2026, 3, 2, 0, 30), timedelta(hours=2),
                                 "Europe/London", "FREQ=DAILY;COUNT=60"),
                 alarms=((timedelta(minutes=15), "Prepare the space"),))


def fresh(spec: EventSpec, now: datetime) -> bytes:
    return render(spec, now=now)


def test_a_spec_unchanged_since_the_last_build_is_restamped_byte_for_byte(monkeypatch):
    monkeypatch.setattr(desired, "_last_renders", {})
    first, later = (datetime(2026, 3, 1, 9, 0, 1, tzinfo=timezone.utc),
                    datetime(2026, 3, 1, 17, 42, 7, 123456, tzinfo=timezone.utc))
    renders: desired._Renders = {}
    made = desired.to_object(SPEC, "session", "main", "x", first, renders=renders)
    assert made.ical == fresh(SPEC, first) and made.ical.count(b"DTSTAMP:") > 1
    monkeypatch.setattr(desired, "_last_renders", renders)
    again = desired.to_object(SPEC, "session", "main", "x", later, renders={})
    assert again.ical == fresh(SPEC, later)
    assert again.content_hash == made.content_hash


def test_a_new_day_or_a_changed_spec_is_rendered_again(monkeypatch):
    now = datetime(2026, 3, 1, 23, 59, 59, tzinfo=timezone.utc)
    renders: desired._Renders = {}
    desired.to_object(SPEC, "session", "main", "x", now, renders=renders)
    monkeypatch.setattr(desired, "_last_renders", renders)
    tomorrow = now + timedelta(seconds=2)
    assert desired.to_object(SPEC, "session", "main", "x", tomorrow).ical == fresh(SPEC, tomorrow)
    moved = replace(SPEC, summary="Gilded Giraffe")
    assert desired.to_object(moved, "session", "main", "x", now).ical == fresh(moved, now)


def test_an_object_that_passed_is_refused_once_a_client_it_names_is_added(monkeypatch):
    monkeypatch.setattr(engine, "_passed", set())
    now = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
    want = desired.Desired()
    want.add(desired.to_object(SPEC, "session", "main", "x", now))
    nobody = privacy.Identities.of([ClientIdentity("Jane Roe")])
    engine._check_objects(want, nobody, TAG)
    engine._check_objects(want, nobody, TAG)  # from memory: passes again
    named = privacy.Identities.of([ClientIdentity("Jane Roe"), ClientIdentity("Arctic Parrot")])
    with pytest.raises(PrivacyViolation):
        engine._check_objects(want, named, TAG)
    with pytest.raises(PrivacyViolation):
        engine._check_objects(want, named, TAG)  # a refusal is never remembered as a pass
