"""The extension in a real Chromium against the real admin site on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import BrowserContext, Error, Page, Worker, expect, sync_playwright

from staffguard_testkit.extension import (
    AdminSite,
    Sites,
    has_policy,
    launch_with_extension,
    service_worker,
    set_settings,
)
from staffguard_testkit.net import free_port, until
from staffguard_testkit.banner import assert_bottom_bar

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


# Counts the banners the extension puts into each page (it replaces the one before), so a test
# can tell "no banner" from "a banner already removed" or "a banner not yet shown".
COUNT_BANNERS = """
window.staffguardBanners = 0;
new MutationObserver((changes) => {
  for (const change of changes)
    for (const node of change.addedNodes)
      if (node.id === "staffguard-banner-host") window.staffguardBanners += 1;
}).observe(document, { childList: true, subtree: true });
"""


@pytest.fixture
def browser(chromium_path, sites, tmp_path) -> Iterator[BrowserContext]:
    with sync_playwright() as p:
        context = launch_with_extension(p, tmp_path / "profile", sites, chromium_path)
        context.add_init_script(COUNT_BANNERS)
        yield context
        context.close()


@pytest.fixture
def worker(browser: BrowserContext, admin: AdminSite) -> Worker:
    """The extension set up for jdoe@usd999.org against ``admin``, its policy synced and its
    rules in force."""
    return configure(browser, admin.url, admin.token)


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


def queue(worker: Worker) -> list[dict]:
    return worker.evaluate("chrome.storage.local.get('events').then(r => r.events ?? [])")


def banners(page: Page) -> int:
    """How many banners the extension has put into this page since it loaded."""
    return page.evaluate("window.staffguardBanners")


SYNC = "chrome.runtime.sendMessage({type: 'sync'})"


def options_page(browser: BrowserContext, worker: Worker) -> Page:
    page = browser.new_page()
    page.goto(worker.url.replace("service_worker.js", "pages/options.html"))
    return page


def settle(browser: BrowserContext, worker: Worker) -> None:
    """Have the worker sync and send its queue now, and wait for the queue to empty.

    The sync is a round trip through the worker (the policy fetched, the rules re-applied, the
    queue flushed) that starts after everything the test did before it, so once it answers and
    the queue is empty, every event the worker was going to record has reached the admin site:
    a test then asserts "nothing more" without sleeping and hoping."""
    options = options_page(browser, worker)
    assert options.evaluate(SYNC)["result"] in ("unchanged", "updated")
    until(lambda: queue(worker) == [])
    options.close()


def test_a_warned_platform_is_replaced_before_it_is_reached_and_continue_reaches_it(
    browser, admin, sites, worker
):
    page = browser.new_page()
    visit(page, "http://www.tiktok.com/@lincolnhigh")
    expect(page.get_by_role("heading", name="You are about to start using TikTok")).to_be_visible()
    expect(page.locator("#ref")).to_contain_text("IIBGC")
    assert not sites.reached("www.tiktok.com", "/@lincolnhigh")  # the browser redirected it
    assert "?tab=" not in page.url  # by its rule, not by the worker's fallback
    page.get_by_label("Why this is district work").fill("Game schedule post")
    page.get_by_role("button", name="Continue for district work").click()
    expect(page.locator("#where")).to_have_text("www.tiktok.com/@lincolnhigh")

    events = until(lambda: len(admin.events()) >= 2 and admin.events())
    assert events == [
        ("extension", "tiktok", "browse", "shown", "", "jdoe@usd999.org"),
        ("extension", "tiktok", "browse", "continued", "Game schedule post", "jdoe@usd999.org"),
    ]
    settle(browser, worker)  # a later flush sends nothing twice
    assert len(admin.events()) == 2


def test_an_approved_platforms_dm_page_gets_the_interstitial(browser, admin, sites, worker):
    """One verdict, one presentation: as the proxy shows it (see
    tests/vectors/cases/presentation.json)."""
    page = browser.new_page()
    visit(page, "http://social.usd999.org/conversations/7")
    dm = "You are about to start direct messaging on USD 999 Social"
    expect(page.get_by_role("heading", name=dm)).to_be_visible()
    assert not sites.reached("social.usd999.org", "/conversations/7")
    shown = ("extension", "usd999_social", "direct_message", "shown", "", "jdoe@usd999.org")
    until(lambda: admin.events() == [shown])


def test_with_the_admin_site_down_warnings_go_on_and_events_wait(browser, admin, sites, worker):
    admin.stop()
    page = browser.new_page()
    page.goto("http://www.khanacademy.org/math")
    expect(page.locator("#where")).to_have_text("www.khanacademy.org/math")
    visit(page, "http://www.snapchat.com/?ref=ad")
    snapchat = page.get_by_role("heading", name="You are about to start using Snapchat")
    expect(snapchat).to_be_visible()
    assert not sites.reached("www.snapchat.com", "/?ref=ad")
    page.get_by_role("button", name="Go back").click()
    expect(page.locator("#where")).to_have_text("www.khanacademy.org/math")

    queued = until(lambda: len(q := queue(worker)) >= 2 and q)
    assert [(e["platform_id"], e["outcome"]) for e in queued] == [
        ("snapchat", "shown"),
        ("snapchat", "went_back"),
    ]
    assert all("?" not in e["url"] and e["source"] == "extension" for e in queued)

    admin.start()  # back: the queue goes out, each event once
    options = options_page(browser, worker)
    assert options.evaluate(SYNC) == {"result": "unchanged"}  # If-None-Match: 304
    until(lambda: queue(worker) == [])
    assert sorted(e[1:4] for e in admin.events()) == [
        ("snapchat", "browse", "shown"),
        ("snapchat", "browse", "went_back"),
    ]
    settle(browser, worker)
    assert len(admin.events()) == 2


def test_a_platform_the_district_adds_is_warned_after_the_next_sync(browser, admin, sites, worker):
    page = browser.new_page()
    page.goto("http://forum.usd999.org/t/1")
    expect(page.locator("#where")).to_have_text("forum.usd999.org/t/1")
    (admin.dir / "district.yaml").write_text(DISTRICT.replace("approvals:", FORUM + "approvals:"))
    admin.command("lists", "import", str(admin.dir / "district.yaml"), "--apply")
    assert options_page(browser, worker).evaluate(SYNC) == {"result": "updated"}
    visit(page, "http://forum.usd999.org/t/1")
    forum = page.get_by_role("heading", name="You are about to start using USD 999 Forum")
    expect(forum).to_be_visible()
    assert [p for _, h, p in sites.seen if h == "forum.usd999.org"].count("/t/1") == 1


@pytest.mark.parametrize("admin", [STRICT], indirect=True, ids=["strict"])
def test_a_blocked_platform_gets_the_block_page_and_no_continue(browser, admin, sites, worker):
    page = browser.new_page()
    visit(page, "http://www.tiktok.com/foryou")
    expect(
        page.get_by_role("heading", name="TikTok is blocked on district devices")
    ).to_be_visible()
    expect(page.get_by_role("button", name="Continue for district work")).to_be_hidden()
    expect(page.get_by_label("Why this is district work")).to_be_hidden()
    expect(page.get_by_role("button", name="Go back")).to_be_visible()
    assert not sites.reached("www.tiktok.com", "/foryou")
    until(lambda: admin.events())
    settle(browser, worker)
    assert admin.events() == [("extension", "tiktok", "browse", "blocked", "", "jdoe@usd999.org")]


def test_a_page_the_proxy_flagged_gets_the_banner_and_no_event_of_ours(
    browser, admin, sites, worker
):
    page = browser.new_page()
    page.goto("http://www.khanacademy.org/marked/inbox")
    expect(page.locator("#where")).to_have_text("www.khanacademy.org/marked/inbox")
    expect(page.locator("#staffguard-banner-host")).to_be_attached()
    page.goto("http://www.khanacademy.org/math")  # no marker, nothing to say
    expect(page.locator("#where")).to_have_text("www.khanacademy.org/math")
    # The worker takes pages in the order they load: once a later flagged page in another
    # tab has its banner, this page's turn has passed.
    later = browser.new_page()
    later.goto("http://www.khanacademy.org/marked/later")
    expect(later.locator("#staffguard-banner-host")).to_be_attached()
    assert banners(page) == 0
    settle(browser, worker)
    assert admin.events() == []


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
def test_a_comment_on_an_approved_platform_gets_one_banner_and_one_event(
    browser, admin, sites, worker
):
    page = browser.new_page()
    # A comment posted on an approved Facebook: known only by its x-fb-friendly-name header.
    page.goto("https://www.facebook.com/groups/lincolnhigh")
    expect(page.locator("#where")).to_have_text("www.facebook.com/groups/lincolnhigh")
    comment = {"x-fb-friendly-name": "useCometUFICreateCommentMutation"}
    assert page.evaluate(POST, ["/api/graphql", comment, "doc_id=1"]) == 200
    expect(page.locator("#staffguard-banner-host")).to_be_attached()
    shown = ("extension", "facebook", "comment", "shown", "", "jdoe@usd999.org")
    until(lambda: shown in admin.events())
    # Other GraphQL calls are browsing; the next comment within minutes: no second banner/event.
    feed = {"x-fb-friendly-name": "CometFeedQuery"}
    assert page.evaluate(POST, ["/api/graphql", feed, ""]) == 200
    assert page.evaluate(POST, ["/api/graphql", comment, "doc_id=2"]) == 200
    # Then a direct message (typing in a chat), decided after them: its banner and event.
    typing = {"x-fb-friendly-name": "MWChatTypingIndicatorMutation"}
    assert page.evaluate(POST, ["/api/graphql", typing, "doc_id=3"]) == 200
    until(lambda: banners(page) == 2)
    until(lambda: [e for e in admin.events() if e[2] == "direct_message"])
    settle(browser, worker)
    assert banners(page) == 2
    assert sorted(e[2] for e in admin.events()) == ["comment", "direct_message"]
    assert sum(1 for _, _, path in sites.seen if path == "/api/graphql") == 4, "none stopped"


@pytest.mark.parametrize("admin", [SENDS], indirect=True, ids=["sends"])
def test_a_blocked_dm_send_and_chat_socket_never_reach_the_server(browser, admin, sites, worker):
    """The district blocks direct messages on its chat: the send and the chat socket never
    reach the server (one event for both); a reaction (notice) goes through with the banner.
    The chat's page itself (an unapproved platform) gets its own banner and event."""
    page = browser.new_page()
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
    until(lambda: len(admin.events()) >= 3)
    settle(browser, worker)
    assert sorted(e[1:4] for e in admin.events()) == [
        ("usd999_chat", "browse", "shown"),
        ("usd999_chat", "comment", "shown"),
        ("usd999_chat", "direct_message", "blocked"),
    ]
    paths = [path for _, host, path in sites.seen if host == "chat.usd999.org"]
    assert "/api/react" in paths
    assert "/api/send" not in paths and "/ws" not in paths


