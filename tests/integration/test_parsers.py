"""Every parser places every instant where zoneinfo does.

Real objects: the example config and, for every zone named in the example and test configs
(plus zones with unusual rules: Lord Howe's 30-minute DST, Dublin's negative DST, Santiago's
midnight changes, Casablanca's Ramadan changes, zones without DST), configs whose sessions,
breaks, supervision and reminders sit on that zone's clock changes: in the spring-forward
gap, in the autumn fold, spanning a change, ending in a fold, ending after midnight, with a
skip on a gap date and an UNTIL on a fold date. Each is built by pseudocal's own
`desired.build` at several moments around each change (so that the trimmed series starts on
an irregular occurrence, and the breaks' sync window contains the change), and every object
is expanded for three years by independent parsers run from here:

* Mozilla ical.js (Thunderbird's and Nextcloud's engine), through `node`, installed with
  `npm` into .venv/parsers/ the first time (skipped, with the reason, without node or npm);
* recurring-ical-events, reading the VTIMEZONE inside the object (its TZIDs renamed so that
  icalendar cannot swap in its own zoneinfo zone: dateutil's VTIMEZONE reader does the work);
* recurring-ical-events as Python programs read the object (TZIDs as sent: zoneinfo zones),
  which checks the RRULE, EXDATE and RECURRENCE-ID handling on its own.

Each occurrence's start and end, as a parser places it, must be the instant pseudocal's
schedule gives (zoneinfo, with RFC 5545's rule for gaps and folds). The controls show the
comparison can fail: icalendar's own VTIMEZONE (what pseudocal sent before) is an hour off
in ical.js, and a gap occurrence without its override is misread.

Open-ended weekly series are also read 12 years ahead by ical.js and recurring-ical-events,
past the VTIMEZONE's explicit four years into its yearly rules (before those rules, ical.js
read 13162 of 33804 of these instants wrong, recurring-ical-events 12206 of 31736). So are
open-ended series that keep falling in gaps and folds or spanning changes: they are
published only as far as their overrides reach (`published_when`), and no parser may show
one of their occurrences after that bound (before the bound, ical.js read 666 of
their 37560 instants wrong over 12 years, recurring-ical-events 486 reading the VTIMEZONE
and 324 with zoneinfo zones, to 2038).
"""
from __future__ import annotations

import fcntl
import json
import re
import shutil
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from dateutil.rrule import rrulestr
from icalendar import Calendar

from pseudocal.config import loader
from pseudocal.crypto import make_uid
from pseudocal.events import vtimezone
from pseudocal.events.render import EventSpec, content_hash, published_when, render
from pseudocal.identity import privacy
from pseudocal.identity.pseudonyms import normalise
from pseudocal.models import Recurrence
from pseudocal.schedule import recurrence
from pseudocal.sync import desired

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".venv" / "parsers"  # `make clean` removes it with the venv
SCRIPT = ROOT / "tests" / "js" / "expand.mjs"
KHAL_SCRIPT = ROOT / "tests" / "khal_expand.py"
ICALJS = "ical.js@2"
KHAL_PACKAGE = "khal>=0.14,<0.15"
INSTALL_TIMEOUT = 180  # seconds for `npm install`
RUN_TIMEOUT = 600  # seconds for one expander run over every object (khal, the slowest, passed 120 s
# on a loaded machine with 2255 objects: the bound is against a hang, not a speed target)
MAX_INSTANCES = 5000  # per object and parser
YEARS = 3
KEY = b"p" * 32
UTC = timezone.utc
BASE = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # the first moment objects are built at
UNUSUAL = ("Australia/Lord_Howe", "Europe/Dublin", "America/Santiago", "Africa/Casablanca",
           "Australia/Sydney", "Asia/Tokyo", "Asia/Kolkata")
ZONE_TEXT = re.compile(r"""["']([A-Z][A-Za-z]+/[A-Za-z_]+(?:/[A-Za-z_]+)?)["']""")
NAMES = [f"{a} {b}" for a in ("Amber", "Quiet", "Silver", "Copper", "Misty", "Olive")
         for b in ("Falcon", "Heron", "Maple", "Wren", "Lark", "Stag")]
COUNTS: dict[str, int] = {}  # parser -> instants compared, for the closing note


# ---------------------------------------------------------------- the objects pseudocal sends


@dataclass(frozen=True)
class Sent:
    """One object as sent, the recurrence it was rendered from, and the window to expand;
    `published` the recurrence render() published for it (`published_when`: bounded where
    the config's goes on with occurrences a parser would misread) when it is not `when`."""
    label: str
    ical: bytes
    when: Recurrence
    start: datetime
    end: datetime
    published: Recurrence | None = None


