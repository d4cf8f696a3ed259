"""IIBGC journeys in a real Chromium: a staff member acknowledges the training, an admin sees
completion and exports it, an approver records a yearly review, the board report prints."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from iibgc_journey import acknowledge, board_report, sign_in
from playwright.sync_api import expect

from admin_web import demo
from admin_web.db import get_db

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture
def app(sqlite_app):
    with sqlite_app.app_context():
        demo.fill(get_db(), dt.date.today())
    return sqlite_app


def test_staff_acknowledge_and_the_admin_sees_it_in_completion_and_csv(page, site):
    acknowledge(page, site, "newhire@usd999.org")
    sign_in(page, site, "admin@usd999.org")
    page.get_by_role("link", name="Training").click()
    expect(page.get_by_role("heading", name="By building")).to_be_visible()
    expect(page.get_by_role("cell", name="Prairie Valley High School").first).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    text = download.value.path().read_text(encoding="utf-8")
    assert "newhire@usd999.org,Ana Diaz" in text


def test_an_approver_records_a_yearly_review_and_the_flag_clears(page, site):
    sign_in(page, site, "approver@usd999.org")
    page.get_by_role("link", name="Approvals").click()
    row = page.locator("tr", has_text="prairievalleyathletics")
    expect(row.get_by_text("never reviewed")).to_be_visible()
    row.get_by_role("link", name="Review").click()
    for label in ("Officials' access", "Monitoring", "One-way only"):
        page.get_by_label(label).check()
    page.get_by_role("button", name="Record the review").click()
    row = page.locator("tr", has_text="prairievalleyathletics")
    expect(row.get_by_text("by approver@usd999.org (for former.ad@usd999.org)")).to_be_visible()
    expect(row.get_by_text("never reviewed")).to_have_count(0)


def test_the_board_report_shows_and_prints(page, site, tmp_path):
    sign_in(page, site, "auditor@usd999.org")
    today = dt.date.today()
    png = tmp_path / "report.png"
    board_report(page, site, (today - dt.timedelta(days=89)).isoformat(), today.isoformat(), png)
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 50_000
    expect(page.locator("#total-warnings")).not_to_have_text("0")
    expect(page.get_by_role("heading", name="Register of approved accounts")).to_be_visible()
    page.emulate_media(media="print")  # the packet has no site navigation or date form
    expect(page.locator("header")).to_be_hidden()
    expect(page.get_by_role("button", name="Show")).to_be_hidden()
    pdf = page.pdf(format="Letter")  # Chromium's own print path, beside WeasyPrint's /report.pdf
    assert pdf.startswith(b"%PDF-")
    assert io.BytesIO(pdf).getbuffer().nbytes > 10_000
