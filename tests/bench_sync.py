"""Benchmark: start-up, sync and idle figures, each against its floor, in one table.

Run with `make bench` (or `.venv/bin/python tests/bench_sync.py --sizes 25 200`; `--parts
startup` for one part, `--help` for the number of runs). Not a test:
it prints figures and asserts nothing; the targets are printed beside them.

    start-up    `pseudocal --help`, `status`, `week` (a 25-client practice), each timed as a
                fresh process, rounds interleaved with the floor `python -c pass`, with
                bytecode as an installed package has it (a private PYTHONPYCACHEPREFIX)
    first sync  N clients into an empty calendar of an embedded Radicale; floor: a bare PUT
                loop (http.client, one request per object) of the same objects into another
                calendar of the same server
    no-op sync  the sync right after it (nothing to do); floor: the same no-op against an
                in-memory remote holding the same objects (zero requests). Its CPU time
                (this thread only: Radicale runs in others) at 200 against 25 clients
    idle        the daemon's own sync job (`Daemon.sync_job`, as the scheduler calls it) 100
                times in a child process; its VmRSS after sync 50 and 100

Each figure is the median of several runs, with the min-max beside it.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
DAEMON_DIR = HERE.parent / "daemon"
if str(DAEMON_DIR) not in sys.path:
    sys.path.insert(0, str(DAEMON_DIR))


# ---------------------------------------------------------------- a practice


def config_text(url: str, state: Path, pseudonyms: list[str]) -> str:
    start = date.today() + timedelta(days=1)
    lines = [f'timezone = "Europe/London"\n[calendar]\nurl = "{url}"\nserver = "radicale"\n',
             f'[store]\npath = "{state / "store.db"}"\nkey_file = "{state / "key"}"\n']
    for i, p in enumerate(pseudonyms):
        day = start + timedelta(days=i % 5)
        lines.append(f'[[sessions]]\nclient = "{p}"\nstart = {day}T{8 + i % 10:02d}:00:00\n'
                     f'duration = "50m"\nrepeat = "weekly"\n')
    return "\n".join(lines)


def client_name(i: int) -> str:
    """A made-up name no drawn pseudonym can hold (short tokens no word list has): the store
    draws each pseudonym against its own client only, and a name such as "Bench Person 7"
    is found inside a pseudonym word like "benches" (names of 5+ letters are)."""
    letters = "qxzjvk"
    return "Zyq " + "".join(letters[i // 6 ** k % 6] for k in range(3))


class Practice:
    """A store of N clients (made once) and configs pointing copies of it at calendars."""

    def __init__(self, root: Path, n: int) -> None:
        from pseudocal import crypto
        from pseudocal.models import ClientIdentity
        from pseudocal.store import Store
        self.root, self.n = root / f"practice{n}", n
        self.root.mkdir(parents=True)
        crypto.write_key_file(self.root / "key", crypto.generate_key())
        with Store.create(self.root / "store.db", crypto.load_key_file(self.root / "key")) as s:
            self.names = [s.add_client(ClientIdentity(client_name(i))).pseudonym
                          for i in range(n)]
        self.copies = 0

    def copy(self, url: str) -> Path:
        """A fresh copy of the store (no records yet) and a config syncing it to `url`."""
        self.copies += 1
        state = self.root / f"copy{self.copies}"
        state.mkdir()
        shutil.copy(self.root / "key", state / "key")
        os.chmod(state / "key", 0o600)
        shutil.copy(self.root / "store.db", state / "store.db")
        config = state / "config.toml"
        config.write_text(config_text(url, state, self.names))
        return config


# ---------------------------------------------------------------- figures


class Figure:
    def __init__(self, name: str, unit: str, values: list[float], floor: list[float] | None,
                 floor_name: str, target: str) -> None:
        self.name, self.unit, self.values = name, unit, values
        self.floor, self.floor_name, self.target = floor, floor_name, target

    def ratio(self) -> str:
        if not self.floor:
            return "-"
        floor = statistics.median(self.floor)
        if floor == 0:
            return "-" if statistics.median(self.values) == 0 else "inf"
        return f"{statistics.median(self.values) / floor:.1f}x"

    def row(self) -> tuple[str, ...]:
        floor = "-" if self.floor is None else _fmt(statistics.median(self.floor), self.unit)
        return (self.name, _fmt(statistics.median(self.values), self.unit),
                f"{_fmt(min(self.values), self.unit)}-{_fmt(max(self.values), self.unit)}",
                f"{floor} ({self.floor_name})" if self.floor is not None else "-",
                self.ratio(), self.target)


def _fmt(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value * 1000:.0f} ms" if value < 10 else f"{value:.1f} s"
    if unit == "MB":
        return f"{value:.1f} MB"
    return f"{value:.0f}"


def print_table(figures: list[Figure]) -> None:
    head = ("figure", "median", "min-max", "floor (what)", "ratio", "target")
    rows = [head, *(f.row() for f in figures)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    for n, r in enumerate(rows):
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- start-up


def pseudocal_command() -> list[str]:
    """`python -m pseudocal`: what the console script runs, without depending on how
    (or whether) the venv's script was generated."""
    return [sys.executable, "-m", "pseudocal"]