@pytest.mark.parametrize("admin", [SENDS], indirect=True, ids=["sends"])
def test_in_app_navigation_to_a_dm_page_gets_what_a_navigation_gets(browser, admin, sites, worker):
    page = browser.new_page()
    page.goto("https://www.instagram.com/lincolnhigh/")
    expect(page.locator("#where")).to_have_text("www.instagram.com/lincolnhigh/")
    page.evaluate("location.hash = 'top'")  # the same page again: nothing new
    page.evaluate("history.pushState({}, '', '/direct/inbox/')")
    # A warned DM page on the approved Instagram: the interstitial, as a load of it gets (and
    # as the proxy shows it: one verdict, one presentation).
    dm = "You are about to start direct messaging on Instagram"
    expect(page.get_by_role("heading", name=dm)).to_be_visible()
    until(lambda: admin.events())
    settle(browser, worker)
    # Nothing for the profile page (a page's banner always comes with its event) or the hash.
    assert [e[1:4] for e in admin.events()] == [("instagram", "direct_message", "shown")]


def test_a_continue_covers_all_of_a_platforms_domains(browser, admin, sites, worker):
    page = browser.new_page()
    visit(page, "https://www.youtube.com/watch?v=abc")
    expect(page.get_by_role("heading", name="You are about to start using YouTube")).to_be_visible()
    assert not sites.reached("www.youtube.com", "/watch?v=abc")
    page.get_by_role("button", name="Continue for district work").click()
    expect(page.locator("#where")).to_have_text("www.youtube.com/watch?v=abc")
    page.goto("https://youtu.be/abc")  # another of YouTube's domains: the continue holds
    expect(page.locator("#where")).to_have_text("youtu.be/abc")
    until(lambda: len(admin.events()) >= 2)
    settle(browser, worker)
    assert [e[1:4] for e in admin.events()] == [
        ("youtube", "browse", "shown"),
        ("youtube", "browse", "continued"),
    ]


