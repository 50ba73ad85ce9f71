"""`pseudocal demo`: an embedded Radicale on loopback, a demo store and config, real syncs."""
from __future__ import annotations

import json
import shutil
import signal
import tempfile
import threading
from datetime import date, timedelta
from pathlib import Path

from .. import crypto
from ..errors import InputError
from ..models import ClientIdentity
from ..service import app
from ..store import Store
from ..sync import engine

DEMO_CLIENTS = (  # synthetic people; the real names never leave this machine
    ClientIdentity("Jane Example", email="jane@example.org", phone="+44 7700 900123",
                   timezone="Europe/London", country="GB"),
    ClientIdentity("Omar Sample", email="omar@example.net", phone="+1 202 555 0147",
                   timezone="America/New_York", country="US"),
    ClientIdentity("Chloé Démo", email="chloe@example.com", timezone="Europe/London",
                   country="GB"),
)


def _next(weekday: int, today: date) -> date:
    return today + timedelta(days=(weekday - today.weekday()) % 7 or 7)


def demo_config(url: str, selfcare_url: str, state: Path, pseudonyms: list[str],
                today: date) -> str:
    mon, tue, wed, thu = (_next(d, today) for d in (0, 1, 2, 3))
    skip = tue + timedelta(weeks=4)
    return f'''# Written by `pseudocal demo`: a practitioner in London, clients in two time zones.
timezone = "Europe/London"

[calendar]
url = "{url}"
server = "radicale"

[calendars.selfcare]
url = "{selfcare_url}"
server = "radicale"

[store]
path = "{state / 'store.db'}"
key_file = "{state / 'store-key'}"

[sync]
every = "5m"
horizon = "12w"
keep_past = "30d"

[breaks]
after_session = "10m"
max_screen = "2h"
long_break = "30m"

[preparation]
before = "15m"

[supervision]
start = {thu.isoformat()}T14:00:00
duration = "90m"
repeat = "monthly"
minimum_per_month = "1.5h"

[[sessions]]
client = "{pseudonyms[0]}"
start = {mon.isoformat()}T10:00:00
duration = "50m"
repeat = "weekly"

[[sessions]]
client = "{pseudonyms[1]}"
start = {tue.isoformat()}T09:00:00
duration = "50m"
repeat = "fortnightly"
timezone = "America/New_York"
skip = [{skip.isoformat()}]

[[sessions]]
client = "{pseudonyms[2]}"
start = {wed.isoformat()}T16:00:00
duration = "1h"
'''


def run_demo(once: bool, port: int, workdir: Path | None, json_mode: bool = False) -> int:
    """Serve, sync twice, report; a temporary folder is removed afterwards (--dir keeps one)."""
    try:
        import radicale  # noqa: F401 - the optional extra the demo needs

        from .devserver import start_radicale
    except ImportError:
        raise InputError("the demo needs Radicale, which is not installed",
                         next_step="pip install 'pseudocal[server]' (make demo does this)"
                         ) from None
    keep = workdir is not None
    workdir = workdir or Path(tempfile.mkdtemp(prefix="pseudocal-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    server = start_radicale(workdir / "radicale", port=port)
    try:
        report = _set_up_and_sync(server, workdir)
        _print(report, json_mode, keep)
        if not once:
            _serve_until_interrupted(server)
    finally:
        server.stop()
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


def _set_up_and_sync(server, workdir: Path) -> dict:
    url = server.make_calendar("practitioner", "practice")
    selfcare = server.make_calendar("practitioner", "selfcare")
    state = workdir / "state"
    pseudonyms = _demo_store(state)
    config_file = workdir / "config.toml"
    config_file.write_text(demo_config(url, selfcare, state, pseudonyms, date.today()))
    settings = app.load_settings(config_file)
    report = {"calendar_url": url, "selfcare_url": selfcare, "config": str(config_file),
              "storage": str(server.storage_dir), "syncs": []}
    with app.open_store(settings) as store, app.open_remotes(settings) as remotes:
        for _ in range(2):
            server.reset_counters()
            result = engine.recorded_sync(settings, store, remotes)
            report["syncs"].append({**result.as_dict(), "requests": server.request_count})
        report["pushed"] = [{"event": r.label, "kind": r.kind, "calendar": r.calendar,
                             "href": r.href} for r in store.records().values()]
    return report


def _demo_store(state: Path) -> list[str]:
    key_file, store_file = state / "store-key", state / "store.db"
    if not key_file.exists():
        crypto.write_key_file(key_file, crypto.generate_key())
    key = crypto.load_key_file(key_file)
    if not Store.exists(store_file):
        Store.create(store_file, key).close()
    with Store.open(store_file, key) as store:
        if not store.list_clients():
            for ident in DEMO_CLIENTS:
                store.add_client(ident)
        by_name = {c.identity.name: c.pseudonym for c in store.list_clients()}
    return [by_name[ident.name] for ident in DEMO_CLIENTS]


def _print(report: dict, json_mode: bool, keep: bool) -> None:
    if json_mode:
        print(json.dumps(report, indent=2), flush=True)
        return
    print(f"CalDAV server on loopback: {report['calendar_url']}")
    print(f"  (any username, no password; self-care calendar: {report['selfcare_url']})")
    print(f"demo config: {report['config']}")
    for n, sync in enumerate(report["syncs"], 1):
        print(f"sync {n}: {sync['created']} created, {sync['updated']} updated, "
              f"{sync['deleted']} deleted; {sync['requests']} HTTP requests")
    print("pushed (pseudonyms only):")
    for item in sorted(report["pushed"], key=lambda i: (i["calendar"], i["kind"])):
        print(f"  {item['kind']:<12} {item['event']}  ->  {item['href']}")
    print(f"server storage (what the calendar holds): {report['storage']}")
    if not keep:
        print("these demo files are removed when the demo stops; `--dir DIR` keeps them")
    print(end="", flush=True)


def _serve_until_interrupted(server) -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("serving; press Ctrl-C to stop", flush=True)
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
