"""What each `make interop` server answers to the requests pseudocal's design leans on.

Observations, not verdicts: a probe passes when the server answered at all, and records what it
said (status, the body's gist, what the calendar holds afterwards) in
.interop/<server>/probes.json, which run.sh prints and tests/interop/FINDINGS.md summarises.
Each probe works in fresh calendars of its own, deleted afterwards.
"""
from __future__ import annotations

import json
import uuid
from urllib.parse import urljoin, urlsplit

import pytest

from interop.dav import CAL, DAV, Answer, Dav, responses, uid_of
from interop.servers import interop_params, out_dir, server

pytestmark = pytest.mark.interop

FOUND: dict[str, dict[str, dict]] = {}  # server -> probe -> observation


def ics(uid: str, summary: str = "Amber Falcon") -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//pseudocal//interop probe//EN\r\n"
            f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n"
            "DTSTART:20261201T100000Z\r\nDTEND:20261201T105000Z\r\n"
            f"SUMMARY:{summary}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").encode()


def new_uid() -> str:
    return f"probe-{uuid.uuid4()}"


@pytest.fixture(scope="module", params=interop_params())
def name(request):
    yield request.param
    folder = out_dir(request.param)
    (folder / "probes.json").write_text(json.dumps(FOUND.get(request.param, {}), indent=2))


@pytest.fixture
def cal(name, interop_calendar):
    """(dav, url of a fresh calendar, a function making another one)."""
    srv, url = interop_calendar(name, "probe")
    return srv.dav(), url, lambda: interop_calendar(name, "probe")[1]


def note(name: str, probe: str, summary: str, *answers: Answer, **facts) -> None:
    FOUND.setdefault(name, {})[probe] = {
        "summary": summary, **facts, "answers": [a.brief(400) for a in answers]}


def copies(dav: Dav, url: str, uid: str) -> int:
    return sum(uid_of(data) == uid for data in dav.objects(url).values())


# ---------------------------------------------------------------- UIDs


def test_second_object_with_an_existing_uid(name, cal):
    dav, url, _ = cal
    uid = new_uid()
    first = dav.put(urljoin(url, "a.ics"), ics(uid), create=True)
    second = dav.put(urljoin(url, "b.ics"), ics(uid, "Second"), create=True)
    n = copies(dav, url, uid)
    note(name, "same_uid_other_href",
         f"PUT b.ics with a UID already at a.ics: {second.status}; {n} copies stored",
         first, second, status=second.status, copies=n)


def test_same_uid_in_another_calendar(name, cal):
    dav, url, another = cal
    other, uid = another(), new_uid()
    first = dav.put(urljoin(url, "a.ics"), ics(uid), create=True)
    second = dav.put(urljoin(other, "a.ics"), ics(uid), create=True)
    note(name, "same_uid_other_calendar",
         f"the same UID in a second calendar of the account: {second.status}",
         first, second, status=second.status)


def test_update_into_a_taken_uid(name, cal):
    dav, url, _ = cal
    taken, mine = new_uid(), new_uid()
    dav.put(urljoin(url, "a.ics"), ics(taken), create=True)
    made = dav.put(urljoin(url, "b.ics"), ics(mine), create=True)
    etag = made.header("etag") or dav.get(urljoin(url, "b.ics")).header("etag")
    changed = dav.put(urljoin(url, "b.ics"), ics(taken), if_match=etag)
    note(name, "update_into_taken_uid",
         f"PUT If-Match changing b.ics's UID to a.ics's: {changed.status}; "
         f"{copies(dav, url, taken)} copies of that UID", changed, status=changed.status)


# ---------------------------------------------------------------- listing and reading


