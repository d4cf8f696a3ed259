"""Every page checks the role: each role reaches what it may and is refused the rest."""

from __future__ import annotations

import pytest
from admin_harness import PASSWORD, make_app


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
