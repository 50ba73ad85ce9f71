"""How pseudocal words an error, everywhere it shows one: the one place for that.

Every form is redacted here (`identity.redaction`): pseudocal's own errors as its words
(whole identities only), anything else as data (every name part).

    said(exc)       its message and next step: the terminal, --json and `check`
                    (cli/output.render_error and cli/checks lay them out)
    one_line(exc)   title and message on one line: the journal, status.json, notes
    refused(f)      one action the server refused, with its reason and next step
"""
from __future__ import annotations

from ..errors import PseudocalError
from ..identity import redaction
from ..models import Failure


def said(exc: BaseException) -> tuple[str, str]:
    """The message and the next step of an error, redacted. A next step can quote what a
    server answered, so it is scrubbed as the message is."""
    if isinstance(exc, PseudocalError):
        return redaction.REDACTOR.said(exc)
    return redaction.REDACTOR.scrub_data(f"{type(exc).__name__}: {exc}"), ""


def one_line(exc: BaseException) -> redaction.Own:
    """One redacted line for an error: its title and message."""
    if isinstance(exc, PseudocalError):
        text = f"{exc.title}: {exc.message}"
    else:
        text = f"{type(exc).__name__}: {exc}"
    line = " ".join(text.split())
    scrub = redaction.REDACTOR.scrub if isinstance(exc, PseudocalError) \
        else redaction.REDACTOR.scrub_data
    return redaction.Own(scrub(line))


def refused(failure: Failure) -> str:
    """One action the server refused (all the others were done)."""
    return (f"could not {failure.op} {failure.label}: {failure.reason}; "
            f"next step: {failure.next_step}")
