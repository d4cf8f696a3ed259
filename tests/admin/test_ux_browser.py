"""Journeys in a real Chromium through the admin site's rough edges, now smoothed: the first
sign-in, confirmations, the log's filters, the chart, the token page and the favicon."""

from __future__ import annotations

import re
import uuid

import pytest
from admin_harness import sign_in
from playwright.sync_api import Page, expect

from admin_web.models import utcnow

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


def posts_sent(page: Page) -> list[str]:
    """The forms this page posts from now on (each POST request's URL, as the browser sends it).

    A dismissed confirm is shown to have sent nothing by a later, accepted one: the browser
    sends requests in the order the page makes them, so once the later one is answered, an
    earlier post would be in the list."""
    posts: list[str] = []
    page.on("request", lambda request: request.method == "POST" and posts.append(request.url))
    return posts


@pytest.fixture
def app(sqlite_app):
    return sqlite_app


def test_an_admin_names_the_district_on_first_sign_in(page, site):
    sign_in(page, site, "admin")
    expect(page.get_by_role("heading", name="what is your district called?")).to_be_visible()
    page.get_by_label("District name").fill("USD 999 Lincoln")
    page.get_by_label("Time zone").fill("America/Chicago")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("every warning page now shows the district's name")).to_be_visible()
    expect(page.get_by_role("heading", name="what is your district called?")).to_have_count(0)
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_label("District name")).to_have_value("USD 999 Lincoln")
    expect(page.get_by_label("Time zone (all times on this site)")).to_have_value("America/Chicago")


def test_removing_an_approval_asks_first_and_cancel_keeps_it(page, site):
    sign_in(page, site, "approver")
    page.get_by_role("link", name="Approvals").click()
    page.get_by_label("Platform").first.select_option(label="X (Twitter)")
    page.get_by_label("Approved on").fill("2026-05-12")
    page.get_by_role("button", name="Record approval").click()
    row = page.locator("tr", has_text="2026-05-12")
    expect(row).to_have_count(1)
    asked: list[str] = []

    def dismiss(dialog):
        asked.append(dialog.message)
        dialog.dismiss()

    posts = posts_sent(page)
    page.once("dialog", dismiss)
    row.get_by_role("button", name="Remove").click()
    assert asked and "Remove the board approval of X (Twitter)" in asked[0]
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Remove").click()
    expect(page.get_by_text("No board approvals recorded.")).to_be_visible()
    assert len(posts) == 1, "the dismissed confirm sent nothing (the accepted one came after it)"


def test_replacing_the_roster_asks_first_and_adding_to_it_does_not(page, site, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("email,name,building,role\ncoach@usd999.org,Coach,LHS,teacher\n")
    sign_in(page, site, "admin")
    page.goto(f"{site}/training/manage")
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    posts = posts_sent(page)
    page.get_by_label("Roster CSV (email, name, building, role)").set_input_files(roster)
    page.get_by_role("button", name="Import roster").click()  # adding: nothing to confirm
    expect(page.get_by_text("Roster imported: 1 staff.")).to_be_visible()
    assert asked == [] and len(posts) == 1
    page.get_by_label("Roster CSV (email, name, building, role)").set_input_files(roster)
    page.get_by_label("Replace the roster").check()
    page.get_by_role("button", name="Import roster").click()
    assert asked and asked[0].startswith("Replace the roster?")
    assert len(posts) == 1, "the dismissed confirm sent nothing"


def test_a_new_token_survives_a_reload_without_a_second_submission(page, site):
    sign_in(page, site, "admin")
    page.get_by_role("link", name="Accounts & tokens").click()
    page.get_by_label("Token name").fill("chromebooks-hs")
    page.get_by_role("button", name="Create token").click()
    expect(page.locator("#new-token")).to_have_text(re.compile(r"^sg_"))
    assert page.url.endswith("/users")
    page.reload()  # a GET: no "resubmit the form?" and no second token
    expect(page.locator("#new-token")).to_have_count(0)
    expect(page.get_by_text("exists; revoke it first")).to_have_count(0)
    row = page.locator("tr", has_text="chromebooks-hs")
    asked: list[str] = []
    posts = posts_sent(page)
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    row.get_by_role("button", name="Revoke").click()
    assert asked and asked[0].startswith("Revoke the token chromebooks-hs?")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text("Token chromebooks-hs revoked.")).to_be_visible()
    assert len(posts) == 1, "the dismissed confirm sent nothing (the accepted one came after it)"


def test_an_auditor_filters_the_log_by_partial_name_and_is_told_about_reversed_dates(
    page, site, app, bearer
):
    batch = [
        {
            "id": str(uuid.uuid4()),
            "ts": utcnow().isoformat() + "Z",
            "source": "proxy",
            "user": user,
            "client": "10.1.2.3",
            "url": "https://www.tiktok.com/messages",
            "host": "www.tiktok.com",
            "platform_id": "tiktok",
            "category": "social_media",
            "activity": "direct_message",
            "action": "warn",
            "outcome": "shown",
            "justification": "",
            "reason": "r",
            "policy_ref": "IIBGC",
        }
        for user in ("j.smith@usd999.org", "a.smithers@usd999.org", "coach@usd999.org")
    ]
    assert app.test_client().post("/api/v1/events", json=batch, headers=bearer).status_code == 200
    sign_in(page, site, "auditor")
    chart = page.locator("section", has_text="Warnings per day by platform").locator("svg")
    expect(chart.locator("text.x-tick")).to_have_count(10)  # 30 days, every third labelled
    assert chart.locator("rect title").first.text_content().endswith("TikTok 3")
    page.get_by_role("link", name="Warning log").click()
    page.get_by_label("User").fill("smith")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tbody tr")).to_have_count(2)
    page.get_by_label("From").fill("2026-11-30")
    page.get_by_label("To").fill("2026-11-01")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("alert")).to_have_text(re.compile("is after To"))
    page.get_by_role("link", name="Clear").click()
    page.get_by_label("Platform").select_option(label="TikTok")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tbody tr")).to_have_count(3)
    page.locator("tbody tr").first.get_by_role("link").click()
    expect(page.get_by_role("heading", name="Warned: direct message on TikTok")).to_be_visible()


def test_the_browser_gets_the_favicon(page, site):
    answer = page.request.get(f"{site}/favicon.ico")
    assert answer.status == 200 and answer.headers["content-type"] == "image/x-icon"
