"""A lab logon script names the user of a client address (``POST /api/v1/sessions``); a real
mitmdump fed by a real admin site then records that user on its events, until logoff."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from proxy_harness import Proxy

from proxy_addons.sessions import ClientSessions
from staffguard_testkit.headers import NAVIGATE
from staffguard_testkit.net import free_port, until, wait_for_port
from staffguard_testkit.upstream import Upstream

STAFFGUARD = str(Path(sys.executable).with_name("staffguard"))
LOGON = Path(__file__).parents[2] / "deploy" / "logon" / "staffguard-logon.sh"


def test_the_table_follows_logons_logoffs_and_expiry(caplog):
    table = ClientSessions("http://admin.invalid", "t")
    soon, past = "2999-01-01T00:00:00Z", "2020-01-01T00:00:00Z"
    with caplog.at_level(logging.INFO, logger="proxy_addons.sessions"):
        table.apply(
            {
                "now": "2026-11-30T06:00:00Z",
                "sessions": [
                    {"client": "10.0.0.1", "user": "a@usd999.org", "expires": soon},
                    {"client": "10.0.0.2", "user": "b@usd999.org", "expires": past},
                ],
            }
        )
        assert table.user_at("10.0.0.1") == "a@usd999.org"
        assert table.user_at("::ffff:10.0.0.1") == "a@usd999.org"  # IPv4 client, v6 socket
        assert table.user_at("10.0.0.2") is None and table.since == "2026-11-30T06:00:00Z"
        renewed = {"client": "10.0.0.1", "user": "a@usd999.org", "expires": soon}
        table.apply({"now": "2026-11-30T06:00:02Z", "sessions": [renewed]})
        table.apply({"now": "2026-11-30T06:00:03Z", "sessions": []})
        ended = {"client": "10.0.0.1", "user": "a@usd999.org", "expires": "2026-11-30T06:00:01Z"}
        table.apply({"now": "2026-11-30T06:00:05Z", "sessions": [ended]})
    assert table.user_at("10.0.0.1") is None and table.users == {}
    # one line per change for the operator, none for a renewal or a quiet poll
    assert caplog.messages == [
        "staffguard: sessions: 1 active (+1, -0)",
        "staffguard: sessions: 0 active (+0, -1)",
    ]


def test_a_new_user_at_an_address_counts_as_one_ended_and_one_begun(caplog):
    table = ClientSessions("http://admin.invalid", "t")
    soon = "2999-01-01T00:00:00Z"
    table.apply({"now": "x", "sessions": [{"client": "10.0.0.1", "user": "a@x", "expires": soon}]})
    with caplog.at_level(logging.INFO, logger="proxy_addons.sessions"):
        table.apply(
            {"now": "y", "sessions": [{"client": "10.0.0.1", "user": "b@x", "expires": soon}]}
        )
    assert table.user_at("10.0.0.1") == "b@x"
    assert caplog.messages == ["staffguard: sessions: 1 active (+1, -1)"]


@pytest.mark.e2e
def test_a_logon_session_names_the_user_of_proxy_events(tmp_path, monkeypatch):
    database = tmp_path / "site.sqlite3"
    env = {
        **os.environ,
        "STAFFGUARD_DATABASE_URL": f"sqlite:///{database}",
        "STAFFGUARD_INSTANCE": str(tmp_path / "instance"),
    }

    def token(*args: str) -> str:
        made = subprocess.run([STAFFGUARD, "tokens", "create", *args], env=env, capture_output=True)
        assert made.returncode == 0, made.stderr
        return made.stdout.decode().strip().splitlines()[-1]

    proxy_token = token("proxy-1")
    logon_token = token("lab-logon", "--scope", "session")
    port = free_port()
    with (tmp_path / "web.log").open("wb") as log:
        web = subprocess.Popen(
            [STAFFGUARD, "web", "--port", str(port)], env=env, stdout=log, stderr=log
        )
    admin = f"http://127.0.0.1:{port}"
    upstream = Upstream(tmp_path)
    monkeypatch.setenv("STAFFGUARD_SESSIONS_SECONDS", "0.5")
    proxy = Proxy(tmp_path / "proxy", upstream, [admin], token=proxy_token)
    try:
        wait_for_port(port, timeout=60, proc=web)
        proxy.start()
        assert proxy_token not in " ".join(proxy.proc.args)  # by file, never on a command line

        def events() -> list[tuple[str, str | None, str]]:
            with sqlite3.connect(database) as db:
                query = "SELECT url, user, reporter FROM events ORDER BY received_at"
                return db.execute(query).fetchall()

        # the shipped logon script, as a lab machine's logon would run it
        logon = subprocess.run(
            ["sh", str(LOGON), "logon"],
            env={
                **env,
                "STAFFGUARD_URL": admin,
                "STAFFGUARD_SESSION_TOKEN": logon_token,
                "STAFFGUARD_CLIENT": "127.0.0.1",
                "STAFFGUARD_USER": "Teacher@usd999.org",
            },
            capture_output=True,
            text=True,
        )
        assert logon.returncode == 0, logon.stderr
        assert logon_token not in logon.stdout + logon.stderr
        # the proxy polls every half second here, and says when its table changes
        until(lambda: "sessions: 1 active (+1, -0)" in proxy.log_text())
        _, page, _ = proxy.get("https://www.tiktok.com/@one", NAVIGATE)
        assert b"Continue for district work" in page
        first = until(lambda: events(), timeout=40)
        assert first == [("https://www.tiktok.com/@one", "teacher@usd999.org", "proxy-1")]

        # logoff: the proxy forgets the user at that address
        request = urllib.request.Request(
            f"{admin}/api/v1/sessions",
            data=json.dumps({"client": "127.0.0.1"}).encode(),
            method="DELETE",
            headers={"Authorization": f"Bearer {logon_token}", "Content-Type": "application/json"},
        )
        assert urllib.request.urlopen(request, timeout=10).status == 204
        until(lambda: "sessions: 0 active (+0, -1)" in proxy.log_text())
        proxy.get("https://www.instagram.com/lincolnhigh", NAVIGATE)
        both = until(lambda: len(events()) == 2 and events(), timeout=40)
        assert both[1] == ("https://www.instagram.com/lincolnhigh", None, "proxy-1")
    finally:
        proxy.stop()
        web.terminate()
        web.wait(20)
        upstream.close()
