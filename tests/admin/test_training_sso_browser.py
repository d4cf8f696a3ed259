"""The training sign-in by the district's SSO in a real Chromium: a staff member opens the
training page, signs in on the district's (test) OpenID provider's own pages, and acknowledges
as herself; she gets no admin session."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from admin_harness import make_app
from playwright.sync_api import Page, expect
from test_admin_cli import free_port
from test_sso import provider
from werkzeug.serving import make_server

from admin_web.db import get_db
from admin_web.models import User
from admin_web.models_iibgc import Acknowledgment

pytestmark = [pytest.mark.browser, pytest.mark.e2e]


@pytest.fixture
def sso_site(sqlite_url, tmp_path) -> Iterator[tuple[str, object]]:
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    with provider(f"{site}/login/sso/callback") as issuer:
        app = make_app(
            sqlite_url,
            tmp_path,
            OIDC_ISSUER=issuer,
            OIDC_CLIENT_ID="staffguard",
            OIDC_CLIENT_SECRET="test-secret",
            OIDC_DOMAINS="usd999.org",
        )
        server = make_server("127.0.0.1", port, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        yield site, app
        server.shutdown()


def provider_sign_in(page: Page, login: str, site: str) -> None:
    """The provider's own pages: the login form, then its consent form, until back home."""
    for _ in range(5):
        if page.url.startswith(site):
            return
        if page.locator("input[name=login]").count():
            page.fill("input[name=login]", login)
            page.fill("input[name=password]", "anything")
        page.locator("button[type=submit]").first.click()
        page.wait_for_load_state()
    assert page.url.startswith(site), page.url


def test_staff_sign_in_by_sso_and_acknowledge_as_themselves(page: Page, sso_site):
    site, app = sso_site
    page.goto(f"{site}/training")
    page.get_by_role("link", name="Sign in with your district account").click()
    provider_sign_in(page, "ana.diaz@usd999.org", site)
    expect(page.get_by_text("Signed in with your district account as")).to_be_visible()
    expect(page.locator("#email")).to_have_count(0)  # no address to type: it is hers
    page.check("#read")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_role("status")).to_contain_text("ana.diaz@usd999.org acknowledged")
    with app.app_context():  # type: ignore[attr-defined]
        db = get_db()
        [ack] = db.query(Acknowledgment).all()
        assert ack.email == "ana.diaz@usd999.org" and ack.policy_revision
        assert ack.via == "sso"
        assert db.query(User).filter_by(name="ana.diaz@usd999.org").count() == 0
    page.goto(f"{site}/log")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()  # no admin session
