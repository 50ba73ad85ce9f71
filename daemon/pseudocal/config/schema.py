"""The config's schema, read by the loader, and what it tells about settings already read.

`SECTIONS` names each plain table's keys and the value reader of each (config.values);
`online_texts` finds from it every text the practitioner wrote that goes online (any key
read with `values.online_text`), and `default_texts` puts pseudocal's own back at some.
The sync uses these on settings; only `loader` reads TOML.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from functools import partial
from typing import Any

from .. import models as m
from . import values as v

MAX_HORIZON = timedelta(weeks=156)  # three years ahead: a plan of that size is already large
MAX_KEEP_PAST = timedelta(weeks=520)  # ten years back (dates far off would overflow)
SECTIONS: dict[str, tuple[type, dict[str, Callable[[Any], Any]]]] = {
    "sync": (m.SyncSettings, {"every": v.duration_value,
                              "horizon": partial(v.duration_value, most=MAX_HORIZON),
                              "keep_past": partial(v.duration_value, zero=True,
                                                   most=MAX_KEEP_PAST),
                              "stale_after": v.duration_value,
                              "max_delete_share": partial(v.number, low=0, high=1)}),
    "events": (m.EventSettings, {"session_title": partial(v.online_text, placeholder=True)}),
    "breaks": (m.BreakSettings, {"after_session": v.duration_or_off, "title": v.online_text,
                                 "max_screen": v.duration_or_off, "alarm": v.online_text,
                                 "long_break": v.duration_value}),
    "preparation": (m.PreparationSettings, {"before": v.duration_or_off,
                                            "checklist": v.online_text}),
    "supervision": (m.SupervisionSettings, {"minimum_per_month": v.duration_value,
                                            "ratio": partial(v.number, low=0, high=10),
                                            "title": v.online_text, "before": v.duration_or_off,
                                            "reminder": v.online_text}),
    "workload": (m.WorkloadSettings, {"max_per_day": v.duration_or_off,
                                      "max_per_week": v.duration_or_off}),
}


def online_texts(settings: m.Settings) -> list[tuple[str, str]]:
    """Every config-authored text that goes to the calendar, as (key path, text).

    Found from the schema: any key read with `config.values.online_text` (a future text key
    is included by being read that way). A text equal to pseudocal's built-in default is
    its own phrase, not the practitioner's, and is left out (`privacy.OWN_PHRASES`).
    """
    found = []
    for section, (kind, readers) in SECTIONS.items():
        values, defaults = getattr(settings, section), kind()
        for key, read in readers.items():
            if getattr(read, "func", read) is not v.online_text:
                continue
            text = getattr(values, key)
            if isinstance(text, str) and text != getattr(defaults, key):
                found.append((f"{section}.{key}", text))
    return found


def default_texts(settings: m.Settings, keys: list[str]) -> m.Settings:
    """`settings` with the texts at `keys` ("breaks.title") back to pseudocal's own."""
    for key in keys:
        section, name = key.split(".", 1)
        kind = SECTIONS[section][0]
        value = replace(getattr(settings, section), **{name: getattr(kind(), name)})
        settings = replace(settings, **{section: value})
    return settings
