"""Journeys in a real Chromium: an admin, an approver and an auditor at work."""

from __future__ import annotations

import uuid

import pytest
from admin_harness import sign_in
from playwright.sync_api import expect

from admin_web.models import utcnow

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture
def app(sqlite_app):
    return sqlite_app


def test_an_admin_adds_a_platform(page, site):
    sign_in(page, site, "admin")
    page.get_by_role("link", name="Platforms").click()
    page.get_by_role("link", name="Add a platform").click()
    page.get_by_label("Id").fill("kidblog")
    page.get_by_label("Name", exact=True).fill("Kidblog")
    page.get_by_label("Category").select_option("social_media")
    page.get_by_label("Domains (one a line)").fill("kidblog.org")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved Kidblog; new policy version.")).to_be_visible()
    expect(page.locator("td", has_text="kidblog.org")).to_be_visible()


def test_an_approver_approves_a_permission_request(page, site):
    page.goto(f"{site}/requests/new?platform=instagram")
    page.get_by_label("Your district email").fill("coach@usd999.org")
    page.get_by_label("Purpose").fill("Game schedules for parents")
    page.get_by_label("Audience").fill("parents")
    page.get_by_label("Proposed account name").fill("lincoln_athletics")
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_role("heading", name="Your request: pending")).to_be_visible()
    status_url = page.url

    sign_in(page, site, "approver")
    page.get_by_role("link", name="Requests").click()
    page.get_by_role("link", name="Review").click()
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("not yet board-approved")).to_be_visible()
    page.goto(status_url)
    expect(page.get_by_role("heading", name="Your request: approved")).to_be_visible()


def test_an_auditor_filters_the_log_and_exports_csv_and_attacker_text_stays_text(
    page, site, app, bearer
):
    attack = 'https://evil.example/"><img src=x onerror="document.title=\'pwned\'">'
    attacker = "<img src=x onerror=\"document.title='pwned'\">@usd999.org"
    batch = [
        {
            "id": str(uuid.uuid4()),
            "ts": utcnow().isoformat() + "Z",
            "source": "proxy",
            "user": user,
            "client": "10.1.2.3",
            "url": url,
            "host": "evil.example",
            "platform_id": platform,
            "category": "social_media",
            "activity": "browse",
            "action": "warn",
            "outcome": "shown",
            "justification": "<script>document.title='pwned'</script>",
        }
        for platform, url, user in [
            ("tiktok", attack, attacker),
            ("tiktok", attack, attacker),
            ("tiktok", attack, attacker),
            ("snapchat", "https://snapchat.com/web", "u1@usd999.org"),
        ]
    ]
    stored = app.test_client().post("/api/v1/events", json=batch, headers=bearer)
    assert stored.json == {"accepted": 4, "duplicates": 0}
    sign_in(page, site, "auditor")
    expect(page.get_by_role("cell", name=attacker)).to_be_visible()  # repeat users
    assert page.title() != "pwned" and page.locator("main img").count() == 0
    page.get_by_role("link", name="Warning log").click()
    expect(page.locator("td.url", has_text="onerror").first).to_be_visible()
    assert page.title() != "pwned" and page.locator("main img").count() == 0
    page.locator("tbody tr").first.get_by_role("link").click()
    expect(page.get_by_text("<script>document.title='pwned'</script>")).to_be_visible()
    assert page.title() != "pwned" and page.locator("main img, main script").count() == 0
    page.go_back()
    page.get_by_label("Platform").select_option("snapchat")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tbody tr")).to_have_count(1)
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    text = download.value.path().read_text(encoding="utf-8")
    assert "snapchat" in text and "tiktok" not in text
