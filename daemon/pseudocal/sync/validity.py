"""Pure: until when the objects `desired.build` gave at `now` stay the objects it would give.

A build reads the clock only by comparing `now`, shifted by a fixed amount, with instants of
the schedule, and by dates:

    shift                 where (desired.py, planning.py)
    0                     the supervision hours done so far (`ledger`)
    keep_past             a series trimmed, a rule retired (`wanted`, `trim`); a break
                          still shown (`_breaks`); supervision busy from `cut`
    keep_past + _SLACK    a session entering the break-placement window at its start
    -horizon              a rule's first occurrence pushed; a break or supervision in view
    -(horizon + _SLACK)   a session entering the break-placement window at its end
    dates                 DTSTAMP's day (`render`: VTIMEZONE range, overrides), this month
                          and the horizon's month in the practitioner's zone (`ledger_for`,
                          `_reminders`), and the reminders' 09:00 ring

So between two such crossings every comparison keeps its answer and the build its output,
but for the DTSTAMP value. `stable_until` returns the first crossing from `now` on (`now`
itself when it is one: a comparison there may answer as either side does): the
sessions' and supervision's starts and ends, and the breaks' (those placed at `now`), each
plus each shift, the rules' first starts and last ends, and the next midnights and 09:00.
It never looks more than a day ahead; a series whose next occurrence is further away than
`desired.TRIM_LOOKAHEAD` gives `now` (rebuilt every time, as before). A property test
compares builds at many instants up to the answer with the build at `now`.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..models import Occurrence, Recurrence, Settings
from ..schedule import recurrence
from ..selfcare import planning

UTC = recurrence.UTC
LOOK = timedelta(days=1)  # the furthest ahead an answer goes: the next midnight is nearer


def stable_until(settings: Settings, now: datetime, slack: timedelta,
                 breaks: Iterable[Occurrence], lookahead: timedelta) -> datetime:
    """The first instant after `now` at which a build may differ from the one at `now`
    (`slack`: desired._SLACK; `breaks`: the breaks that build placed; `lookahead`:
    desired.TRIM_LOOKAHEAD)."""
    keep, ahead = settings.sync.keep_past, settings.sync.horizon
    shifts = (timedelta(0), keep, keep + slack, -ahead, -(ahead + slack))
    nearest = min(_dates(settings, now))
    rules = [r.when for r in settings.sessions]
    rules += [settings.supervision.when] if settings.supervision.when else []
    low, high = now - keep - slack - LOOK, now + ahead + slack + 2 * LOOK
    for rec in rules:
        occurrences = recurrence.expand(rec, low, high)
        ends = _ends_of(rec, occurrences, now - keep, lookahead)
        if ends is None:
            return now.astimezone(UTC)
        instants = list(ends)
        for occ in occurrences:
            instants += [occ.start, occ.end]
        nearest = min([nearest] + [t + s for t in instants for s in shifts if t + s >= now])
    for brk in breaks:
        nearest = min([nearest] + [t + s for t in (brk.start, brk.end)
                                   for s in (keep, -ahead) if t + s >= now])
    return nearest.astimezone(UTC)


def _ends_of(rec: Recurrence, occurrences: list[Occurrence], cut: datetime,
             lookahead: timedelta) -> tuple[datetime, ...] | None:
    """The rule's first start and last end (`wanted` compares them), or None when its
    trim depends on the edge of `desired.first_wall_start`'s look-ahead: a series begun
    before `cut`, not over, whose first occurrence ending after `cut` is not among
    `occurrences` well inside that look-ahead (not followed here: rebuilt every time)."""
    try:
        first, last = recurrence.first_and_last(rec)
    except ValueError:  # skips remove every occurrence: the build raised, nothing is kept
        return None
    if rec.rrule is not None and first < cut and (last is None or last >= cut):
        after = [o for o in occurrences if o.end > cut]
        if not after or after[0].start >= cut + lookahead - 2 * LOOK:
            return None
    return (first,) if last is None else (first, last)


def _dates(settings: Settings, now: datetime) -> list[datetime]:
    """The next midnight in UTC, in `now`'s own zone and the practitioner's, the midnight
    the horizon's end meets next (less the horizon), and the next 09:00 there."""
    zone, ahead = settings.timezone, settings.sync.horizon
    found = [_next_midnight(now, UTC), _next_midnight(now, now.tzinfo or UTC),
             _next_midnight(now, ZoneInfo(zone)),
             _next_midnight(now + ahead, ZoneInfo(zone)) - ahead]
    day = now.astimezone(ZoneInfo(zone)).date()
    for d in (day, day + timedelta(days=1)):
        ring = recurrence.localize(datetime.combine(d, planning.REMINDER_AT), zone)
        if ring > now:
            found.append(ring)
            break
    return [t for t in found if t >= now] or [now + LOOK]


def _next_midnight(instant: datetime, zone) -> datetime:
    local = instant.astimezone(zone)
    following = datetime.combine(local.date() + timedelta(days=1), time(0))
    if isinstance(zone, ZoneInfo):
        return recurrence.localize(following, zone.key)
    return following.replace(tzinfo=zone)
