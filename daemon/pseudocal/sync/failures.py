"""Pure: what one refused action means for the practitioner, and what to do next.

The executor turns each ConflictError and ObjectRefused (one object's trouble, not the
server's) into a Failure, records it and goes on with the other actions:

    kind           the server said                               next step
    changed        412 If-Match: edited while we synced          none: the next sync re-plans
    gone           404: deleted while we synced                  none: the next sync re-plans
    name-taken     412 If-None-Match: something has that name    none: the next sync picks
                                                                 a free name
    uid-conflict   409/412 `no-uid-conflict`, or 403             none if the copy is in a
                   `unique-scheduling-object-resource` (Cyrus):  synced calendar (the next
                   the UID lives at another href                 sync keeps one); else look
    uid-elsewhere  the same, and the href that holds it is in a  move it back or delete it
                   calendar not in the config (Cyrus, Fastmail   there; pseudocal never
                   and iCloud keep UIDs unique per account)      touches calendars it does
                                                                 not sync
    refused        400, 403, 413, 415, 422 to this object        check the account's rights
                                                                 and the server's logs

Texts name hrefs, calendars and the event's label (pseudonym and time), never identity.
"""
from __future__ import annotations

from ..errors import ConflictError, ObjectRefused
from ..identity import redaction
from ..models import Action, Failure

_RETRY = "nothing to do: the next sync plans it afresh"


def classify(action: Action, exc: ConflictError | ObjectRefused,
             collections: list[str]) -> Failure:
    """The Failure for `action` refused with `exc`; `collections`: the paths (ending in
    "/") of the calendars this sync covers."""
    kind, reason, step = _explain(exc, collections)
    return Failure(action.uid, action.op, action.calendar, action.label, kind, reason, step)


def _explain(exc: ConflictError | ObjectRefused, collections: list[str]
             ) -> tuple[str, str, str]:
    if isinstance(exc, ObjectRefused):
        return "refused", f"the server refused it ({exc.status})", exc.next_step
    if exc.kind == "etag":
        return "changed", "it changed on the server while this sync ran", _RETRY
    if exc.kind == "gone":
        return "gone", "it was deleted on the server while this sync ran", _RETRY
    if exc.kind == "exists":
        return ("name-taken", "another object already has its name on the server",
                "nothing to do: the next sync gives it a free name")
    return _uid_conflict(exc.holder, collections)


def _uid_conflict(holder: str, collections: list[str]) -> tuple[str, str, str]:
    if holder and not any(holder.startswith(c) for c in collections):
        where = redaction.from_server(holder.rsplit("/", 1)[0] + "/")  # the server's path
        return ("uid-elsewhere",
                f"the server keeps UIDs unique across all of the account's calendars (as "
                f"Cyrus, Fastmail and iCloud do), and this event's UID is already used in "
                f"{where}, a calendar pseudocal does not sync",
                f"move the event from {where} back to the configured calendar, or delete it "
                "there (after `sync --accept-calendar-change`: delete the events pseudocal "
                "made in the old calendar, or the old calendar); the next sync then writes "
                "it here")
    if holder:
        return ("uid-conflict", "the server already holds this event's UID at "
                f"{redaction.from_server(holder)}",
                "nothing to do if it clears: the next sync finds that copy and keeps one; "
                "if it persists, delete the copy at that href in your calendar app")
    return ("uid-conflict",
            "the server says this event's UID is already used elsewhere (another calendar "
            "of the account, or the server's trash bin)",
            "if it persists, empty the calendar's trash bin, or delete the event in your "
            "other calendars (Fastmail and iCloud keep UIDs unique across the account); "
            "the next sync then writes it here")


def summary(failed: list[dict]) -> str:
    """One line for failed actions (dicts with event, reason, next_step, syncs): "N events
    could not be written for M syncs in a row (<event>: <reason>); next step: <step>",
    about the longest-failing one."""
    worst = max(failed, key=lambda f: int(f.get("syncs") or 0))
    events = "1 event" if len(failed) == 1 else f"{len(failed)} events"
    syncs = int(worst.get("syncs") or 0)
    span = "in the last sync" if syncs <= 1 else f"for {syncs} syncs in a row"
    return (f"{events} could not be written {span} ({worst.get('event')}: "
            f"{worst.get('reason')}); next step: {worst.get('next_step')}")
