"""A local feed server for the feed tests: files by path, with ETag/Last-Modified and 304s,
and switches to fail, to grow or to count conditional requests."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LAST_MODIFIED = "Mon, 30 Nov 2026 04:00:00 GMT"


@dataclass
class FeedServer:
    url: str = ""
    files: dict[str, bytes] = field(default_factory=dict)
    fail_with: int | None = None  # answer every request with this status
    delay: float = 0.0  # seconds to wait between the headers and each line of the body
    requests: list[dict[str, str]] = field(default_factory=list)

    def address(self, path: str) -> str:
        return f"{self.url}/{path.lstrip('/')}"


@contextmanager
def feed_server() -> Iterator[FeedServer]:
    state = FeedServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append({k.lower(): v for k, v in self.headers.items()})
            if state.fail_with is not None:
                self.send_error(state.fail_with)
                return
            body = state.files.get(self.path)
            if body is None:
                self.send_error(404)
                return
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", LAST_MODIFIED)
            self.end_headers()
            for line in body.splitlines(keepends=True):
                time.sleep(state.delay)
                self.wfile.write(line)
                self.wfile.flush()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
