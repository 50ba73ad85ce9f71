"""Ownership is the UID inside the object: the survey, copies, and what it costs in requests."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from pseudocal.config import loader
from pseudocal.crypto import generate_key, make_uid
from pseudocal.models import ClientIdentity, Record, Recurrence, RemoteObject, SessionRule
from pseudocal.remote.memory import MemoryRemote, uid_of
from pseudocal.store import Store
from pseudocal.sync import engine, ownership
from pseudocal.sync.plan import Guarded, check_safety, keep_one_copy, plan

KEY = b"k" * 32
OTHER = b"o" * 32
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=timezone.utc)


def ics(uid: str, summary: str = "Dentist", extra: str = "") -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Phone//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20261101T090000Z\r\nDTSTART:20261210T090000Z\r\n"
            f"DTEND:20261210T100000Z\r\nSUMMARY:{summary}\r\n{extra}END:VEVENT\r\n"
            "END:VCALENDAR\r\n").encode()


# ---------------------------------------------------------------- reading the UID


def test_the_uids_of_an_object_are_its_top_level_components_only():
    alarm = ("BEGIN:VALARM\r\nUID:alarm-uid-from-a-phone\r\nACTION:DISPLAY\r\n"
             "TRIGGER:-PT15M\r\nDESCRIPTION:x\r\nEND:VALARM\r\n")
    assert ownership.top_uids(ics("abc", extra=alarm)) == {"abc"}
    folded = ics("abc").replace(b"UID:abc", b"UID:a\r\n bc")
    assert ownership.top_uids(folded) == {"abc"}
    assert ownership.top_uids(ics("abc").replace(b"\r\n", b"\n")) == {"abc"}
    assert ownership.top_uids(b"\xff\xfe not a calendar") == set()
    two = ics("abc").replace(b"END:VCALENDAR", b"BEGIN:VTODO\r\nUID:def\r\nEND:VTODO\r\n"
                                               b"END:VCALENDAR")
    assert ownership.top_uids(two) == {"abc", "def"}


# ---------------------------------------------------------------- the survey


def listing(remote: MemoryRemote) -> dict[str, Record]:
    return {uid_of(d): Record(uid_of(d), "main", h, remote.etags[h], "x", "session", "l")
            for h, d in remote.objects.items()}


def test_a_known_calendar_costs_one_listing_and_no_read():
    remote = MemoryRemote()
    ours = make_uid(KEY, "session:a")
    remote.external_put(f"{ours}.ics", ics(ours))
    records = listing(remote)
    remote.requests = 0
    found = ownership.survey({"main": remote}, records, {}, KEY)
    assert remote.requests == 1 and found.read == 0
    assert [o.href for o in found.copies[ours]] == [f"/practitioner/practice/{ours}.ics"]


def test_unknown_hrefs_are_read_in_one_multiget_and_the_uid_inside_decides():
    remote = MemoryRemote()
    ours, lookalike = make_uid(KEY, "session:a"), make_uid(OTHER, "session:a")
    remote.external_put("moved-by-a-phone.ics", ics(ours))  # ours, at a foreign-looking href
    remote.external_put(f"{ours}.ics", ics("dentist@phone.example"))  # foreign, at our name
    remote.external_put(f"{lookalike}.ics", ics(lookalike))  # our shape, another key
    found = ownership.survey({"main": remote}, {}, {}, KEY)
    assert remote.requests == 2 and found.read == 3  # the listing and one multiget
    assert list(found.copies) == [ours]
    assert [o.href for o in found.copies[ours]] == ["/practitioner/practice/moved-by-a-phone.ics"]
    assert len(found.foreign["main"]) == 2


def test_foreign_objects_are_read_once_and_again_only_when_they_change():
    remote = MemoryRemote()
    for n in range(150):  # more than one multiget batch
        remote.external_put(f"own-{n}.ics", ics(f"own-{n}@phone.example"))
    first = ownership.survey({"main": remote}, {}, {}, KEY)
    assert remote.requests == 1 + 2 and first.read == 150  # batches of MULTIGET_BATCH
    known = {"main": frozenset(first.foreign["main"])}
    remote.requests = 0
    again = ownership.survey({"main": remote}, {}, known, KEY)
    assert remote.requests == 1 and again.read == 0 and again.foreign == first.foreign
    remote.external_put("own-7.ics", ics("own-7@phone.example", "Dentist moved"))
    remote.requests = 0
    changed = ownership.survey({"main": remote}, {}, known, KEY)
    assert remote.requests == 2 and changed.read == 1


def test_the_foreign_digest_names_nothing():
    remote = MemoryRemote()
    remote.external_put("jane-birthday.ics", ics("jane@phone.example"))
    found = ownership.survey({"main": remote}, {}, {}, KEY)
    (digest,) = found.foreign["main"]
    assert "jane" not in digest and len(digest) == 32


# ---------------------------------------------------------------- copies


def obj(uid: str, calendar: str = "main"):
    from pseudocal.models import DesiredObject
    return DesiredObject(key=uid, uid=uid, calendar=calendar, kind="session", ical=b"",
                         content_hash="h", label=f"label {uid}")


def copy(uid: str, href: str, calendar: str = "main") -> RemoteObject:
    return RemoteObject(href, f'"{href}"', uid, True, calendar)


def test_one_copy_is_kept_in_its_calendar_at_the_recorded_then_the_canonical_href():
    uid = "u1"
    rec = Record(uid, "main", "/main/recorded.ics", '"e"', "h", "session", "l")
    found = {uid: [copy(uid, "/self/u1.ics", "selfcare"), copy(uid, "/main/u1.ics"),
                   copy(uid, "/main/recorded.ics"), copy(uid, "/main/zz.ics")]}
    kept, extra = keep_one_copy({uid: obj(uid)}, {uid: rec}, found)
    assert kept[uid].href == "/main/recorded.ics" and len(extra) == 3
    kept, extra = keep_one_copy({uid: obj(uid)}, {}, found)
    assert kept[uid].href == "/main/u1.ics"
    kept, _ = keep_one_copy({uid: obj(uid, "selfcare")}, {uid: rec}, found)
    assert kept[uid].href == "/self/u1.ics"  # the calendar it belongs in wins


def test_extra_copies_are_deleted_with_if_match_and_never_trip_the_safety_valve():
    desired = {u: obj(u) for u in ("a", "b", "c")}
    found = {u: [copy(u, f"/main/{u}.ics"), copy(u, f"/main/dup-{u}.ics")] for u in desired}
    records = {u: Record(u, "main", f"/main/{u}.ics", f'"/main/{u}.ics"', "h", "session",
                         "l") for u in desired}
    kept, extra = keep_one_copy(desired, records, found)
    actions = plan(desired, records, kept, extra=extra)
    assert [(a.op, a.href, a.etag, a.extra_copy) for a in actions] == [
        ("delete", f"/main/dup-{u}.ics", f'"/main/dup-{u}.ics"', True) for u in "abc"]
    assert not any(a.counts_as_removal for a in actions)
    check_safety(actions, Guarded.of(desired, records, kept), 0.1, allow=False)  # no raise


def test_a_moved_event_is_kept_at_its_new_href():
    rec = Record("a", "main", "/main/a.ics", '"e1"', "h", "session", "l")
    (action,) = plan({"a": obj("a")}, {"a": rec}, {"a": copy("a", "/main/moved.ics")})
    assert (action.op, action.href) == ("update", "/main/moved.ics")
    assert "moved to another href" in action.reason


# ---------------------------------------------------------------- the engine


CONFIG = """timezone = "Europe/London"
[calendar]
url = "http://127.0.0.1:9/practitioner/practice/"
[sync]
horizon = "4w"
keep_past = "7d"
"""


@pytest.fixture
def setup(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")
    settings = loader.load_settings(path, env={"PSEUDOCAL_STATE_DIR": str(tmp_path)})
    store = Store.create(tmp_path / "store.db", generate_key())
    client = store.add_client(ClientIdentity("Ottilie Brackenbury"))
    rules = tuple(SessionRule(i, client.pseudonym, Recurrence(
        datetime(2026, 12, 7 + i, 10, 0), timedelta(minutes=50), "Europe/London",
        "FREQ=WEEKLY"), "weekly") for i in range(3))
    settings = dataclasses.replace(settings, sessions=rules)
    remote = MemoryRemote("/practitioner/practice/")
    yield settings, store, remote
    store.close()


def run(settings, store, remote, **options) -> engine.SyncResult:
    return engine.sync(settings, store, {"main": remote}, now=NOW,
                       options=engine.SyncOptions(**options))


def test_a_sync_where_nothing_changed_is_one_listing(setup):
    settings, store, remote = setup
    remote.external_put("dentist.ics", ics("dentist@phone.example"))
    assert run(settings, store, remote).created == 3
    remote.requests = 0
    second = run(settings, store, remote)
    assert (second.writes, second.read, remote.requests) == (0, 0, 1)


def test_a_phone_move_costs_one_multiget_and_ends_with_one_copy(setup):
    settings, store, remote = setup
    run(settings, store, remote)
    href = sorted(remote.objects)[0]
    data = remote.objects[href]
    remote.external_delete(href)
    remote.external_put("moved-on-the-phone.ics", data)
    remote.requests = 0
    result = run(settings, store, remote)
    assert (result.created, result.updated, result.deleted, result.read) == (0, 1, 0, 1)
    assert remote.requests == 3  # listing, multiget, the PUT at the new href
    assert len(remote.objects) == 3
    assert "/practitioner/practice/moved-on-the-phone.ics" in remote.objects
    remote.requests = 0
    assert run(settings, store, remote).writes == 0 and remote.requests == 1


def test_a_foreign_object_at_the_href_of_ours_is_never_touched(setup):
    settings, store, remote = setup
    run(settings, store, remote)
    href = sorted(remote.objects)[0]
    foreign = ics("dentist@phone.example")
    remote.external_put(href, foreign)  # another app replaced ours at the same href
    result = run(settings, store, remote)
    assert result.created == 1 and remote.objects[href] == foreign
    assert any(h.endswith("-1.ics") for h in remote.objects)  # ours at a free name
    settings = dataclasses.replace(settings, sessions=())
    gone = run(settings, store, remote, allow_deletes=True)
    assert gone.deleted == 3 and remote.objects == {href: foreign}
