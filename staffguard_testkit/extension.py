"""Real parts for the extension's end-to-end tests and bench: the admin site as a process, the
platforms' servers (``upstream``) mapped for Chromium, and Chromium with the unpacked extension."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from .net import free_port, wait_for_port
from .upstream import Upstream

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


class Sites(Upstream):
    """The platforms' servers (``upstream.Upstream``) with the platform hosts mapped onto them
    for Chromium: plain HTTP, and TLS for the HSTS-preloaded ones."""

    def __init__(self, directory: Path | None = None) -> None:
        super().__init__(directory or Path(os.environ.get("TMPDIR", "/tmp")) / "sg-sites")

    @property
    def port(self) -> int:
        return self.http_port

    @property
    def tls_port(self) -> int:
        return self.https_port

    @property
    def seen(self) -> list[tuple[str, str, str]]:
        """(method, host, path) of every request that reached the platforms' servers."""
        return [(r.method, r.host, r.path) for r in self.received]

    @property
    def resolver_rules(self) -> str:
        plain = [f"MAP {host} 127.0.0.1:{self.port}" for host in HOSTS]
        tls = [f"MAP {host} 127.0.0.1:{self.tls_port}" for host in TLS_HOSTS]
        return ", ".join(plain + tls)


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
