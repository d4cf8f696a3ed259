"""An admin adds a category feed in a real Chromium, fetches it, and sees its sites classified."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from admin_harness import sign_in
from feed_server import FeedServer, feed_server
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture
def app(sqlite_app):
    return sqlite_app


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with feed_server() as state:
        state.files["/social_networks/domains"] = b"chatter.example\nfriends.example\n"
        yield state


def test_an_admin_adds_a_feed_fetches_it_and_its_sites_get_warnings(page, site, feeds):
    sign_in(page, site, "admin")
    page.get_by_role("link", name="Feeds").click()
    expect(page.get_by_text("No feeds")).to_be_visible()
    page.get_by_label("Name (shown in verdicts").fill("UT1 social_networks")
    page.get_by_label("Address to fetch").fill(feeds.address("/social_networks/domains"))
    page.get_by_label("Format").select_option("domains")
    page.get_by_label("Category").select_option("social_media")
    page.get_by_label("Enabled").check()
    page.get_by_role("button", name="Add feed").click()
    expect(page.get_by_text("Added UT1 social_networks")).to_be_visible()

    page.get_by_role("button", name="Fetch now").click()
    expect(page.get_by_text("UT1 social_networks: 2 domains")).to_be_visible()
    expect(page.locator("td.count")).to_have_text("2")
    expect(page.locator("td.feed-status")).to_contain_text("ok")

    page.goto(f"{site}/api/v1/check?url=https://www.chatter.example/p/1")
    verdict = page.locator("body").inner_text()
    assert '"feed": "UT1 social_networks"' in verdict or '"feed":"UT1 social_networks"' in verdict
    assert "(from feed: UT1 social_networks)" in verdict and '"warn"' in verdict

    feeds.fail_with = 500
    page.goto(f"{site}/feeds/")
    page.get_by_role("button", name="Fetch now").click()
    expect(page.get_by_text("last good copy kept")).to_be_visible()
    expect(page.locator("td.count")).to_have_text("2")
    expect(page.locator("td.feed-status")).to_contain_text("HTTP 500")
