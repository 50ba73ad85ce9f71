"""Benchmark: first and second sync of N clients against an embedded Radicale (prints figures).

Run with `make bench` (or `.venv/bin/python tests/bench_sync.py 10 50 200`). Not a test:
speed targets live here, not in timed assertions.
"""
from __future__ import annotations

import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from pseudocal import crypto
from pseudocal.cli.devserver import start_radicale
from pseudocal.models import ClientIdentity
from pseudocal.service import app
from pseudocal.store import Store
from pseudocal.sync import engine


def config_text(url: str, state: Path, pseudonyms: list[str]) -> str:
    start = date.today() + timedelta(days=1)
    lines = [f'timezone = "Europe/London"\n[calendar]\nurl = "{url}"\nserver = "radicale"\n',
             f'[store]\npath = "{state / "store.db"}"\nkey_file = "{state / "key"}"\n']
    for i, p in enumerate(pseudonyms):
        day = start + timedelta(days=i % 5)
        lines.append(f'[[sessions]]\nclient = "{p}"\nstart = {day}T{8 + i % 10:02d}:00:00\n'
                     f'duration = "50m"\nrepeat = "weekly"\n')
    return "\n".join(lines)


def one_size(n: int, root: Path) -> dict:
    server = start_radicale(root / "radicale")
    try:
        url = server.make_calendar("practitioner", f"bench{n}")
        state = root / "state"
        crypto.write_key_file(state / "key", crypto.generate_key())
        with Store.create(state / "store.db", crypto.load_key_file(state / "key")) as store:
            names = [store.add_client(ClientIdentity(f"Bench Person {i}")).pseudonym
                     for i in range(n)]
        (root / "c.toml").write_text(config_text(url, state, names))
        settings = app.load_settings(root / "c.toml")
        figures = {"clients": n}
        with app.open_store(settings) as store, app.open_remotes(settings) as remotes:
            for label in ("first", "second"):
                server.reset_counters()
                began = time.perf_counter()
                result = engine.sync(settings, store, remotes)
                figures[label] = (time.perf_counter() - began, result.writes,
                                  server.request_count)
        return figures
    finally:
        server.stop()


def main(sizes: list[int]) -> None:
    print(f"{'clients':>8} {'first sync':>12} {'writes':>7} {'requests':>9} "
          f"{'second sync':>12} {'writes':>7} {'requests':>9}")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            f = one_size(n, Path(tmp))
        (t1, w1, r1), (t2, w2, r2) = f["first"], f["second"]
        print(f"{n:>8} {t1:>11.2f}s {w1:>7} {r1:>9} {t2:>11.3f}s {w2:>7} {r2:>9}")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10, 50, 200])
