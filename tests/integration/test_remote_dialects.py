"""The remote seam's dialects, on a real Radicale with chosen answers put in front of it:
UID conflicts in all three dialects (Radicale's 409 and Xandikos's 412 are in the contract
suite; Cyrus's 403 `unique-scheduling-object-resource` names the holder), one object's refusal
told from whole-server trouble, and calendar-multiget (memory and Radicale)."""
from __future__ import annotations

import pytest

from pseudocal.errors import ConflictError, ObjectRefused, ServerError
from pseudocal.models import CalendarSettings
from pseudocal.remote.memory import MemoryRemote
from recording import Answering


def intercept(radicale, rule) -> None:
    radicale._recorder.app = Answering(radicale._recorder.app, rule)


CYRUS_403 = ('<?xml version="1.0" encoding="utf-8"?>\n<D:error xmlns:D="DAV:" '
             'xmlns:C="urn:ietf:params:xml:ns:caldav"><C:unique-scheduling-object-resource>'
             "<D:href>/practitioner/personal/e92fe72d.ics</D:href>"
             "</C:unique-scheduling-object-resource></D:error>").encode()


def ics(uid: str) -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\n"
            f"UID:{uid}\r\nDTSTAMP:20261101T090000Z\r\nDTSTART:20261210T090000Z\r\n"
            "DTEND:20261210T100000Z\r\nSUMMARY:Amber Falcon\r\nEND:VEVENT\r\n"
            "END:VCALENDAR\r\n").encode()


@pytest.fixture
def dav(radicale):
    from pseudocal.remote import CalDAVRemote
    settings = CalendarSettings(url=radicale.calendar_url(), username="practitioner",
                                server="radicale")
    with CalDAVRemote(settings, "not-checked", timeout=5) as remote:
        yield remote


def test_cyrus_403_unique_scheduling_object_resource_is_a_uid_conflict_naming_the_holder(
        radicale, dav):
    intercept(radicale, lambda m, p, b: (403, CYRUS_403) if m == "PUT" else None)
    with pytest.raises(ConflictError) as caught:
        dav.create("a.ics", ics("a"))
    assert caught.value.kind == "uid"
    assert caught.value.holder == "/practitioner/personal/e92fe72d.ics"


@pytest.mark.parametrize("status", [400, 403, 413, 415, 422])
def test_a_put_refused_for_this_object_is_object_refused_not_a_server_failure(
        radicale, dav, status):
    href, etag = dav.create("a.ics", ics("a"))
    intercept(radicale, lambda m, p, b: (status, b"") if m in ("PUT", "DELETE") else None)
    with pytest.raises(ObjectRefused) as caught:
        dav.update(href, ics("a"), etag)
    assert caught.value.status == status
    with pytest.raises(ObjectRefused):
        dav.delete(href, etag)


def test_a_403_to_the_listing_is_still_whole_server_trouble(radicale, dav):
    intercept(radicale, lambda m, p, b: (403, b"") if m == "PROPFIND" else None)
    with pytest.raises(ServerError) as caught:
        dav.list()
    assert not isinstance(caught.value, (ObjectRefused, ConflictError))
    assert "forbids access" in caught.value.message


@pytest.fixture(params=["memory", "radicale"])
def remote(request):
    if request.param == "memory":
        yield MemoryRemote()
    else:
        yield request.getfixturevalue("dav")


def test_multiget_reads_many_objects_in_one_request_and_leaves_out_a_gone_one(remote):
    made = dict(remote.create(f"{n}.ics", ics(f"uid-{n}")) for n in ("a", "b"))
    before = remote.requests
    got = remote.multiget([*made, f"{next(iter(made)).rsplit('/', 1)[0]}/gone.ics"])
    assert remote.requests == before + 1
    assert remote.multiget([]) == {} and remote.requests == before + 1  # nothing asked
    assert set(got) == set(made)
    for href, (data, etag) in got.items():
        assert etag == made[href] and data.startswith(b"BEGIN:VCALENDAR\r\n")
        assert f"UID:uid-{href[-5]}".encode() in data