@pytest.mark.parametrize("admin", [SENDS], indirect=True, ids=["sends"])
def test_a_body_rule_send_and_a_chat_socket_are_decided(browser, admin, sites, worker):
    page = browser.new_page()
    page.goto("http://social.usd999.org/club")
    expect(page.locator("#where")).to_have_text("social.usd999.org/club")
    json_type = {"content-type": "application/json"}
    query = '{"operationName": "FeedQuery", "variables": {}}'
    assert page.evaluate(POST, ["/api/graphql", json_type, query]) == 200
    # The operation name is only in the JSON body. Decided after the query: its banner is the
    # first and only one.
    add = '{"operationName": "AddComment", "variables": {"text": "Go team"}}'
    assert page.evaluate(POST, ["/api/graphql", json_type, add]) == 200
    expect(page.locator("#staffguard-banner-host")).to_be_attached()
    assert banners(page) == 1
    until(lambda: [e for e in admin.events() if e[2] == "comment"])
    page.evaluate("""() => new Promise((resolve) => {
      const socket = new WebSocket("ws://social.usd999.org/ws/chat?room=7");
      socket.onerror = socket.onopen = () => resolve();
    })""")
    until(lambda: [e for e in admin.events() if e[2] == "direct_message"])
    assert sites.reached("social.usd999.org", "/ws/chat?room=7")  # warned, not blocked
    settle(browser, worker)
    assert sorted(e[1:4] for e in admin.events()) == [
        ("usd999_club", "comment", "shown"),
        ("usd999_club", "direct_message", "shown"),
    ]