def config_zones() -> list[str]:
    """Every zone named in the example config and the test suite, and the unusual ones."""
    found = set(UNUSUAL)
    for path in [*ROOT.glob("config/*.toml"), *ROOT.glob("tests/**/*.py")]:
        found |= set(ZONE_TEXT.findall(path.read_text(encoding="utf-8")))
    return sorted(z for z in found if recurrence.zone_problem(z) is None)


def changes(zone: str, since: datetime, years: int = 2) -> list[vtimezone.Transition]:
    return vtimezone.transitions(zone, since, since + timedelta(days=366 * years))


def _weekly_from(day: date, at: time, zone: str, weeks: int = 1) -> datetime:
    """A start `weeks` before `day` at `at` that exists once (a config refuses others)."""
    for back in range(weeks, weeks + 6):
        naive = datetime.combine(day - timedelta(weeks=back), at)
        if recurrence.local_time_problem(naive, zone) is None:
            return naive
    raise AssertionError(f"no plain start before {day} in {zone}")


def _ordinal(day: date) -> str:
    """RRULE BYDAY for "the n-th (or last) weekday of the month" that `day` is."""
    code = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")[day.weekday()]
    following = day + timedelta(days=7)
    return f"-1{code}" if following.month != day.month else f"{(day.day - 1) // 7 + 1}{code}"


def _session(client: str, start: datetime, duration: str, repeat: str, zone: str,
             extra: str = "") -> str:
    return (f'[[sessions]]\nclient = "{client}"\nstart = {start:%Y-%m-%dT%H:%M:%S}\n'
            f'duration = "{duration}"\nrepeat = "{repeat}"\ntimezone = "{zone}"\n{extra}\n')


def scenario_configs(zone: str) -> list[str]:
    """TOML bodies whose sessions sit on the zone's next two clock changes."""
    found = changes(zone, BASE)[:2]
    late = _weekly_from(BASE.date() + timedelta(days=14), time(23, 30), zone)
    plain = [_session("Amber Falcon", late.replace(hour=10, minute=0), "50m", "weekly", zone),
             _session("Quiet Heron", late, "50m", "weekly", zone)]  # ends after midnight
    if not found:
        return ["\n".join(plain)]
    gaps, spans = list(plain), []
    names = iter(NAMES[2:])
    for n, change in enumerate(found):
        length = change.after - change.before
        day = change.onset.date()
        middle = (change.onset + length / 2).time()  # in the gap or the fold
        first = _weekly_from(day, middle, zone)
        gaps.append(_session(next(names), first, "50m", "weekly", zone,
                             f"until = {day}" if n else ""))
        gaps.append(_session(next(names), first, "50m", "weekly", zone,
                             f"skip = [{day}]"))  # EXDATE on the gap or fold date
        gaps.append(_session(next(names), first + timedelta(days=3), "20m", "FREQ=DAILY", zone,
                             "count = 9"))
        monthly = _monthly_from(day, middle, zone)
        if monthly is not None:  # the n-th (or last) weekday of the month: every year
            gaps.append(_session(next(names), monthly, "50m",
                                 f"FREQ=MONTHLY;BYDAY={_ordinal(day)}", zone))
        before = change.onset - timedelta(minutes=20) + (length if length < timedelta(0)
                                                         else timedelta(0))
        spans.append(_session(next(names), _weekly_from(day, before.time(), zone), "1h30m",
                              "weekly", zone))  # spans the change
        spans.append(_session(next(names), _weekly_from(day, before.time(), zone, 2), "1h30m",
                              "fortnightly", zone))
        if recurrence.local_time_problem(datetime.combine(day, before.time()), zone) is None:
            spans.append(_session(next(names), datetime.combine(day, before.time()), "1h30m",
                                  "once", zone))
        if length < timedelta(0):  # ends in the fold
            ends = change.onset + length - timedelta(minutes=30)
            spans.append(_session(next(names), _weekly_from(day, ends.time(), zone), "50m",
                                  "weekly", zone))
    week_before = found[0].onset - timedelta(days=7)  # supervision in the gap or the fold
    supervision = "" if recurrence.local_time_problem(week_before, zone) else (
        f'[supervision]\nstart = {week_before:%Y-%m-%dT%H:%M:%S}\nduration = "45m"\n'
        f'repeat = "weekly"\ntimezone = "{zone}"\n')
    return ["\n".join(gaps), "\n".join(spans) + "\n" + supervision]


def _monthly_from(day: date, at: time, zone: str) -> datetime | None:
    """The first start, two months before `day`, of "the n-th weekday of the month" rule."""
    month = (day.replace(day=1) - timedelta(days=40)).replace(day=1)
    first = next(iter(rrulestr(f"FREQ=MONTHLY;BYDAY={_ordinal(day)}",
                               dtstart=datetime.combine(month, at))))
    return first if recurrence.local_time_problem(first, zone) is None else None


