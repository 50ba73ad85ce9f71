"""Pure: desired objects vs sync records vs what the calendar holds -> actions.

Only objects whose UID carries pseudocal's ownership tag are ever considered
(`remote` holds owned objects only, recognised by the UID inside them, never by
their href); foreign events can never appear in an update or a delete.

Several copies of one UID (a phone app's "move" that left the old one, a server
that stores duplicates, a copy in each calendar): `keep_one_copy` keeps one, in
the calendar that should hold it, preferring the recorded href, then the
canonical `<uid>.ics`; the planner deletes the others (If-Match, never counted by
the safety valve, the record of the kept one untouched).

The case table, for each UID in desired ∪ records ∪ remote:

  desired  record  remote   -> action
  yes      no      no       create
  yes      no      yes      update (If-Match remote ETag): found online without a
                            record, e.g. a restored store or a sync killed after its PUT
  yes      yes     no       create: deleted online (config wins) -- except a reminder
                            ("Book supervision"): deleting it on the phone dismisses it,
                            so nothing is done and the record stays as the tombstone
  yes      yes     yes      nothing if href, ETag and content match; else update with
                            the remote ETag (changed in config, edited online, or moved
                            to another href by a calendar app: config wins, kept there)
  yes      any     yes, other calendar -> delete there, create here
  no       any     yes      delete (If-Match remote ETag)
  no       yes     no       drop the record (already gone online)
  any      any     extra copies -> delete each (If-Match), not a removal
"""
from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass

from ..errors import SafetyRefusal
from ..models import Action, Create, Delete, DesiredObject, DropRecord, Record, RemoteObject, Update

DERIVED_KINDS = frozenset({"break", "reminder"})
SMALL_CHANGE = 2  # removing this many managed events never trips the safety valve


def plan(desired: dict[str, DesiredObject], records: dict[str, Record],
         remote: dict[str, RemoteObject], retired: Set[str] = frozenset(),
         extra: list[RemoteObject] | tuple = ()) -> list[Action]:
    """The actions that make the calendar match `desired`, deletes first. `extra`: the
    copies of our objects beyond the one kept in `remote` (see keep_one_copy)."""
    actions: list[Action] = []
    for uid in sorted(set(desired) | set(records) | set(remote)):
        actions.extend(_plan_one(uid, desired.get(uid), records.get(uid), remote.get(uid),
                                 uid in retired))
    actions += [_delete_copy(copy, desired.get(copy.uid), records.get(copy.uid))
                for copy in sorted(extra, key=lambda c: (c.calendar, c.href))]
    order = {"delete": 0, "drop-record": 1, "create": 2, "update": 3}
    return sorted(actions, key=lambda a: order[a.op])


def _plan_one(uid: str, want: DesiredObject | None, rec: Record | None,
              rem: RemoteObject | None, retired: bool) -> list[Action]:
    if want is None:
        return _remove(uid, rec, rem, retired)
    if rem is None:
        if rec is not None and rec.etag is not None and want.kind == "reminder":
            return []  # dismissed on the phone: not re-created (see the case table)
        reason = "deleted online; restored (config wins)" if rec else "new"
        return [_create(want, reason)]
    if rem.calendar != want.calendar:
        return [_delete(uid, rem, rec, "moved to another calendar", False),
                _create(want, "moved to another calendar")]
    if rec is None:
        return [_update(want, rem, "found online without a record; adopted")]
    if rec.href != rem.href:
        return [_update(want, rem, "moved to another href by a calendar app; kept there "
                                   "(config wins)")]
    if rec.etag != rem.etag:
        return [_update(want, rem, "edited online; restored (config wins)")]
    if rec.content_hash != want.content_hash:
        return [_update(want, rem, "changed")]
    return []


def _remove(uid: str, rec: Record | None, rem: RemoteObject | None, retired: bool) -> list[Action]:
    if rem is not None:
        reason = ("not wanted now (past keep_past, beyond the horizon, or a break that no "
                  "longer fits)" if retired else "no longer in config")
        return [_delete(uid, rem, rec, reason, not retired and _precious(rec))]
    if rec is not None:
        return [DropRecord(uid, rec.calendar, rec.label, "already gone online", href=rec.href)]
    return []


def keep_one_copy(desired: dict[str, DesiredObject], records: dict[str, Record],
                  copies: dict[str, list[RemoteObject]]
                  ) -> tuple[dict[str, RemoteObject], list[RemoteObject]]:
    """(the one copy kept per UID, the other copies): kept is the copy in the calendar the
    UID belongs to (the desired one's, else the record's), at the recorded href, else at
    the canonical `<uid>.ics`, else the first by calendar and href."""
    kept: dict[str, RemoteObject] = {}
    extra: list[RemoteObject] = []
    for uid, found in copies.items():
        want, rec = desired.get(uid), records.get(uid)
        home = want.calendar if want else rec.calendar if rec else None
        best = min(found, key=lambda o: (o.calendar != home, rec is None or o.href != rec.href,
                                         not o.href.endswith(f"/{uid}.ics"), o.calendar,
                                         o.href))
        kept[uid] = best
        extra += [o for o in found if o is not best]
    return kept, extra