def test_propfind_depth_1_lists_etags(name, cal):
    dav, url, _ = cal
    puts = [dav.put(urljoin(url, f"{n}.ics"), ics(new_uid()), create=True) for n in ("a", "b")]
    got = dav.get(urljoin(url, "a.ics"))
    listing = dav.propfind(url, "1")
    found = responses(listing)
    objects = [(h, e) for h, e, coll in found if not coll]
    put_etag = puts[0].header("etag")
    listed = dict(objects).get(urlsplit(url).path + "a.ics")
    note(name, "propfind_depth_1",
         f"{listing.status}; {len(objects)} objects, {sum(e is not None for _, e in objects)} "
         f"with an ETag; the calendar itself listed: {any(c for _, _, c in found)}; "
         f"PUT answered an ETag: {put_etag is not None}; PUT/GET/listing ETags agree: "
         f"{put_etag == got.header('etag') == listed}",
         listing, status=listing.status, etag_on_put=put_etag is not None,
         etags_agree=put_etag == got.header("etag") == listed)


SYNC_COLLECTION = ('<?xml version="1.0" encoding="utf-8"?>\n<d:sync-collection xmlns:d="DAV:">'
                   "<d:sync-token>{token}</d:sync-token><d:sync-level>1</d:sync-level>"
                   "<d:prop><d:getetag/></d:prop></d:sync-collection>")


def _sync_report(dav: Dav, url: str, token: str) -> tuple[Answer, str, list, int]:
    answer = dav.report(url, SYNC_COLLECTION.format(token=token).encode())
    tree = answer.tree()
    new_token = (tree.findtext(f"{DAV}sync-token") or "") if tree is not None else ""
    changed = [(h, e) for h, e, coll in responses(answer) if e and not coll]
    gone = sum(" 404 " in f"{(n.findtext(f'{DAV}status') or '')} "
               for n in (tree.iter(f"{DAV}response") if tree is not None else []))
    return answer, new_token, changed, gone


def test_sync_collection_report(name, cal):
    dav, url, _ = cal
    a = dav.put(urljoin(url, "a.ics"), ics(new_uid()), create=True)
    dav.put(urljoin(url, "b.ics"), ics(new_uid()), create=True)
    first, token, listed, _ = _sync_report(dav, url, "")
    dav.put(urljoin(url, "a.ics"), ics(uid_of(dav.get(urljoin(url, "a.ics")).body), "Changed"),
            if_match=a.header("etag") or dav.get(urljoin(url, "a.ics")).header("etag"))
    dav.delete(urljoin(url, "b.ics"))
    second, _, changed, gone = (_sync_report(dav, url, token) if token
                                else (first, "", [], 0))
    note(name, "sync_collection",
         f"initial {first.status}: {len(listed)} objects with ETags, token "
         f"{'given' if token else 'missing'}; with the token after 1 change and 1 delete: "
         f"{second.status}, {len(changed)} changed, {gone} deleted", first, second,
         status=first.status, incremental_status=second.status, changed=len(changed),
         deleted=gone)


def test_calendar_multiget(name, cal):
    dav, url, _ = cal
    for n in ("a", "b"):
        dav.put(urljoin(url, f"{n}.ics"), ics(new_uid()), create=True)
    path = urlsplit(url).path
    hrefs = "".join(f"<d:href>{path}{n}.ics</d:href>" for n in ("a", "b", "missing"))
    body = ('<?xml version="1.0" encoding="utf-8"?>\n<C:calendar-multiget xmlns:d="DAV:" '
            'xmlns:C="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/><C:calendar-data/>'
            f"</d:prop>{hrefs}</C:calendar-multiget>")
    answer = dav.report(url, body.encode(), depth="1")
    tree = answer.tree()
    with_data = 0 if tree is None else sum(
        n.find(f".//{CAL}calendar-data") is not None and bool(n.findtext(f".//{CAL}calendar-data"))
        for n in tree.iter(f"{DAV}response"))
    missing = "absent" if tree is None else next(
        ((n.findtext(f"{DAV}status") or n.findtext(f".//{DAV}status") or "no status")
         for n in tree.iter(f"{DAV}response") if (n.findtext(f"{DAV}href") or "").endswith(
             "missing.ics")), "not in the answer")
    note(name, "calendar_multiget",
         f"{answer.status}; {with_data} of 2 objects with calendar-data; the missing href: "
         f"{missing}", answer, status=answer.status, with_data=with_data, missing=missing)


