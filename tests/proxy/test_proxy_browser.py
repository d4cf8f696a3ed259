"""A real Chromium pointed at the proxy: the interstitial renders and continue reaches the site."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect, sync_playwright
from realparts import CHROMIUM_ARGS

from staffguard_testkit.banner import assert_bottom_bar

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def test_chromium_shows_the_interstitial_and_continues(chromium_path, proxy_factory, upstream):
    proxy = proxy_factory([]).start()
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path,
            args=CHROMIUM_ARGS,
            proxy={"server": f"http://127.0.0.1:{proxy.port}"},
        )
        try:
            page = browser.new_page()
            page.goto("http://www.tiktok.com/@lincolnhigh/video/1")
            assert "TikTok" in page.locator("h1").inner_text()
            assert "IIBGC" in page.locator("blockquote").inner_text()
            page.get_by_label("Why this is district work").fill("Posting the game schedule")
            page.get_by_role("button", name="Continue for district work").click()
            page.wait_for_selector("text=upstream page")
            [seen] = [r for r in upstream.received if r.path == "/@lincolnhigh/video/1"]
            assert seen.header("Cookie") is None, "StaffGuard's own cookie is not forwarded"

            page.goto("http://www.tiktok.com/another")  # remembered: no second interstitial
            assert page.locator("h1").inner_text() == "upstream page"
        finally:
            browser.close()
    events = [json.loads(x) for x in (proxy.data / "events.jsonl").read_text().splitlines()]
    assert [(e["outcome"], e["justification"]) for e in events] == [
        ("shown", ""),
        ("continued", "Posting the game schedule"),
    ]


# A direct-messaging site: a notice (a banner, no interstitial). Not web.whatsapp.com: Chromium
# knows it as HTTPS-only, and this test's proxy has no certificate the browser trusts.
CHAT = """\
platforms:
  - id: lincoln_chat
    name: Lincoln Chat
    category: direct_messaging
    domains: [chat.example.net]
"""


def test_chromium_shows_the_notice_banner_at_the_bottom_and_dismisses_it(
    chromium_path, proxy_factory, tmp_path
):
    """The proxy's banner lands where the extension's does (tests/extension's twin test),
    and its Dismiss button closes it without any script of ours in the page."""
    district = tmp_path / "district.yaml"
    district.write_text(CHAT)
    proxy = proxy_factory([str(district)]).start()
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path,
            args=CHROMIUM_ARGS,
            proxy={"server": f"http://127.0.0.1:{proxy.port}"},
        )
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 700})
            page.goto("http://chat.example.net/")
            assert page.locator("h1").inner_text() == "upstream page"
            notice = page.get_by_role("status", name="District policy notice:")
            expect(notice).to_contain_text("District policy notice:")
            assert_bottom_bar(page, "[data-staffguard=notice]")
            header = page.locator("h1").bounding_box()
            assert header is not None and header["y"] < 100  # the page's own top is uncovered
            page.get_by_role("button", name="Dismiss").click()
            expect(notice).to_be_hidden()
        finally:
            browser.close()
