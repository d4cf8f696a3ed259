"""Real parts for the extension's end-to-end tests and bench: the admin site as a process, a
local web server standing in for the platforms, and Chromium with the unpacked extension."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from .net import free_port, wait_for_port
from .tls import self_signed

ROOT = Path(__file__).resolve().parents[1]  # the checkout
EXTENSION = ROOT / "extension"
STAFFGUARD = str(Path(sys.executable).with_name("staffguard"))
HOSTS = (
    "www.tiktok.com",
    "social.usd999.org",
    "forum.usd999.org",
    "www.khanacademy.org",
    "www.snapchat.com",
    "chat.usd999.org",
    "usd999.instructure.com",  # the district's Canvas (an LMS: assignments are read there)
)
# Hosts on Chromium's HSTS preload list: reached over https only, so the local server answers
# them with TLS (a throwaway certificate; Chromium runs with --ignore-certificate-errors).
TLS_HOSTS = ("www.facebook.com", "www.instagram.com", "www.youtube.com", "youtu.be")


# What the district proxy adds to a response it lets through but flags (proxy_addons/flows.py).
MARKER = "action=notice; activity=direct_message; ref=IIBGC (4/26), Uses"


class Page(BaseHTTPRequestHandler):
    """Any platform's page; paths under /marked/ carry the proxy's X-StaffGuard header. Every
    request that reaches it is noted (method, host, path), so a test can tell what the
    extension let through to the platform's server."""

    def do_POST(self) -> None:
        self._note()
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def _note(self) -> None:
        seen = getattr(self.server, "seen", None)
        if seen is not None:
            seen.append((self.command, self.headers.get("Host", "").split(":")[0], self.path))

    def do_GET(self) -> None:
        self._note()
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


def throwaway_tls(directory: Path) -> ssl.SSLContext:
    """A server TLS context with a fresh self-signed certificate (Chromium runs with
    --ignore-certificate-errors for these stand-in platforms)."""
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path, _ = self_signed(directory)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context


class Sites:
    """Local servers answering for every mapped platform host (plain HTTP, and TLS for the
    HSTS-preloaded ones); `seen` lists the requests both received."""

    def __init__(self, directory: Path | None = None) -> None:
        self.seen_list: list[tuple[str, str, str]] = []
        self.server = QuietServer(("127.0.0.1", 0), Page)
        self.server.seen = self.seen_list  # type: ignore[attr-defined]
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.tls = QuietServer(("127.0.0.1", 0), Page)
        self.tls.seen = self.seen_list  # type: ignore[attr-defined]
        context = throwaway_tls(directory or Path(os.environ.get("TMPDIR", "/tmp")) / "sg-sites")
        self.tls.socket = context.wrap_socket(self.tls.socket, server_side=True)
        self.tls_port = self.tls.server_address[1]
        threading.Thread(target=self.tls.serve_forever, daemon=True).start()

    @property
    def seen(self) -> list[tuple[str, str, str]]:
        """(method, host, path) of every request that reached the platforms' server."""
        return list(self.seen_list)

    @property
    def resolver_rules(self) -> str:
        plain = [f"MAP {host} 127.0.0.1:{self.port}" for host in HOSTS]
        tls = [f"MAP {host} 127.0.0.1:{self.tls_port}" for host in TLS_HOSTS]
        return ", ".join(plain + tls)

    def close(self) -> None:
        for server in (self.server, self.tls):
            server.shutdown()
            server.server_close()


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
        wait_for_port(self.port, 20, self.proc)
        return self

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
        "--ignore-certificate-errors",
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
