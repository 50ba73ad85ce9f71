"""Shared fixtures. Other modules append their own below; keep each one small."""
from __future__ import annotations

import pytest


@pytest.fixture
def radicale(tmp_path):
    """A recording Radicale on a free loopback port with practitioner/practice."""
    pytest.importorskip("radicale")
    from pseudocal.devserver import start_radicale

    server = start_radicale(tmp_path / "radicale", record=True)
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