def settings_for(tmp: Path, zone: str, body: str, n: int):
    text = (f'timezone = "{zone}"\n[calendar]\nurl = "http://127.0.0.1:9/practice/"\n'
            f'[calendars.selfcare]\nurl = "http://127.0.0.1:9/selfcare/"\n'
            f'[store]\npath = "/nonexistent/store.db"\nkey_file = "/nonexistent/key"\n'
            f'[breaks]\n')
    if "[supervision]" not in body:
        text += '[supervision]\nminimum_per_month = "1.5h"\n'  # the reminders, nothing booked
    path = tmp / f"{zone.replace('/', '-')}-{n}.toml"
    path.write_text(text + body, encoding="utf-8")
    return loader.load_settings(path, env={})


def moments(zone: str) -> list[datetime]:
    """When to build: now, and around each of the next two changes: three weeks before (the
    change inside the breaks' window) and just under keep_past after (the trimmed series
    then starts on the changed day)."""
    found = [BASE]
    for change in changes(zone, BASE)[:2]:
        found += [change.at - timedelta(weeks=3), change.at + timedelta(days=30, hours=-3)]
    return found


def sent_objects(settings, now: datetime, label: str, seen: set[str]) -> list[Sent]:
    """What `desired.build` sends at `now`, each with the recurrence it was rendered from."""
    rendered: dict[bytes, tuple[Recurrence, Recurrence]] = {}

    def recording(spec: EventSpec, *, now: datetime) -> bytes:
        ical = render(spec, now=now)
        rendered[ical] = (spec.when, published_when(spec.when, now))
        return ical

    pseudonyms = {normalise(s.client) for s in settings.sessions}
    clients = {p: (f"c{n}", p) for n, p in enumerate(sorted(pseudonyms))}
    with mock.patch.object(desired, "render", recording):
        built = desired.build(settings, clients, KEY, now)
    window = (now - timedelta(days=60), now + timedelta(days=365 * YEARS))
    found = []
    for obj in built.objects.values():
        if obj.content_hash in seen:  # the same object built at another moment
            continue
        seen.add(obj.content_hash)
        privacy.check(obj.ical, privacy.Identities(), KEY, obj.label, obj.own)
        when, published = rendered[obj.ical]
        found.append(Sent(f"{label} {obj.kind} {obj.label} (built {now:%Y-%m-%d})", obj.ical,
                          when, *window, published))
    return found


@lru_cache(maxsize=1)
def all_sent() -> tuple[Sent, ...]:
    found: list[Sent] = []
    seen: set[str] = set()
    with tempfile.TemporaryDirectory() as tmp:
        example = loader.load_settings(ROOT / "config" / "example.toml", env={})
        for now in [BASE, *moments("Europe/London")[1:], *moments("Australia/Sydney")[1:]]:
            found += sent_objects(example, now, "example", seen)
        for zone in config_zones():
            for n, body in enumerate(scenario_configs(zone)):
                settings = settings_for(Path(tmp), zone, body, n)
                for now in moments(zone):
                    found += sent_objects(settings, now, zone, seen)
    return tuple(found)


# ---------------------------------------------------------------- truth and parsers


def _ts(instant: datetime) -> int:
    return int(instant.timestamp())


@lru_cache(maxsize=None)
def truth(sent: Sent) -> list[tuple[int, int]]:
    """Where zoneinfo (pseudocal's schedule) places each published occurrence starting in
    the window."""
    found = recurrence.expand(sent.published or sent.when, sent.start - timedelta(days=2),
                              sent.end + timedelta(days=2))
    return sorted((_ts(o.start), _ts(o.end)) for o in found if sent.start <= o.start < sent.end)


def _run_expander(command: list[str], sents: list[Sent], texts: list[str], name: str
                  ) -> list[list[tuple[int, int]] | str]:
    """Run a script that answers {"objects": [[[start, end], ...] | {"error": ...}]}."""
    request = {"objects": texts, "max": MAX_INSTANCES, "from": min(_ts(s.start) for s in sents),
               "to": max(_ts(s.end) for s in sents)}
    result = subprocess.run(command, input=json.dumps(request), capture_output=True, text=True,
                            timeout=RUN_TIMEOUT, check=False)
    assert result.returncode == 0, f"{name} run failed: {result.stderr[-2000:]}"
    answers = []
    for sent, found in zip(sents, json.loads(result.stdout)["objects"], strict=True):
        if isinstance(found, dict):
            answers.append(found["error"])
        else:
            answers.append(sorted((a, b) for a, b in found
                                  if _ts(sent.start) <= a < _ts(sent.end)))
    return answers


