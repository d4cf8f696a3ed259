"""A real Chromium pointed at the proxy: the interstitial renders and continue reaches the site."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import sync_playwright
from realparts import CHROMIUM_ARGS

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
