"""A full sync cycle through the real CLI against each `make interop` server.

The steps run in order on one practice and one calendar, as a practitioner's week would:
first push, no-op, change, delete, a foreign event at an href shaped like ours, phone edit,
phone move. Then kill -9 during a sync with many writes, and a resync, on a second practice
and a calendar of its own, so that what an earlier step left behind cannot decide it. Every
calendar is made for the run (MKCALENDAR) and deleted at the end.

Each step checks the calendar as the server holds it afterwards: every session of the config
exactly once (title and start), nothing else of ours (ours: the UID inside the object carries
this store's tag), the foreign event byte-identical. pseudocal talks to the server through a
recording proxy, so a failing step quotes the server's own answers.

Results per server, and the answers each server gave before the issue-8 fixes: see
tests/interop/FINDINGS.md (at commit 492df9a every step passes on DAViCal and Cyrus). Nothing
here is marked xfail: `make interop` is how a change is checked.
"""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from icalendar import Calendar

import daemonproc
from interop.dav import Dav, uid_of
from interop.proxy import RecordingProxy
from interop.servers import Calendars, Server, interop_params, server
from pseudocal import crypto
from pseudocal.store import Store

pytestmark = pytest.mark.interop

CLIENTS = ["Test Person Alpha", "Test Person Beta", "Test Person Gamma"]


def foreign(what: str = "Dentist") -> bytes:
    """Another client's event, with a UID of its own (Cyrus keeps UIDs unique account-wide,
    so a fixed one would clash with an earlier run's)."""
    return (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Phone//EN\r\nBEGIN:VEVENT\r\n"
            b"UID:" + str(uuid.uuid4()).encode() + b"@phone.example\r\n"
            b"DTSTAMP:20261101T090000Z\r\nDTSTART:20261210T090000Z\r\n"
            b"DTEND:20261210T100000Z\r\nSUMMARY:" + what.encode() + b"\r\n"
            b"END:VEVENT\r\nEND:VCALENDAR\r\n")


@dataclass
class Slot:
    """One [[sessions]] block: a client (by index), a day after next Monday, an hour."""
    client: int
    day: int
    hour: int
    repeat: str = "weekly"

    def block(self, practice: daemonproc.Practice) -> str:
        make = practice.weekly if self.repeat == "weekly" else practice.once
        return make(self.client, day=self.day, hour=self.hour)

    def expected(self, practice: daemonproc.Practice) -> tuple[str, datetime]:
        start = datetime.combine(daemonproc.next_monday() + timedelta(days=self.day),
                                 datetime.min.time()).replace(hour=self.hour)
        return practice.pseudonyms[self.client], start


@dataclass
class InteropPractice(daemonproc.Practice):
    """daemonproc's practice, with the server's user and password file instead of Radicale."""
    username: str = ""
    password_file: Path | None = None

    def text(self) -> str:
        base = super().text()
        auth = f'username = "{self.username}"\npassword_file = "{self.password_file}"\n'
        assert 'server = "radicale"\n' in base, "daemonproc.Practice.text() changed shape"
        return base.replace('server = "radicale"\n', auth, 1)


@dataclass
class SyncRun:
    code: int
    doc: dict | None
    stderr: str
    writes: list = field(default_factory=list, repr=False)
    refused: list = field(default_factory=list, repr=False)

    def counts(self) -> tuple[int, int, int] | None:
        if not self.doc or "created" not in self.doc:
            return None
        return self.doc["created"], self.doc["updated"], self.doc["deleted"]

    def detail(self) -> str:
        lines = [f"pseudocal sync exit {self.code}; counts {self.counts()}"]
        if self.doc and "error" in self.doc:
            lines.append(f"  error: {self.doc.get('message')}")
        lines += [f"  stderr: {line}" for line in self.stderr.strip().splitlines()[-6:]]
        lines += [f"  server answered {e.brief()}" for e in self.refused[:6]]
        return "\n".join(lines)


