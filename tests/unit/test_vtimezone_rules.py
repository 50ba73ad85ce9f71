"""A VTIMEZONE for a series that goes on is right forever: its yearly rules are zoneinfo's.

Past its explicit part, a VTIMEZONE for an open-ended series carries the zone's own rule (the
POSIX TZ string in the footer of its TZif file) as RRULE observances. Here each is expanded
with dateutil, independently of how pseudocal reads the footer, and every onset's UTC instant
is compared with the changes zoneinfo itself makes, for every zone zoneinfo knows and for
synthetic footers with every kind of day (times past 24 hours and negative ones, which move
the change to another day). tests/test_parsers.py reads such objects with real parsers.
"""
from __future__ import annotations

import io
import struct
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from unittest import mock
from zoneinfo import ZoneInfo, available_timezones

import pytest
from dateutil.rrule import rrulestr
from icalendar import Calendar

from pseudocal.events import vtimezone
from pseudocal.events.render import VTIMEZONE_YEARS_AHEAD, EventSpec, render
from pseudocal.models import Recurrence

UTC = timezone.utc
NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
HORIZON = date(NOW.year + VTIMEZONE_YEARS_AHEAD, 1, 1)  # where render's explicit part ends
YEARS = 30  # how long past the explicit part each zone's rules are compared
STEP = timedelta(days=7)  # the rules change the clocks months apart: a weekly scan sees each
SECOND = timedelta(seconds=1)


def footer_text(zone: str) -> str:
    """The last line of the zone's TZif file (the test's own reading of the footer)."""
    return vtimezone.tzif(zone).rstrip(b"\n").rsplit(b"\n", 1)[-1].decode()


@lru_cache(maxsize=1)
def ruled_zones() -> tuple[str, ...]:
    """Every zone whose footer has a daylight saving rule (its two dates after commas)."""
    return tuple(z for z in sorted(available_timezones()) if "," in footer_text(z))


def zoneinfo_changes(tz: ZoneInfo, low: datetime, high: datetime
                     ) -> list[tuple[datetime, timedelta, timedelta]]:
    """(instant, offset before, offset after) of zoneinfo's changes in [low, high): a scan at
    STEP, then bisection to the second."""
    found, t = [], low
    offset = t.astimezone(tz).utcoffset()
    while t < high:
        nxt = min(t + STEP, high)
        later = nxt.astimezone(tz).utcoffset()
        if later != offset:
            a, b = t, nxt
            while b - a > SECOND:
                middle = a + (b - a) // 2
                middle = middle.replace(microsecond=0)
                if middle.astimezone(tz).utcoffset() == later:
                    b = middle
                else:
                    a = middle
            found.append((b, offset, later))
        t, offset = nxt, later
    return [f for f in found if low <= f[0] < high]


def observances(zone: str, start: datetime, end: date) -> list:
    vtz = vtimezone.vtimezone(zone, start, end, ongoing=True)
    return list(vtz.subcomponents)


def onsets(found: list, high: datetime) -> list[tuple[datetime, timedelta, timedelta]]:
    """Every onset the observances give before `high`, as a reader expands them (dateutil
    for RRULE, the RDATE's own value otherwise), as UTC instants."""
    out = []
    for obs in found:
        before, after = obs["TZOFFSETFROM"].td, obs["TZOFFSETTO"].td
        start = obs["DTSTART"].dt
        if "RRULE" in obs:
            rule = rrulestr(obs["RRULE"].to_ical().decode(), dtstart=start)
            locals_ = rule.between(start, (high + before).replace(tzinfo=None), inc=True)
        else:
            locals_ = [d.dt for d in obs["RDATE"].dts]
        out += [((local - before).replace(tzinfo=UTC), before, after) for local in locals_]
    return sorted(o for o in out if o[0] < high)


# ---------------------------------------------------------------- every zone zoneinfo knows


def test_there_are_zones_with_rules_of_every_kind():
    zones = ruled_zones()
    assert len(zones) > 150
    footers = {footer_text(z) for z in zones}
    assert "GMT0BST,M3.5.0/1,M10.5.0" in footers and "IST-1GMT0,M10.5.0,M3.5.0/1" in footers
    assert any("/24" in f for f in footers) and any("/-1" in f for f in footers)
    assert any("/26" in f or "/50" in f for f in footers)


