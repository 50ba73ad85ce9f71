"""Event rendering and the privacy allow-list (the last line of defence)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from pseudocal.crypto import make_uid
from pseudocal.errors import PrivacyViolation
from pseudocal.events.render import EventSpec, content_hash, render
from pseudocal.identity import privacy
from pseudocal.models import ClientIdentity, Recurrence

KEY = b"k" * 32
NOW = datetime(2026, 11, 29, 9, 0, tzinfo=timezone.utc)
IDS = privacy.Identities.of({
    "c1": ClientIdentity("Zoë Brightwater", email="zoe.b@example.org", phone="+44 7700 900321"),
    "c2": ClientIdentity("Iwan O'Neill-Price"),
})


def spec(summary="Amber Falcon", rrule="FREQ=WEEKLY", tz="America/New_York", **kw) -> EventSpec:
    when = Recurrence(start=datetime(2026, 12, 1, 10, 0), duration=timedelta(minutes=50),
                      timezone=tz, rrule=rrule, **kw)
    return EventSpec(uid=make_uid(KEY, "session:x:1"), summary=summary, when=when,
                     alarms=((timedelta(minutes=15), "Prepare the space"),))


def test_a_weekly_session_is_one_recurring_object_with_timezone():
    ical = render(spec(until=date(2027, 6, 30), skip=(date(2026, 12, 22),)), now=NOW)
    cal = Calendar.from_ical(ical)
    [event] = cal.walk("VEVENT")
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["America/New_York"]
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert event["RRULE"].to_ical().startswith(b"FREQ=WEEKLY;UNTIL=2027")
    assert event["EXDATE"].to_ical() == b"20261222T100000"
    assert str(event["SUMMARY"]) == "Amber Falcon"
    [alarm] = event.walk("VALARM")
    assert alarm["TRIGGER"].dt == -timedelta(minutes=15)
    privacy.check(ical, IDS, KEY, "test")


def test_published_rule_expands_like_the_config_says():
    ical = render(spec(until=date(2027, 1, 31), skip=(date(2026, 12, 22),)), now=NOW)
    event = Calendar.from_ical(ical).walk("VEVENT")[0]
    rule = rrulestr(event["RRULE"].to_ical().decode(), dtstart=event["DTSTART"].dt)
    starts = [d for d in rule if d not in {x.dt for x in event["EXDATE"].dts}]
    assert starts[0] == datetime(2026, 12, 1, 10, tzinfo=ZoneInfo("America/New_York"))
    assert datetime(2026, 12, 22, 10, tzinfo=ZoneInfo("America/New_York")) not in starts
    assert len(starts) == 9 - 1


def test_content_hash_ignores_dtstamp_but_not_content():
    a, b = render(spec(), now=NOW), render(spec(), now=NOW + timedelta(hours=1))
    assert a != b and content_hash(a) == content_hash(b)
    assert content_hash(render(spec(summary="Quiet Heron"), now=NOW)) != content_hash(a)


def test_once_event_has_no_rrule_and_utc_free_times():
    ical = render(spec(rrule=None, tz="Europe/London"), now=NOW)
    event = Calendar.from_ical(ical).walk("VEVENT")[0]
    assert "RRULE" not in event and event["DTSTART"].params["TZID"] == "Europe/London"


# ---------------------------------------------------------------- allow-list rejects


def tamper(ical: bytes, before: bytes, after: bytes) -> bytes:
    assert before in ical
    return ical.replace(before, after, 1)


BASE = render(spec(), now=NOW)


@pytest.mark.parametrize("line", [
    b"DESCRIPTION:notes", b"LOCATION:Room 4", b"URL:https://meet.example/abc",
    b"ATTENDEE:mailto:a@example.org", b"ORGANIZER:mailto:me@example.org",
    b"CATEGORIES:Work", b"X-CLIENT:someone", b"CONTACT:phone",
])
def test_properties_outside_the_list_are_rejected(line):
    bad = tamper(BASE, b"SUMMARY:", line + b"\r\nSUMMARY:")
    with pytest.raises(PrivacyViolation) as info:
        privacy.check(bad, IDS, KEY, "session X")
    assert "session X" in str(info.value) and "nothing was sent" in str(info.value)


def test_audio_or_email_alarms_are_rejected():
    with pytest.raises(PrivacyViolation, match="DISPLAY"):
        privacy.check(tamper(BASE, b"ACTION:DISPLAY", b"ACTION:AUDIO"), IDS, KEY)


def test_foreign_or_unsafe_uid_is_rejected():
    uid = make_uid(KEY, "session:x:1").encode()
    with pytest.raises(PrivacyViolation, match="ownership"):
        privacy.check(tamper(BASE, uid, make_uid(b"z" * 32, "session:x:1").encode()), IDS, KEY)
    with pytest.raises(PrivacyViolation, match="unsafe"):
        privacy.check(tamper(BASE, uid, b"abc@host.example.org"), IDS, KEY)


def test_tzid_without_vtimezone_and_floating_time_are_rejected():
    no_tz = Calendar.from_ical(BASE)
    no_tz.subcomponents = [c for c in no_tz.subcomponents if c.name != "VTIMEZONE"]
    with pytest.raises(PrivacyViolation, match="VTIMEZONE"):
        privacy.check(no_tz.to_ical(), IDS, KEY)
    floating = tamper(BASE, b"DTSTART;TZID=America/New_York:", b"DTSTART:")
    with pytest.raises(PrivacyViolation, match="floating"):
        privacy.check(floating, IDS, KEY)


@pytest.mark.parametrize("summary", [
    "Zoë Brightwater", "ZOË BRIGHTWATER", "zoe brightwater", "Zoe\u0308 Brightwater",
    "call zoe.b@example.org", "ZOE.B@EXAMPLE.ORG", "ring 07700 900321 +44 7700 900321",
    "Iwan O'Neill-Price", "iwan o'neill-price",
])
def test_identities_in_any_case_or_normal_form_are_rejected(summary):
    with pytest.raises(PrivacyViolation) as info:
        privacy.check(render(spec(summary=summary), now=NOW), IDS, KEY, "session Y")
    assert "brightwater" not in str(info.value).casefold()


@pytest.mark.parametrize("summary", ["Brightwater", "Neill", "Iwan", "Price", "ONeill"])
def test_name_parts_of_any_client_are_rejected_in_every_object(summary):
    ical = render(spec(summary=summary), now=NOW)
    with pytest.raises(PrivacyViolation, match="SUMMARY holds a client's identity"):
        privacy.check(ical, IDS, KEY, "s")


@pytest.mark.parametrize("summary", ["Therapy", "counselling", "Psychotherapy hour",
                                     "Client 4", "patient"])
def test_titles_that_say_what_it_is_are_rejected(summary):
    with pytest.raises(PrivacyViolation, match="what the events are about"):
        privacy.check(render(spec(summary=summary), now=NOW), IDS, KEY)


def test_short_names_do_not_match_inside_other_words():
    ids = privacy.Identities.of([ClientIdentity("Al")])
    privacy.check(BASE, ids, KEY)  # CALSCALE, VALARM contain "al" but not the word


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["Amber Falcon", "Quiet Heron", "Silver Maple"]),
       st.sampled_from(["Europe/London", "America/New_York", "Australia/Sydney", "Asia/Tokyo"]),
       st.sampled_from([None, "FREQ=WEEKLY", "FREQ=WEEKLY;INTERVAL=2", "FREQ=MONTHLY",
                        "FREQ=WEEKLY;BYDAY=TU,TH"]),
       st.integers(min_value=0, max_value=400))
def test_every_rendered_object_passes_the_allow_list(pseudonym, tz, rule, offset):
    start = datetime(2026, 12, 1, 10, 0) + timedelta(days=offset)
    if rule and "BYDAY" in rule:
        start = datetime(2026, 12, 1, 10, 0)  # a Tuesday
    when = Recurrence(start=start, duration=timedelta(minutes=50), timezone=tz, rrule=rule)
    s = EventSpec(uid=make_uid(KEY, f"k{offset}"), summary=pseudonym, when=when,
                  alarms=((timedelta(minutes=15), "Prepare the space"),))
    privacy.check(render(s, now=NOW), IDS, KEY)


def test_a_surname_that_is_a_word_of_pseudocals_own_checklist_does_not_block_it():
    from pseudocal.models import DEFAULT_CHECKLIST
    ids = privacy.Identities.of({"c9": ClientIdentity("Morgan Smart")})
    s = spec(summary="Quiet Heron")
    s = EventSpec(uid=s.uid, summary=s.summary, when=s.when,
                  alarms=((timedelta(minutes=15), DEFAULT_CHECKLIST),))
    assert "smart" in DEFAULT_CHECKLIST
    privacy.check(render(s, now=NOW), ids, KEY, "s")
    with pytest.raises(PrivacyViolation):
        privacy.check(render(spec(summary="Smart Heron"), now=NOW), ids, KEY, "s")
    # the practitioner's own wording with the same word is checked whole
    s = EventSpec(uid=s.uid, summary=s.summary, when=s.when,
                  alarms=((timedelta(minutes=15), "Smart speakers off, please"),))
    with pytest.raises(PrivacyViolation, match="DESCRIPTION holds a client's identity"):
        privacy.check(render(s, now=NOW), ids, KEY, "s")


# ---------------------------------------------------------------- VTIMEZONE and clock changes

from pseudocal.events import vtimezone  # noqa: E402
from pseudocal.events.render import anchored  # noqa: E402
from pseudocal.schedule import recurrence  # noqa: E402

UTC = timezone.utc
LONDON = "Europe/London"


def _brute_force_changes(zone: str, start: datetime, end: datetime) -> list[datetime]:
    """Every minute at which the zone's offset changes, by stepping a quarter hour."""
    tz, found, t = ZoneInfo(zone), [], start
    while t < end:
        if t.astimezone(tz).utcoffset() != (t + timedelta(minutes=15)).astimezone(tz).utcoffset():
            u = t
            while u.astimezone(tz).utcoffset() == t.astimezone(tz).utcoffset():
                u += timedelta(minutes=1)
            found.append(u)
        t += timedelta(minutes=15)
    return found


