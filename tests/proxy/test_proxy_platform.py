"""Issue 9, proxy side: one continue covers every domain of a platform, websocket handshakes and
GraphQL sends are classified (the body only where a rule reads it), and a blocked handshake or
send is refused."""

from __future__ import annotations

import gzip
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from addon_cases import NAVIGATE, XHR, continue_form, events, flow
from mitmproxy import http
from proxy_harness import running_addon

from proxy_addons.addon import StaffGuard

PLATFORMS = """
approvals:
  - {platform: facebook, approved_on: 2026-05-12, reference: "board minutes"}
platforms:
  - id: youtube
    name: YouTube
    category: social_media
    domains: [youtube.com, youtu.be]
  - id: facebook
    name: Facebook
    category: social_media
    domains: [facebook.com]
    rules:
      - {activity: direct_message, hosts: [gateway.facebook.com], paths: [/ws/lightspeed],
         websocket: true}
      - {activity: comment, paths: [/api/graphql], methods: [POST],
         operations: [useCometUFICreateCommentMutation]}
  - id: bereal
    name: BeReal
    category: social_media
    domains: [bereal.com]
    rules: [{activity: direct_message, hosts: [ws.bereal.com], websocket: true}]
    actions: {direct_message: block}
"""
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"}
WEBSOCKET = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-Fetch-Mode": "websocket"}
COMMENT = b"fb_api_req_friendly_name=useCometUFICreateCommentMutation&variables=%7B%7D"


@pytest.fixture
def guard(tmp_path: Path) -> Iterator[StaffGuard]:
    with running_addon(tmp_path, PLATFORMS) as addon:
        yield addon


def go(guard, url: str, cookies: dict[str, str], method="GET", headers=NAVIGATE, body=b""):
    """One request as a browser sends it with its cookie jar; keeps the cookies it sets."""
    host = urllib.parse.urlsplit(url).hostname
    sent = "; ".join(f"{n}={v}" for (d, n), v in cookies.items() if host.endswith(d))
    f = flow(url, method, {**headers, **({"Cookie": sent} if sent else {})}, body=body)
    guard.request(f)
    if f.response is not None:
        for field in f.response.headers.get_all("Set-Cookie"):
            name, _, rest = field.partition("=")
            value = rest.split(";")[0]
            domain = field.split("Domain=")[1].split(";")[0]
            cookies[(domain, name)] = value
    return f


def follow(guard, url: str, cookies: dict[str, str]) -> tuple[http.HTTPFlow, list[str]]:
    """Follow the proxy's redirects until something else answers; the URLs visited."""
    visited = [url]
    f = go(guard, url, cookies)
    while f.response is not None and f.response.status_code == 303:
        url = f.response.headers["Location"]
        visited.append(url)
        f = go(guard, url, cookies)
    return f, visited


def test_a_continue_on_one_domain_covers_the_platforms_other_domains(guard, tmp_path):
    cookies: dict = {}
    page, visited = follow(guard, "https://youtu.be/abc?t=10", cookies)
    assert visited[1].startswith("https://youtube.com/.staffguard/check?")
    assert "Continue for district work" in page.response.text, "warned at the home domain"
    form = continue_form(page.response.text)
    to = page.response.text.split('name="to" value="')[1].split('"')[0]
    assert to == "https://youtu.be/abc?t=10"

    body = f"offer={form['offer']}&activity=browse&to={urllib.parse.quote(to)}&justification=x"
    posted = go(
        guard, "https://youtube.com/.staffguard/continue", cookies, "POST", FORM, body.encode()
    )
    assert posted.response.status_code == 303
    arrived, visited = follow(guard, posted.response.headers["Location"], cookies)
    assert visited[-1] == "https://youtu.be/abc?t=10" and arrived.response is None
    assert {domain for domain, _ in cookies} == {"youtube.com", "youtu.be"}

    # the other domain, and a subdomain of the home, pass on the same continue
    assert go(guard, "https://youtu.be/other", cookies).response is None
    assert go(guard, "https://m.youtube.com/watch?v=1", cookies).response is None
    outcomes = [(e["outcome"], e["url"]) for e in events(tmp_path)]
    assert outcomes == [("shown", "https://youtu.be/abc"), ("continued", "https://youtu.be/abc")]


def test_a_pass_at_home_is_carried_to_another_domain_without_a_second_page(guard, tmp_path):
    cookies: dict = {}
    first = go(guard, "https://www.youtube.com/", cookies)
    form = continue_form(first.response.text)
    body = f"offer={form['offer']}&activity=browse&return=/"
    go(guard, "https://www.youtube.com/.staffguard/continue", cookies, "POST", FORM, body.encode())
    arrived, visited = follow(guard, "https://youtu.be/xyz", cookies)
    assert arrived.response is None and visited[-1] == "https://youtu.be/xyz"
    assert [p.split("?")[0] for p in visited[1:-1]] == [
        "https://youtube.com/.staffguard/check",
        "https://youtu.be/.staffguard/pass",
    ]
    assert [e["outcome"] for e in events(tmp_path)] == ["shown", "continued"]