@dataclass(frozen=True)
class IcalJs:
    node: str
    library: Path
    version: str

    def expand(self, sents: list[Sent]) -> list[list[tuple[int, int]] | str]:
        return _run_expander([self.node, str(SCRIPT), str(self.library)], sents,
                             [s.ical.decode() for s in sents], "ical.js")


@dataclass(frozen=True)
class Khal:
    python: Path
    version: str

    def expand(self, sents: list[Sent]) -> list[list[tuple[int, int]] | str]:
        """khal reads the VTIMEZONE only under a TZID pytz does not know: renamed, as for
        recurring-ical-events (with the names as sent it uses pytz's own zones)."""
        texts = [_renamed(s.ical, s.when.timezone).decode() for s in sents]
        return _run_expander([str(self.python), str(KHAL_SCRIPT)], sents, texts, "khal")


@contextmanager
def _locked(path: Path):
    """Another pytest run in the same tree may install at the same time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="module")
def icaljs() -> IcalJs:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None:
        pytest.skip("ical.js: node is not installed")
    target = CACHE / "icaljs"
    library = target / "node_modules" / "ical.js" / "dist" / "ical.js"
    with _locked(CACHE / "icaljs.lock"):
        if not library.exists():
            if npm is None:
                pytest.skip("ical.js: npm is not installed")
            try:
                subprocess.run([npm, "install", "--prefix", str(target), "--no-audit",
                                "--no-fund", "--no-save", "--no-package-lock",
                                "--loglevel=error", ICALJS],
                               capture_output=True, text=True, timeout=INSTALL_TIMEOUT,
                               check=True)
            except (OSError, subprocess.SubprocessError) as exc:
                pytest.skip(f"ical.js: `npm install {ICALJS}` failed ({type(exc).__name__})")
            if not library.exists():
                pytest.skip(f"ical.js: `npm install {ICALJS}` left no {library.name}")
    meta = json.loads((library.parents[1] / "package.json").read_text(encoding="utf-8"))
    return IcalJs(node, library, meta.get("version", "?"))


@pytest.fixture(scope="module")
def khal() -> Khal:
    """khal in its own virtual environment (it pins its own icalendar and pytz)."""
    target = CACHE / "khal"
    python = target / "bin" / "python"
    with _locked(CACHE / "khal.lock"):
        if not (target / ".installed").exists():
            try:
                subprocess.run([sys.executable, "-m", "venv", "--clear", str(target)],
                               capture_output=True, timeout=INSTALL_TIMEOUT, check=True)
                subprocess.run([str(python), "-m", "pip", "install", "--quiet",
                                "--disable-pip-version-check", KHAL_PACKAGE],
                               capture_output=True, timeout=INSTALL_TIMEOUT, check=True)
            except (OSError, subprocess.SubprocessError) as exc:
                pytest.skip(f"khal: `pip install {KHAL_PACKAGE}` failed ({type(exc).__name__})")
            (target / ".installed").touch()
    found = subprocess.run([str(python), "-c", "from khal.version import version; print(version)"],
                           capture_output=True, text=True, timeout=60, check=False)
    if found.returncode != 0:
        pytest.skip("khal: installed but cannot be imported")
    return Khal(python, found.stdout.strip())


_RENAMED = "pseudocal-test-"


def _renamed(ical: bytes, zone: str) -> bytes:
    """The same object under a TZID icalendar does not know: it must read the VTIMEZONE.

    One name per object: icalendar caches the zone it builds by TZID, and objects built
    at different times cover different ranges."""
    tag = content_hash(ical)[:12]
    name = f"{_RENAMED}{zone.replace('/', '-')}-{tag}".encode()
    return (ical.replace(b"TZID:" + zone.encode() + b"\r\n", b"TZID:" + name + b"\r\n")
            .replace(b"TZID=" + zone.encode() + b":", b"TZID=" + name + b":"))


def python_expand(sent: Sent, read_vtimezone: bool) -> list[tuple[int, int]] | str:
    ical = _renamed(sent.ical, sent.when.timezone) if read_vtimezone else sent.ical
    cal = Calendar.from_ical(_without_alarms(ical))
    if read_vtimezone and b"TZID=" in ical:
        tz = next(e["DTSTART"].dt.tzinfo for e in cal.walk("VEVENT")
                  if "TZID" in e["DTSTART"].params or "RECURRENCE-ID" in e)
        assert not isinstance(tz, ZoneInfo), "icalendar did not read the VTIMEZONE"
    found = recurring_ical_events.of(cal).between(sent.start - timedelta(days=2),
                                                  sent.end + timedelta(days=2))
    out = []
    for event in found[:MAX_INSTANCES]:
        start, end = event["DTSTART"].dt, event["DTEND"].dt
        if sent.start <= start < sent.end:
            out.append((_ts(start), _ts(end)))
    return sorted(out)


def _without_alarms(ical: bytes) -> bytes:
    """Alarms move no instant; without them recurring-ical-events copies each occurrence
    several times faster (ical.js reads the objects whole)."""
    return re.sub(rb"BEGIN:VALARM\r\n.*?END:VALARM\r\n", b"", ical, flags=re.S)


def differences(sents: list[Sent], answers: list, parser: str) -> list[str]:
    """A line per object a parser reads differently from zoneinfo; counts what it compared."""
    problems = []
    for sent, answer in zip(sents, answers, strict=False):
        want = truth(sent)
        COUNTS[parser] = COUNTS.get(parser, 0) + 2 * len(want)
        if answer != want:
            problems.append(f"{parser}: {sent.label}: {_first_difference(sent, want, answer)}")
    return problems


def _first_difference(sent: Sent, want: list, got) -> str:
    if isinstance(got, str):
        return f"error {got}"
    zone = ZoneInfo(sent.when.timezone)

    def show(pair):
        return "-".join(f"{datetime.fromtimestamp(t, zone):%Y-%m-%d %H:%M%z}" for t in pair)

    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    return (f"{len(want)} expected, {len(got)} read; zoneinfo has "
            f"{[show(p) for p in missing[:2]]}, the parser {[show(p) for p in extra[:2]]}")


# ---------------------------------------------------------------- the comparisons


def test_the_objects_cover_every_zone_and_every_kind_of_clock_change():
    sents = all_sent()
    zones = {s.when.timezone for s in sents}
    assert set(config_zones()) - {"UTC"} <= zones | {"UTC"}
    assert {"Australia/Lord_Howe", "Europe/Dublin", "Asia/Tokyo"} <= zones
    kinds = {s.label.split()[1] for s in sents if not s.label.startswith("example")}
    assert {"session", "break", "supervision", "reminder"} <= kinds
    overridden = [s for s in sents if b"RECURRENCE-ID" in s.ical]
    assert len({s.when.timezone for s in overridden}) >= 5  # gaps, folds, spans everywhere
    utc_singles = [s for s in sents if s.when.rrule is None and b"DTSTART:" in s.ical]
    assert utc_singles  # single events across a change, written in UTC
    assert any(s.when.rrule and s.when.start.date() != Calendar.from_ical(s.ical).walk(
        "VEVENT")[0]["DTSTART"].dt.date() for s in sents)  # an earlier plain anchor


def test_icaljs_places_every_instant_where_zoneinfo_does(icaljs):
    sents = list(all_sent())
    problems = differences(sents, icaljs.expand(sents), f"ical.js {icaljs.version}")
    assert not problems, "\n".join(problems[:12])


def test_khal_places_every_instant_where_zoneinfo_does(khal):
    sents = list(all_sent())
    problems = differences(sents, khal.expand(sents), f"khal {khal.version} (VTIMEZONE read)")
    assert not problems, "\n".join(problems[:12])


@pytest.mark.parametrize("read_vtimezone", [True, False], ids=["vtimezone", "zoneinfo"])
def test_recurring_ical_events_places_every_instant_where_zoneinfo_does(read_vtimezone):
    sents = list(all_sent())
    answers = [python_expand(s, read_vtimezone) for s in sents]
    name = "recurring-ical-events " + ("(VTIMEZONE read)" if read_vtimezone
                                       else "(zoneinfo zones)")
    problems = differences(sents, answers, name)
    assert not problems, "\n".join(problems[:12])


# ---------------------------------------------------------------- the comparison can fail


def _old_vtimezone(ical: bytes) -> bytes:
    """What pseudocal sent before: icalendar's add_missing_timezones, and no overrides."""
    cal = Calendar.from_ical(ical)
    master = cal.walk("VEVENT")[0]
    cal.subcomponents = [master]
    first = master["DTSTART"].dt.date()
    cal.add_missing_timezones(first_date=first, last_date=date(first.year + 4, 1, 1))
    return cal.to_ical()


