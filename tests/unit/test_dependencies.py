"""Dependencies declared as used: every third-party module the package imports (at the top
of a module or inside a function) belongs to a distribution named in pyproject.toml's
`dependencies` (or its `server` extra, the embedded Radicale of `pseudocal demo`), and
every declared distribution is imported somewhere. The `test` extra is not the package's."""
from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "daemon" / "pseudocal"
# declared for what they provide, not imported by name: zoneinfo's data where the system
# has none (tzdata)
DATA_ONLY = {"tzdata"}


def _imported_roots() -> set[str]:
    roots = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                roots |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                roots.add(node.module.split(".")[0])
    return {r for r in roots if r not in sys.stdlib_module_names and r != "pseudocal"}


def _declared() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    out = {}
    for spec in [*project["dependencies"], *project["optional-dependencies"]["server"]]:
        name = re.match(r"[A-Za-z0-9_.-]+", spec).group(0)
        out[name.lower().replace("_", "-")] = spec
    return out


def _norm(dist: str) -> str:
    return dist.lower().replace("_", "-")


def test_every_imported_distribution_is_declared_and_every_declared_one_is_used():
    declared, owners = _declared(), packages_distributions()
    used = {}
    for root in _imported_roots():
        dists = {_norm(d) for d in owners.get(root, [])}
        assert dists, f"{root} is imported but no installed distribution provides it"
        assert dists & set(declared), f"{root} ({sorted(dists)}) is imported, not declared"
        used |= {d: root for d in dists & set(declared)}
    assert set(declared) - set(used) - DATA_ONLY == set(), "declared but never imported"
    assert "lxml" in used  # the detector sees a direct import (remote/caldav_remote.py)


def test_the_caldav_pin_is_to_one_minor_version():
    spec = _declared()["caldav"]
    low = re.search(r">=\s*(\d+)\.(\d+)", spec)
    high = re.search(r"<\s*(\d+)\.(\d+)", spec)
    assert low and high, spec
    assert (int(high[1]), int(high[2])) == (int(low[1]), int(low[2]) + 1), spec
