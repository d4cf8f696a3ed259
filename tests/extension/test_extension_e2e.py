"""The extension in a real Chromium against the real admin site on loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from extension_harness import AdminSite, Sites, chromium_extension_args
from playwright.sync_api import BrowserContext, Error, Page, expect, sync_playwright
from realparts import CHROMIUM_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

DISTRICT = """\
platforms:
  - id: usd999_social
    name: USD 999 Social
    category: social_media
    domains: [social.usd999.org]
    rules: [{activity: direct_message, paths: [/conversations]}]
approvals:
  - {platform: usd999_social, approved_on: 2026-05-12, reference: "Board minutes, item 7"}
settings:
  district_name: USD 999
"""


def until(check, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


@pytest.fixture
def admin(tmp_path) -> Iterator[AdminSite]:
    site = AdminSite(tmp_path)
    district = tmp_path / "district.yaml"
    district.write_text(DISTRICT)
    site.command("lists", "import", str(district), "--apply")
    site.token = site.command("tokens", "create", "chromebooks").strip().splitlines()[-1]
    yield site.start()
    site.stop()


@pytest.fixture
def sites() -> Iterator[Sites]:
    server = Sites()
    yield server
    server.close()


@pytest.fixture
def browser(chromium_path, sites, tmp_path) -> Iterator[BrowserContext]:
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=chromium_path,
            headless=True,
            args=[*CHROMIUM_ARGS, *chromium_extension_args(sites)],
        )
        yield context
        context.close()


def visit(page: Page, url: str) -> None:
    """Navigate; the extension replacing the navigation with its interstitial aborts it."""
    try:
        page.goto(url)
    except Error as error:
        if "ERR_ABORTED" not in str(error):
            raise


def configure(context: BrowserContext, admin: AdminSite) -> None:
    worker = context.service_workers[0] if context.service_workers else context.wait_for_event(
        "serviceworker"
    )
    worker.evaluate(
        """([url, token]) => chrome.storage.local.set({settings: {backendUrl: url,
            apiToken: token, user: "jdoe@usd999.org"}})""",
        [admin.url, admin.token],
    )
    until(lambda: worker.evaluate("chrome.storage.local.get('policy').then(r => !!r.policy)"))


def test_the_extension_warns_continues_reports_and_survives_an_outage(browser, admin, sites):
    configure(browser, admin)
    page = browser.new_page()

    visit(page, "http://www.tiktok.com/@lincolnhigh")
    expect(page.get_by_role("heading", name="You are about to start using TikTok")).to_be_visible()
    expect(page.locator("#ref")).to_contain_text("IIBGC")
    page.get_by_label("Why this is district work").fill("Game schedule post")
    page.get_by_role("button", name="Continue for district work").click()
    expect(page.locator("#where")).to_have_text("www.tiktok.com/@lincolnhigh")

    events = until(lambda: len(admin.events()) >= 2 and admin.events())
    assert events == [
        ("extension", "tiktok", "browse", "shown", "", "jdoe@usd999.org"),
        ("extension", "tiktok", "browse", "continued", "Game schedule post", "jdoe@usd999.org"),
    ]

    page.goto("http://social.usd999.org/conversations/7")  # approved platform, a DM page
    expect(page.locator("#where")).to_have_text("social.usd999.org/conversations/7")
    expect(page.locator("#staffguard-banner-host")).to_be_attached()

    time.sleep(2)  # later flushes must not send anything twice
    assert sum(1 for e in admin.events() if e[1] == "tiktok") == 2

    admin.stop()  # the backend goes down: browsing goes on, warnings too
    page.goto("http://www.khanacademy.org/math")
    expect(page.locator("#where")).to_have_text("www.khanacademy.org/math")
    visit(page, "http://www.snapchat.com/")
    expect(page.get_by_role("heading", name="You are about to start using Snapchat")).to_be_visible()
