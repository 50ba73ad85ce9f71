"""SQL for sync records, sync runs, foreign objects seen and failed actions: no identity
lives in these tables."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.dialects.sqlite import insert as upsert

from ..models import GOOD_RESULTS, Failure, Record
from .schema import failed_actions as failed
from .schema import foreign_objects, records, sync_runs

_RECORD_FIELDS = ("calendar", "href", "etag", "content_hash", "kind", "label", "client_id")


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")

# ---------------------------------------------------------------- records


def all_records(conn: Connection) -> dict[str, Record]:
    rows = conn.execute(select(records).order_by(records.c.uid))
    return {row.uid: Record(uid=row.uid, **{f: getattr(row, f) for f in _RECORD_FIELDS})
            for row in rows}


def put_record(conn: Connection, rec: Record) -> None:
    values = {f: getattr(rec, f) for f in _RECORD_FIELDS} | {"updated_at": now()}
    statement = upsert(records).values(uid=rec.uid, **values)
    conn.execute(statement.on_conflict_do_update(index_elements=[records.c.uid],
                                                 set_=values))


def drop_record(conn: Connection, uid: str) -> None:
    conn.execute(delete(records).where(records.c.uid == uid))


def drop_all_records(conn: Connection) -> None:
    conn.execute(delete(records))

# ---------------------------------------------------------------- runs


def begin_run(conn: Connection) -> int:
    result = conn.execute(insert(sync_runs).values(started_at=now(), created=0, updated=0,
                                                   deleted=0))
    key = result.inserted_primary_key
    if key is None:
        raise RuntimeError("the sync_runs insert returned no id")
    return int(key[0])


def finish_run(conn: Connection, run_id: int, result: str, counts: tuple[int, int, int],
               error: str | None) -> None:
    created, updated, deleted = counts
    conn.execute(update(sync_runs).where(sync_runs.c.id == run_id).values(
        finished_at=now(), result=result, created=created, updated=updated,
        deleted=deleted, error=error))


def last_runs(conn: Connection, limit: int) -> list[dict]:
    rows = conn.execute(select(sync_runs).order_by(sync_runs.c.id.desc()).limit(limit))
    return [dict(row._mapping) for row in rows]


def last_good_run(conn: Connection) -> dict | None:
    query = (select(sync_runs).where(sync_runs.c.result.in_(GOOD_RESULTS))
             .order_by(sync_runs.c.id.desc()).limit(1))
    row = conn.execute(query).first()
    return dict(row._mapping) if row else None

# ---------------------------------------------------------------- foreign objects


def foreign_digests(conn: Connection) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    for row in conn.execute(select(foreign_objects)):
        found.setdefault(row.calendar, set()).add(row.digest)
    return {calendar: frozenset(digests) for calendar, digests in found.items()}


def replace_foreign(conn: Connection, calendar: str, digests: set[str]) -> None:
    conn.execute(delete(foreign_objects).where(foreign_objects.c.calendar == calendar))
    if digests:
        conn.execute(insert(foreign_objects),
                     [{"calendar": calendar, "digest": d} for d in sorted(digests)])

# ---------------------------------------------------------------- failed actions


def failed_actions(conn: Connection) -> list[dict]:
    rows = conn.execute(select(failed).order_by(failed.c.syncs.desc(), failed.c.label))
    return [dict(row._mapping) for row in rows]


def note_failures(conn: Connection, found: list[Failure], succeeded: set[str],
                  complete: bool) -> None:
    stamp, failing = now(), {f.uid for f in found}
    for f in {f.uid: f for f in found}.values():  # one row per event: its last failure
        values = {"op": f.op, "calendar": f.calendar, "label": f.label, "kind": f.kind,
                  "reason": f.reason, "next_step": f.next_step, "last_seen": stamp}
        statement = upsert(failed).values(uid=f.uid, first_seen=stamp, syncs=1, **values)
        conn.execute(statement.on_conflict_do_update(
            index_elements=[failed.c.uid], set_={**values, "syncs": failed.c.syncs + 1}))
    if succeeded - failing:
        conn.execute(delete(failed).where(failed.c.uid.in_(sorted(succeeded - failing))))
    if complete:
        conn.execute(delete(failed).where(failed.c.uid.not_in(sorted(failing))))