def _london_weekly(start: datetime, duration: timedelta = timedelta(minutes=50)) -> Sent:
    when = Recurrence(start, duration, "Europe/London", "FREQ=WEEKLY")
    ical = render(EventSpec(make_uid(KEY, "control"), "Amber Falcon", when), now=BASE)
    return Sent("control", ical, when, BASE, BASE + timedelta(days=365 * YEARS))


def test_the_comparison_catches_the_old_vtimezone_in_icaljs(icaljs):
    sent = _london_weekly(datetime(2026, 12, 1, 10, 0))
    old = Sent(sent.label, _old_vtimezone(sent.ical), sent.when, sent.start, sent.end)
    assert b"RDATE:2028" in old.ical  # the multi-valued RDATE ical.js reads only once
    [problem] = differences([old], icaljs.expand([old]), "control")
    assert "expected" in problem
    assert not differences([sent], icaljs.expand([sent]), "control")


def _without_overrides(sent: Sent) -> Sent:
    cal = Calendar.from_ical(sent.ical)
    cal.subcomponents = [c for c in cal.subcomponents if "RECURRENCE-ID" not in c]
    return Sent(sent.label, cal.to_ical(), sent.when, sent.start, sent.end)


GAP_SERIES = datetime(2027, 3, 21, 1, 30)  # 28 March 01:30 does not exist, 31 October twice


