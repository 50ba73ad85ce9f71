"""`python -m pseudocal ...` with some of the daemon's timing constants lowered, for a test.

    DaemonProcess(config, log, prefix=knobs(STOP_GRACE=3, SYNC_STUCK_AFTER=2))

runs `python tests/knobs.py STOP_GRACE=3 SYNC_STUCK_AFTER=2 -m pseudocal run ...`: this
script sets those names in `pseudocal.service.daemon`, then runs the package as `-m` would.
The package itself reads no test setting from the environment.
"""
from __future__ import annotations

import runpy
import sys
from pathlib import Path


def knobs(**values: float) -> tuple[str, ...]:
    """The `prefix` for DaemonProcess: this script and NAME=value for each constant."""
    return (str(Path(__file__).resolve()), *(f"{k}={v}" for k, v in values.items()))


def main(argv: list[str]) -> None:
    from pseudocal.service import daemon
    while argv and argv[0] != "-m":
        name, _, value = argv.pop(0).partition("=")
        current = getattr(daemon, name)  # an unknown name fails here, loudly
        setattr(daemon, name, type(current)(value))
    if argv[:2] != ["-m", "pseudocal"]:
        raise SystemExit("usage: knobs.py NAME=value... -m pseudocal ARGS...")
    sys.argv = ["pseudocal", *argv[2:]]
    runpy.run_module("pseudocal", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
