"""Usage errors never repeat what was typed: a name there would be printed again.

argparse's own messages quote the values they could not read; pseudocal's keep the option
and command names, count the rest and point at --help. Real subprocesses, exit status 2.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

SYSTEMD_VARS = ("CREDENTIALS_DIRECTORY", "STATE_DIRECTORY", "JOURNAL_STREAM", "NOTIFY_SOCKET",
                "PSEUDOCAL_CONFIG")
NAME = "Jane Roe"


def pseudocal(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in SYSTEMD_VARS}
    return subprocess.run([sys.executable, "-m", "pseudocal", *args], capture_output=True,
                          text=True, env=env, timeout=60)


@pytest.mark.parametrize("argv, kept", [
    (["client", "list", NAME], "unrecognized arguments: 1 other argument"),
    (["status", NAME], "unrecognized arguments: 1 other argument"),
    (["sync", "--dry-run", NAME], "unrecognized arguments: 1 other argument"),
    (["status", "--dry-run", NAME], "unrecognized arguments: --dry-run; 1 other"),
    (["client", "list", "--email=jane.roe@example.org", "Roe"],
     "unrecognized arguments: --email; 1 other"),
    (["client", "add", "-vJane"], "argument -v/--verbose: this option takes no value"),
    (["sync", "--dry=Jane Roe"], "argument --dry-run: this option takes no value"),
    ([NAME], "argument COMMAND: invalid choice (not repeated); choose from 'init'"),
    (["client", NAME], "argument ACTION: invalid choice (not repeated); choose from 'add'"),
    (["demo", "--port", NAME], "argument --port: invalid int value (not repeated)"),
    (["check", "--off=Jane Roe"], "argument --offline: this option takes no value"),
    (["status", "--bogus=Jane Roe"], "unrecognized arguments: 1 other argument"),
    (["client", "show"], "the following arguments are required: pseudonym"),
])
def test_a_usage_error_keeps_option_names_and_never_the_values(argv, kept):
    done = pseudocal(*argv)
    said = done.stdout + done.stderr
    assert done.returncode == 2, said
    assert kept in done.stderr, done.stderr
    assert "Jane" not in said and "Roe" not in said and "example.org" not in said
    assert "--help`" in done.stderr and done.stderr.startswith("usage: pseudocal")


def test_control_plain_argparse_repeats_the_value():
    """What the messages above would say without pseudocal's parser (the test can fail)."""
    import argparse
    parser = argparse.ArgumentParser(prog="pseudocal", exit_on_error=False)
    parser.add_argument("-v", action="store_true")
    with pytest.raises(argparse.ArgumentError) as caught:
        parser.parse_known_args(["-vJane"])
    assert "Jane" in str(caught.value)


def test_a_date_that_is_not_one_is_refused_without_repeating_it(tmp_path):
    from practice import Practice
    p = Practice(tmp_path, "http://127.0.0.1:9/practitioner/practice/")
    done = pseudocal("week", NAME, "--config", str(p.write_config()))
    assert done.returncode == 9, done.stderr
    assert "not a date" in done.stderr and "YYYY-MM-DD" in done.stderr
    assert "Jane" not in done.stdout + done.stderr


def test_the_message_check_replaces_any_message_that_still_holds_a_typed_value():
    from pseudocal.cli import usage
    parser = usage.UsageParser
    parser._typed, parser._known = ("status", "Jane Roe"), frozenset({"status"})
    try:
        assert usage._repeats_typed("something about Jane Roe")
        assert usage._repeats_typed("argument X: invalid 'Jane Roe'")
        assert not usage._repeats_typed("unrecognized arguments: 1 other argument, not repeated")
        assert not usage._repeats_typed("the status command")  # pseudocal's own word
    finally:
        usage.UsageParser._typed, usage.UsageParser._known = (), frozenset()
