"""The platforms' servers, as the tests stand them up: one local HTTP server and one HTTPS server
(its own throwaway certificate) answering for any host, that note every request they receive.

Every test that needs "the site behind the proxy" or "the platform the extension guards" uses
this one stand-in, so a test asks the same question everywhere: did the request reach the
platform, and with what (``received``, ``reached``)? The page says what it got, too, for tests
that only see the page (a browser behind the proxy)::

    <h1>upstream page</h1>
    <p id=where>www.tiktok.com/@lincolnhigh</p>
    <pre>{"upstream": true, "path": "/@lincolnhigh", "cookie": "sid=1"}</pre>

Paths under ``/marked/`` answer with the district proxy's ``X-StaffGuard`` header (what the
proxy adds to a page it lets through but flags), for the extension's banner; ``/favicon.ico``
is an empty 204, so a browser's icon fetch is noted but carries no page. ``replies`` overrides
the answer for one path (an API that says 404, a header to check).
"""

from __future__ import annotations

import json
import ssl
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .tls import self_signed

# What the district proxy adds to a response it lets through but flags (proxy_addons/flows.py).
MARKER = "action=notice; activity=direct_message; ref=IIBGC (4/26), Uses"


@dataclass(frozen=True)
class Received:
    """One request as it reached the platform's server."""

    method: str
    host: str  # the Host header, without a port
    path: str  # as sent: origin form, or absolute form when asked to act as a proxy
    headers: dict[str, str]  # names as sent; look up with ``header()``
    body: bytes
    tls: bool

    def header(self, name: str) -> str | None:
        """A request header by name, in any case."""
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)


@dataclass(frozen=True)
class Reply:
    """A canned answer for one path, instead of the page."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: Upstream, tls: bool) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream = upstream
        self.tls = tls

    def handle_error(self, request: object, client_address: object) -> None:
        """A browser or the extension drops connections it no longer wants: that is expected."""
        if not isinstance(sys.exc_info()[1], ConnectionError | ssl.SSLError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
        self.server.upstream._note(
            Received(self.command, host, self.path, dict(self.headers), body, self.server.tls)
        )
        reply = self.server.upstream.replies.get(self.path.split("?")[0]) or self._page()
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def _page(self) -> Reply:
        if self.path == "/favicon.ico":
            return Reply(204)
        seen = json.dumps({"upstream": True, "path": self.path, "cookie": self.headers["Cookie"]})
        page = (
            "<html><head><title>upstream</title></head><body><h1>upstream page</h1>"
            f"<p id=where>{self.headers['Host']}{self.path}</p><pre>{seen}</pre></body></html>"
        )
        headers = {"Content-Type": "text/html; charset=utf-8"}
        if self.path.startswith("/marked/"):
            headers["X-StaffGuard"] = MARKER
        return Reply(200, page.encode(), headers)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _answer

    def log_message(self, *args: object) -> None:
        pass


class Upstream:
    """The two servers, started; ``close()`` when done. ``directory`` holds the certificate."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.replies: dict[str, Reply] = {}
        self._received: list[Received] = []
        self._lock = threading.Lock()
        self.http = _Server(self, tls=False)
        self.https = _Server(self, tls=True)
        cert, key, self.cert_der = self_signed(directory)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.https.socket = context.wrap_socket(self.https.socket, server_side=True)
        for server in (self.http, self.https):
            threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        self.http_port = self.http.server_address[1]
        self.https_port = self.https.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def ports(self) -> str:
        """ "http_port,https_port", as ``tests/proxy/upstream_map.py`` reads them."""
        return f"{self.http_port},{self.https_port}"

    def _note(self, request: Received) -> None:
        with self._lock:
            self._received.append(request)

    @property
    def received(self) -> list[Received]:
        """Every request that reached either server, in order."""
        with self._lock:
            return list(self._received)

    def reached(self, host: str, path: str) -> bool:
        """Whether a request for this page reached the platform's server."""
        return any(r.host == host and r.path == path for r in self.received)

    def close(self) -> None:
        for server in (self.http, self.https):
            server.shutdown()
            server.server_close()