@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York", "Australia/Lord_Howe",
                                  "Europe/Dublin", "America/Santiago", "Africa/Casablanca",
                                  "Asia/Tokyo"])
def test_transitions_are_zoneinfos_own(zone):
    start, end = datetime(2026, 6, 1, tzinfo=UTC), datetime(2028, 6, 1, tzinfo=UTC)
    found = vtimezone.transitions(zone, start, end)
    assert [t.at for t in found] == _brute_force_changes(zone, start, end)
    tz = ZoneInfo(zone)
    for t in found:
        assert t.before == (t.at - timedelta(seconds=1)).astimezone(tz).utcoffset()
        assert t.after == t.at.astimezone(tz).utcoffset()


def _observances(ical: bytes) -> list:
    [vtz] = Calendar.from_ical(ical).walk("VTIMEZONE")
    return vtz.subcomponents


def test_onsets_are_local_time_before_the_change_one_rdate_each():
    ical = render(spec(tz=LONDON), now=NOW)  # open-ended: 4 years ahead, then the rule
    found = _observances(ical)
    explicit = [o for o in found if "RRULE" not in o]
    assert ical.count(b"RDATE") == len(explicit) and b"RDATE:2028" in ical and b"," not in \
        b"".join(ln for ln in ical.splitlines() if ln.startswith(b"RDATE"))
    for obs in explicit:
        assert obs["RDATE"].dts[0].dt == obs["DTSTART"].dt  # the onset, in both places
    daylight = [o["DTSTART"].dt for o in explicit if o.name == "DAYLIGHT"]
    standard = [o["DTSTART"].dt for o in explicit if o.name == "STANDARD"][1:]
    assert datetime(2027, 3, 28, 1, 0) in daylight  # 01:00 GMT: TZOFFSETFROM +0000
    assert datetime(2027, 10, 31, 2, 0) in standard  # 02:00 BST: TZOFFSETFROM +0100
    assert len(daylight) == 3 and max(daylight).year == 2029  # to 1 January 2030
    # then the yearly rule, from the first onsets after the explicit part, in the same form
    assert [(o.name, o["DTSTART"].dt, o["RRULE"].to_ical()) for o in found[len(explicit):]] \
        == [("DAYLIGHT", datetime(2030, 3, 31, 1, 0), b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3"),
            ("STANDARD", datetime(2030, 10, 27, 2, 0), b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10")]
    assert b"COMMENT" not in ical


def test_lord_howe_half_hour_and_dublin_negative_dst():
    lord_howe = _observances(render(spec(tz="Australia/Lord_Howe"), now=NOW))
    offsets = {(o["TZOFFSETFROM"].td, o["TZOFFSETTO"].td) for o in lord_howe[1:]}
    assert offsets == {(timedelta(hours=11), timedelta(hours=10, minutes=30)),
                       (timedelta(hours=10, minutes=30), timedelta(hours=11))}
    dublin = _observances(render(spec(tz="Europe/Dublin"), now=NOW))
    assert {str(o["TZNAME"]) for o in dublin} == {"GMT", "IST"}
    tokyo = _observances(render(spec(tz="Asia/Tokyo"), now=NOW))
    assert len(tokyo) == 1 and tokyo[0]["TZOFFSETTO"].td == timedelta(hours=9)


def _events(ical: bytes) -> list:
    return Calendar.from_ical(ical).walk("VEVENT")


def _weekly(start: datetime, minutes: int = 50, **kw) -> EventSpec:
    when = Recurrence(start, timedelta(minutes=minutes), LONDON, "FREQ=WEEKLY", **kw)
    return EventSpec(uid=make_uid(KEY, "session:x:1"), summary="Amber Falcon", when=when,
                     alarms=((timedelta(minutes=15), "Prepare the space"),))


def test_gap_and_fold_occurrences_are_overrides_with_unambiguous_times():
    ical = render(_weekly(datetime(2027, 3, 21, 1, 30), until=date(2027, 11, 7)), now=NOW)
    master, gap, fold = _events(ical)
    assert "RECURRENCE-ID" not in master
    assert gap["RECURRENCE-ID"].dt == datetime(2027, 3, 28, 1, 30, tzinfo=ZoneInfo(LONDON))
    assert gap["DTSTART"].dt == datetime(2027, 3, 28, 2, 30, tzinfo=ZoneInfo(LONDON))
    assert gap["DTEND"].dt == datetime(2027, 3, 28, 3, 20, tzinfo=ZoneInfo(LONDON))
    # 01:30 on 31 October happens twice: the earlier, in UTC, and 50 minutes long
    assert fold["RECURRENCE-ID"].to_ical() == b"20271031T013000"
    assert fold["DTSTART"].to_ical() == b"20271031T003000Z"
    assert fold["DTEND"].to_ical() == b"20271031T012000Z"
    assert [a["DESCRIPTION"] for a in fold.walk("VALARM")] == ["Prepare the space"]
    privacy.check(ical, IDS, KEY, "test")


def test_an_occurrence_spanning_a_change_is_an_override():
    ical = render(_weekly(datetime(2027, 3, 21, 0, 40), count=3), now=NOW)  # 00:40-01:30 GMT
    master, span = _events(ical)
    assert span["RECURRENCE-ID"].to_ical() == b"20270328T004000"
    assert span["DTSTART"].dt.astimezone(UTC) == datetime(2027, 3, 28, 0, 40, tzinfo=UTC)
    assert span["DTEND"].dt.astimezone(UTC) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert len(_events(render(_weekly(datetime(2027, 3, 21, 10, 0), count=3), now=NOW))) == 1


def test_a_series_starting_on_an_irregular_day_is_anchored_on_a_plain_one():
    s = _weekly(datetime(2027, 3, 28, 1, 30), count=3)  # a trimmed series: first in the gap
    assert anchored(s.when).start == datetime(2027, 3, 21, 1, 30)
    master, gap = _events(render(s, now=NOW))
    assert master["DTSTART"].to_ical() == b"20270321T013000"
    assert master["EXDATE"].to_ical() == b"20270321T013000"
    assert master["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=4"
    assert gap["RECURRENCE-ID"].to_ical() == b"20270328T013000"


def test_a_single_event_with_an_ambiguous_end_is_written_in_utc():
    when = Recurrence(datetime(2027, 10, 31, 0, 40), timedelta(minutes=50), LONDON)
    [event] = _events(render(EventSpec(make_uid(KEY, "x:2"), "Amber Falcon", when), now=NOW))
    assert event["DTSTART"].to_ical() == b"20271030T234000Z"
    assert event["DTEND"].to_ical() == b"20271031T003000Z"  # 01:30 BST, not 01:30 GMT


def test_skips_and_until_on_irregular_days_use_the_rules_own_time():
    ical = render(_weekly(datetime(2027, 3, 21, 1, 30), until=date(2027, 10, 31),
                          skip=(date(2027, 3, 28),)), now=NOW)
    master, fold = _events(ical)
    assert master["EXDATE"].to_ical() == b"20270328T013000"  # not the shifted 02:30
    # the last one is 01:30 on 31 October, which also happens an hour later: UNTIL keeps both
    assert master["RRULE"].to_ical().endswith(b"UNTIL=20271031T013000Z")
    assert fold["RECURRENCE-ID"].to_ical() == b"20271031T013000"


def test_plain_objects_do_not_change_between_renders():
    plain = spec(tz=LONDON)
    first = render(plain, now=NOW)
    assert len(_events(first)) == 1 and b"RECURRENCE-ID" not in first
    assert content_hash(first) == content_hash(render(plain, now=NOW + timedelta(days=20)))
    gap = _weekly(datetime(2027, 3, 21, 1, 30))
    assert content_hash(render(gap, now=NOW)) == content_hash(
        render(gap, now=NOW + timedelta(days=20)))


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["Europe/London", "America/New_York", "Australia/Lord_Howe",
                        "Europe/Dublin", "America/Santiago"]),
       st.integers(min_value=0, max_value=2 * 365), st.integers(min_value=0, max_value=95),
       st.sampled_from([20, 50, 90, 150]),
       st.sampled_from(["FREQ=WEEKLY", "FREQ=DAILY", "FREQ=WEEKLY;INTERVAL=2", None]))
def test_every_instance_is_plain_or_overridden(zone, day, quarter, minutes, rule):
    start = datetime(2026, 12, 1) + timedelta(days=day, minutes=15 * quarter)
    if recurrence.local_time_problem(start, zone) is not None:
        start += timedelta(hours=3)
    when = Recurrence(start, timedelta(minutes=minutes), zone, rule,
                      count=None if rule is None else 60)
    ical = render(EventSpec(make_uid(KEY, "p"), "Amber Falcon", when), now=NOW)
    privacy.check(ical, IDS, KEY, "test")
    events = _events(ical)
    master = events[0]
    rec = anchored(when)
    if rule is not None:
        assert recurrence.plain(rec.start, rec.duration, zone) or rec is when
    overridden = {e["RECURRENCE-ID"].dt.replace(tzinfo=None) for e in events[1:]}
    if rule is not None:
        for naive in recurrence.wall_starts(when, datetime(2026, 1, 1), datetime(2031, 1, 1)):
            assert recurrence.plain(naive, when.duration, zone) or naive in overridden
    elif not recurrence.plain(start, when.duration, zone):  # a single event: UTC, or its
        unique = all(recurrence.local_time_problem(t.dt.replace(tzinfo=None), zone) is None
                     for t in (master["DTSTART"], master["DTEND"]))  # times exist once
        assert master["DTSTART"].to_ical().endswith(b"Z") or unique


# ---------------------------------------------------------------- the rolling bound

from pseudocal.events.render import VTIMEZONE_YEARS_AHEAD, published_when  # noqa: E402

COVERED = date(NOW.year + VTIMEZONE_YEARS_AHEAD, 1, 1)  # where the overrides end


def _starts(event) -> list[datetime]:
    rule = rrulestr(event["RRULE"].to_ical().decode(), dtstart=event["DTSTART"].dt)
    return [d.replace(tzinfo=None) for d in rule]  # bounded: finite


def test_an_irregular_open_ended_series_is_published_to_the_overrides_end():
    gap = _weekly(datetime(2026, 12, 6, 1, 30))  # Sundays 01:30: a gap or fold every year
    rolled = published_when(gap.when, NOW)
    assert rolled.until == COVERED - timedelta(days=1) and rolled.count is None
    ical = render(gap, now=NOW)
    master, *overrides = _events(ical)
    assert master["RRULE"].to_ical() == b"FREQ=WEEKLY;UNTIL=20291230T013000Z"
    starts = _starts(master)
    assert starts[-1] == datetime(2029, 12, 30, 1, 30) and max(starts).date() < COVERED
    assert starts == recurrence.wall_starts(gap.when, gap.when.start, datetime(2040, 1, 1))[
        :len(starts)]  # the config's rule, up to the bound
    assert {o["RECURRENCE-ID"].dt.year for o in overrides} == {2027, 2028, 2029}
    assert b"RRULE:FREQ=YEARLY" not in ical  # bounded: no VTIMEZONE rule needed
    privacy.check(ical, IDS, KEY, "test")


def test_a_plain_open_ended_series_stays_open_ended():
    plain = _weekly(datetime(2026, 12, 6, 10, 0))
    assert published_when(plain.when, NOW) == plain.when
    master = _events(render(plain, now=NOW))[0]
    assert master["RRULE"].to_ical() == b"FREQ=WEEKLY"


def test_a_count_series_ending_before_the_bound_is_unchanged():
    counted = _weekly(datetime(2026, 12, 6, 1, 30), count=30)  # to mid 2027, past a gap
    assert published_when(counted.when, NOW) == counted.when
    master, *overrides = _events(render(counted, now=NOW))
    assert master["RRULE"].to_ical() == b"FREQ=WEEKLY;COUNT=30" and overrides
    long = _weekly(datetime(2026, 12, 6, 1, 30), count=1000)  # past the bound: UNTIL instead
    assert _events(render(long, now=NOW))[0]["RRULE"].to_ical() == \
        b"FREQ=WEEKLY;UNTIL=20291230T013000Z"


def test_the_bound_moves_a_year_when_rendered_a_year_later():
    gap = _weekly(datetime(2026, 12, 6, 1, 30))
    later = NOW.replace(year=NOW.year + 1)
    assert published_when(gap.when, later).until == COVERED.replace(year=COVERED.year + 1) \
        - timedelta(days=1)
    master = _events(render(gap, now=later))[0]
    assert master["RRULE"].to_ical() == b"FREQ=WEEKLY;UNTIL=20301229T013000Z"
    assert content_hash(render(gap, now=NOW)) != content_hash(render(gap, now=later))