@pytest.mark.parametrize("read_vtimezone", [True, False], ids=["vtimezone", "zoneinfo"])
def test_the_comparison_catches_gap_and_fold_occurrences_without_overrides(read_vtimezone):
    # the gap one ends before it starts (zoneinfo zones) or starts at 00:30 GMT (VTIMEZONE
    # read); the fold one lasts 1h50m or is the later instant
    sent = _london_weekly(GAP_SERIES)
    assert b"RECURRENCE-ID" in sent.ical
    bare = _without_overrides(sent)
    assert differences([bare], [python_expand(bare, read_vtimezone)], "control")
    assert not differences([sent], [python_expand(sent, read_vtimezone)], "control")


def test_the_comparison_catches_gap_and_fold_occurrences_without_overrides_in_icaljs(icaljs):
    # the gap one from 00:30 GMT for 1h50m, the fold one the later instant
    sent = _london_weekly(GAP_SERIES)
    bare = _without_overrides(sent)
    assert differences([bare], icaljs.expand([bare]), "control")
    assert not differences([sent], icaljs.expand([sent]), "control")


def test_the_comparison_catches_gap_and_fold_occurrences_without_overrides_in_khal(khal):
    sent = _london_weekly(GAP_SERIES)
    bare = _without_overrides(sent)
    assert differences([bare], khal.expand([bare]), "control")
    assert not differences([sent], khal.expand([sent]), "control")


def test_the_count_of_instants_compared(figure):
    """Runs after the comparisons in this module: the numbers the closing note cites."""
    counts = {k: v for k, v in COUNTS.items() if k != "control"}
    if counts:
        figure(f"instants compared with zoneinfo over {YEARS} years, "
               f"{len(all_sent())} objects: " +
               ", ".join(f"{parser} {n}" for parser, n in sorted(counts.items())))


# ---------------------------------------------------------------- open-ended series, years ahead

FOREVER_YEARS = 12  # past the VTIMEZONE's explicit part (four years), into its yearly rules
FOREVER_ZONES = ("Europe/London", "America/New_York", "Australia/Sydney", "Europe/Dublin",
                 "Australia/Lord_Howe", "America/Sao_Paulo", "America/Santiago",
                 "Asia/Jerusalem", "Africa/Cairo", "Pacific/Chatham")
FOREVER_LENGTH = timedelta(minutes=50)
# icalendar (under recurring-ical-events) expands a VTIMEZONE's RRULE to the end of 2038 only
# (its timezone providers' `fix_rrule_until`): a limit of that reader, not of the object
ICALENDAR_RULES_END = datetime(2038, 12, 31, tzinfo=UTC)


def _plain_for_years(naive: datetime, zone: str, years: int) -> bool:
    """Every weekly occurrence from `naive` for `years` is plain: none needs an override
    (the overrides, like the explicit part, reach four years ahead only)."""
    rec = Recurrence(naive, FOREVER_LENGTH, zone, "FREQ=WEEKLY")
    starts = recurrence.wall_starts(rec, naive, naive + timedelta(days=366 * years))
    return all(recurrence.plain(s, FOREVER_LENGTH, zone) for s in starts)


