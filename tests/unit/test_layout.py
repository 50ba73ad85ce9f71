"""The package's folders read as the data flow: imports point only down this list, no cycles.

Read from the code (every `import`, at the top or inside a function), not from a list kept by
hand: a new module is placed by its folder, and a new import that points up the flow, or
closes a cycle, fails here with the modules named.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "daemon" / "pseudocal"

# Top of the flow first. A module may import its own folder and any folder further down.
FLOW = ("cli", "service", "sync", "remote", "store", "events", "selfcare", "config",
        "identity", "schedule", "")  # "": crypto.py, errors.py, models.py at the root
ENTRY = {"pseudocal.__main__"}  # `python -m pseudocal`: above everything


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, root: Path, modules: set[str]) -> set[str]:
    """The package's modules `path` imports, each resolved to a module (not a name in it)."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == root.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source.split(".")[0] != root.name:
                continue
            for alias in node.names:
                full = f"{source}.{alias.name}"
                found.add(full if full in modules else source)
    return found - {name}


def graph(root: Path) -> dict[str, set[str]]:
    paths = sorted(root.rglob("*.py"))
    modules = {module_name(p, root) for p in paths}
    return {module_name(p, root): imports_of(p, root, modules) for p in paths}


ROOT_MODULES = {"crypto", "errors", "models"}


def folder(module: str) -> str:
    """The flow folder of `module` ("" for the package's root), or its own name if none."""
    parts = module.split(".")[1:]
    if not parts or (len(parts) == 1 and parts[0] in ROOT_MODULES):
        return ""
    return parts[0]


def rank(module: str) -> int:
    if module in ENTRY:
        return -1
    return FLOW.index(folder(module))


def upward(edges: dict[str, set[str]]) -> list[str]:
    """Every import that points up the flow (to a folder listed before the importer's)."""
    return sorted(f"{a} -> {b}" for a, targets in edges.items() for b in targets
                  if rank(b) < rank(a))


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The import cycles among modules (each strongly connected part of two or more)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            part = []
            while True:
                top = stack.pop()
                part.append(top)
                if top == node:
                    break
            if len(part) > 1:
                found.append(sorted(part))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_every_module_sits_in_a_folder_of_the_flow():
    stray = [m for m in graph(PACKAGE) if m not in ENTRY and folder(m) not in FLOW]
    assert not stray, f"modules outside the flow's folders: {stray}"


def test_imports_point_only_down_the_flow():
    assert upward(graph(PACKAGE)) == []


def test_no_import_cycles():
    assert cycles(graph(PACKAGE)) == []


def test_the_checks_catch_an_upward_import_and_a_cycle(tmp_path):
    """A tiny package with one import up the flow and one cycle: both are found."""
    root = tmp_path / "pseudocal"
    for name, text in {
        "__init__.py": "",
        "errors.py": "",
        "sync/__init__.py": "",
        "sync/engine.py": "from ..cli import main\nfrom . import plan\n",
        "sync/plan.py": "def f():\n    from .engine import run\n",
        "cli/__init__.py": "",
        "cli/main.py": "from ..sync import engine\nfrom .. import errors\n",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    edges = graph(root)
    assert edges["pseudocal.cli.main"] == {"pseudocal.sync.engine", "pseudocal.errors"}
    assert upward(edges) == ["pseudocal.sync.engine -> pseudocal.cli.main"]
    assert cycles(edges) == [["pseudocal.cli.main", "pseudocal.sync.engine",
                              "pseudocal.sync.plan"]]
