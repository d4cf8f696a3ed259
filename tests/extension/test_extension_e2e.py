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
from staffguard_testkit.banner import assert_bottom_bar
from staffguard_testkit.net import until

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
def sites(tmp_path) -> Iterator[Sites]:
    server = Sites(tmp_path / "sites")
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
        until(lambda: worker.evaluate(RULES) > 0)  # the browser's own rules are in force
        # Chromium refused none of them (the worker notes how many it compiled and added).
        noted = "chrome.storage.session.get('rules').then(r => r.rules)"
        kept = until(lambda: (r := worker.evaluate(noted)) and r["compiled"] and r)
        refused = [r["condition"].get("regexFilter") for r in kept["refused"]]
        assert kept["inForce"] == kept["compiled"] == worker.evaluate(RULES), refused
    return worker


RULES = "chrome.declarativeNetRequest.getDynamicRules().then(rules => rules.length)"


def reached(sites: Sites, host: str, path: str) -> bool:
    """Whether a request for this page reached the platform's server."""
    return any(h == host and p == path for _, h, p in sites.seen)


def queue(worker: Worker) -> list[dict]:
    return worker.evaluate("chrome.storage.local.get('events').then(r => r.events ?? [])")


def test_the_extension_warns_continues_reports_and_survives_an_outage(browser, admin, sites):
    configure(browser, admin.url, admin.token)
    page = browser.new_page()

    visit(page, "http://www.tiktok.com/@lincolnhigh")
    expect(page.get_by_role("heading", name="You are about to start using TikTok")).to_be_visible()
    expect(page.locator("#ref")).to_contain_text("IIBGC")
    assert not reached(sites, "www.tiktok.com", "/@lincolnhigh")  # the browser redirected it
    assert "?tab=" not in page.url  # by its rule, not by the worker's fallback
    page.get_by_label("Why this is district work").fill("Game schedule post")
    page.get_by_role("button", name="Continue for district work").click()
    expect(page.locator("#where")).to_have_text("www.tiktok.com/@lincolnhigh")

    events = until(lambda: len(admin.events()) >= 2 and admin.events())
    assert events == [
        ("extension", "tiktok", "browse", "shown", "", "jdoe@usd999.org"),
        ("extension", "tiktok", "browse", "continued", "Game schedule post", "jdoe@usd999.org"),
    ]

    # An approved platform's DM page (warn): the interstitial, as the proxy shows it (one
    # verdict, one presentation: tests/vectors/cases/presentation.json).
    visit(page, "http://social.usd999.org/conversations/7")
    dm = "You are about to start direct messaging on USD 999 Social"
    expect(page.get_by_role("heading", name=dm)).to_be_visible()
    assert not reached(sites, "social.usd999.org", "/conversations/7")
    until(lambda: [e for e in admin.events() if e[1] == "usd999_social"])

    time.sleep(2)  # later flushes must not send anything twice
    assert sum(1 for e in admin.events() if e[1] == "tiktok") == 2

    admin.stop()  # the backend goes down: browsing goes on, warnings too
    page.goto("http://www.khanacademy.org/math")
    expect(page.locator("#where")).to_have_text("www.khanacademy.org/math")
    visit(page, "http://www.snapchat.com/")
    snapchat = page.get_by_role("heading", name="You are about to start using Snapchat")
    expect(snapchat).to_be_visible()
    assert not reached(sites, "www.snapchat.com", "/")
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
    assert [p for _, h, p in sites.seen if h == "forum.usd999.org"].count("/t/1") == 1


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
    assert not reached(sites, "www.tiktok.com", "/foryou")
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


def test_the_extension_banner_is_the_proxy_banner_bar_at_the_bottom(browser, admin, sites):
    """The extension's notice lands where the proxy's does (the twin test is
    tests/proxy/test_proxy_browser.py): a bar fixed to the bottom of the window, clear of the
    site's own header, with the shared words."""
    configure(browser, admin.url, admin.token)
    page = browser.new_page()
    page.goto("http://www.khanacademy.org/marked/inbox")  # flagged by the district proxy
    expect(page.locator("#staffguard-banner-host")).to_be_attached()
    box = assert_bottom_bar(page, "#staffguard-banner-host")
    assert box["top"] > box["innerHeight"] / 2
    where = page.locator("#where").bounding_box()
    assert where is not None and where["y"] + where["height"] < box["top"]


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


