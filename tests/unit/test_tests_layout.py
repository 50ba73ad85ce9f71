"""The tests sit in folders that say what they test, and each test carries its folder's marker.

tests/unit, tests/property, tests/integration, tests/service (see the markers in
pyproject.toml); tests/interop is the `make interop` suite, collected only when it names its
servers. The helpers sit in tests/ itself. A test file anywhere else, or a test without its
folder's marker (or with another folder's), fails here with its name.
"""
from __future__ import annotations

from conftest import FOLDERS, TESTS, folder_of

INTEROP = "interop"  # its own suite: `make interop`, marker `interop`


def test_every_test_file_sits_in_one_of_the_folders():
    files = {*TESTS.rglob("test_*.py"), *TESTS.rglob("*_test.py")}  # pytest's default patterns
    astray = sorted(str(f.relative_to(TESTS)) for f in files
                    if folder_of(f) not in (*FOLDERS, INTEROP))
    assert not astray, f"test files outside tests/{{{','.join(FOLDERS)}}}/: {astray}"
    # the folders exist and hold tests: a folder renamed away would leave its marker unused
    for folder in FOLDERS:
        assert any(folder_of(f) == folder for f in files), folder


def test_every_collected_test_carries_its_folders_marker_and_no_other(request):
    items = request.session.items
    assert request.node in items
    wrong = []
    for item in items:
        folder = folder_of(item.path)
        marks = {m.name for m in item.iter_markers()}
        if folder == INTEROP:
            if INTEROP not in marks:
                wrong.append(f"{item.nodeid}: no `interop` marker")
        elif folder not in FOLDERS:
            wrong.append(f"{item.nodeid}: outside the folders")
        elif marks & set(FOLDERS) != {folder}:
            wrong.append(f"{item.nodeid}: markers {sorted(marks & set(FOLDERS))}, not [{folder}]")
    assert not wrong, "\n".join(wrong)


def test_the_folder_markers_are_declared(pytestconfig):
    declared = {line.split(":", 1)[0].strip() for line in pytestconfig.getini("markers")}
    assert {*FOLDERS, INTEROP} <= declared
    assert pytestconfig.option.strict_markers or "--strict-markers" in pytestconfig.getini(
        "addopts")
