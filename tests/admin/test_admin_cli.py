"""The admin site's commands, run as a district admin runs them."""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from staffguard_testkit.net import free_port, until

STAFFGUARD = str(Path(sys.executable).with_name("staffguard"))


def run(args, tmp_path: Path, stdin: str = "", url: str | None = None):
    env = {**os.environ, "STAFFGUARD_INSTANCE": str(tmp_path / "instance")}
    env["STAFFGUARD_DATABASE_URL"] = url or f"sqlite:///{tmp_path / 'db.sqlite3'}"
    return subprocess.run(
        [STAFFGUARD, *args], input=stdin, capture_output=True, text=True, env=env, cwd=tmp_path
    )


def test_users_tokens_and_lists_from_the_command_line(tmp_path):
    added = run(["users", "add", "it@usd999.org", "--role", "admin"], tmp_path, "long enough pw\n")
    assert added.returncode == 0, added.stderr
    short = run(["users", "add", "x@usd999.org", "--role", "admin"], tmp_path, "short\n")
    assert short.returncode == 2 and "10 characters" in short.stderr

    created = run(["tokens", "create", "proxy-1"], tmp_path)
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("sg_") and len(token) > 30
    assert run(["tokens", "create", "proxy-1"], tmp_path).returncode == 2
    assert run(["tokens", "revoke", "proxy-1"], tmp_path).returncode == 0

    district = tmp_path / "district.yaml"
    district.write_text("approvals:\n  - {platform: facebook, approved_on: 2026-05-12}\n")
    preview = run(["lists", "import", str(district)], tmp_path)
    assert "+ approvals:" in preview.stdout and "not applied" in preview.stdout
    assert run(["lists", "import", str(district), "--apply"], tmp_path).returncode == 0
    exported = run(["lists", "export"], tmp_path).stdout
    assert "platform: facebook" in exported

    bad = tmp_path / "bad.yaml"
    bad.write_text("approvals:\n  - {platform: facebok, approved_on: 2026-05-12}\n")
    refused = run(["lists", "import", str(bad), "--apply"], tmp_path)
    assert refused.returncode == 2 and "bad.yaml:2" in refused.stderr
    assert "facebook" in run(["lists", "export"], tmp_path).stdout, "nothing stored was lost"


def test_a_new_database_url_just_works(tmp_path):
    url = f"sqlite:///{tmp_path / 'elsewhere' / 'new.sqlite3'}"
    assert run(["db", "upgrade"], tmp_path, url=url).returncode == 0
    assert (tmp_path / "elsewhere" / "new.sqlite3").exists()
    assert run(["retention", "purge"], tmp_path, url=url).returncode == 0


@pytest.mark.e2e
def test_run_starts_the_admin_site_and_the_proxy_it_feeds(tmp_path):
    """The README's run command: one command, both parts, the proxy's events in the site."""
    web, proxy = free_port(), free_port()
    env = {**os.environ, "STAFFGUARD_INSTANCE": str(tmp_path / "instance")}
    env.pop("STAFFGUARD_DATABASE_URL", None)
    process = subprocess.Popen(
        [STAFFGUARD, "run", "--port", str(web), "--proxy-port", str(proxy)],
        cwd=tmp_path,
        env={**env, "HOME": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = [process.stdout.readline() for _ in range(3)]
        assert "First admin account" in lines[0]
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({"http": f"http://127.0.0.1:{proxy}"})
        )

        def ping() -> dict | None:
            try:
                return json.loads(opener.open("http://staffguard.invalid/ping", timeout=2).read())
            except OSError:
                return None  # the proxy is not serving yet

        assert until(ping, timeout=30, interval=0.3)["staffguard"] == "proxy"
        request = urllib.request.Request("http://www.tiktok.com/", headers={"Accept": "text/html"})
        assert b"TikTok" in opener.open(request, timeout=10).read()
        db = tmp_path / "instance" / "staffguard.sqlite3"

        def events() -> list[tuple[str, str]]:
            with sqlite3.connect(db) as connection:
                return connection.execute("select source, outcome from events").fetchall()

        assert until(events, timeout=30, interval=0.3) == [("proxy", "shown")]
    finally:
        process.terminate()
        process.wait(15)


def test_run_starts_the_lean_proxy_with_the_operators_options():
    """``staffguard run``'s proxy is the one the systemd unit runs: ``staffguard proxy --lean``."""
    from admin_web.cli import proxy_argv

    args = argparse.Namespace(host="127.0.0.1", proxy_port=8081, mitmproxy_options=["k=v"])
    argv = proxy_argv(args, "http://127.0.0.1:8080", "token", Path("/tmp/x"))
    assert argv[1:3] == ["-m", "proxy_addons.lean"]
    assert argv[-2:] == ["--set", "k=v"] and "connection_strategy=lazy" in argv
