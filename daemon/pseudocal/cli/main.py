"""The command line: parse, dispatch, and turn an error into an exit code (`output` words it)."""
from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from ..errors import EXIT_CODES, PseudocalError
from . import commands
from .usage import UsageParser

log = logging.getLogger("pseudocal")


def build_parser() -> argparse.ArgumentParser:
    parser = UsageParser(
        prog="pseudocal",
        description="Pseudonymised session calendar for online practice.",
        epilog="exit codes: " + "; ".join(f"{k} {v}" for k, v in EXIT_CODES.items()))
    common = UsageParser(add_help=False)
    common.add_argument("--config", type=Path, help="config file (default: $PSEUDOCAL_CONFIG, "
                        "then ~/.config/pseudocal/config.toml, then /etc/pseudocal/config.toml)")
    common.add_argument("--json", action="store_true", help="print one JSON document")
    common.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.register(sub, common)
    return parser


PIPE_CLOSED = 141  # 128 + SIGPIPE, as other Unix tools exit when their reader goes away


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from ..service import logs  # after parsing: `--help` and usage errors need no logging
    logs.setup(verbose=args.verbose)
    try:
        code = args.handler(args) or 0
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
        return code
    except PseudocalError as exc:
        from .output import render_error
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
