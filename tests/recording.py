"""The embedded Radicale with every request recorded: method, path, query, headers, body.

    with start_recording(tmp_path) as server:
        ...
        (put,) = server.requests

A test-side subclass of `pseudocal.cli.devserver.DevServer`: the package counts requests
(for `pseudocal demo`), it never keeps them.
"""
from __future__ import annotations

import io
import threading
from dataclasses import dataclass
from pathlib import Path

from pseudocal.cli.devserver import DevServer


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # as sent, still percent-encoded
    query: str
    headers: dict[str, str]  # canonical names: "If-None-Match"
    body: bytes

    def header(self, name: str) -> str | None:
        """A header by case-insensitive name."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)


def _headers_of(environ: dict) -> dict[str, str]:
    headers = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:]
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            name = key
        else:
            continue
        headers["-".join(part.capitalize() for part in name.split("_"))] = value
    return headers


def _read_body(environ: dict) -> bytes:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


class _Recorder:
    """WSGI middleware: keeps each request, then passes it on (body intact)."""

    def __init__(self, app) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.requests: list[RecordedRequest] = []

    def __call__(self, environ, start_response):
        raw = environ.get("pseudocal.raw_path", environ.get("PATH_INFO", ""))
        recorded = RecordedRequest(method=environ["REQUEST_METHOD"], path=raw.split("?", 1)[0],
                                   query=environ.get("QUERY_STRING", ""),
                                   headers=_headers_of(environ), body=_read_body(environ))
        with self.lock:
            self.requests.append(recorded)
        return self.app(environ, start_response)


class RecordingServer(DevServer):
    """A DevServer whose requests are kept; `reset_counters()` forgets them too."""

    def __init__(self, storage_dir: Path, host: str, port: int) -> None:
        super().__init__(storage_dir, host, port)
        self._recorder: _Recorder | None = None

    def wrap(self, app):
        if self._recorder is None:  # kept over a restart, as the counter is
            self._recorder = _Recorder(app)
        self._recorder.app = app
        return self._recorder

    def restart(self) -> None:
        """Stop, then serve again on the same port from the same storage."""
        self.stop()
        self.start()

    @property
    def running(self) -> bool:
        return self._server is not None

    def collection_dir(self, user: str = "practitioner", name: str = "practice") -> Path:
        """Where Radicale keeps that calendar's files (one .ics per object)."""
        return self.storage_dir / "collection-root" / user / name

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of the recorded requests."""
        if self._recorder is None:
            return []
        with self._recorder.lock:
            return list(self._recorder.requests)

    def reset_counters(self) -> None:
        super().reset_counters()
        if self._recorder is not None:
            with self._recorder.lock:
                self._recorder.requests.clear()


def start_recording(storage_dir: Path, host: str = "127.0.0.1", port: int = 0
                    ) -> RecordingServer:
    """`start_radicale`, recording every request."""
    return RecordingServer(storage_dir, host, port).start()


class Answering:
    """WSGI middleware in front of the embedded Radicale: `rule(method, path, body)` may
    answer in its place with (status, body)."""

    def __init__(self, app, rule) -> None:
        self.app, self.rule = app, rule

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)
        answer = self.rule(environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), body)
        if answer is None:
            return self.app(environ, start_response)
        status, text = answer
        start_response(f"{status} Answered", [("Content-Type", "application/xml; charset=utf-8"),
                                              ("Content-Length", str(len(text)))])
        return [text]