class Cycle:
    """One practice (config, key, store) syncing one calendar on one server."""

    def __init__(self, srv: Server, proxy: RecordingProxy, root: Path, calendar: str) -> None:
        self.srv, self.proxy, self.calendar = srv, proxy, calendar
        self.dav: Dav = srv.dav()
        (root / "state").mkdir(parents=True)
        password = root / "state" / "caldav-password"
        password.write_text(srv.password, encoding="utf-8")
        password.chmod(0o600)
        self.practice = InteropPractice(root, proxy.url + urlsplit(calendar).path,
                                        username=srv.user, password_file=password)
        self.practice.create(CLIENTS)
        self.slots: list[Slot] = []
        self.foreign: tuple[str, bytes, str] | None = None  # href, bytes, etag

    # ------------------------------------------------------------ acting

    def write(self) -> None:
        self.practice.sessions = [s.block(self.practice) for s in self.slots]
        self.practice.write()

    def sync(self, *flags: str, timeout: float = 300) -> SyncRun:
        self.write()
        self.proxy.reset()
        done = daemonproc.pseudocal("sync", "--json", *flags, "--config",
                                    str(self.practice.config), timeout=timeout)
        try:
            doc = json.loads(done.stdout) if done.stdout.strip() else None
        except json.JSONDecodeError:
            doc = None
        return SyncRun(done.returncode, doc, done.stderr, self.proxy.writes(),
                       self.proxy.refused())

    def put_foreign(self, name: str, data: bytes) -> tuple[str, bytes, str]:
        url = urljoin(self.calendar, name)
        answer = self.dav.put(url, data, create=True)
        assert 200 <= answer.status < 300, f"a foreign PUT was refused: {answer.brief()}"
        got = self.dav.get(url)
        return urlsplit(url).path, got.body, got.header("etag") or ""

    # ------------------------------------------------------------ looking

    def objects(self) -> dict[str, bytes]:
        """{href: bytes} of everything the calendar holds, read directly from the server."""
        return self.dav.objects(self.calendar)

    def tag_key(self) -> bytes:
        with Store.open(self.practice.store_path,
                        crypto.load_key_file(self.practice.key_path)) as store:
            return store.tag_key

    def ours(self, objects: dict[str, bytes]) -> dict[str, list[str]]:
        """{uid: [hrefs]} of the objects whose UID (inside the object) is pseudocal's."""
        key = self.tag_key()
        found: dict[str, list[str]] = {}
        for href, data in objects.items():
            uid = uid_of(data)
            if uid and crypto.is_own_uid(key, uid):
                found.setdefault(uid, []).append(href)
        return found

    def problems(self) -> list[str]:
        """How the calendar differs from the config: [] when it is exactly right."""
        objects = self.objects()
        ours = self.ours(objects)
        problems = [f"UID {uid[:12]}... is stored {len(hrefs)} times: {sorted(hrefs)}"
                    for uid, hrefs in ours.items() if len(hrefs) > 1]
        online = sorted(_title_and_start(objects[hrefs[0]]) for hrefs in ours.values())
        wanted = sorted(s.expected(self.practice) for s in self.slots)
        missing = [w for w in wanted if w not in online]
        extra = [o for o in online if o not in wanted]
        if missing:
            problems.append(f"missing on the server: {_show(missing)}")
        if extra:
            problems.append(f"on the server but not in the config: {_show(extra)}")
        if self.foreign:
            href, data, etag = self.foreign
            now = self.dav.get(urljoin(self.calendar, href))
            if now.status != 200:
                problems.append(f"the foreign event {href} is gone ({now.status})")
            elif now.body != data or (now.header("etag") or "") != etag:
                problems.append(f"the foreign event {href} was changed")
        return problems

    def our_href(self, slot: Slot) -> tuple[str, bytes, str]:
        """(href, bytes, etag) of the object the server holds for `slot`."""
        objects = self.objects()
        for _uid, hrefs in self.ours(objects).items():
            if _title_and_start(objects[hrefs[0]]) == slot.expected(self.practice):
                got = self.dav.get(urljoin(self.calendar, hrefs[0]))
                return hrefs[0], got.body, got.header("etag") or ""
        raise AssertionError(f"no object of ours on the server for {slot}")


