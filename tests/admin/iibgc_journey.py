"""The IIBGC journeys in Chromium, shared by the browser test and docs/img/make_report_png.py
(which writes the committed screenshot of the board report)."""

from __future__ import annotations

from pathlib import Path

from admin_harness import PASSWORD
from playwright.sync_api import Page, expect


def sign_in(page: Page, site: str, name: str, password: str = PASSWORD) -> None:
    page.goto(f"{site}/login")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name="Board report")).to_be_visible()


def acknowledge(page: Page, site: str, email: str) -> None:
    page.goto(f"{site}/training?email={email}")
    expect(page.get_by_role("heading", name="The policy")).to_be_visible()
    page.get_by_label("Your name").fill("Ana Diaz")
    page.get_by_label("I have read it").check()
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text(f"Thank you: {email} acknowledged")).to_be_visible()


def board_report(page: Page, site: str, start: str, end: str, png: Path | None = None) -> None:
    page.get_by_role("link", name="Board report").click()
    page.get_by_label("From").fill(start)
    page.get_by_label("To").fill(end)
    page.get_by_role("button", name="Show").click()
    expect(
        page.get_by_role("heading", name="Staff social media: report to the board")
    ).to_be_visible()
    if png is not None:
        page.set_viewport_size({"width": 1100, "height": 900})
        page.emulate_media(media="print")
        page.screenshot(path=str(png), full_page=True)
        page.emulate_media(media="screen")
