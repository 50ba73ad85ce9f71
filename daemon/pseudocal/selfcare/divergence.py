"""Pure: when a client's session moves in the practitioner's time because the two zones
change their clocks on different dates.

Over a year, each pair of zones spends its time in a few (practitioner in DST?, client in
DST?) states. The long states are the seasons: a session keeps its usual local time in
each. A state that lasts only a few weeks a year is the stretch between the two zones'
changes (mid-March to late March for New York and London); a session in it appears at an
unusual time, and the time it would have had is the one of the season before.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from ..schedule.recurrence import offset_of

SHORT_STATE = 60  # days a year; a state shorter than this is a divergence stretch
LOOK_BACK = 370  # days to search for the season before a stretch


def _state(instant: datetime, practitioner: ZoneInfo, client: ZoneInfo) -> tuple[bool, bool]:
    return (bool(instant.astimezone(practitioner).dst()), bool(instant.astimezone(client).dst()))


@lru_cache(maxsize=256)
def short_states(practitioner: str, client: str, year: int) -> frozenset[tuple[bool, bool]]:
    """The DST states of the pair that last less than SHORT_STATE days in `year`."""
    p, c = ZoneInfo(practitioner), ZoneInfo(client)
    noon = datetime(year, 1, 1, 12, tzinfo=timezone.utc)
    days = Counter(_state(noon + timedelta(days=n), p, c) for n in range(365))
    return frozenset(state for state, count in days.items() if count < SHORT_STATE)


def usual_time(instant: datetime, practitioner: str, client: str) -> time | None:
    """The practitioner-local time a session at `instant` usually has, when it is moved now;
    None when it is at its usual time."""
    p, c = ZoneInfo(practitioner), ZoneInfo(client)
    if _state(instant, p, c) not in short_states(practitioner, client, instant.year):
        return None
    season = _season_before(instant, p, c, practitioner, client)
    if season is None:
        return None
    gap = offset_of(season.astimezone(c)) - offset_of(season.astimezone(p))
    return (instant.astimezone(c).replace(tzinfo=None) - gap).time()


def _season_before(instant: datetime, p: ZoneInfo, c: ZoneInfo, practitioner: str,
                   client: str) -> datetime | None:
    for n in range(1, LOOK_BACK):
        day = instant - timedelta(days=n)
        if _state(day, p, c) not in short_states(practitioner, client, day.year):
            return day
    return None
