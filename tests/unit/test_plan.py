"""The planner: a pure function, checked by cases and by random histories."""
from __future__ import annotations

import dataclasses
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pseudocal.errors import SafetyRefusal
from pseudocal.models import DesiredObject, Record, RemoteObject
from pseudocal.sync.plan import Guarded, check_safety, plan


def obj(uid: str, content: str = "v1", calendar: str = "main") -> DesiredObject:
    return DesiredObject(key=uid, uid=uid, calendar=calendar, kind="session",
                         ical=content.encode(), content_hash=content, label=f"label {uid}")


class Sim:
    """A pure stand-in for a calendar plus the sync records, applying actions like the executor."""

    def __init__(self) -> None:
        self.server: dict[str, tuple[str, str, str]] = {}  # uid -> (etag, content, calendar)
        self.records: dict[str, Record] = {}
        self.etags = itertools.count(1)

    def remote(self) -> dict[str, RemoteObject]:
        return {uid: RemoteObject(f"/{cal}/{uid}.ics", etag, uid, True, cal)
                for uid, (etag, _, cal) in self.server.items()}

    def apply(self, actions) -> None:
        for a in actions:
            if a.op in ("create", "update"):
                if a.op == "create":
                    assert a.uid not in self.server
                else:
                    assert self.server[a.uid][0] == a.etag, "If-Match would fail"
                etag = f'"{next(self.etags)}"'
                self.server[a.uid] = (etag, a.desired.content_hash, a.calendar)
                self.records[a.uid] = Record(a.uid, a.calendar, f"/{a.calendar}/{a.uid}.ics", etag,
                                             a.desired.content_hash, "session", a.label)
            elif a.op == "delete":
                assert self.server[a.uid][0] == a.etag
                del self.server[a.uid]
                self.records.pop(a.uid, None)
            else:
                self.records.pop(a.uid, None)

    def sync(self, desired: dict[str, DesiredObject]) -> list:
        actions = plan(desired, self.records, self.remote())
        self.apply(actions)
        return actions


def test_first_sync_creates_then_nothing():
    sim = Sim()
    desired = {u: obj(u) for u in ("a", "b", "c")}
    assert [a.op for a in sim.sync(desired)] == ["create"] * 3
    assert sim.sync(desired) == []


def test_changed_content_is_one_update_with_the_known_etag():
    sim = Sim()
    sim.sync({"a": obj("a"), "b": obj("b")})
    etag = sim.server["a"][0]
    actions = plan({"a": obj("a", "v2"), "b": obj("b")}, sim.records, sim.remote())
    assert [(a.op, a.uid, a.etag) for a in actions] == [("update", "a", etag)]


def test_removed_is_one_delete_and_expired_does_not_count_as_removal():
    sim = Sim()
    sim.sync({"a": obj("a"), "b": obj("b")})
    actions = plan({"a": obj("a")}, sim.records, sim.remote(), retired={"b"})
    assert [(a.op, a.uid, a.counts_as_removal) for a in actions] == [("delete", "b", False)]


def test_deleted_online_is_recreated_and_edited_online_is_restored():
    sim = Sim()
    desired = {"a": obj("a"), "b": obj("b")}
    sim.sync(desired)
    del sim.server["a"]
    sim.server["b"] = ('"phone"', "edited on phone", "main")
    ops = {(a.op, a.uid, a.reason.split(";")[0]) for a in plan(desired, sim.records, sim.remote())}
    assert ops == {("create", "a", "deleted online"), ("update", "b", "edited online")}


def test_lost_records_adopt_instead_of_duplicating():
    sim = Sim()
    desired = {"a": obj("a")}
    sim.sync(desired)
    sim.records.clear()
    actions = sim.sync(desired)
    assert [a.op for a in actions] == ["update"]
    assert len(sim.server) == 1 and sim.sync(desired) == []


def test_orphan_found_only_by_uid_is_deleted():
    sim = Sim()
    sim.sync({"a": obj("a"), "b": obj("b")})
    sim.records.clear()
    assert [(a.op, a.uid) for a in plan({"a": obj("a")}, {}, sim.remote())] == [
        ("delete", "b"), ("update", "a")]


def test_move_between_calendars_deletes_there_and_creates_here():
    sim = Sim()
    sim.sync({"a": obj("a")})
    actions = sim.sync({"a": obj("a", calendar="selfcare")})
    assert [(a.op, a.calendar) for a in actions] == [("delete", "main"), ("create", "selfcare")]
    assert sim.server["a"][2] == "selfcare"


def test_record_without_remote_and_not_desired_is_dropped():
    rec = Record("x", "main", "/main/x.ics", '"1"', "h", "session", "l")
    assert [a.op for a in plan({}, {"x": rec}, {})] == ["drop-record"]


# ---------------------------------------------------------------- safety valve


def deletes(n: int, removal: bool = True) -> list:
    sim = Sim()
    sim.sync({str(i): obj(str(i)) for i in range(n)})
    actions = plan({}, sim.records, sim.remote(), retired=set() if removal else
                   {str(i) for i in range(n)})
    return actions


def test_emptied_config_refuses_even_for_one_event():
    with pytest.raises(SafetyRefusal) as info:
        check_safety(deletes(1), Guarded(managed=1, recorded=1, wanted=0), 0.5, False)
    assert info.value.exit_code == 7 and "--allow-deletes" in info.value.next_step
    assert info.value.situation == "config-emptied"


