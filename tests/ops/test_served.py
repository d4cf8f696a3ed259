"""The real server (``staffguard web``, waitress) hands forwarded addresses to the site only when
told to trust a reverse proxy."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from staffguard_testkit.net import free_port, wait_for_port

pytestmark = pytest.mark.e2e
STAFFGUARD = str(Path(sys.executable).with_name("staffguard"))


def status(url: str, headers: dict[str, str]) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10):
            return 200
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.parametrize("trusted", ["1", "0"])
def test_forwarded_addresses_reach_the_site_only_behind_a_trusted_proxy(tmp_path, trusted):
    port = free_port()
    env = {
        **os.environ,
        "STAFFGUARD_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "STAFFGUARD_TRUSTED_PROXIES": trusted,
    }
    web = subprocess.Popen(
        [STAFFGUARD, "web", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, timeout=60, proc=web)
        metrics = f"http://127.0.0.1:{port}/metrics"
        relayed = status(metrics, {"X-Forwarded-For": "192.0.2.50"})
        if trusted == "1":  # the real client is off this machine: not allowed to read
            assert relayed == 403
            assert status(metrics, {"X-Forwarded-For": "127.0.0.1"}) == 200
        else:  # nobody told the site to believe the header: relayed, so never "local"
            assert relayed == 403
            assert status(metrics, {}) == 200
    finally:
        web.terminate()
        web.wait(20)