def _title_and_start(data: bytes) -> tuple[str, datetime]:
    event = Calendar.from_ical(data).walk("VEVENT")[0]
    start = event["DTSTART"].dt
    return str(event.get("SUMMARY", "")), start.replace(tzinfo=None)


def _show(items: list[tuple[str, datetime]]) -> str:
    return ", ".join(f"{title} {start:%a %d %b %H:%M}" for title, start in items)


def converged(cycle: Cycle, run: SyncRun, what: str) -> None:
    """The sync exited 0 and left the calendar exactly as the config says."""
    problems = cycle.problems()
    ok = run.code == 0 and not problems
    assert ok, (
        f"{what}\n{run.detail()}\n" + "\n".join(f"  calendar: {p}" for p in problems))


def quiet(cycle: Cycle, what: str) -> SyncRun:
    """One more sync: it exits 0 and sends no write."""
    run = cycle.sync()
    ok = run.code == 0 and not run.writes
    assert ok, (
        f"{what}: the next sync is not a no-op ({len(run.writes)} writes)\n{run.detail()}\n"
        + "\n".join(f"  wrote {e.brief()}" for e in run.writes[:6]))
    return run


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module", params=interop_params())
def srv(request) -> Server:
    return server(request.param)


@pytest.fixture(scope="module")
def proxy(srv):
    parts = urlsplit(srv.home)
    with RecordingProxy(f"{parts.scheme}://{parts.netloc}") as running:
        yield running


@pytest.fixture(scope="module")
def calendars():
    """Fresh calendars for the module, deleted at its end (a rerun starts from empty ones)."""
    made = Calendars()
    yield made
    made.cleanup()


@pytest.fixture(scope="module")
def cycle(srv, proxy, calendars, tmp_path_factory) -> Cycle:
    _, url = calendars(srv.name, "cycle")
    c = Cycle(srv, proxy, tmp_path_factory.mktemp(f"cycle-{srv.name}"), url)
    c.slots = [Slot(0, 0, 10), Slot(1, 1, 9), Slot(2, 2, 16, "once")]
    c.foreign = c.put_foreign("dentist-appointment.ics", foreign())
    return c


# ---------------------------------------------------------------- the cycle, in order


def test_01_first_push(cycle):
    run = cycle.sync()
    converged(cycle, run, "first push")
    assert run.counts() == (3, 0, 0), run.detail()
    assert all(e.method == "PUT" and e.header("If-None-Match") == "*" for e in run.writes), \
        "\n".join(e.brief() for e in run.writes)


def test_02_no_op(cycle):
    run = quiet(cycle, "no-op")
    assert run.counts() == (0, 0, 0), run.detail()
    converged(cycle, run, "no-op")


def test_03_change(cycle):
    cycle.slots[0].hour = 11
    run = cycle.sync()
    converged(cycle, run, "change: session 1 moved from 10:00 to 11:00")
    assert run.counts() == (0, 1, 0), run.detail()
    assert [(e.method, bool(e.header("If-Match"))) for e in run.writes] == [("PUT", True)]


def test_04_delete(cycle):
    cycle.slots.pop()
    run = cycle.sync()
    if run.code == 7:  # the deletion safety valve asked: say yes, as a practitioner would
        run = cycle.sync("--allow-deletes")
    converged(cycle, run, "delete: the one-off session removed from the config")
    assert run.counts() == (0, 0, 1), run.detail()
    assert [(e.method, bool(e.header("If-Match"))) for e in run.writes] == [("DELETE", True)]


