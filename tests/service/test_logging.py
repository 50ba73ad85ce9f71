"""Logging for journald: levels, no timestamps under JOURNAL_STREAM, never a client identity.

The redaction filter is a safety net: these tests plant identities where code should never
put them (log arguments, exception messages, tracebacks, a failing server's replies, a
calendar URL) and check that nothing identifying reaches the captured output.
"""
from __future__ import annotations

import http.server
import io
import json
import logging
import re
import signal
import threading

import pytest

from daemonproc import DaemonProcess, NotifyListener, Practice, pseudocal
from pseudocal.errors import ServerError
from pseudocal.identity import redaction
from pseudocal.identity.privacy import Identities
from pseudocal.models import ClientIdentity
from pseudocal.service import logs

JANE = ClientIdentity("Jane Example", email="jane@example.org", phone="+44 7700 900123")
LEAKS = ("jane example", "jane@example.org", "7700 900123")
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d")


def leaked(text: str) -> list[str]:
    folded = text.casefold()
    return [term for term in LEAKS if term in folded]


@pytest.fixture
def captured(monkeypatch):
    """logs.setup writing into a StringIO, with Jane loaded into the redactor."""
    def setup(journal: bool = False) -> io.StringIO:
        if journal:
            monkeypatch.setenv("JOURNAL_STREAM", "8:12345")
        else:
            monkeypatch.delenv("JOURNAL_STREAM", raising=False)
        stream = io.StringIO()
        logs.setup(stream=stream)
        return stream
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, redaction.REDACTOR.strict, redaction.REDACTOR.loose)
    redaction.REDACTOR.load(Identities.of([JANE]))
    yield setup
    root.handlers[:], root.level = saved[0], saved[1]
    redaction.REDACTOR.strict, redaction.REDACTOR.loose = saved[2], saved[3]


# ---------------------------------------------------------------- the redaction filter


def test_identities_in_arguments_and_messages_are_redacted(captured):
    out = captured()
    log = logging.getLogger("pseudocal.test")
    log.warning("reminder for %s", "Jane Example")
    log.error("mail to JANE@EXAMPLE.ORG failed")
    log.error("fullwidth \uff2a\uff41\uff4e\uff45 Example and non-breaking Jane\u00a0Example")
    text = out.getvalue()
    assert leaked(text) == [] and text.count(redaction.REDACTED) == 4


def test_identities_in_exception_messages_and_tracebacks_are_redacted(captured):
    out = captured()
    try:
        try:
            raise ValueError("cannot parse row for Jane Example, +44 7700 900123")
        except ValueError as inner:
            raise ServerError("server said: no calendar for jane@example.org") from inner
    except ServerError:
        logging.getLogger("pseudocal.test").exception("sync failed")
    text = out.getvalue()
    assert "Traceback" in text and "ServerError" in text
    assert leaked(text) == [] and redaction.REDACTED in text


def test_only_the_identity_is_replaced_the_rest_keeps_its_case():
    redactor = redaction.Redactor()
    redactor.load(Identities.of([JANE, ClientIdentity("Chloé Démo")]))
    scrubbed = redactor.scrub("Traceback: JANE EXAMPLE in /Home/X")
    assert scrubbed == "Traceback: [redacted] in /Home/X"
    assert leaked(redactor.scrub("Chloe\u0301 De\u0301mo and Chloe Demo")) == []
    assert "chlo" not in redactor.scrub("Chloe\u0301 De\u0301mo and Chloe Demo").casefold()


def test_text_without_identities_is_left_alone(captured):
    out = captured()
    logging.getLogger("pseudocal.test").info("create Amber Falcon Mon 10:00 (new)")
    assert "create Amber Falcon Mon 10:00 (new)" in out.getvalue()


# ---------------------------------------------------------------- journald format


def test_under_journald_lines_carry_a_priority_and_no_timestamp(captured):
    out = captured(journal=True)
    log = logging.getLogger("pseudocal.test")
    log.error("broken")
    log.warning("careful")
    log.info("fine")
    lines = out.getvalue().splitlines()
    assert [line[:3] for line in lines] == ["<3>", "<4>", "<6>"]
    assert not any(TIMESTAMP.search(line) for line in lines)


def test_in_a_terminal_lines_carry_a_timestamp(captured):
    out = captured()
    logging.getLogger("pseudocal.test").info("fine")
    assert TIMESTAMP.match(out.getvalue())


# ---------------------------------------------------------------- end to end


