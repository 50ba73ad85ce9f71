"""The servers of `make interop`, as the scripts describe them in environment variables.

    PSEUDOCAL_INTEROP_SERVERS="davical cyrus"      which servers to test (comma or space)
    PSEUDOCAL_INTEROP_<NAME>_URL                   the user's calendar home (ends in /)
    PSEUDOCAL_INTEROP_<NAME>_USER / _PASSWORD      Basic auth
    PSEUDOCAL_INTEROP_<NAME>_CALENDAR / _CALENDAR2 two calendars made at start

Without PSEUDOCAL_INTEROP_SERVERS nothing here adds a test: `make test` is unchanged.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest

from interop.dav import Dav

ENV = "PSEUDOCAL_INTEROP_SERVERS"
OUT_ENV = "PSEUDOCAL_INTEROP_OUT"  # where probes.json goes (default: <repo>/.interop)


def names() -> list[str]:
    return [n for n in os.environ.get(ENV, "").replace(",", " ").split() if n]


def interop_params() -> list:
    """pytest params for the interop servers, each marked `interop` ([] when none is set)."""
    return [pytest.param(name, marks=pytest.mark.interop, id=name) for name in names()]


@dataclass(frozen=True)
class Server:
    name: str
    home: str
    user: str
    password: str
    calendar: str
    calendar2: str

    def dav(self) -> Dav:
        return Dav(self.user, self.password)


def server(name: str) -> Server:
    prefix = f"PSEUDOCAL_INTEROP_{name.upper()}_"
    values = {key: os.environ.get(prefix + key.upper())
              for key in ("url", "user", "password", "calendar", "calendar2")}
    missing = [prefix + k.upper() for k, v in values.items() if not v]
    if missing:
        pytest.fail(f"{name} is in {ENV} but {', '.join(missing)} is not set "
                    "(run the server through tests/interop/run.sh)")
    return Server(name, values["url"], values["user"], values["password"],
                  values["calendar"], values["calendar2"])


def out_dir(name: str) -> Path:
    root = os.environ.get(OUT_ENV) or Path(__file__).resolve().parents[2] / ".interop"
    folder = Path(root) / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class Calendars:
    """Fresh empty calendars (MKCALENDAR) on interop servers, deleted again by `cleanup`.

    Each test gets calendars of its own: servers such as Cyrus keep UIDs unique across all
    of an account's calendars, so a calendar is deleted (not just emptied) afterwards."""

    def __init__(self) -> None:
        self.made: list[tuple[Server, str]] = []

    def __call__(self, name: str, prefix: str = "t") -> tuple[Server, str]:
        srv = server(name)
        url = f"{srv.home}{prefix}-{secrets.token_hex(4)}/"
        answer = srv.dav().mkcalendar(url, prefix)
        if answer.status not in (200, 201):
            pytest.fail(f"could not make a calendar on {name}: {answer.brief()}")
        self.made.append((srv, url))
        return srv, url

    def cleanup(self) -> list[str]:
        problems = []
        for srv, url in reversed(self.made):
            dav = srv.dav()
            answer = dav.delete(url)
            # Cyrus 3.6 deletes a calendar and then answers 404: gone is what counts
            if not 200 <= answer.status < 300 and dav.propfind(url, "0").status != 404:
                problems.append(answer.brief())
        self.made.clear()
        return problems