def test_05_foreign_event_at_an_href_shaped_like_ours(cycle):
    """Another client's event stored at `<a UID of ours>.ics` (one no session wants) is not
    ours: the UID inside the object is what counts, never the file name."""
    name = crypto.make_uid(cycle.tag_key(), "interop:look-alike") + ".ics"
    href, data, etag = cycle.put_foreign(name, foreign("Optician"))
    run = cycle.sync()
    after = cycle.dav.get(urljoin(cycle.calendar, href))
    kept = after.status == 200 and after.body == data and after.header("etag") == etag
    assert kept, (f"the foreign event at {href} was "
                  f"{'deleted' if after.status == 404 else 'changed'} by the sync\n"
                  f"{run.detail()}\n" + "\n".join(f"  wrote {e.brief()}" for e in run.writes))
    converged(cycle, run, "foreign look-alike")


def test_06_phone_edit(cycle):
    href, data, etag = cycle.our_href(cycle.slots[0])
    edited = data.replace(b"SUMMARY:", b"SUMMARY:Edited on phone ", 1)
    answer = cycle.dav.put(urljoin(cycle.calendar, href), edited, if_match=etag)
    assert 200 <= answer.status < 300, f"the phone's PUT with If-Match: {answer.brief()}"
    run = cycle.sync()
    converged(cycle, run, "phone edit: config wins")
    assert run.counts() == (0, 1, 0), run.detail()
    quiet(cycle, "after the phone edit")


def test_07_phone_move(cycle):
    """A phone app "moves" an event: the same bytes at a new href, the old href deleted.

    The next sync must leave exactly one copy; a config change after it must still be made
    (one stray copy must not stop every later change); and then a sync writes nothing."""
    href, data, etag = cycle.our_href(cycle.slots[1])
    gone = cycle.dav.delete(urljoin(cycle.calendar, href), if_match=etag)
    assert 200 <= gone.status < 300, f"the phone's DELETE: {gone.brief()}"
    moved = cycle.dav.put(urljoin(cycle.calendar, f"{uuid.uuid4()}.ics"), data, create=True)
    assert 200 <= moved.status < 300, f"the phone's PUT at a new href: {moved.brief()}"
    lines, ok = ["phone move"], True
    for what in ("sync after the move", "sync after a config change (session 1 to 12:00)",
                 "one more sync (must write nothing)"):
        if what.startswith("sync after a config change"):
            cycle.slots[0].hour = 12
        run = cycle.sync()
        problems = cycle.problems()
        fine = run.code == 0 and not problems and (not what.startswith("one more") or
                                                   not run.writes)
        ok &= fine
        lines += [f"{what}: {'ok' if fine else 'FAILED'}; " + run.detail(),
                  *(f"  calendar: {p}" for p in problems),
                  *(f"  wrote {e.brief()}" for e in run.writes[:3] if what.startswith("one"))]
    assert ok, "\n".join(lines)


# ---------------------------------------------------------------- kill -9, on its own practice


@pytest.fixture(scope="module")
def busy(srv, proxy, calendars, tmp_path_factory) -> Cycle:
    _, url = calendars(srv.name, "kill")
    c = Cycle(srv, proxy, tmp_path_factory.mktemp(f"kill-{srv.name}"), url)
    c.slots = [Slot(0, 0, 10), Slot(1, 1, 9)]
    c.slots += [Slot(n % 3, 7 + n // 8, 8 + n % 8, "once") for n in range(22)]
    return c


def test_08_kill_during_a_sync_then_resync(busy):
    busy.write()
    busy.proxy.reset()
    log = busy.practice.root / "killed-sync.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "pseudocal", "sync", "--config",
                                 str(busy.practice.config)], stdout=out, stderr=out)
        seen = busy.proxy.wait_writes(5, timeout=120)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL, (
        f"the sync ended by itself (exit {proc.returncode}) before 5 writes were seen "
        f"({seen}): {log.read_text(errors='replace')[-800:]}")
    before = len(busy.proxy.writes())
    assert before < len(busy.slots), f"the sync finished all {before} writes before the kill"
    run = busy.sync()
    converged(busy, run, f"resync after kill -9 (killed after {before} writes)")
    assert run.counts()[0] + run.counts()[1] <= len(busy.slots) - seen + 1, run.detail()
    quiet(busy, "after the resync")
