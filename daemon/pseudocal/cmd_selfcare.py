"""Command registration for this area (see commands.register)."""
from __future__ import annotations


def register(sub, common) -> None:
    """Add this area's subcommands to the parser."""