def startup_env(config: Path, pycache: Path) -> dict[str, str]:
    """As an installed package starts: with bytecode. Compiled once into a private cache
    (PYTHONPYCACHEPREFIX), so the tree stays clean even where PYTHONDONTWRITEBYTECODE is set;
    the floor runs with the same cache."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PSEUDOCAL_CONFIG": str(config), "PYTHONPYCACHEPREFIX": str(pycache),
            "PYTHONPATH": os.pathsep.join([str(DAEMON_DIR), os.environ.get("PYTHONPATH", "")])}


def startup(config: Path, rounds: int, pycache: Path) -> list[Figure]:
    env = startup_env(config, pycache)
    commands = {"floor": [sys.executable, "-c", "pass"],
                "--help": [*pseudocal_command(), "--help"],
                "status": [*pseudocal_command(), "status"],
                "week": [*pseudocal_command(), "week"]}
    times: dict[str, list[float]] = {k: [] for k in commands}
    for argv in commands.values():  # not timed: writes the bytecode
        subprocess.run(argv, env=env, capture_output=True, check=False)
    for _ in range(rounds):
        for name, argv in commands.items():  # interleaved: a busy moment hits all alike
            began = time.perf_counter()
            subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           check=False)
            times[name].append(time.perf_counter() - began)
    floor = times["floor"]
    return [Figure("python -c pass", "s", floor, None, "", "(the floor)"),
            Figure("pseudocal --help", "s", times["--help"], floor, "python -c pass", "<= 5x"),
            Figure("pseudocal status", "s", times["status"], floor, "python -c pass", "<= 6x"),
            Figure("pseudocal week", "s", times["week"], floor, "python -c pass", "<= 10x")]


# ---------------------------------------------------------------- syncs


def put_loop(server, calendar: str, objects: list[bytes]) -> float:
    """The floor of a first sync: each object PUT once, nothing else."""
    path = urlsplit(server.make_calendar("practitioner", calendar)).path
    conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
    began = time.perf_counter()
    for i, data in enumerate(objects):
        conn.request("PUT", f"{path}obj{i}.ics", body=data,
                     headers={"Content-Type": "text/calendar; charset=utf-8",
                              "If-None-Match": "*"})
        response = conn.getresponse()
        response.read()
        if response.status not in (200, 201, 204):
            raise RuntimeError(f"PUT answered {response.status}")
    elapsed = time.perf_counter() - began
    conn.close()
    return elapsed


def sync_size(practice: Practice, server, runs: int, noops: int) -> list[Figure]:
    from pseudocal.remote.memory import MemoryRemote
    from pseudocal.service import app
    from pseudocal.sync import engine
    n = practice.n
    first_t, first_r, put_t, put_r = [], [], [], []
    noop_t, noop_cpu, noop_r, mem_t = [], [], [], []
    for run in range(runs):
        url = server.make_calendar("practitioner", f"cal{n}-{run}")
        settings = app.load_settings(practice.copy(url))
        with app.open_store(settings) as store, app.open_remotes(settings) as remotes:
            objects = [o.ical for o in engine.wanted_objects(
                settings, store, datetime.now(timezone.utc)).objects.values()]
            server.reset_counters()
            began = time.perf_counter()
            engine.sync(settings, store, remotes)
            first_t.append(time.perf_counter() - began)
            first_r.append(server.request_count)
            for _ in range(noops):
                server.reset_counters()
                began, cpu = time.perf_counter(), time.thread_time()
                result = engine.sync(settings, store, remotes)
                noop_cpu.append(time.thread_time() - cpu)
                noop_t.append(time.perf_counter() - began)
                noop_r.append(server.request_count)
                assert result.writes == 0, "the second sync was not a no-op"
        server.reset_counters()
        put_t.append(put_loop(server, f"floor{n}-{run}", objects))
        put_r.append(server.request_count)
        # the no-op's floor: the same sync with zero requests (an in-memory calendar)
        settings = app.load_settings(practice.copy(url))
        with app.open_store(settings) as store:
            remotes = {"main": MemoryRemote(urlsplit(url).path)}
            engine.sync(settings, store, remotes)
            for _ in range(noops):
                began = time.perf_counter()
                engine.sync(settings, store, remotes)
                mem_t.append(time.perf_counter() - began)
        say(f"  {n} clients, run {run + 1}/{runs}: first {first_t[-1]:.2f} s, "
            f"no-op {statistics.median(noop_t[-noops:]):.3f} s")
    return [
        Figure(f"first sync, {n} clients", "s", first_t, put_t, "bare PUT loop", "-"),
        Figure(f"first sync, {n} clients: requests", "n", first_r, put_r, "bare PUT loop", "-"),
        Figure(f"no-op sync, {n} clients", "s", noop_t, mem_t, "no-op, 0 requests", "-"),
        Figure(f"no-op sync, {n} clients: requests", "n", noop_r, [0], "no-op, 0 requests",
               "-"),
        Figure(f"no-op sync, {n} clients: CPU", "s", noop_cpu, None, "", "-"),
    ]


# ---------------------------------------------------------------- idle


def vm_rss_mb(status: str = "/proc/self/status") -> float:
    with open(status, encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def daemon_child(config: Path, syncs: int, marks: list[int]) -> None:
    """In a child process: the daemon's sync job `syncs` times; VmRSS at each mark (JSON)."""
    from pseudocal.service import app
    from pseudocal.service.daemon import Daemon
    settings = app.load_settings(config)
    rss = {}
    with app.open_store(settings) as store:
        daemon = Daemon(config, settings, store, env={})
        for n in range(1, syncs + 1):
            daemon.sync_job()
            if daemon.state.failures:
                raise SystemExit(f"sync {n} failed: {daemon.state.last_error}")
            if n in marks:
                rss[n] = vm_rss_mb()
    print(json.dumps(rss))


