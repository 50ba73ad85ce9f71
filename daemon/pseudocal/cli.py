"""The command line: parse, dispatch, and the one place that renders errors for humans."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from . import logs
from .errors import EXIT_CODES, PseudocalError

log = logging.getLogger("pseudocal")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pseudocal",
        description="Pseudonymised session calendar for online practice.",
        epilog="exit codes: " + "; ".join(f"{k} {v}" for k, v in EXIT_CODES.items()))
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", type=Path, help="config file (default: $PSEUDOCAL_CONFIG, "
                        "then ~/.config/pseudocal/config.toml, then /etc/pseudocal/config.toml)")
    common.add_argument("--json", action="store_true", help="print one JSON document")
    common.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    from . import commands
    commands.register(sub, common)
    return parser


PIPE_CLOSED = 141  # 128 + SIGPIPE, as other Unix tools exit when their reader goes away


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logs.setup(verbose=args.verbose)
    try:
        code = args.handler(args) or 0
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return code
    except PseudocalError as exc:
        render_error(exc, json_mode=getattr(args, "json", False))
        return exc.exit_code
    except BrokenPipeError:  # `pseudocal week | head`: the reader has what it wanted
        _silence_stdout()
        return PIPE_CLOSED
    except KeyboardInterrupt:
        print("pseudocal: interrupted", file=sys.stderr)
        return 130


def _silence_stdout() -> None:
    """Point stdout at /dev/null so Python's own flush at exit cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def render_error(exc: PseudocalError, json_mode: bool = False, stream=None) -> None:
    """The one place that turns an error into words (or JSON) for a human."""
    stream = stream or sys.stderr
    problems = getattr(exc, "problems", [])
    file = exc.where or "config"
    if json_mode:
        doc = {"error": exc.title, "message": logs.REDACTOR.scrub(exc.message),
               "exit_code": exc.exit_code, "next_step": exc.next_step,
               "problems": [logs.REDACTOR.scrub(p.render(file)) for p in problems]}
        print(json.dumps(doc, indent=2), file=sys.stdout)
        return
    lines = [f"pseudocal: {exc.title}: {logs.REDACTOR.scrub(exc.message)}",
             *(f"  - {logs.REDACTOR.scrub(p.render(file))}" for p in problems)]
    if exc.next_step:
        lines.append(f"  next step: {exc.next_step}")
    prefix = "<3>" if os.environ.get("JOURNAL_STREAM") else ""  # journald: error priority
    for line in lines:
        print(prefix + line, file=stream)


def emit(args, doc: dict, text: str) -> None:
    """Print `doc` as JSON with --json, else the human text."""
    if getattr(args, "json", False):
        print(json.dumps(doc, indent=2, default=str))
    elif text:
        print(text)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
