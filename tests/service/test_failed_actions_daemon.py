"""The daemon keeps syncing when the server refuses one event, records it, and `status` turns
unhealthy once that lasts health.FAILING_AFTER syncs; it clears when the server takes it."""
from __future__ import annotations

from daemonproc import DaemonProcess, NotifyListener, Practice, status_json, wait_for
from pseudocal.service import health
from recording import Answering


def test_an_event_the_server_keeps_refusing_shows_in_status_and_clears(tmp_path, radicale_url,
                                                                       radicale):
    practice = Practice(tmp_path / "p", radicale_url, every="1s").create(["Jane Example",
                                                                          "Omar Sample"])
    practice.sessions = [practice.weekly(0), practice.weekly(1, day=2)]
    refused: list[str] = []  # the first href a PUT goes to, refused from then on

    def rule(method, path, body):
        if method == "PUT" and (not refused or path == refused[0]):
            refused[:1] = [path]
            return 403, b""
        return None
    app = radicale._recorder.app
    radicale._recorder.app = Answering(app, rule)
    listener = NotifyListener()
    daemon = DaemonProcess(practice.write(), tmp_path / "daemon.log",
                           env={"NOTIFY_SOCKET": listener.name})
    try:
        assert "1 event could not be written" in listener.wait("STATUS", "1 created")

        def stuck():
            code, doc = status_json(practice.config)
            return (code, doc) if any("could not be written for" in p
                                      for p in doc["problems"]) else None
        code, doc = wait_for(stuck, 20, step=0.3, what="status naming the refused event")
        assert code == 11 and doc["failed_actions"][0]["syncs"] >= health.FAILING_AFTER
        assert doc["failed_actions"][0]["kind"] == "refused" and doc["result"] == "partial"
        assert "Jane" not in str(doc) and "Omar" not in str(doc)
        radicale._recorder.app = app  # the server takes it again
        code, doc = wait_for(lambda: (lambda c, d: (c, d) if c == 0 else None)(
            *status_json(practice.config)), 20, step=0.3, what="a healthy status")
        assert doc["failed_actions"] == [] and doc["result"] == "ok"
        assert "failed: the server refused it (403)" in daemon.log()  # logged, with why
    finally:
        radicale._recorder.app = app
        assert daemon.stop() == 0, daemon.log()
        listener.close()
