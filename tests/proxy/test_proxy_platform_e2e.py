"""Issue 9 end to end: a real ``mitmdump`` with a district layer that approves a platform, a
real HTTP client that follows redirects and keeps cookies, and Chromium."""

from __future__ import annotations

import http.cookiejar
import json
import re
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from realparts import CHROMIUM_ARGS
from test_proxy_platform import COMMENT, PLATFORMS, WEBSOCKET

from staffguard_testkit.headers import NAVIGATE_PLAIN as NAVIGATE

pytestmark = pytest.mark.e2e


def spooled(proxy) -> list[dict]:
    path = proxy.data / "events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def platforms(tmp_path: Path) -> Path:
    path = tmp_path / "district.yaml"
    path.write_text(PLATFORMS)
    return path


def test_a_websocket_dm_and_a_graphql_comment_are_marked_and_logged_once(proxy_factory, platforms):
    proxy = proxy_factory([str(platforms)]).start()
    handshake = {**WEBSOCKET, "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                 "Sec-WebSocket-Version": "13"}  # fmt: skip
    form = {"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Mode": "cors"}
    for _ in range(2):
        response, _, _ = proxy.get("https://gateway.facebook.com/ws/lightspeed", handshake)
        assert "activity=direct_message" in response.getheader("X-StaffGuard")
        response, page, _ = proxy.get(
            "https://www.facebook.com/api/graphql/", form, method="POST", body=COMMENT
        )
        assert b"upstream page" in page, "an approved platform: the comment goes through"
        assert "activity=comment" in response.getheader("X-StaffGuard")
    events = spooled(proxy)
    assert sorted(e["activity"] for e in events) == ["comment", "direct_message"]
    assert {e["platform_id"] for e in events} == {"facebook"}


def test_a_blocked_websocket_handshake_is_refused(proxy_factory, platforms):
    proxy = proxy_factory([str(platforms)]).start()
    response, _, _ = proxy.get("https://ws.bereal.com/chat", WEBSOCKET)
    assert response.status == 403
    assert [e["outcome"] for e in spooled(proxy)] == ["blocked"]


def test_a_real_client_continues_once_for_every_domain_of_a_platform(proxy_factory, platforms):
    proxy = proxy_factory([str(platforms)]).start()
    jar = http.cookiejar.CookieJar()
    client = urllib.request.build_opener(
        urllib.request.ProxyHandler({"http": f"http://127.0.0.1:{proxy.port}"}),
        urllib.request.HTTPCookieProcessor(jar),
    )

    def open_(url: str, data: bytes | None = None) -> tuple[str, str]:
        with client.open(urllib.request.Request(url, data, NAVIGATE), timeout=15) as response:
            return response.geturl(), response.read().decode()

    where, page = open_("http://youtu.be/abc")
    assert where.startswith("http://youtube.com/.staffguard/check?")
    assert "Continue for district work" in page
    fields = dict(re.findall(r'name="(offer|to|activity)" value="([^"]*)"', page))
    fields = {k: v.replace("&amp;", "&") for k, v in fields.items()}
    where, page = open_(
        "http://youtube.com/.staffguard/continue", urllib.parse.urlencode(fields).encode()
    )
    assert where == "http://youtu.be/abc" and "upstream page" in page
    assert sorted(c.domain.lstrip(".") for c in jar) == ["youtu.be", "youtube.com"]

    where, page = open_("http://www.youtube.com/feed")  # the home: covered by its own pass
    assert "upstream page" in page
    assert [e["outcome"] for e in spooled(proxy)] == ["shown", "continued"]


@pytest.mark.browser
def test_chromium_continues_on_youtube_and_youtu_be_is_covered(
    chromium_path, proxy_factory, platforms
):
    proxy = proxy_factory([str(platforms)]).start()
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path,
            args=CHROMIUM_ARGS,
            proxy={"server": f"http://127.0.0.1:{proxy.port}"},
        )
        try:
            # YouTube's names are HSTS-preloaded: HTTPS, through the proxy's own (test) CA
            page = browser.new_context(ignore_https_errors=True).new_page()
            page.goto("https://www.youtube.com/watch?v=1")
            page.get_by_role("button", name="Continue for district work").click()
            page.wait_for_selector("text=upstream page")
            page.goto("https://youtu.be/abc")  # another domain: one trip home, no page
            page.wait_for_selector("text=upstream page")
            assert page.url == "https://youtu.be/abc"
            assert json.loads(page.locator("pre").inner_text())["path"] == "/abc"
        finally:
            browser.close()
    # The proxy records an event before it answers. A warned page asked for after the browser
    # closed: its event is the last, and nothing the browser did came after it.
    _, page_after, _ = proxy.get("https://www.youtube.com/after", NAVIGATE)
    assert b"Continue for district work" in page_after
    assert [e["outcome"] for e in spooled(proxy)] == ["shown", "continued", "shown"]
