"""What the commands print: errors laid out for a terminal or --json (worded by
service/wording.py, the one place that words them), and each command's document."""
from __future__ import annotations

import json
import os
import sys

from ..errors import PseudocalError


def render_error(exc: PseudocalError, json_mode: bool = False, stream=None) -> None:
    """The one place that turns an error into words (or JSON) for a human."""
    from ..identity import redaction  # only when there is an error to word
    from ..service import wording
    stream = stream or sys.stderr
    problems = getattr(exc, "problems", [])
    file = exc.where or "config"
    message, next_step = wording.said(exc)
    if json_mode:
        doc = {"error": exc.title, "message": message,
               "exit_code": exc.exit_code, "next_step": next_step,
               "problems": [redaction.REDACTOR.scrub(p.render(file)) for p in problems]}
        print(json.dumps(doc, indent=2), file=sys.stdout)
        return
    lines = [f"pseudocal: {exc.title}: {safe(message)}",
             *(f"  - {safe(redaction.REDACTOR.scrub(p.render(file)))}" for p in problems)]
    if next_step:
        lines.append(f"  next step: {safe(next_step)}")
    prefix = "<3>" if os.environ.get("JOURNAL_STREAM") else ""  # journald: error priority
    for line in lines:
        print(prefix + line, file=stream)


def safe(text: str) -> str:
    """`text` with every control, format or bidi character escaped (terminal.safe), line by
    line: whatever an error quotes (a server's path, a file's name) never reaches a
    terminal raw."""
    from .terminal import safe as escaped
    return "\n".join(escaped(line) for line in text.split("\n"))


def emit(args, doc: dict, text: str) -> None:
    """Print `doc` as JSON with --json, else the human text."""
    if getattr(args, "json", False):
        print(json.dumps(doc, indent=2, default=str))
    elif text:
        print(text)  # each command's text escapes what it prints from the store or a server