def idle(practice: Practice, server, runs: int, syncs: int = 100) -> list[Figure]:
    at50, at100, growth = [], [], []
    bare = [_child_rss([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
                        "from bench_sync import vm_rss_mb; print(vm_rss_mb())", str(HERE)])
            for _ in range(3)]
    for run in range(runs):
        url = server.make_calendar("practitioner", f"idle{practice.n}-{run}")
        config = practice.copy(url)
        out = subprocess.run([sys.executable, __file__, "--daemon-child", str(config),
                              str(syncs)], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONPATH": str(DAEMON_DIR)})
        rss = {int(k): v for k, v in json.loads(out.stdout.strip().splitlines()[-1]).items()}
        at50.append(rss[syncs // 2])
        at100.append(rss[syncs])
        growth.append(rss[syncs] - rss[syncs // 2])
        say(f"  daemon run {run + 1}/{runs}: {rss}")
    n = practice.n
    return [Figure(f"daemon RSS, sync {syncs // 2} ({n} clients)", "MB", at50, bare,
                   "bare python", "<= 60 MB"),
            Figure(f"daemon RSS, sync {syncs} ({n} clients)", "MB", at100, bare, "bare python",
                   "<= 60 MB"),
            Figure(f"daemon RSS growth, sync {syncs // 2}-{syncs}", "MB", growth, None, "",
                   "<= 1 MB")]


def _child_rss(argv: list[str]) -> float:
    return float(subprocess.run(argv, capture_output=True, text=True, check=True).stdout)


# ---------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[25, 200],
                        help="practice sizes for the syncs (the first also for start-up)")
    parser.add_argument("--rounds", type=int, default=9, help="start-up runs of each command")
    parser.add_argument("--runs", type=int, default=3, help="first syncs (fresh calendars)")
    parser.add_argument("--noops", type=int, default=5, help="no-op syncs after each first")
    parser.add_argument("--idle-runs", type=int, default=3, help="daemon runs of 100 syncs")
    parser.add_argument("--parts", nargs="+", choices=("startup", "sync", "idle"),
                        default=["startup", "sync", "idle"], help="which figures to take")
    parser.add_argument("--daemon-child", nargs=2, metavar=("CONFIG", "SYNCS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.daemon_child:
        syncs = int(args.daemon_child[1])
        daemon_child(Path(args.daemon_child[0]), syncs, [1, syncs // 2, syncs])
        return
    from pseudocal.cli.devserver import start_radicale
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        server = start_radicale(root / "radicale")
        try:
            practices = {n: Practice(root, n) for n in args.sizes}
            small = practices[args.sizes[0]]
            config = small.copy(server.make_calendar("practitioner", "startup"))
            subprocess.run([*pseudocal_command(), "sync"], capture_output=True,
                           check=True, env={**os.environ, "PYTHONPATH": str(DAEMON_DIR),
                                            "PSEUDOCAL_CONFIG": str(config)})
            if "startup" in args.parts:
                say("start-up ...")
                figures += startup(config, args.rounds, root / "pycache")
            for n, practice in practices.items():
                if "sync" in args.parts:
                    say(f"syncs of {n} clients ...")
                    figures += sync_size(practice, server, args.runs, args.noops)
            cpu = {f.name: f for f in figures if f.name.endswith(": CPU")}
            if len(args.sizes) > 1 and "sync" in args.parts:
                lo, hi = args.sizes[0], args.sizes[-1]
                low = cpu[f"no-op sync, {lo} clients: CPU"]
                high = cpu[f"no-op sync, {hi} clients: CPU"]
                high.floor, high.floor_name = low.values, f"{lo} clients"
                high.target = f"~1x (not {hi / lo:.0f}x)"
            if "idle" in args.parts:
                say(f"daemon, {small.n} clients ...")
                figures += idle(small, server, args.idle_runs)
        finally:
            server.stop()
    print()
    print_table(figures)


if __name__ == "__main__":
    main()
