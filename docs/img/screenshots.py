"""Screenshots for the README, taken from a real ``staffguard run`` so they stay current.

    .venv/bin/python docs/img/screenshots.py      # writes docs/img/*.png (about 30 s)

Starts ``staffguard run`` on free ports in a scratch directory (its own database, HOME and
mitmproxy CA), drives Debian's Chromium (Playwright, never a downloaded browser) through its
proxy to a few flagged sites (plain HTTP: the warning pages need no upstream and no CA), then
signs in as the printed first admin and photographs the dashboard and the warning log.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

from staffguard_testkit.machine import CHROMIUM, CHROMIUM_ARGS

HERE = Path(__file__).resolve().parent
STAFFGUARD = Path(sys.executable).with_name("staffguard")
VISITS = [  # (url, screenshot name or None)
    ("http://www.tiktok.com/@lincolnhigh", "interstitial.png"),
    ("http://x.com/i/flow/signup", None),
    ("http://www.instagram.com/direct/inbox/", None),
    ("http://www.tiktok.com/messages", None),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, opener: urllib.request.OpenerDirector | None = None) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            (opener or urllib.request.build_opener()).open(url, timeout=2).read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="staffguard-shots-") as scratch:
        web, proxy = free_port(), free_port()
        env = {**os.environ, "HOME": scratch, "STAFFGUARD_INSTANCE": f"{scratch}/instance"}
        env.pop("STAFFGUARD_DATABASE_URL", None)
        run = subprocess.Popen(
            [str(STAFFGUARD), "run", "--port", str(web), "--proxy-port", str(proxy)],
            cwd=scratch,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            assert run.stdout is not None
            first = run.stdout.readline()
            password = re.search(r"password (\S+)", first)
            if password is None:
                raise SystemExit(f"no first admin password in: {first!r}")
            base = f"http://127.0.0.1:{web}"
            handler = urllib.request.ProxyHandler({"http": f"http://127.0.0.1:{proxy}"})
            wait_for("http://staffguard.invalid/ping", urllib.request.build_opener(handler))
            wait_for(f"{base}/login")
            shoot(base, proxy, password.group(1))
        finally:
            run.terminate()
            run.wait(20)


def shoot(base: str, proxy: int, password: str) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=CHROMIUM_ARGS,
            proxy={"server": f"http://127.0.0.1:{proxy}", "bypass": "127.0.0.1"},
        )
        # The scratch CA is not trusted: HSTS-preloaded sites (instagram.com) are upgraded to HTTPS.
        page = browser.new_page(viewport={"width": 1100, "height": 760}, ignore_https_errors=True)
        for url, name in VISITS:
            page.goto(url)
            page.wait_for_selector("h1")
            if name:
                page.screenshot(path=HERE / name, full_page=True)
        page.goto(f"{base}/login")
        page.fill("#name", "admin")
        page.fill("#password", password)
        page.click("button[type=submit]")
        deadline = time.monotonic() + 60  # the proxy ships its events every few seconds
        while True:
            page.goto(f"{base}/log")
            if page.locator("table tbody tr").count() >= len(VISITS) or time.monotonic() > deadline:
                break
            time.sleep(1)
        page.screenshot(path=HERE / "log.png", full_page=True)
        page.goto(f"{base}/?days=7")
        page.screenshot(path=HERE / "dashboard.png", full_page=True)
        browser.close()


if __name__ == "__main__":
    main()
    for name in ("interstitial.png", "dashboard.png", "log.png"):
        print(HERE / name)
