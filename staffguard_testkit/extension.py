"""Real parts for the extension's end-to-end tests and bench: the admin site as a process, a
local web server standing in for the platforms, and Chromium with the unpacked extension."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]  # the checkout
EXTENSION = ROOT / "extension"
STAFFGUARD = str(Path(sys.executable).with_name("staffguard"))
HOSTS = (
    "www.tiktok.com",
    "social.usd999.org",
    "forum.usd999.org",
    "www.khanacademy.org",
    "www.snapchat.com",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# What the district proxy adds to a response it lets through but flags (proxy_addons/flows.py).
MARKER = "action=notice; activity=direct_message; ref=IIBGC (4/26), Uses"


class Page(BaseHTTPRequestHandler):
    """Any platform's page; paths under /marked/ carry the proxy's X-StaffGuard header."""

    def do_GET(self) -> None:
        body = (
            f"<html><head><title>upstream</title></head><body><h1>upstream page</h1>"
            f"<p id=where>{self.headers.get('Host')}{self.path}</p></body></html>"
        ).encode()
        self.send_response(200)
        if self.path.startswith("/marked/"):
            self.send_header("X-StaffGuard", MARKER)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """The extension cancels navigations it replaces: a closed connection is expected."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class Sites:
    """One local server answering for every mapped platform host."""

    def __init__(self) -> None:
        self.server = QuietServer(("127.0.0.1", 0), Page)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def resolver_rules(self) -> str:
        return ", ".join(f"MAP {host} 127.0.0.1:{self.port}" for host in HOSTS)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class AdminSite:
    """``staffguard web`` on a fresh SQLite database, with an API token for the extension."""

    def __init__(self, directory: Path):
        self.dir = directory
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db = directory / "admin.sqlite3"
        self.env = {
            **os.environ,
            "STAFFGUARD_DATABASE_URL": f"sqlite:///{self.db}",
            "STAFFGUARD_INSTANCE": str(directory / "instance"),
        }
        self.proc: subprocess.Popen | None = None

    def command(self, *args: str, stdin: str = "") -> str:
        done = subprocess.run(
            [STAFFGUARD, *args], env=self.env, input=stdin, capture_output=True, text=True
        )
        if done.returncode:
            raise RuntimeError(done.stderr)
        return done.stdout

    def start(self) -> AdminSite:
        log = (self.dir / "web.log").open("ab")
        self.proc = subprocess.Popen(
            [STAFFGUARD, "web", "--port", str(self.port)], env=self.env, stdout=log, stderr=log
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.1)
        raise TimeoutError("the admin site did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def events(self) -> list[tuple]:
        import sqlite3

        with sqlite3.connect(self.db) as db:
            return db.execute(
                "select source, platform_id, activity, outcome, justification, user from events"
                " order by ts, outcome desc"
            ).fetchall()


def chromium_extension_args(sites: Sites) -> list[str]:
    return [
        f"--disable-extensions-except={EXTENSION}",
        f"--load-extension={EXTENSION}",
        f"--host-resolver-rules={sites.resolver_rules}",
    ]


def launch_with_extension(playwright: Any, profile: Path, sites: Sites, executable: str) -> Any:
    """Chromium (Debian's) with the unpacked extension and the platform hosts mapped."""
    from .machine import CHROMIUM_ARGS

    return playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=executable,
        headless=True,
        args=[*CHROMIUM_ARGS, *chromium_extension_args(sites)],
    )


def service_worker(context: Any) -> Any:
    """The extension's service worker, once it runs."""
    if context.service_workers:
        return context.service_workers[0]
    return context.wait_for_event("serviceworker")


def set_settings(worker: Any, **settings: Any) -> None:
    """What the options page stores for an unmanaged install."""
    worker.evaluate("(settings) => chrome.storage.local.set({settings})", settings)


def has_policy(worker: Any) -> bool:
    return bool(worker.evaluate("chrome.storage.local.get('policy').then(r => !!r.policy)"))
