"""Calendar remotes: the seam where calendar bytes meet the network.

`Remote` is the interface; `CalDAVRemote` talks to a real server (caldav),
`MemoryRemote` is an in-memory fake with the same semantics for tests.
"""
from __future__ import annotations

from .base import CONFLICT_KINDS, Remote, check_name
from .memory import MemoryRemote

__all__ = ["CONFLICT_KINDS", "CalDAVRemote", "MemoryRemote", "Remote", "check_name"]


def __getattr__(name: str):
    # caldav (and its HTTP stack) is imported only when a real remote is wanted.
    if name == "CalDAVRemote":
        from .caldav_remote import CalDAVRemote
        return CalDAVRemote
    raise AttributeError(name)