def test_large_share_refuses_small_change_passes_and_flag_overrides():
    actions = deletes(6)[:4]
    with pytest.raises(SafetyRefusal) as info:
        check_safety(actions, Guarded(managed=6, recorded=6, wanted=2), 0.5, False)
    assert info.value.situation == "too-many"
    check_safety(actions[:2], Guarded(managed=6, recorded=6, wanted=4), 0.5, False)
    check_safety(actions, Guarded(managed=6, recorded=6, wanted=2), 0.5, True)


def test_expiry_never_trips_the_valve():
    check_safety(deletes(5, removal=False), Guarded(managed=5, recorded=5, wanted=0), 0.5,
                 False)


def test_never_synced_is_not_had_n_now_zero():
    check_safety(plan({"a": obj("a")}, {}, {}), Guarded(managed=0, recorded=0, wanted=1),
                 0.5, False)


def test_had_n_now_sees_zero_refuses_to_recreate_everything():
    sim = Sim()
    desired = {str(i): obj(str(i)) for i in range(4)}
    sim.sync(desired)
    actions = plan(desired, sim.records, {})  # the listing shows none of ours
    guarded = Guarded.of(desired, sim.records, {})
    assert guarded == Guarded(managed=0, recorded=4, wanted=4)
    with pytest.raises(SafetyRefusal) as info:
        check_safety(actions, guarded, 0.5, False)
    assert info.value.situation == "calendar-empty" and "had 4" in info.value.message
    check_safety(actions, guarded, 0.5, True)


def test_the_share_counts_sessions_only_so_deleting_every_session_trips_it():
    """Breaks in the total but not in the deletions made the valve unreachable: 3 sessions
    and 8 break series online, every session block removed, supervision kept."""
    sim = Sim()
    desired = {u: obj(u) for u in ("s1", "s2", "s3", "sup", *(f"b{i}" for i in range(8)))}
    sim.sync(desired)
    for uid in (f"b{i}" for i in range(8)):
        sim.records[uid] = dataclasses.replace(sim.records[uid], kind="break")
    kept = {"sup": obj("sup")}
    actions = plan(kept, sim.records, sim.remote())
    guarded = Guarded.of(kept, sim.records, sim.remote())
    assert guarded == Guarded(managed=4, recorded=4, wanted=1)
    with pytest.raises(SafetyRefusal) as info:
        check_safety(actions, guarded, 0.5, False)
    assert info.value.situation == "too-many" and "3 of the 4" in info.value.message


# ---------------------------------------------------------------- properties

uids = st.sampled_from([f"u{i}" for i in range(8)])
contents = st.sampled_from(["v1", "v2", "v3"])
desired_sets = st.dictionaries(uids, contents, max_size=8).map(
    lambda d: {u: obj(u, c) for u, c in d.items()})
events = st.one_of(
    st.tuples(st.just("config"), desired_sets),
    st.tuples(st.just("phone-delete"), uids),
    st.tuples(st.just("phone-edit"), uids),
    st.tuples(st.just("lose-records"), st.none()),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(events, min_size=1, max_size=12))
def test_random_histories_converge_and_second_plan_is_empty(history):
    sim = Sim()
    desired: dict[str, DesiredObject] = {}
    for kind, arg in history:
        if kind == "config":
            desired = arg
        elif kind == "phone-delete":
            sim.server.pop(arg, None)
        elif kind == "phone-edit" and arg in sim.server:
            sim.server[arg] = ('"phone"', "edited", sim.server[arg][2])
        elif kind == "lose-records":
            sim.records.clear()
        sim.sync(desired)
        assert {u: c for u, (_, c, _) in sim.server.items()} == {
            u: o.content_hash for u, o in desired.items()}
        assert sim.sync(desired) == []


@settings(max_examples=200, deadline=None)
@given(desired_sets, st.lists(st.text(min_size=1, max_size=12), max_size=6))
def test_foreign_objects_never_appear_in_actions(desired, foreign):
    """Only owned objects reach the planner; anything else can never be touched."""
    sim = Sim()
    sim.sync(desired)
    owned = sim.remote()
    foreign_hrefs = {f"/main/{name}.ics" for name in foreign}
    for actions in (plan({}, sim.records, owned), plan(desired, {}, owned)):
        assert not {a.href for a in actions} & foreign_hrefs
        assert {a.uid for a in actions if a.op in ("update", "delete")} <= set(owned)


def test_derived_objects_leaving_never_trip_the_valve_but_sessions_do():
    """A booked month's reminder or a break that no longer fits goes quietly."""
    sim = Sim()
    desired = {u: obj(u) for u in ("s1", "r1", "r2", "b1")}
    sim.sync(desired)
    for uid, kind in (("r1", "reminder"), ("r2", "reminder"), ("b1", "break")):
        sim.records[uid] = dataclasses.replace(sim.records[uid], kind=kind)
    actions = plan({"s1": obj("s1")}, sim.records, sim.remote())
    assert sorted(a.uid for a in actions if a.op == "delete") == ["b1", "r1", "r2"]
    assert not any(a.counts_as_removal for a in actions)
    check_safety(actions, Guarded.of({"s1": obj("s1")}, sim.records, sim.remote()), 0.5, False)
    session_gone = plan({"r1": obj("r1")}, sim.records, sim.remote())
    assert [a.uid for a in session_gone if a.counts_as_removal] == ["s1"]