def test_every_zones_vtimezone_places_every_change_where_zoneinfo_does_for_30_years():
    """The whole VTIMEZONE an open-ended series gets (explicit part and yearly rules) for
    every zone with a rule, from the end of the range (render's four years) to 30 years past
    where its rules begin (the explicit part before it: test_events.py)."""
    wrong = []
    for zone in ruled_zones():
        tz = ZoneInfo(zone)
        stop = datetime.combine(HORIZON, time.min).replace(tzinfo=tz).astimezone(UTC)
        start = stop - SECOND
        found = observances(zone, start, HORIZON)
        yearly = [o for o in found if "RRULE" in o]
        if len(yearly) < 2:
            wrong.append(f"{zone}: {len(yearly)} yearly observances")
            continue
        first = min(o["DTSTART"].dt - o["TZOFFSETFROM"].td for o in yearly)
        high = first.replace(tzinfo=UTC) + timedelta(days=365 * YEARS)
        want = zoneinfo_changes(tz, start + SECOND, high)
        got = [o for o in onsets(found, high) if o[0] > start]
        if got != want:
            missing = sorted(set(want) - set(got))[:2]
            extra = sorted(set(got) - set(want))[:2]
            wrong.append(f"{zone}: zoneinfo {missing}, the VTIMEZONE {extra}")
    assert not wrong, "\n".join(wrong[:20])


@pytest.mark.parametrize("zone", ["Europe/London", "America/New_York", "Australia/Lord_Howe",
                                  "Europe/Dublin", "America/Santiago", "Africa/Cairo"])
def test_the_rules_begin_where_the_explicit_part_ends(zone):
    tz = ZoneInfo(zone)
    stop = datetime.combine(HORIZON, time.min).replace(tzinfo=tz).astimezone(UTC)
    found = observances(zone, stop - timedelta(days=400), HORIZON)
    explicit = [o for o in found if "RDATE" in o]
    yearly = [o for o in found if "RRULE" in o]
    assert len(explicit) + len(yearly) == len(found)
    last_explicit = max(o["DTSTART"].dt - o["TZOFFSETFROM"].td for o in explicit)
    firsts = sorted(o["DTSTART"].dt - o["TZOFFSETFROM"].td for o in yearly)
    assert last_explicit < stop.replace(tzinfo=None) <= firsts[0]
    # the first onsets are the first changes after the explicit part, nothing in between
    [(at, _, _)] = zoneinfo_changes(tz, stop, firsts[0].replace(tzinfo=UTC) + SECOND)
    assert at == firsts[0].replace(tzinfo=UTC)
    for obs in yearly:
        assert "RDATE" not in obs and obs["RRULE"]["FREQ"] == ["YEARLY"]


