"""What the daemon and `status` tell the practitioner about the schedule itself:
schedule warnings and the supervision ledger (both pure, from selfcare)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from . import selfcare
from .models import Settings
from .pseudonyms import normalise


@dataclass(frozen=True)
class Advice:
    warnings: list[str] = field(default_factory=list)  # messages, pseudonyms only
    ledger: list[dict] = field(default_factory=list)  # MonthLedger.as_dict() per month


def review(settings: Settings, pseudonyms: list[str], now: datetime) -> Advice:
    """Schedule warnings up to the horizon and, with a [supervision] table, the ledger."""
    shown = {normalise(p): p for p in pseudonyms}
    warnings = [w.message for w in selfcare.schedule_warnings(settings, shown, now)]
    ledger = ([{**m.as_dict(), "line": m.line()} for m in selfcare.ledger_for(settings, now)]
              if settings.supervision.enabled else [])
    return Advice(warnings, ledger)
