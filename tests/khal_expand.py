"""Expand calendar objects with khal's own code, as `khal list` does: run by the Python of a
virtual environment that has khal (tests/integration/test_parsers.py makes one under
.venv/parsers/).

    python khal_expand.py < request.json > answer.json

request: {"objects": ["BEGIN:VCALENDAR...", ...], "from": unix, "to": unix}
answer:  {"version": "0.14.x", "objects": [[[start, end], ...] | {"error": "..."}, ...]}

Each object goes into khal's SQLite cache (in memory) exactly as `khal` stores a file of
its vdir (its RRULE expansion, EXDATE, RECURRENCE-ID overrides replacing the instances
they name), and the occurrences whose start is in [from, to) come back as unix seconds.
"""
import datetime as dt
import json
import sys

import pytz
from khal.khalendar.backend import SQLiteDb
from khal.version import version


def locale() -> dict:
    return {"local_timezone": pytz.UTC, "default_timezone": pytz.UTC, "timeformat": "%H:%M",
            "dateformat": "%Y-%m-%d", "longdateformat": "%Y-%m-%d",
            "datetimeformat": "%Y-%m-%d %H:%M", "longdatetimeformat": "%Y-%m-%d %H:%M",
            "weeknumbers": False, "firstweekday": 0, "unicode_symbols": False}


def expand(texts: list[str], low: int, high: int) -> list:
    """Every object in one cache, each in its own file of the vdir, as khal keeps them."""
    db = SQLiteDb(["c"], ":memory:", locale())
    answers: list = [[] for _ in texts]
    with db.at_once():
        for n, text in enumerate(texts):
            try:
                db.update(text, f"{n}.ics", calendar="c")
            except Exception as exc:  # one object's failure is its answer, not the run's
                answers[n] = {"error": f"{type(exc).__name__}: {exc}"}
    start = dt.datetime.fromtimestamp(low, pytz.UTC)
    end = dt.datetime.fromtimestamp(high, pytz.UTC)
    found = [(href, s, e) for _, href, s, e, *_ in db.get_localized(start, end)]
    found += [(href, pytz.UTC.localize(s), pytz.UTC.localize(e)) for _, href, s, e, *_ in
              db.get_floating(start.replace(tzinfo=None), end.replace(tzinfo=None))]
    db.conn.close()
    for href, s, e in found:
        n = int(href.split(".")[0])
        if isinstance(answers[n], list) and low <= s.timestamp() < high:
            answers[n].append([int(s.timestamp()), int(e.timestamp())])
    return [sorted(a) if isinstance(a, list) else a for a in answers]


def main() -> None:
    request = json.load(sys.stdin)
    answers = expand(request["objects"], request["from"], request["to"])
    json.dump({"version": version, "objects": answers}, sys.stdout)


if __name__ == "__main__":
    main()
