"""An HTTP server answering as S3 does, which holds the requests of the methods it is told to until the
test lets each go: the slow object store of the write lock tests."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: A guard against a hang, not a measure: nothing here should take more than a moment.
HANG = 120


@dataclass
class Held:
    """Slow work that has begun and waits for the test: a request to the store (its method and path),
    or another piece of work (``RENDER``)."""

    what: str
    path: str = ""
    release: threading.Event = field(default_factory=threading.Event)


#: S3's error codes for the statuses a test may have the store answer with (``refuse``).
ERROR_CODES = {403: "AccessDenied", 500: "InternalError", 503: "ServiceUnavailable"}


class SlowStore(ThreadingHTTPServer):
    """Answers S3's PUT, GET, HEAD and DELETE, keeping what was put. A request whose method is in
    ``hold`` waits, announced on ``arrivals``, until the test sets its ``release``; one whose method is
    in ``refuse`` is answered with that error status (S3's XML error), and changes nothing."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.hold: set[str] = set()
        self.refuse: dict[str, int] = {}
        #: The requests refused, by method.
        self.refused: list[str] = []
        self.arrivals: queue.Queue[Held] = queue.Queue()
        self.objects: dict[str, bytes] = {}
        self.held: list[Held] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def wait_here(self, what: str, path: str = "") -> None:
        """Announce ``what`` and wait until the test lets it go (on the thread doing it)."""
        held = Held(what, path)
        self.held.append(held)
        self.arrivals.put(held)
        held.release.wait(HANG)

    def let_everything_go(self) -> None:
        self.hold.clear()
        for held in self.held:
            held.release.set()

    def settings(self) -> dict[str, Any]:
        """The app's settings for keeping files here."""
        return {
            "STORAGE_BACKEND": "s3",
            "STORAGE_S3_BUCKET": "casework",
            "STORAGE_S3_ENDPOINT_URL": self.url,
            "STORAGE_S3_ACCESS_KEY_ID": "test",
            "STORAGE_S3_SECRET_ACCESS_KEY": "test-secret",
        }


class _Handler(BaseHTTPRequestHandler):
    server: SlowStore

    def log_message(self, *_args: Any) -> None:
        pass

    def _answer(self, status: int, body: bytes = b"") -> None:
        self.send_response(status)
        self.send_header("ETag", '"0"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _maybe_hold(self) -> None:
        if self.command in self.server.hold:
            self.server.wait_here(self.command, self.path)

    def _refused(self) -> bool:
        status = self.server.refuse.get(self.command)
        if status is None:
            return False
        self.server.refused.append(self.command)
        code = ERROR_CODES.get(status, "InternalError")
        body = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>refused</Message></Error>"
        self._answer(status, body.encode())
        return True

    def do_PUT(self) -> None:
        content = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self._refused():
            return
        self._maybe_hold()
        self.server.objects[self.path] = content
        self._answer(200)

    def do_GET(self) -> None:
        if self._refused():
            return
        self._maybe_hold()
        if self.path in self.server.objects:
            self._answer(200, self.server.objects[self.path])
        else:
            self._answer(404)

    def do_HEAD(self) -> None:
        self._answer(200 if self.path in self.server.objects else 404)

    def do_DELETE(self) -> None:
        if self._refused():
            return
        self.server.objects.pop(self.path, None)
        self._answer(204)


@contextmanager
def slow_store() -> Iterator[SlowStore]:
    server = SlowStore()
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        yield server
    finally:
        server.let_everything_go()
        server.shutdown()
        server.server_close()
