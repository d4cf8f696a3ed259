"""Every page checks the role: each role reaches what it may and is refused the rest."""

from __future__ import annotations

import pytest
from admin_harness import PASSWORD, make_app

from admin_web.app import create_app
from admin_web.auth import add_user
from admin_web.db import get_db


@pytest.fixture
def app(sqlite_app):
    """Roles are the site's logic, not the database's: SQLite is enough here."""
    return sqlite_app


PAGES = [
    "/", "/log", "/log.csv", "/lists/", "/lists/approvals", "/lists/exemptions",
    "/lists/settings", "/lists/export.yaml", "/lists/audit", "/requests/",
]  # fmt: skip
ADMIN_ONLY_PAGES = ["/users", "/lists/platforms/new", "/lists/platforms/tiktok", "/lists/import"]
# (role, method, url, form) that must be refused with 403
REFUSED = [
    ("approver", "post", "/lists/platforms/new", {"id": "x", "domains": "x.org"}),
    ("auditor", "post", "/lists/platforms/new", {"id": "x", "domains": "x.org"}),
    ("auditor", "post", "/lists/approvals", {"platform": "x", "approved_on": "2026-01-01"}),
    ("approver", "post", "/lists/exemptions", {"name": "VA", "users": "a@b.org"}),
    ("approver", "post", "/lists/settings", {"continue_minutes": "5"}),
    ("auditor", "post", "/lists/settings", {"continue_minutes": "5"}),
    ("approver", "post", "/users", {"name": "x", "role": "admin", "password": "x" * 12}),
    ("auditor", "post", "/tokens", {"name": "sneaky"}),
    ("auditor", "post", "/lists/platforms/tiktok/remove", {}),
    ("approver", "post", "/lists/import", {"text": "settings: {continue_minutes: 5}"}),
]


@pytest.mark.parametrize("url", PAGES + ADMIN_ONLY_PAGES)
def test_signed_out_visitors_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["admin", "approver", "auditor"])
@pytest.mark.parametrize("url", PAGES)
def test_every_role_reads_the_review_pages(client, auth, role, url):
    auth.login(role)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("role", ["approver", "auditor"])
@pytest.mark.parametrize("url", ADMIN_ONLY_PAGES)
def test_admin_pages_are_refused_to_other_roles(client, auth, role, url):
    auth.login(role)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize(("role", "method", "url", "form"), REFUSED)
def test_changes_are_refused_to_roles_without_them(client, auth, role, method, url, form):
    auth.login(role)
    assert getattr(client, method)(url, data=form).status_code == 403


def test_admin_pages_open_for_the_admin(client, auth):
    auth.login("admin")
    for url in ADMIN_ONLY_PAGES:
        assert client.get(url).status_code == 200, url


def test_sign_in_is_throttled_after_repeated_failures(client):
    for _ in range(5):
        bad = client.post("/login", data={"name": "admin@usd999.org", "password": "nope"})
        assert bad.status_code == 401
    locked = client.post("/login", data={"name": "admin@usd999.org", "password": PASSWORD})
    assert locked.status_code == 429


def test_forms_need_a_csrf_token(sqlite_url, tmp_path):
    app = make_app(sqlite_url, tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    response = client.post("/login", data={"name": "admin@usd999.org", "password": PASSWORD})
    assert response.status_code == 400


def test_pages_carry_security_headers(client, auth):
    auth.login("admin")
    headers = client.get("/lists/").headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_an_admin_creates_a_token_shown_once_and_revokes_it(client, auth):
    auth.login("admin")
    created = client.post("/tokens", data={"name": "chromebooks-hs"}, follow_redirects=True)
    page = created.get_data(as_text=True)
    token = page.split('<code id="new-token">', 1)[1].split("</code>", 1)[0]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/check?url=tiktok.com", headers=bearer).status_code == 200
    listing = client.get("/users").get_data(as_text=True)
    assert "chromebooks-hs" in listing and token not in listing, "shown once, stored hashed"
    client.post("/tokens", data={"name": "chromebooks-hs", "revoke": "1"})
    client.post("/logout")
    assert client.get("/api/v1/check?url=tiktok.com", headers=bearer).status_code == 401
    auth.login("admin")
    trail = client.get("/lists/audit").get_data(as_text=True)
    assert trail.count("chromebooks-hs") == 2 and "revoked" in trail


def test_session_cookies_are_secure_by_default(tmp_path, monkeypatch):
    monkeypatch.delenv("STAFFGUARD_INSECURE_COOKIES", raising=False)
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
    with app.app_context():
        add_user("auditor@usd999.org", "auditor", PASSWORD)
        get_db().commit()
    response = app.test_client().post(
        "/login", data={"name": "auditor@usd999.org", "password": PASSWORD}
    )
    assert response.status_code == 400, "and the CSRF token is required"
    app.config["WTF_CSRF_ENABLED"] = False
    response = app.test_client().post(
        "/login", data={"name": "auditor@usd999.org", "password": PASSWORD}
    )
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_guessing_across_many_accounts_from_one_address_is_throttled(client):
    for n in range(20):
        client.post("/login", data={"name": f"guess{n}@usd999.org", "password": "nope"})
    locked = client.post("/login", data={"name": "admin@usd999.org", "password": PASSWORD})
    assert locked.status_code == 429


def test_a_signed_in_browser_reads_the_api_but_cannot_post_events(client, auth):
    auth.login("admin")
    assert client.get("/api/v1/policy").status_code == 200
    assert client.post("/api/v1/events", json=[]).status_code == 401
    assert client.post("/api/v1/unclassified", json={}).status_code == 401


def test_an_admin_adds_an_account_that_can_sign_in(client, auth):
    auth.login("admin")
    short = {"name": "supt@usd999.org", "role": "approver", "password": "short"}
    assert "at least 10 characters" in client.post("/users", data=short, follow_redirects=True).text
    client.post("/users", data={**short, "password": "a long passphrase"})
    auth.logout()
    answer = client.post(
        "/login", data={"name": "Supt@usd999.org", "password": "a long passphrase"}
    )
    assert answer.status_code == 302
    assert client.get("/requests/").status_code == 200 and client.get("/users").status_code == 403
