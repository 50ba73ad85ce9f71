"""Property tests for config validation: every planted mistake is reported, at its key path."""
from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pseudocal.config.loader import load_settings
from pseudocal.errors import ConfigError

HEADER = ('timezone = "Europe/London"\n[calendar]\nurl = "https://cal.example.org/c/"\n'
          'username = "alex"\npassword_file = "pw"\n')

# (key, a good value, bad values with the word the report must contain)
FIELDS = {
    "duration": ('"50m"', ['"50"', '"0m"', '"-5m"', '"fifty"', "50"]),
    # the last bad start is inside New York's spring-forward gap
    "start": ("2026-12-01T10:00:00", ['"tomorrow"', "2026-12-01T10:00:00Z",
                                      "2027-03-14T02:30:00"]),
    "timezone": ('"America/New_York"', ['"Mars/Olympus"', '"EST"', "5"]),
    "repeat": ('"weekly"', ['"sometimes"', '"FREQ=WEEKLY;COUNT=3"', '"FREQ=HOURLY"']),
    "until": ("2027-06-30", ["2025-01-01", '"june"']),
}


@st.composite
def sessions(draw):
    """A list of sessions, each with some fields made bad; returns (toml, expected paths)."""
    n = draw(st.integers(min_value=1, max_value=4))
    text, expected = "", set()
    for i in range(n):
        text += '[[sessions]]\nclient = "Amber Falcon"\n'
        for key, (good, bads) in FIELDS.items():
            if draw(st.booleans()):
                text += f"{key} = {draw(st.sampled_from(bads))}\n"
                expected.add(f"sessions[{i}].{key}")
            else:
                text += f"{key} = {good.replace('12-01', f'12-0{i + 1}')}\n"
        if draw(st.booleans()):
            text += 'durration = "50m"\n'
            expected.add(f"sessions[{i}]")  # an unknown key: named by its table only
    return text, expected


@settings(max_examples=60, deadline=None)
@given(sessions())
def test_every_planted_mistake_is_reported_at_its_key_path(case):
    text, expected = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.toml"
        path.write_text(HEADER + text)
        try:
            load_settings(path, env={"HOME": tmp})
        except ConfigError as exc:
            reported = {p.path for p in exc.problems}
            # a bad start or zone can make later checks of the same session moot,
            # but every planted key is named, and nothing is reported outside the plant
            assert expected <= reported | _covered(reported), (expected, reported)
            assert {r.split(".")[0] for r in reported} <= {e.split(".")[0] for e in expected}
            assert all(p.hint or "unknown" in p.message or p.message for p in exc.problems)
        else:
            assert not expected, expected


def _covered(reported: set[str]) -> set[str]:
    """`until` checked against a start that is itself wrong is not a separate problem."""
    out = set()
    for path in reported:
        prefix = path.rsplit(".", 1)[0]
        if path.endswith((".start", ".timezone", ".repeat")):
            out.add(f"{prefix}.until")
        if path.endswith(".timezone"):  # a gap is a gap only in a known zone
            out.add(f"{prefix}.start")
    return out
