"""A notification receiver for tests: a real HTTP server on a free loopback port that records what
apprise's ``json://`` URLs post to it.

A path containing ``/fail`` answers 500, ``/slow`` waits until :meth:`Receiver.release` (or the end of
the test); every other path 200. ``received`` holds ``(path, title, message, type)`` for each post.

    with Receiver() as receiver:
        url = receiver.url("hooks/main")  # json://127.0.0.1:PORT/hooks/main
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

#: How long a test waits for a message that should arrive (a bound, not a timing under test).
PATIENCE = 20.0


@dataclass(frozen=True)
class Post:
    path: str
    title: str
    message: str
    type: str


class Receiver:
    def __init__(self) -> None:
        self.received: list[Post] = []
        self.attempts = 0
        self._changed = threading.Condition()
        self._released = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body: dict[str, Any] = json.loads(self.rfile.read(length) or b"{}")
                if "/slow" in self.path:
                    receiver._released.wait(PATIENCE)
                failing = "/fail" in self.path
                with receiver._changed:
                    receiver.attempts += 1
                    if not failing:
                        receiver.received.append(
                            Post(
                                self.path,
                                body.get("title", ""),
                                body.get("message", ""),
                                body.get("type", ""),
                            )
                        )
                    receiver._changed.notify_all()
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str = "hooks/main") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def wait_for(self, count: int, *, attempts: bool = False) -> list[Post]:
        """Wait until ``count`` posts were received (or attempted, failures included); the posts."""
        with self._changed:
            self._changed.wait_for(
                lambda: (self.attempts if attempts else len(self.received)) >= count, timeout=PATIENCE
            )
            return list(self.received)

    def release(self) -> None:
        self._released.set()

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()