def lms_events(admin: AdminSite) -> list[tuple]:
    import sqlite3

    with sqlite3.connect(admin.db) as db:
        return db.execute(
            "select source, platform_id, action, outcome, url, reason from events"
            " where activity = 'student_required'"
        ).fetchall()


def test_an_lms_assignment_linking_social_media_gets_the_notice(browser, admin, sites):
    """IIBGC's "no required student use": a Canvas assignment saved (a fetch POST) with a
    TikTok link gets the banner in its tab and an event naming TikTok; one linking only an
    educational site gets neither. The post itself always reaches Canvas."""
    configure(browser, admin.url, admin.token)
    page = browser.new_page()
    page.goto("http://usd999.instructure.com/courses/1042/assignments/new")
    save = """(text) => fetch('/api/v1/courses/1042/assignments?include=x', {
        method: 'POST', headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({assignment: {description: text}})}).then(r => r.status)"""
    assert page.evaluate(save, "Practice at https://www.khanacademy.org/math") == 200
    assert page.evaluate(save, "Secret: post at https://www.tiktok.com/@kid1 tonight") == 200
    expect(page.locator("#staffguard-banner-host")).to_be_attached()
    [event] = until(lambda: lms_events(admin))
    source, platform, action, outcome, url, reason = event
    assert (source, platform, action, outcome) == ("extension", "tiktok", "notice", "shown")
    assert url == "http://usd999.instructure.com/api/v1/courses/1042/assignments"
    assert reason.startswith("This assignment links to TikTok. No employee shall require")
    assert "kid1" not in repr(event) and "Secret" not in repr(event)
    posts = [p for m, h, p in sites.seen if m == "POST" and h == "usd999.instructure.com"]
    assert len(posts) == 2, "both posts reached Canvas"


def test_a_compressed_lms_save_is_read_decoded(browser, admin, sites):
    """An editor that compresses its save (CompressionStream, Content-Encoding: gzip): Chrome
    gives the extension the gzip bytes, which it decodes before reading the links."""
    configure(browser, admin.url, admin.token)
    page = browser.new_page()
    page.goto("http://usd999.instructure.com/courses/1042/assignments/new")
    save = """async (text) => {
        const body = JSON.stringify({assignment: {description: text}});
        const gzip = new Blob([body]).stream().pipeThrough(new CompressionStream('gzip'));
        const bytes = await new Response(gzip).arrayBuffer();
        const r = await fetch('/api/v1/courses/1042/assignments', {method: 'POST',
            headers: {'Content-Type': 'application/json', 'Content-Encoding': 'gzip'},
            body: bytes});
        return r.status;
    }"""
    assert page.evaluate(save, "Post at https://www.tiktok.com/@kid1 tonight. " * 10) == 200
    expect(page.locator("#staffguard-banner-host")).to_be_attached()
    [event] = until(lambda: lms_events(admin))
    assert event[:4] == ("extension", "tiktok", "notice", "shown")


def test_the_interstitial_offers_the_yearly_acknowledgment_once(browser, admin, sites):
    import sqlite3

    configure(browser, admin.url, admin.token)
    page = browser.new_page()
    visit(page, "http://www.tiktok.com/@lincolnhigh")
    expect(page.locator("#training")).to_be_visible()
    expect(page.locator("#continue")).to_be_visible()  # the step holds nothing up
    href = page.locator("#training-link").get_attribute("href")
    assert href.startswith(admin.url) and "/training?email=jdoe" in href
    page.click("#acknowledge")
    expect(page.locator("#training")).to_contain_text("acknowledgment is recorded")
    with sqlite3.connect(admin.db) as db:
        [(email, revision, via)] = db.execute(
            "select email, policy_revision, via from acknowledgments"
        ).fetchall()
    assert email == "jdoe@usd999.org" and revision and via == "extension"

    again = browser.new_page()
    visit(again, "http://www.tiktok.com/@another")
    expect(again.locator("body")).to_have_attribute("data-training-checked", "none")
    expect(again.locator("#training")).to_be_hidden()
