"""The addon's test cases: a district list, flows as a browser sends them, and the spool read
back. Shared by the addon's unit, hostile-input and fuzz tests (the ``guard`` fixture is in
conftest)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from mitmproxy import http
from mitmproxy.test import tflow

from staffguard_testkit.headers import NAVIGATE

XHR = {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}
# The event fields of docs/design.md, no more, no fewer.
EVENT_FIELDS = {"id", "ts", "source", "user", "client", "url", "host", "platform_id"}
EVENT_FIELDS |= {"category", "activity", "action", "outcome", "justification"}
EVENT_FIELDS |= {"reason", "policy_ref"}

DISTRICT = """
approvals:
  - {platform: facebook, approved_on: 2026-05-12, reference: "minutes"}
exemptions:
  - {name: Virtual Academy, users: [teacher@va.usd999.org], networks: [10.77.0.0/16]}
settings:
  continue_minutes: 30
  permission_url: https://admin.usd999.org/requests/new
  actions:
    social_media:
      unapproved: {signup: warn}
platforms:
  # The platforms these tests visit, spelled out, so the tests do not follow the shipped lists.
  - id: tiktok
    name: TikTok
    category: social_media
    domains: [tiktok.com, tiktokcdn.com]
    rules:
      - {activity: direct_message, paths: ["/messages"]}
      - {activity: signup, paths: ["/signup"]}
      - {activity: comment, methods: [POST], paths: ["/api/comment/publish"]}
  - id: instagram
    name: Instagram
    category: social_media
    domains: [instagram.com]
    rules: [{activity: direct_message, paths: ["/direct/"]}]
  - id: facebook
    name: Facebook
    category: social_media
    domains: [facebook.com]
    rules: [{activity: direct_message, paths: ["/messages/"]}]
  - id: bereal
    name: BeReal
    category: social_media
    domains: [bereal.com]
    actions: {browse: block}
  - id: lincoln_chat
    name: Lincoln Chat
    category: direct_messaging
    domains: [chat.example.net]
    rules: [{activity: direct_message, hosts: [chat.example.net]}]
"""


def flow(url, method="GET", headers=NAVIGATE, client="10.1.2.3", body=b"", user=None):
    f = tflow.tflow(req=http.Request.make(method, url, body, headers))
    f.client_conn.peername = (client, 50000)
    f.client_conn.sni = f.request.host if f.request.scheme == "https" else None
    if user:
        f.metadata["proxyauth"] = (user, "secret")
    return f


def events(tmp_path: Path) -> list[dict]:
    return [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]


def continue_form(page: str) -> dict[str, str]:
    return dict(re.findall(r'name="(offer|return|activity)" value="([^"]*)"', page))


def continue_on_tiktok(guard, client: str = "10.1.2.3") -> str:
    """Be warned on TikTok and continue; the pass cookie (name=value) the proxy set."""
    first = flow("https://www.tiktok.com/", client=client)
    guard.request(first)
    form = continue_form(first.response.get_text())
    choice = flow(
        "https://www.tiktok.com/.staffguard/continue",
        "POST",
        {"Content-Type": "application/x-www-form-urlencoded"},
        body=f"offer={form['offer']}&return=/&activity=browse".encode(),
        client=client,
    )
    guard.request(choice)
    return str(choice.response.headers["Set-Cookie"].split(";")[0])
