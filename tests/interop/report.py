"""The result table of `make interop`, from each server's junit.xml and probes.json.

    python3 tests/interop/report.py [--dir .interop] davical cyrus

Per server: the contract suite's counts (and what failed), each step of the sync cycle (ok or
FAILED with the first lines of why, the server's answer among them), and the probes; then one
matrix of all servers side by side. The standard library only.
"""
from __future__ import annotations

import argparse
import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

STEPS = {
    "test_01_first_push": "first push",
    "test_02_no_op": "no-op",
    "test_03_change": "change",
    "test_04_delete": "delete",
    "test_05_foreign_event_at_an_href_shaped_like_ours": "foreign look-alike",
    "test_06_phone_edit": "phone edit",
    "test_07_phone_move": "phone move",
    "test_08_kill_during_a_sync_then_resync": "kill -9, resync",
}
TITLES = {"davical": "DAViCal", "cyrus": "Cyrus"}


def cases(junit: Path) -> list[dict]:
    """[{module, name, outcome, message}] of every testcase in a junit file."""
    found = []
    for case in ET.parse(junit).getroot().iter("testcase"):
        outcome, message = "passed", ""
        for tag in ("failure", "error", "skipped"):
            node = case.find(tag)
            if node is not None:
                outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[tag]
                message = _why(node)
                break
        found.append({"module": case.get("classname", "").rsplit(".", 1)[-1],
                      "name": case.get("name", ""), "outcome": outcome, "message": message})
    return found


def _why(node: ET.Element) -> str:
    """The exception's own lines (pytest's `E   ` lines) of a failure, else its message."""
    said = [line[1:].strip() if line.startswith("E ") else None
            for line in (node.text or "").splitlines()]
    said = [line for line in said if line]
    return "\n".join(said) if said else (node.get("message") or "")


def first_lines(message: str, count: int = 4, width: int = 200) -> list[str]:
    lines = [line.rstrip() for line in message.splitlines() if line.strip()]
    lines = [ln for ln in lines if not ln.lstrip().startswith(("assert ", "+  where"))]
    return [ln if len(ln) <= width else ln[:width] + "..." for ln in lines[:count]]


def step_of(case: dict) -> str | None:
    base = case["name"].split("[", 1)[0]
    return STEPS.get(base) if case["module"] == "test_interop" else None


def summarise(name: str, folder: Path) -> dict:
    junit = folder / "junit.xml"
    result = {"contract": None, "steps": {}, "failures": [], "probes": {}, "note": ""}
    if not junit.exists():
        note = folder / "failed-to-start"
        result["note"] = note.read_text().strip() if note.exists() else "no results (junit.xml)"
        return result
    every = cases(junit)
    contract = [c for c in every if c["module"] == "test_remote_contract"]
    counts = {k: sum(c["outcome"] == k for c in contract) for k in ("passed", "failed", "skipped")}
    counts["failed"] += sum(c["outcome"] == "error" for c in contract)
    result["contract"] = counts
    result["failures"] = [c for c in contract if c["outcome"] in ("failed", "error")]
    for case in every:
        step = step_of(case)
        if step:
            result["steps"][step] = case
    probes = folder / "probes.json"
    if probes.exists():
        result["probes"] = json.loads(probes.read_text())
    return result


def print_server(name: str, result: dict, out) -> None:
    print(f"\n== {TITLES.get(name, name)} ({name}) ==", file=out)
    if result["note"]:
        print(f"  {result['note']}", file=out)
        return
    c = result["contract"]
    print(f"  contract suite: {c['passed']} passed, {c['failed']} failed, {c['skipped']} skipped",
          file=out)
    for case in result["failures"]:
        print(f"    FAILED {case['name']}", file=out)
        for line in first_lines(case["message"], 2):
            print(f"        {line}", file=out)
    print("  sync cycle:", file=out)
    for step in STEPS.values():
        case = result["steps"].get(step)
        if case is None:
            print(f"    {step:<20} not run", file=out)
            continue
        word = {"passed": "ok", "skipped": "skipped"}.get(case["outcome"], "FAILED")
        print(f"    {step:<20} {word}", file=out)
        if word == "FAILED":
            for line in first_lines(case["message"], 12):
                print(f"        {line}", file=out)
    if result["probes"]:
        print("  probes:", file=out)
        for probe, seen in result["probes"].items():
            print(f"    {probe:<26} {seen['summary']}", file=out)


def print_matrix(names: list[str], results: dict[str, dict], out) -> None:
    print("\n== summary ==", file=out)
    print(f"  {'':<22}" + "".join(f"{TITLES.get(n, n):<16}" for n in names), file=out)

    def contract(r: dict) -> str:
        c = r["contract"]
        return "-" if c is None else f"{c['passed']}/{c['failed']}/{c['skipped']}"
    print(f"  {'contract (p/f/s)':<22}" + "".join(f"{contract(results[n]):<16}" for n in names),
          file=out)
    for step in STEPS.values():
        row = []
        for n in names:
            case = results[n]["steps"].get(step)
            row.append("-" if case is None else
                       {"passed": "ok", "skipped": "skipped"}.get(case["outcome"], "FAILED"))
        print(f"  {step:<22}" + "".join(f"{w:<16}" for w in row), file=out)


def failed(results: dict[str, dict]) -> bool:
    return any(r["note"] or r["failures"] or
               any(c["outcome"] in ("failed", "error") for c in r["steps"].values())
               for r in results.values())


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path,
                        default=Path(__file__).resolve().parents[2] / ".interop")
    parser.add_argument("servers", nargs="+")
    args = parser.parse_args(argv)
    results = {n: summarise(n, args.dir / n) for n in args.servers}
    for name in args.servers:
        print_server(name, results[name], sys.stdout)
    print_matrix(args.servers, results, sys.stdout)
    return 1 if failed(results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