# Approved Facebook and Instagram (the shipped lists' rules), and a district chat platform whose
# direct messages the district's action table blocks.
SENDS = """\
platforms:
  - id: usd999_chat
    name: USD 999 Chat
    category: direct_messaging
    domains: [chat.usd999.org]
    rules:
      - {activity: direct_message, methods: [POST], paths: [/api/send]}
      - {activity: direct_message, methods: [GET], paths: [/ws]}
      - {activity: comment, methods: [POST], paths: [/api/react]}
  - id: usd999_club
    name: USD 999 Club
    category: social_media
    domains: [social.usd999.org]
    rules:
      - {activity: comment, methods: [POST], paths: [/api/graphql], operations: [AddComment]}
      - {activity: direct_message, paths: [/ws/chat], websocket: true}
approvals:
  - {platform: usd999_club, approved_on: 2026-05-12, reference: "Board minutes, item 6"}
  - {platform: facebook, approved_on: 2026-05-12, reference: "Board minutes, item 7"}
  - {platform: instagram, approved_on: 2026-05-12, reference: "Board minutes, item 8"}
settings:
  district_name: USD 999
  actions:
    direct_messaging:
      unapproved: {direct_message: block}
"""

POST = """async ([path, headers, body]) => {
  try {
    const r = await fetch(path, {method: "POST", headers, body});
    return r.status;
  } catch (error) {
    return String(error);
  }
}"""


@pytest.mark.parametrize("admin", [SENDS], indirect=True, ids=["sends"])
def test_sends_get_the_banner_once_and_block_stops_them(browser, admin, sites):
    configure(browser, admin.url, admin.token)
    page = browser.new_page()

    # A comment posted on an approved Facebook: known only by its x-fb-friendly-name header.
    page.goto("https://www.facebook.com/groups/lincolnhigh")
    expect(page.locator("#where")).to_have_text("www.facebook.com/groups/lincolnhigh")
    expect(page.locator("#staffguard-banner-host")).to_have_count(0)
    comment = {"x-fb-friendly-name": "useCometUFICreateCommentMutation"}
    assert page.evaluate(POST, ["/api/graphql", comment, "doc_id=1"]) == 200
    expect(page.locator("#staffguard-banner-host")).to_be_attached()
    shown = ("extension", "facebook", "comment", "shown", "", "jdoe@usd999.org")
    until(lambda: shown in admin.events())
    # Other GraphQL calls are browsing; the next comment within minutes: no second banner/event.
    page.evaluate("document.getElementById('staffguard-banner-host').remove()")
    feed = {"x-fb-friendly-name": "CometFeedQuery"}
    assert page.evaluate(POST, ["/api/graphql", feed, ""]) == 200
    assert page.evaluate(POST, ["/api/graphql", comment, "doc_id=2"]) == 200
    time.sleep(1.5)
    expect(page.locator("#staffguard-banner-host")).to_have_count(0)
    assert [e[2] for e in admin.events() if e[1] == "facebook"] == ["comment"]

    # The district blocks direct messages on its chat: the send and the chat socket never
    # reach the server; a reaction (notice) goes through with the banner.
    page.goto("http://chat.usd999.org/")
    expect(page.locator("#where")).to_have_text("chat.usd999.org/")
    json_type = {"content-type": "application/json"}
    sent = page.evaluate(POST, ["/api/send", json_type, '{"text": "hi"}'])
    assert "Failed to fetch" in str(sent)
    opened = page.evaluate("""() => new Promise((resolve) => {
      const socket = new WebSocket("ws://chat.usd999.org/ws");
      socket.onerror = () => resolve("error");
      socket.onopen = () => resolve("open");
    })""")
    assert opened == "error"
    expect(page.locator("#staffguard-banner-host")).to_be_attached()
    assert page.evaluate(POST, ["/api/react", {}, "like"]) == 200
    until(
        lambda: (
            ("extension", "usd999_chat", "direct_message", "blocked", "", "jdoe@usd999.org")
            in admin.events()
        )
    )
    paths = [path for _, host, path in sites.seen if host == "chat.usd999.org"]
    assert "/api/react" in paths
    assert "/api/send" not in paths and "/ws" not in paths
    time.sleep(1)
    chat = [e[2:4] for e in admin.events() if e[1] == "usd999_chat"]
    assert chat.count(("direct_message", "blocked")) == 1