def forever_starts(zone: str, now: datetime, years: int) -> list[datetime]:
    """Wall-clock first starts of open-ended weekly series, in the first week after `now`:
    on the weekday of each of the zone's next two changes, the plain starts nearest before
    and after the change (where the rule's onset day and hour matter, and which see both
    offsets); 10:00 in a zone without changes."""
    first = now.astimezone(ZoneInfo(zone)).replace(tzinfo=None) + timedelta(days=1)
    found: set[datetime] = set()
    for change in changes(zone, now)[:2]:
        nearest: dict[bool, datetime] = {}
        for minutes in [m for n in range(1, 9) for m in (-30 * n, 30 * n)]:
            naive = change.onset + timedelta(minutes=minutes)
            naive -= timedelta(weeks=(naive - first).days // 7)
            after = minutes > 0
            if after not in nearest and _plain_for_years(naive, zone, years):
                nearest[after] = naive
        found |= set(nearest.values())
    return sorted(found) or [datetime.combine(first.date(), time(10, 0))]


def forever_objects(zone: str, now: datetime = BASE, years: int = FOREVER_YEARS) -> list[Sent]:
    """Open-ended weekly series in `zone` as pseudocal renders them at `now`, to expand for
    `years` from `now`."""
    found = []
    for n, start in enumerate(forever_starts(zone, now, years)):
        when = Recurrence(start, FOREVER_LENGTH, zone, "FREQ=WEEKLY")
        ical = render(EventSpec(make_uid(KEY, f"forever:{zone}:{n}"), "Amber Falcon", when),
                      now=now)
        found.append(Sent(f"{zone} weekly from {start:%Y-%m-%d %H:%M} (built {now:%Y-%m-%d})",
                          ical, when, now, now + timedelta(days=365 * years)))
    return found


@lru_cache(maxsize=1)
def all_forever() -> tuple[Sent, ...]:
    """Every zone's series, and Cairo's built in 2036: its change after the last Thursday of
    October falls on 1 November in 2041 and 2047 (the rule's second STANDARD observance)."""
    found = [s for zone in FOREVER_ZONES for s in forever_objects(zone)]
    return (*found, *forever_objects("Africa/Cairo", datetime(2036, 12, 1, 9, tzinfo=UTC)))


def wrong_instants(sents: list[Sent], answers: list) -> int:
    """How many starts and ends zoneinfo has that the parser does not (an error: all)."""
    wrong = 0
    for sent, got in zip(sents, answers, strict=True):
        want = truth(sent)
        got = [] if isinstance(got, str) else got
        for side in (0, 1):
            wrong += len({p[side] for p in want} - {p[side] for p in got})
    return wrong


def _until(sent: Sent, end: datetime) -> Sent:
    return replace(sent, end=min(sent.end, end))


def test_the_open_ended_series_reach_past_the_explicit_part_on_every_kind_of_change():
    sents = all_forever()
    assert {s.when.timezone for s in sents} == set(FOREVER_ZONES)
    assert all(b"RECURRENCE-ID" not in s.ical for s in sents)  # plain: no override needed
    near = [s for s in sents if s.when.start.time() != time(10, 0)]
    assert {s.when.timezone for s in near} == set(FOREVER_ZONES) - {"America/Sao_Paulo"}
    assert b"RRULE:FREQ=YEARLY;BYDAY=FR;BYMONTHDAY=1;BYMONTH=11" in sents[-1].ical
    assert min(s.end for s in sents) > datetime(2038, 11, 1, tzinfo=UTC)


def test_icaljs_places_open_ended_series_where_zoneinfo_does_for_years(icaljs, figure):
    sents = list(all_forever())
    # one run per window: ical.js reads every object of a run to the run's last day
    answers = [a for built in sorted({s.start for s in sents})
               for a in icaljs.expand([s for s in sents if s.start == built])]
    sents.sort(key=lambda s: s.start)
    wrong = wrong_instants(sents, answers)
    compared = sum(2 * len(truth(s)) for s in sents)
    figure(f"ical.js {icaljs.version}, open-ended weekly series over {FOREVER_YEARS} years: "
           f"{wrong} of {compared} instants wrong")
    problems = differences(sents, answers, "control")
    assert not problems, f"{wrong} instants wrong\n" + "\n".join(problems[:12])


def test_recurring_ical_events_places_open_ended_series_where_zoneinfo_does(figure):
    sents = [_until(s, ICALENDAR_RULES_END) for s in all_forever()]
    answers = [python_expand(s, read_vtimezone=True) for s in sents]
    wrong = wrong_instants(sents, answers)
    compared = sum(2 * len(truth(s)) for s in sents)
    figure(f"recurring-ical-events (VTIMEZONE read), open-ended weekly series to "
           f"{ICALENDAR_RULES_END:%Y}: {wrong} of {compared} instants wrong")
    problems = differences(sents, answers, "control")
    assert not problems, f"{wrong} instants wrong\n" + "\n".join(problems[:12])


# ---------------------------------------------------------------- open-ended irregular series

IRREGULAR_ZONES = ("Europe/London", "America/New_York", "Australia/Sydney",
                   "Australia/Lord_Howe", "America/Santiago")


def irregular_starts(zone: str, now: datetime) -> list[tuple[datetime, timedelta]]:
    """(wall-clock first start, duration) of open-ended weekly series, in the first weeks
    after `now`, on the weekday and time of each of the zone's next two changes that keep
    being irregular: in the gap or the fold, spanning the change, ending in the gap or fold."""
    first = now.astimezone(ZoneInfo(zone)).replace(tzinfo=None) + timedelta(days=1)
    found = []
    for change in changes(zone, now)[:2]:
        length = change.after - change.before
        back = length if length < timedelta(0) else timedelta(0)
        for at, minutes in [(change.onset + length / 2, 50),  # in the gap or the fold
                            (change.onset - timedelta(minutes=20) + back, 90),  # spanning
                            (change.onset - timedelta(minutes=30) + back, 50)]:  # ends in it
            naive = at - timedelta(weeks=(at - first).days // 7)
            while recurrence.local_time_problem(naive, zone) is not None:
                naive += timedelta(weeks=1)  # a config refuses a first start in a gap/fold
            found.append((naive, timedelta(minutes=minutes)))
    return found


def _bound(sent: Sent) -> datetime:
    """The end of the published series' last local day (its UNTIL date)."""
    assert sent.published is not None
    until = sent.published.until
    assert isinstance(until, date) and not isinstance(until, datetime)
    return recurrence.localize(datetime.combine(until + timedelta(days=1), time.min),
                               sent.when.timezone)


@lru_cache(maxsize=1)
def all_irregular() -> tuple[Sent, ...]:
    """Each series as rendered at BASE: `when` the config's, `published` the truth."""
    found = []
    for zone in IRREGULAR_ZONES:
        for n, (start, length) in enumerate(irregular_starts(zone, BASE)):
            config = Recurrence(start, length, zone, "FREQ=WEEKLY")
            ical = render(EventSpec(make_uid(KEY, f"irregular:{zone}:{n}"), "Amber Falcon",
                                    config), now=BASE)
            label = f"{zone} weekly from {start:%Y-%m-%d %H:%M} for {length} (built {BASE:%Y})"
            sent = Sent(label, ical, config, BASE, BASE + timedelta(days=365 * FOREVER_YEARS),
                        published_when(config, BASE))
            found.append(sent)
    return tuple(found)


def test_irregular_open_ended_series_are_published_as_their_rule_to_the_bound():
    sents = all_irregular()
    assert {s.when.timezone for s in sents} == set(IRREGULAR_ZONES)
    assert len(sents) == 6 * len(IRREGULAR_ZONES)  # gap/fold, spanning, ending in one: twice
    for sent in sents:
        config = sent.when
        bound = _bound(sent)
        assert bound.date() == date(BASE.year + 4, 1, 1), sent.label
        assert b"RECURRENCE-ID" in sent.ical and b";UNTIL=" in sent.ical, sent.label
        assert b"RRULE:FREQ=YEARLY" not in sent.ical  # bounded: no VTIMEZONE rule
        assert sent.published is not None
        published = recurrence.expand(sent.published, sent.start, sent.end)
        wanted = [o for o in recurrence.expand(config, sent.start, bound) if o.start < bound]
        assert published == wanted, sent.label  # the config's occurrences, up to the bound
        later = recurrence.wall_starts(config, bound.replace(tzinfo=None),
                                       sent.end.astimezone(bound.tzinfo).replace(tzinfo=None))
        assert any(not recurrence.plain(n, config.duration, config.timezone) for n in later), \
            sent.label  # the config's rule would have had more to misread


def _nothing_after_the_bound(sents: list[Sent], answers: list) -> list[str]:
    """A line per object a parser shows an occurrence of at or after the published bound."""
    problems = []
    for sent, got in zip(sents, answers, strict=True):
        later = [got] if isinstance(got, str) else [a for a, _ in got if a >= _ts(_bound(sent))]
        if later:
            problems.append(f"{sent.label}: {len(later)} at or after the bound (or an error)")
    return problems


def _assert_bounded_and_placed(sents: list[Sent], answers: list, figure, what: str) -> None:
    """Prints `what` with the count of wrong instants, then asserts that the parser shows
    nothing at or after each series' bound and every instant where zoneinfo puts it."""
    wrong = wrong_instants(sents, answers)
    figure(f"{what}: {wrong} of {sum(2 * len(truth(s)) for s in sents)} instants wrong")
    assert not (late := _nothing_after_the_bound(sents, answers)), "\n".join(late[:12])
    problems = differences(sents, answers, "control")
    assert not problems, f"{wrong} instants wrong\n" + "\n".join(problems[:12])


def test_icaljs_places_irregular_open_ended_series_where_zoneinfo_does(icaljs, figure):
    sents = [s for s in all_irregular()]
    answers = icaljs.expand(sents)
    _assert_bounded_and_placed(sents, answers, figure, f"ical.js {icaljs.version}, open-ended "
                               f"irregular weekly series over {FOREVER_YEARS} years")


def test_recurring_ical_events_places_irregular_open_ended_series_where_zoneinfo_does(figure):
    sents = [_until(s, ICALENDAR_RULES_END) for s in all_irregular()]
    for read_vtimezone in (True, False):
        answers = [python_expand(s, read_vtimezone) for s in sents]
        _assert_bounded_and_placed(
            sents, answers, figure, f"recurring-ical-events (VTIMEZONE "
            f"{'read' if read_vtimezone else 'zoneinfo'}), open-ended irregular weekly series "
            f"to {ICALENDAR_RULES_END:%Y}")