def trip(guard) -> dict[str, str]:
    f = go(guard, "https://youtu.be/abc", {})
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(f.response.headers["Location"]).query))


@pytest.mark.parametrize(
    "tamper",
    [
        {"to": "https://evil.example/abc"},  # never leaves the platform
        {"to": "https://youtu.be/other"},  # the ticket is for one URL
        {"activity": "direct_message"},
        {"t": "²"},
        {"t": None},
    ],
)
def test_a_tampered_check_is_refused(guard, tamper):
    query = {**trip(guard), **tamper}
    query = {k: v for k, v in query.items() if v is not None}
    f = go(guard, "https://youtube.com/.staffguard/check?" + urllib.parse.urlencode(query), {})
    assert f.response.status_code == 403


def test_a_check_from_another_device_is_refused(guard):
    query = urllib.parse.urlencode(trip(guard))
    f = flow(f"https://youtube.com/.staffguard/check?{query}", client="10.9.9.9")
    guard.request(f)
    assert f.response.status_code == 403


@pytest.mark.parametrize("tamper", [{"e": "99999999999"}, {"g": "1." + "0" * 32}, {"e": "²"}])
def test_a_tampered_pass_step_sets_no_pass(guard, tamper):
    cookies: dict = {}
    first = go(guard, "https://www.youtube.com/", cookies)
    form = continue_form(first.response.text)
    body = f"offer={form['offer']}&activity=browse&return=/"
    go(guard, "https://www.youtube.com/.staffguard/continue", cookies, "POST", FORM, body.encode())
    start = go(guard, "https://youtu.be/abc", cookies)
    check = go(guard, start.response.headers["Location"], cookies)
    step = urllib.parse.urlsplit(check.response.headers["Location"])
    query = {**dict(urllib.parse.parse_qsl(step.query)), **tamper}
    f = go(guard, f"https://youtu.be/.staffguard/pass?{urllib.parse.urlencode(query)}", {})
    assert f.response.status_code == 403 and "Set-Cookie" not in f.response.headers


# --- websocket handshakes and GraphQL sends ------------------------------------------------


def test_a_websocket_dm_on_an_approved_platform_is_marked_and_logged_once_a_minute(guard, tmp_path):
    for _ in range(3):
        f = flow("https://gateway.facebook.com/ws/lightspeed", headers=WEBSOCKET)
        guard.request(f)
        assert f.response is None, "an approved platform: the handshake goes on"
        f.response = http.Response.make(101, b"", {"Upgrade": "websocket"})
        guard.response(f)
        assert "activity=direct_message" in f.response.headers["X-StaffGuard"]
    [event] = events(tmp_path)
    assert (event["activity"], event["platform_id"]) == ("direct_message", "facebook")


def test_a_graphql_comment_is_found_in_the_body_marked_and_logged_once(guard, tmp_path):
    for _ in range(3):
        f = flow("https://www.facebook.com/api/graphql/", "POST", {**XHR, **FORM}, body=COMMENT)
        guard.request(f)
        assert f.response is None
        f.response = http.Response.make(200, b"{}")
        guard.response(f)
        assert "activity=comment" in f.response.headers["X-StaffGuard"]
    assert [e["activity"] for e in events(tmp_path)] == ["comment"]


def test_a_gzipped_graphql_comment_is_found_too(guard, tmp_path):
    f = flow("https://www.facebook.com/api/graphql/", "POST", {**XHR, **FORM})
    f.request.headers["Content-Encoding"] = "gzip"
    f.request.raw_content = gzip.compress(COMMENT)
    guard.request(f)
    f.response = http.Response.make(200, b"{}")
    guard.response(f)
    assert "activity=comment" in f.response.headers["X-StaffGuard"]


def test_the_body_is_read_only_where_a_rule_needs_it(guard, tmp_path, monkeypatch):
    seen = []
    classify = guard.source.policy.classify

    def spy(url, method="GET", user=None, client_ip=None, headers=None, body=None):
        seen.append((url.split("/")[2], body))
        return classify(url, method, user, client_ip, headers, body)

    monkeypatch.setattr(guard.source.policy, "classify", spy)
    big = COMMENT + b"&pad=" + b"x" * 100_000
    guard.request(flow("https://www.facebook.com/api/graphql/", "POST", {**XHR, **FORM}, body=big))
    guard.request(flow("https://www.youtube.com/api", "POST", {**XHR, **FORM}, body=COMMENT))
    assert seen[0][0] == "www.facebook.com" and len(seen[0][1]) == 64 * 1024
    assert seen[1] == ("www.youtube.com", None), "no rule reads YouTube bodies"


def test_a_blocked_websocket_handshake_is_refused_and_logged(guard, tmp_path):
    f = flow("https://ws.bereal.com/chat", headers=WEBSOCKET)
    guard.request(f)
    assert f.response is not None and f.response.status_code == 403
    assert "action=block" in f.response.headers["X-StaffGuard"]
    [event] = events(tmp_path)
    assert (event["activity"], event["outcome"]) == ("direct_message", "blocked")