def test_the_rules_are_written_as_every_parser_reads_them():
    def rules(zone: str) -> list[bytes]:
        return [o["RRULE"].to_ical() for o in observances(zone, NOW, HORIZON) if "RRULE" in o]

    assert rules("Europe/London") == [b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3",
                                      b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10"]
    assert rules("America/New_York") == [b"FREQ=YEARLY;BYDAY=2SU;BYMONTH=3",
                                         b"FREQ=YEARLY;BYDAY=1SU;BYMONTH=11"]
    # Israel's Friday before the last Sunday of March: 26:00 on the fourth Thursday
    assert b"FREQ=YEARLY;BYDAY=FR;BYMONTHDAY=23,24,25,26,27,28,29;BYMONTH=3" in \
        rules("Asia/Jerusalem")
    # Cairo's midnight after the last Thursday of October: a Friday in October or 1 November
    assert set(rules("Africa/Cairo")) == {
        b"FREQ=YEARLY;BYDAY=-1FR;BYMONTH=4",
        b"FREQ=YEARLY;BYDAY=FR;BYMONTHDAY=26,27,28,29,30,31;BYMONTH=10",
        b"FREQ=YEARLY;BYDAY=FR;BYMONTHDAY=1;BYMONTH=11"}
    dublin = observances("Europe/Dublin", NOW, HORIZON)
    assert {(str(o["TZNAME"]), o.name) for o in dublin if "RRULE" in o} == {
        ("IST", "STANDARD"), ("GMT", "STANDARD")}  # negative DST: as in the explicit part


def test_zones_without_daylight_saving_get_no_rule():
    for zone in ("Asia/Tokyo", "America/Sao_Paulo", "Asia/Kolkata", "Etc/GMT+5"):
        found = observances(zone, NOW, HORIZON)
        assert len(found) == 1 and "RRULE" not in found[0], zone


@pytest.mark.parametrize("zone", ["Africa/Casablanca", "Asia/Gaza"])
def test_a_table_that_is_not_the_rule_is_explicit_to_its_end(zone):
    """Casablanca's and Gaza's Ramadan changes are listed in the table until 2087, not in the
    footer: the explicit part runs to the table's end, and from there the footer holds."""
    tz = ZoneInfo(zone)
    table = vtimezone.read_tzif(vtimezone.tzif(zone))
    assert table.last is not None and table.last.year >= 2080
    start = datetime.combine(HORIZON, time.min).replace(tzinfo=tz).astimezone(UTC)
    found = observances(zone, start, HORIZON)
    high = table.last + timedelta(days=365 * 10)
    assert [o for o in onsets(found, high) if o[0] > start] == zoneinfo_changes(
        tz, start + SECOND, high)


def test_the_table_is_what_zoneinfo_follows():
    for zone in ("Europe/London", "Asia/Gaza", "Africa/Casablanca", "America/Santiago"):
        tz = ZoneInfo(zone)
        table = vtimezone.read_tzif(vtimezone.tzif(zone))
        assert table.footer == footer_text(zone)
        low = datetime(2015, 1, 1, tzinfo=UTC)
        high = min(table.last + SECOND, datetime(2045, 1, 1, tzinfo=UTC))
        assert [c for c in table.changes if low <= c[0] < high] == [
            (at, after) for at, _, after in zoneinfo_changes(tz, low, high)]


# ---------------------------------------------------------------- render: only when needed


def _series(**kw) -> bytes:
    when = Recurrence(datetime(2026, 12, 1, 10, 0), timedelta(minutes=50), "Europe/London",
                      "FREQ=WEEKLY", **kw)
    return render(EventSpec("uid-1", "Amber Falcon", when), now=NOW)


def test_only_a_series_that_goes_on_past_the_explicit_part_gets_the_rules():
    assert _series().count(b"RRULE:FREQ=YEARLY") == 2
    assert _series(until=date(2035, 6, 1)).count(b"RRULE:FREQ=YEARLY") == 2
    bounded = _series(until=date(2028, 6, 1))
    assert b"RRULE:FREQ=YEARLY" not in bounded
    [vtz] = Calendar.from_ical(bounded).walk("VTIMEZONE")
    assert max(o["DTSTART"].dt for o in vtz.subcomponents).year == 2028


# ---------------------------------------------------------------- every kind of POSIX day


def synthetic_zone(footer: str) -> ZoneInfo:
    """A zone with an empty table: zoneinfo follows `footer` at every time."""
    header = struct.pack(">4s1s15x6l", b"TZif", b"2", 0, 0, 0, 0, 1, 4)
    data = struct.pack(">lBB", -3 * 3600, 0, 0) + b"XXX\0"
    text = header + data + header + data + b"\n" + footer.encode() + b"\n"
    return ZoneInfo.from_file(io.BytesIO(text), key=footer)


TIMES = ["-167", "-26", "-2", "0", "2:45", "24", "50", "167"]


def _day_texts() -> list[str]:
    months = [f"M{m}.{w}.{d}" for m in range(1, 13) for w in range(1, 6) for d in (0, 4)]
    days = [f"J{n}" for n in (1, 59, 60, 200, 365)] + [f"{n}" for n in (0, 31, 58, 59, 300)]
    return [f"{day}/{t}" for day in months + days for t in TIMES]


def test_every_kind_of_posix_day_becomes_rrules_that_zoneinfo_confirms():
    """Each day (as the start of daylight saving, its end half a year away) is expanded from
    its RRULEs with dateutil for 28 years (every calendar) and checked against zoneinfo's own
    reading of the same footer: the offset changes at each onset to the second, and at no
    other time within eight days; and there is one onset a year. The days no RRULE can
    write fall back: those whose dates depend on February's length or can move into another
    year, and every "J" and "n" day (zoneinfo does not read them as POSIX does)."""
    fallbacks, checked = [], 0
    for text in _day_texts():
        month = int(text[1:].split(".")[0]) if text.startswith("M") else 0
        number = 0 if month else int(text.lstrip("J").split("/")[0])
        away = f"M{(month + 5) % 12 + 1}.1.0" if month else ("M9.1.0" if number < 150
                                                             else "M3.1.0")
        footer = f"XXX3YYY,{text},{away}"
        rule = vtimezone.footer_rule(footer)
        assert rule is not None
        day = rule.to_daylight
        yearly = vtimezone.yearly_rules(day)
        if yearly is None:
            fallbacks.append(text)
            continue
        tz = synthetic_zone(footer)
        since = datetime(2030, 1, 1, tzinfo=UTC)
        instants = []
        for month, rrule in yearly:
            at = vtimezone.first_onset(day, rule.standard, month, since)
            assert at is not None, text
            local = (at + rule.standard).replace(tzinfo=None)
            for onset in rrulestr(rrule, dtstart=local).between(local, local.replace(
                    year=local.year + 28), inc=True):
                instants.append((onset - rule.standard).replace(tzinfo=UTC))
        years = [(i + rule.standard).year for i in sorted(instants)]
        assert len(years) == len(set(years)) and len(years) >= 27, text
        for at in instants:
            for moment, offset in ((at - SECOND, rule.standard), (at, rule.daylight),
                                   (at - timedelta(days=8), rule.standard),
                                   (at + timedelta(days=8), rule.daylight)):
                assert moment.astimezone(tz).utcoffset() == offset, (text, at, moment)
            checked += 1
    assert checked > 20_000
    assert len([t for t in fallbacks if t.startswith("M")]) < len(_day_texts()) // 20
    for text in fallbacks:  # each has an onset near February's end or in another year
        day = vtimezone.footer_rule(f"XXX3YYY,{text},M9.1.0").to_daylight
        assert day.form != "M" or any(
            date(y, 2, 21) < vtimezone.onset_in(day, y).date() < date(y, 3, 8)
            or vtimezone.onset_in(day, y).year != y for y in range(2001, 2029)), text
    assert {t for t in _day_texts() if not t.startswith("M")} <= set(fallbacks)
    assert {"M2.4.0/24", "M1.1.0/-167", "M12.5.4/50"} <= set(fallbacks)
    assert not {"M2.4.0/-2", "M1.2.0/-167", "M12.4.4/50", "M10.5.4/24"} & set(fallbacks)


def test_a_footer_the_rules_cannot_write_falls_back_to_explicit_years():
    footer = "XXX3YYY,M2.4.0/25,M9.1.0"  # the Monday after February's fourth Sunday
    assert vtimezone.yearly_rules(vtimezone.footer_rule(footer).to_daylight) is None
    data = (struct.pack(">4s1s15x6l", b"TZif", b"2", 0, 0, 0, 0, 1, 4)
            + struct.pack(">lBB", -3 * 3600, 0, 0) + b"XXX\0")
    synthetic = data + data + b"\n" + footer.encode() + b"\n"
    stop = datetime(2030, 1, 1, tzinfo=UTC)
    with mock.patch.object(vtimezone, "tzif", lambda zone: synthetic):
        more = vtimezone.continuation("America/Sao_Paulo", stop)
    assert more.rules == () and more.until >= stop + timedelta(days=365 * vtimezone.FALLBACK_YEARS)


def test_footers_are_read_as_posix_says():
    rule = vtimezone.footer_rule("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0")
    assert rule is not None
    assert (rule.standard, rule.daylight) == (timedelta(hours=10, minutes=30),
                                              timedelta(hours=11))
    assert rule.to_daylight.time == rule.to_standard.time == timedelta(hours=2)
    dublin = vtimezone.footer_rule("IST-1GMT0,M10.5.0,M3.5.0/1")
    assert dublin is not None and dublin.daylight < dublin.standard
    assert vtimezone.footer_rule("EST5EDT,M3.2.0,M11.1.0").standard == timedelta(hours=-5)
    assert vtimezone.footer_rule("NST3:30NDT,M3.2.0,M11.1.0").daylight == \
        timedelta(hours=-2, minutes=-30)
    assert vtimezone.footer_rule("XXX3YYY,M3.5.0/-2,M10.5.0/25").to_daylight.time == \
        timedelta(hours=-2)
    for one_offset in ("JST-9", "<+01>-1", "<-03>3", ""):
        assert vtimezone.footer_rule(one_offset) is None
    for bad in ("EST5EDT", "EST5EDT,M13.1.0,M11.1.0", "EST5EDT,M3.2.0/168,M11.1.0", "x"):
        with pytest.raises(ValueError):
            vtimezone.footer_rule(bad)
