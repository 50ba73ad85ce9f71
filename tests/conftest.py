"""Shared fixtures and the folder markers. Other modules append their own below; keep each
one small."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# `make test` (and CI) draws the same examples every run: a clean clone's result depends on
# the commit alone. `make fuzz` draws new ones each run, to look for counterexamples, which
# are then kept as explicit @example cases.
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("fuzz", derandomize=False)
settings.load_profile(os.environ.get("PSEUDOCAL_HYPOTHESIS", "repeatable"))

TESTS = Path(__file__).resolve().parent
# Each folder of tests and its marker (declared in pyproject.toml): a test is marked by where
# it sits, never by hand, so `-m unit` or `-m "not service"` selects exactly a folder.
FOLDERS = ("unit", "property", "integration", "service")


def folder_of(path: Path) -> str | None:
    """The top folder under tests/ that `path` sits in ("unit", "interop", ...), or None."""
    try:
        parts = Path(path).resolve().relative_to(TESTS).parts
    except ValueError:
        return None
    return parts[0] if len(parts) > 1 else None


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items):
    for item in items:
        folder = folder_of(item.path)
        if folder in FOLDERS:
            item.add_marker(folder)


FIGURES: list[str] = []  # what `figure` recorded, in the order the reports came in


@pytest.fixture
def figure(record_property):
    """`figure(text)`: a measured figure (a count the closing note cites), printed in the
    run's summary under "figures". It travels in the test's report, so the figures of
    tests that ran in xdist workers are printed too."""
    return lambda text: record_property("figure", text)


def pytest_runtest_logreport(report):
    if report.when == "call":
        FIGURES.extend(value for key, value in report.user_properties if key == "figure")


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture
def radicale(tmp_path):
    """A recording Radicale on a free loopback port with practitioner/practice."""
    pytest.importorskip("radicale")
    from recording import start_recording

    server = start_recording(tmp_path / "radicale")
    try:
        server.make_calendar("practitioner", "practice")
        server.reset_counters()
        yield server
    finally:
        server.stop()


@pytest.fixture
def radicale_url(radicale) -> str:
    """The URL of the practitioner/practice calendar on the `radicale` fixture."""
    return radicale.calendar_url("practitioner", "practice")


@pytest.fixture(autouse=True)
def _reset_logging():
    """The CLI sets up the root logger per call; give each test a quiet one back."""
    import logging
    yield
    root = logging.getLogger()
    root.handlers[:] = []
    root.setLevel(logging.WARNING)


@pytest.fixture
def interop_calendar():
    """`interop_calendar(name)` -> (server, URL of a fresh calendar on the `make interop`
    server `name`); every calendar made is deleted after the test."""
    from interop.servers import Calendars

    calendars = Calendars()
    yield calendars
    for problem in calendars.cleanup():
        import warnings
        warnings.warn(f"an interop calendar was not deleted: {problem}", stacklevel=2)


@pytest.fixture(scope="session")
def xandikos_service(tmp_path_factory):
    """One real Xandikos (from the package index) on a free loopback port per session."""
    from davservers import XandikosService

    service = XandikosService(tmp_path_factory.mktemp("xandikos")).start()
    yield service
    service.stop()


@pytest.fixture
def xandikos(xandikos_service):
    """Fresh calendars on the session's Xandikos behind a recording proxy, with the
    `radicale` fixture's surface: practitioner/practice exists."""
    server = xandikos_service.tenant()
    try:
        server.make_calendar("practitioner", "practice")
        server.reset_counters()
        yield server
    finally:
        server.close()


@pytest.fixture(params=["radicale", "xandikos"])
def dav_server(request):
    """The `radicale` fixture, then the `xandikos` one: a test written once runs on both."""
    return request.getfixturevalue(request.param)