class FailingServer(http.server.ThreadingHTTPServer):
    """Answers every request 500, naming the client in the reason and the body."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Fail)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.shutdown()
        self.server_close()


class _Fail(http.server.BaseHTTPRequestHandler):
    def _fail(self) -> None:
        body = b"<error>row locked while saving Jane Example (jane@example.org)</error>"
        self.send_response(500, "Internal error for Jane Example")
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_PROPFIND = do_GET = do_PUT = do_DELETE = do_REPORT = do_OPTIONS = _fail

    def log_message(self, *_args) -> None:
        pass


@pytest.fixture
def failing_server():
    server = FailingServer()
    yield server
    server.close()


def run_daemon(practice, log_path, until: tuple[str, ...], args: tuple[str, ...] = (),
               env: dict[str, str] | None = None) -> tuple[str, list[str]]:
    """The daemon on `practice` until the notify socket hears `until` (key, and text in its
    value), then a clean SIGTERM stop: (its log, every notify message)."""
    listener = NotifyListener()
    daemon = DaemonProcess(practice.write(), log_path, args=args,
                           env={"NOTIFY_SOCKET": listener.name, **(env or {})})
    try:
        listener.wait(*until)
        daemon.signal(signal.SIGTERM)
        assert daemon.proc.wait(15) == 0
    finally:
        daemon.close()
        listener.drain()
        listener.close()
    return daemon.log(), listener.messages


def test_the_daemon_never_logs_an_identity_from_a_failing_server(tmp_path, failing_server):
    # the server's answers name the client (its reason phrase and body); a calendar URL named
    # after a client is refused before any request now (engine.url_problems)
    url = f"http://127.0.0.1:{failing_server.server_address[1]}/cal/practice/"
    practice = Practice(tmp_path / "p", url).create([JANE])
    practice.sessions = [practice.weekly(0)]
    log, messages = run_daemon(practice, tmp_path / "daemon.log", ("STATUS", "sync failing since"),
                               args=("-v",), env={"JOURNAL_STREAM": "8:4242"})
    assert "500" in log, "the server's failure never reached the log: nothing was tested"
    assert log.startswith("<6>") and not TIMESTAMP.search(log)
    status = pseudocal("status", "--json", "--config", str(practice.config))
    assert status.returncode == 11 and json.loads(status.stdout)["last_error"]
    kept = [practice.status_file.read_bytes(), practice.store_path.read_bytes()]
    everything = log + "\n".join(messages) + status.stdout + status.stderr
    assert leaked(everything) == []
    assert not any(term.encode() in blob.lower() for term in LEAKS for blob in kept)


def test_the_redactor_catches_reordered_names_parts_and_reformatted_phones():
    from pseudocal.identity import privacy
    from pseudocal.models import ClientIdentity
    redactor = redaction.Redactor()
    redactor.load(privacy.Identities.of([ClientIdentity(
        "Zelda Quimby", email="z.quimby@example.org", phone="+44 7700 900123")]))
    body = ("<html>Quimby, Zelda <Z.Quimby@Example.org> tel +447700900123 or 07700 900123; "
            "Zelda  Quimby; Ms QUIMBY; (07700) 900-123</html>")
    out = redactor.scrub_data(body)  # a server's reply is data: every name part goes
    for leak in ("quimby", "zelda", "7700", "900123", "900-123"):
        assert leak not in out.casefold(), out
    assert out.count("[redacted]") >= 7 and "<html>" in out


def test_pseudocals_own_words_survive_a_client_whose_name_is_a_common_word():
    """Only data loses name parts; pseudocal's own message keeps "will" for a client
    called Will May, and loses the whole name, the address and the number only."""
    from pseudocal.identity import privacy
    redactor = redaction.Redactor()
    redactor.load(privacy.Identities.of([ClientIdentity(
        "Will May", email="will.may@example.org", phone="+44 7700 900456")]))
    own = "the next sync will try again in May"
    assert redactor.scrub(own) == own
    assert redactor.scrub_data(own) == "the next sync [redacted] try again in [redacted]"
    assert redactor.scrub("no client Will May; mail will.may@example.org, 07700 900456") == (
        "no client [redacted]; mail [redacted], [redacted]")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(redactor)
    log = logging.getLogger("pseudocal.test.own")
    log.addHandler(handler)
    try:
        log.warning("the next sync will try again (%s)", "server said: Will is away")
    finally:
        log.removeHandler(handler)
    assert stream.getvalue().strip() == (
        "the next sync will try again (server said: [redacted] is away)")


def test_every_line_of_a_journald_record_keeps_its_priority(monkeypatch):
    import io
    import logging
    monkeypatch.setenv("JOURNAL_STREAM", "8:1234")
    stream = io.StringIO()
    logs.setup(stream=stream)
    try:
        raise RuntimeError("first line\nsecond line")
    except RuntimeError:
        logging.getLogger("pseudocal.test").exception("it failed")
    lines = [ln for ln in stream.getvalue().splitlines() if ln]
    assert len(lines) > 3 and all(ln.startswith("<3>") for ln in lines), lines


def test_errors_printed_at_start_carry_an_error_priority_under_journald(monkeypatch, capsys):
    from pseudocal.cli import output
    from pseudocal.errors import KeyError_
    monkeypatch.setenv("JOURNAL_STREAM", "8:1234")
    output.render_error(KeyError_("no key file at /x", next_step="restore it"))
    err = capsys.readouterr().err.splitlines()
    assert err and all(line.startswith("<3>") for line in err)


def test_the_practitioners_own_paths_are_logged_as_they_are(tmp_path, failing_server):
    """A log-in or folder that shares a client's first name ("/home/jane/..."): the start
    line shows the path whole; redacting that word would tell the journal a client is
    called Jane (an attacker's finding)."""
    url = f"http://127.0.0.1:{failing_server.server_address[1]}/cal/practice/"
    practice = Practice(tmp_path / "jane" / "p", url).create([JANE])
    practice.sessions = [practice.weekly(0)]
    log, _ = run_daemon(practice, tmp_path / "daemon.log", ("READY",))
    assert f"started: config {practice.config}, store " in log
    assert "/[redacted]/" not in log
