"""The extension in a real Chromium against the real admin site on loopback."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from staffguard_testkit.extension import (
    AdminSite,
    Sites,
    free_port,
    has_policy,
    launch_with_extension,
    service_worker,
    set_settings,
)
from playwright.sync_api import BrowserContext, Error, Page, Worker, expect, sync_playwright

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


FORUM = """\
  - id: usd999_forum
    name: USD 999 Forum
    category: social_media
    domains: [forum.usd999.org]
"""

# A district that blocks unapproved social media outright.
STRICT = """\
settings:
  district_name: USD 999
  actions:
    social_media:
      unapproved: {browse: block}
"""


def start_admin(directory, lists: str) -> AdminSite:
    site = AdminSite(directory)
    district = directory / "district.yaml"
    district.write_text(lists)
    site.command("lists", "import", str(district), "--apply")
    site.token = site.command("tokens", "create", "chromebooks").strip().splitlines()[-1]
    return site.start()


@pytest.fixture
def admin(tmp_path, request) -> Iterator[AdminSite]:
    site = start_admin(tmp_path, getattr(request, "param", DISTRICT))
    yield site
    site.stop()


@pytest.fixture
def sites() -> Iterator[Sites]:
    server = Sites()
    yield server
    server.close()


@pytest.fixture
def browser(chromium_path, sites, tmp_path) -> Iterator[BrowserContext]:
    with sync_playwright() as p:
        context = launch_with_extension(p, tmp_path / "profile", sites, chromium_path)
        yield context
        context.close()


def visit(page: Page, url: str) -> None:
    """Navigate; the extension replacing the navigation with its interstitial aborts it."""
    try:
        page.goto(url)
    except Error as error:
        if "ERR_ABORTED" not in str(error):
            raise


def configure(context: BrowserContext, url: str, token: str, synced: bool = True) -> Worker:
    """Set up an unmanaged install as its options page does, and wait for the policy."""
    worker = service_worker(context)
    set_settings(worker, backendUrl=url, apiToken=token, user="jdoe@usd999.org")
    if synced:
        until(lambda: has_policy(worker))
    return worker


def queue(worker: Worker) -> list[dict]:
    return worker.evaluate("chrome.storage.local.get('events').then(r => r.events ?? [])")


def test_the_extension_warns_continues_reports_and_survives_an_outage(browser, admin, sites):
    configure(browser, admin.url, admin.token)
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
    until(lambda: [e for e in admin.events() if e[1] == "usd999_social"])

    time.sleep(2)  # later flushes must not send anything twice
    assert sum(1 for e in admin.events() if e[1] == "tiktok") == 2

    admin.stop()  # the backend goes down: browsing goes on, warnings too
    page.goto("http://www.khanacademy.org/math")
    expect(page.locator("#where")).to_have_text("www.khanacademy.org/math")
    visit(page, "http://www.snapchat.com/")
    snapchat = page.get_by_role("heading", name="You are about to start using Snapchat")
    expect(snapchat).to_be_visible()
    page.get_by_role("button", name="Go back").click()
    expect(page.locator("#where")).to_have_text("www.khanacademy.org/math")

    # Events wait in storage while the admin site is down, then arrive once each.
    worker = browser.service_workers[0]
    queued = until(lambda: len(q := queue(worker)) >= 2 and q)
    assert [
        (e["platform_id"], e["outcome"]) for e in queued if e["host"] != "social.usd999.org"
    ] == [
        ("snapchat", "shown"),
        ("snapchat", "went_back"),
    ]
    assert all("?" not in e["url"] and e["source"] == "extension" for e in queued)
    admin.start()
    options = browser.new_page()
    options.goto(worker.url.replace("service_worker.js", "pages/options.html"))
    sync = "chrome.runtime.sendMessage({type: 'sync'})"
    assert options.evaluate(sync) == {"result": "unchanged"}  # If-None-Match: 304
    until(lambda: sum(1 for e in admin.events() if e[1] == "snapchat") == 2)
    until(lambda: queue(worker) == [])
    assert sum(1 for e in admin.events() if e[1] == "tiktok") == 2

    # The district adds a platform: the next sync brings it, and it is warned.
    page.goto("http://forum.usd999.org/t/1")
    expect(page.locator("#where")).to_have_text("forum.usd999.org/t/1")
    (admin.dir / "district.yaml").write_text(DISTRICT.replace("approvals:", FORUM + "approvals:"))
    admin.command("lists", "import", str(admin.dir / "district.yaml"), "--apply")
    assert options.evaluate(sync) == {"result": "updated"}
    visit(page, "http://forum.usd999.org/t/1")
    forum = page.get_by_role("heading", name="You are about to start using USD 999 Forum")
    expect(forum).to_be_visible()


@pytest.mark.parametrize("admin", [STRICT], indirect=True, ids=["strict"])
def test_block_page_and_the_proxys_marker(browser, admin, sites):
    configure(browser, admin.url, admin.token)
    page = browser.new_page()

    visit(page, "http://www.tiktok.com/foryou")
    expect(
        page.get_by_role("heading", name="TikTok is blocked on district devices")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Continue for district work")).to_be_hidden()
    expect(page.get_by_label("Why this is district work")).to_be_hidden()
    expect(page.get_by_role("button", name="Go back")).to_be_visible()
    until(lambda: admin.events())
    assert admin.events() == [("extension", "tiktok", "browse", "blocked", "", "jdoe@usd999.org")]

    # A page the district proxy let through but flagged: the banner, and no event of ours.
    page.goto("http://www.khanacademy.org/marked/inbox")
    expect(page.locator("#where")).to_have_text("www.khanacademy.org/marked/inbox")
    expect(page.locator("#staffguard-banner-host")).to_be_attached()
    page.goto("http://www.khanacademy.org/math")  # no marker, nothing to say
    expect(page.locator("#where")).to_have_text("www.khanacademy.org/math")
    time.sleep(0.5)
    expect(page.locator("#staffguard-banner-host")).to_have_count(0)
    time.sleep(1.5)
    assert len(admin.events()) == 1


def test_without_any_policy_the_browser_browses(browser, sites):
    """Set up on the options page; the admin site is never reachable: no policy, so nothing is
    warned (fail open), and the options page says so."""
    worker = service_worker(browser)
    options = browser.new_page()
    options.goto(worker.url.replace("service_worker.js", "pages/options.html"))
    options.get_by_label("Admin site URL").fill("ftp://staffguard.usd999.org")
    options.get_by_role("button", name="Save and sync").click()
    expect(options.get_by_role("status")).to_contain_text("is not an http(s) address")

    options.get_by_label("Admin site URL").fill(f"http://127.0.0.1:{free_port()}")
    options.get_by_label("API token").fill("no-token")
    options.get_by_label("Your district email").fill("jdoe@usd999.org")
    options.get_by_role("button", name="Save and sync").click()
    status = options.get_by_role("status")
    expect(status).to_contain_text("No policy yet")
    expect(status).to_contain_text("Last sync: the admin site did not answer.")
    settings = worker.evaluate("chrome.storage.local.get('settings').then(r => r.settings)")
    assert settings["apiToken"] == "no-token" and settings["user"] == "jdoe@usd999.org"

    page = browser.new_page()
    page.goto("http://www.tiktok.com/@lincolnhigh")
    expect(page.locator("#where")).to_have_text("www.tiktok.com/@lincolnhigh")
    assert worker.evaluate("chrome.storage.local.get('policy').then(r => r.policy ?? null)") is None
    assert queue(worker) == []  # allowed browsing is never recorded