@pytest.mark.parametrize("admin", [SENDS], indirect=True, ids=["sends"])
def test_in_app_navigation_to_a_dm_page_gets_what_a_navigation_gets(browser, admin, sites):
    configure(browser, admin.url, admin.token)
    page = browser.new_page()
    page.goto("https://www.instagram.com/lincolnhigh/")
    expect(page.locator("#where")).to_have_text("www.instagram.com/lincolnhigh/")
    time.sleep(0.5)
    expect(page.locator("#staffguard-banner-host")).to_have_count(0)
    page.evaluate("location.hash = 'top'")  # the same page again: nothing new
    page.evaluate("history.pushState({}, '', '/direct/inbox/')")
    # A warned DM page on the approved Instagram: the interstitial, as a load of it gets (and
    # as the proxy shows it: one verdict, one presentation).
    dm = "You are about to start direct messaging on Instagram"
    expect(page.get_by_role("heading", name=dm)).to_be_visible()
    until(lambda: [e for e in admin.events() if e[1] == "instagram"])
    time.sleep(1.5)
    assert [e[1:4] for e in admin.events()] == [("instagram", "direct_message", "shown")]


def test_a_continue_covers_all_of_a_platforms_domains(browser, admin, sites):
    configure(browser, admin.url, admin.token)
    page = browser.new_page()
    visit(page, "https://www.youtube.com/watch?v=abc")
    expect(page.get_by_role("heading", name="You are about to start using YouTube")).to_be_visible()
    assert not reached(sites, "www.youtube.com", "/watch?v=abc")
    page.get_by_role("button", name="Continue for district work").click()
    expect(page.locator("#where")).to_have_text("www.youtube.com/watch?v=abc")
    page.goto("https://youtu.be/abc")  # another of YouTube's domains: the continue holds
    expect(page.locator("#where")).to_have_text("youtu.be/abc")
    until(lambda: len(admin.events()) >= 2)
    time.sleep(1)
    assert [e[1:4] for e in admin.events()] == [
        ("youtube", "browse", "shown"),
        ("youtube", "browse", "continued"),
    ]


@pytest.mark.parametrize("admin", [SENDS], indirect=True, ids=["sends"])
def test_a_body_rule_send_and_a_chat_socket_are_decided(browser, admin, sites):
    configure(browser, admin.url, admin.token)
    page = browser.new_page()
    page.goto("http://social.usd999.org/club")
    expect(page.locator("#where")).to_have_text("social.usd999.org/club")
    query = '{"operationName": "FeedQuery", "variables": {}}'
    assert page.evaluate(POST, ["/api/graphql", {"content-type": "application/json"}, query]) == 200
    time.sleep(1)
    expect(page.locator("#staffguard-banner-host")).to_have_count(0)
    # The operation name is only in the JSON body.
    add = '{"operationName": "AddComment", "variables": {"text": "Go team"}}'
    assert page.evaluate(POST, ["/api/graphql", {"content-type": "application/json"}, add]) == 200
    expect(page.locator("#staffguard-banner-host")).to_be_attached()
    until(lambda: [e for e in admin.events() if e[2] == "comment"])
    page.evaluate("""() => new Promise((resolve) => {
      const socket = new WebSocket("ws://social.usd999.org/ws/chat?room=7");
      socket.onerror = socket.onopen = () => resolve();
    })""")
    until(lambda: [e for e in admin.events() if e[2] == "direct_message"])
    assert reached(sites, "social.usd999.org", "/ws/chat?room=7")  # warned, not blocked
    time.sleep(1)
    assert sorted(e[1:4] for e in admin.events()) == [
        ("usd999_club", "comment", "shown"),
        ("usd999_club", "direct_message", "shown"),
    ]