def test_stored_bytes(name, cal):
    dav, url, _ = cal
    sent = ics(new_uid())
    dav.put(urljoin(url, "a.ics"), sent, create=True)
    got = dav.get(urljoin(url, "a.ics"))
    note(name, "stored_bytes",
         "GET returns the bytes as sent" if got.body == sent else
         f"GET returns other bytes ({len(sent)} sent, {len(got.body)} back)",
         same=got.body == sent, back=got.body.decode("utf-8", "replace")[:600])


# ---------------------------------------------------------------- writes and collections


def test_put_with_a_stale_if_match(name, cal):
    dav, url, _ = cal
    uid, obj = new_uid(), urljoin(url, "a.ics")
    made = dav.put(obj, ics(uid), create=True)
    old = made.header("etag") or dav.get(obj).header("etag")
    dav.put(obj, ics(uid, "Second"), if_match=old)
    stale = dav.put(obj, ics(uid, "Third"), if_match=old)
    stale_delete = dav.delete(obj, if_match=old)
    kept = b"SUMMARY:Second" in dav.get(obj).body
    missing_put = dav.put(urljoin(url, "nothing-here.ics"), ics(new_uid()), if_match=old)
    missing_delete = dav.delete(urljoin(url, "nothing-here.ics"), if_match=old)
    note(name, "stale_if_match",
         f"PUT with a stale If-Match: {stale.status}; DELETE with it: {stale_delete.status}; "
         f"object unchanged: {kept}; PUT If-Match on a missing href: {missing_put.status}; "
         f"DELETE If-Match on a missing href: {missing_delete.status}",
         stale, stale_delete, missing_put, missing_delete, status=stale.status,
         delete_status=stale_delete.status, unchanged=kept)


def test_mkcalendar(name, cal):
    dav, url, _ = cal
    srv = server(name)
    fresh = f"{srv.home}probe-mk-{uuid.uuid4().hex[:8]}/"
    made = dav.mkcalendar(fresh, "probe")
    is_calendar = dav.is_calendar(fresh)
    again = dav.mkcalendar(fresh, "probe")
    nested = dav.mkcalendar(urljoin(url, "inner/"), "inner")
    removed = dav.delete(fresh)
    gone = dav.propfind(fresh, "0").status
    home = dav.propfind(srv.home, "0", b'<?xml version="1.0"?><d:propfind xmlns:d="DAV:">'
                                       b"<d:prop><d:resourcetype/></d:prop></d:propfind>")
    home_is_calendar = home.tree() is not None and \
        home.tree().find(f".//{DAV}resourcetype/{CAL}calendar") is not None
    note(name, "mkcalendar",
         f"MKCALENDAR {made.status} (a calendar: {is_calendar}); again at the same URL "
         f"{again.status}; inside a calendar {nested.status}; DELETE of the calendar "
         f"{removed.status}, then PROPFIND {gone}; the home is a calendar: {home_is_calendar}",
         made, again, nested, removed, status=made.status, again=again.status,
         nested=nested.status, delete=removed.status, after_delete=gone)


def test_put_into_a_calendar_that_does_not_exist(name, cal):
    dav, _, _ = cal
    srv = server(name)
    missing = f"{srv.home}probe-missing-{uuid.uuid4().hex[:8]}/"
    put = dav.put(urljoin(missing, "a.ics"), ics(new_uid()), create=True)
    made = dav.propfind(missing, "0").status
    if made == 207:
        dav.delete(missing)
    note(name, "put_into_missing_calendar",
         f"PUT into a calendar that does not exist: {put.status}; the collection "
         f"{'now exists' if made == 207 else 'still does not exist'} ({made})",
         put, status=put.status, created_collection=made == 207)
