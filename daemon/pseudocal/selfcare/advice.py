"""What the daemon and `status` tell the practitioner about the schedule itself:
schedule warnings and the supervision ledger (both pure, from selfcare)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..identity import naming as clients_mod
from ..identity.pseudonyms import normalise
from ..models import Settings
from . import planning


@dataclass(frozen=True)
class Advice:
    warnings: list[str] = field(default_factory=list)  # messages, pseudonyms only
    ledger: list[dict] = field(default_factory=list)  # MonthLedger.as_dict() per month


def review(settings: Settings, pseudonyms: list[str], now: datetime,
           clients: list | None = None) -> Advice:
    """Schedule warnings up to the horizon and, with a [supervision] table, the ledger.

    With `clients` (Store.list_clients()), also a warning per session naming a pseudonym
    that was replaced (clients.replaced_warnings), whose schedule warnings then name the
    current pseudonym."""
    shown = {normalise(p): p for p in pseudonyms}
    replaced: list[str] = []
    if clients is not None:
        shown = clients_mod.known_pseudonyms(settings, clients)
        replaced = clients_mod.replaced_warnings(settings, clients)
    warnings = replaced + [w.message for w in planning.schedule_warnings(settings, shown, now)]
    ledger = ([{**m.as_dict(), "line": m.line()} for m in planning.ledger_for(settings, now)]
              if settings.supervision.enabled else [])
    return Advice(warnings, ledger)