def _delete_copy(copy: RemoteObject, want: DesiredObject | None,
                 rec: Record | None) -> Action:
    label = want.label if want else rec.label if rec else "an event pseudocal made earlier"
    assert copy.uid is not None  # the copies were grouped by the UID inside them
    return Delete(copy.uid, copy.calendar, label,
                  "a second copy of this event (a calendar app moved or copied it, or the "
                  "server kept it twice); one copy stays", href=copy.href, etag=copy.etag,
                  counts_as_removal=False, extra_copy=True)


def _precious(rec: Record | None) -> bool:
    """Whether losing this object is what the safety valve guards against: a session or
    supervision, or one of ours we have no record of. Breaks and reminders are derived
    from those and come and go with them (a booked month's reminder, a break no longer
    fitting, a one-off break passing keep_past)."""
    return rec is None or rec.kind not in DERIVED_KINDS


def _create(want: DesiredObject, reason: str) -> Action:
    return Create(want.uid, want.calendar, want.label, reason, desired=want)


def _update(want: DesiredObject, rem: RemoteObject, reason: str) -> Action:
    return Update(want.uid, want.calendar, want.label, reason,
                  href=rem.href, etag=rem.etag, desired=want)


def _delete(uid: str, rem: RemoteObject, rec: Record | None, reason: str,
            removal: bool) -> Action:
    label = rec.label if rec else "an event pseudocal made earlier"
    return Delete(uid, rem.calendar, label, reason, href=rem.href, etag=rem.etag,
                  counts_as_removal=removal)


@dataclass(frozen=True)
class Guarded:
    """What the safety valve weighs, all of one kind: sessions and supervision (and
    objects of ours the store has no record of), never breaks and reminders, which are
    derived from those and come and go with them."""
    managed: int  # on the calendar now
    recorded: int  # pushed and confirmed, as the store remembers
    wanted: int  # wanted by the config now

    @classmethod
    def of(cls, desired: dict[str, DesiredObject], records: dict[str, Record],
           remote: dict[str, RemoteObject]) -> "Guarded":
        return cls(managed=sum(1 for uid in remote if _precious(records.get(uid))),
                   recorded=sum(1 for r in records.values() if r.etag and _precious(r)),
                   wanted=sum(1 for o in desired.values() if o.kind not in DERIVED_KINDS))


def check_safety(actions: list[Action], guarded: Guarded, max_share: float,
                 allow: bool) -> None:
    """Refuse (raise SafetyRefusal) when a sync would remove too much of what it guards.

    Three situations are told apart (`SafetyRefusal.situation`):
      config-emptied   the config wants none of them any more, and some would be deleted;
      calendar-empty   the store recorded N of them online, the calendar now shows none
                       ("had N, now sees 0": a wiped or different calendar, or a listing
                       that is not what it seems), and the sync would re-create them;
      too-many         more than `max_share` of those online (and more than SMALL_CHANGE)
                       would be deleted.
    "Never synced" (nothing recorded, nothing online) never trips; expiry (past
    keep_past, beyond the horizon) never counts.
    """
    if allow:
        return
    removals = sum(1 for a in actions if isinstance(a, Delete) and a.counts_as_removal)
    if guarded.managed == 0 and guarded.recorded > SMALL_CHANGE and \
            any(a.op == "create" for a in actions):
        raise SafetyRefusal(
            f"had {guarded.recorded} sessions and supervision online, now sees 0: the "
            "calendar was emptied, or its URL now answers with another calendar; nothing "
            "was re-created",
            deletes=0, managed=0, situation="calendar-empty",
            next_step="check calendar.url and the server; if the calendar was emptied on "
                      "purpose, run `pseudocal sync --allow-deletes` to put the events back")
    if removals == 0:
        return
    if guarded.wanted == 0:
        raise SafetyRefusal(
            f"the config has no sessions or supervision any more: this sync would delete "
            f"all {removals} of them (an emptied config, or one pointing at the wrong "
            "sessions)", deletes=removals, managed=guarded.managed, situation="config-emptied",
            next_step="check the config; if you really mean to clear the calendar, "
                      "run `pseudocal sync --allow-deletes`")
    if removals > max(SMALL_CHANGE, max_share * guarded.managed):
        raise SafetyRefusal(
            f"this sync would delete {removals} of the {guarded.managed} sessions and "
            f"supervision pseudocal manages, more than the limit of {max_share:.0%}",
            deletes=removals, managed=guarded.managed, situation="too-many",
            next_step="check the config (run `pseudocal sync --dry-run` to see the plan); "
                      "to go ahead, run `pseudocal sync --allow-deletes`")
