"""Building an admin site for tests (imported by the fixtures and by tests themselves)."""

from __future__ import annotations

from functools import cache
from typing import Any

from base_lists import write_base_lists
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Page, expect
from werkzeug.security import generate_password_hash

from admin_web.app import create_app
from admin_web.db import get_db
from admin_web.models import User

PASSWORD = "correct horse battery"


def make_app(url: str, tmp_path, **config: Any) -> Flask:
    """An app on ``url`` whose lists sit on the tests' own small base lists."""
    app = create_app(
        {
            "TESTING": True,
            "BASE_POLICY": [str(write_base_lists(tmp_path))],
            "DATABASE_URL": url,
            "WTF_CSRF_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
            "SECRET_KEY": "test",
            **config,
        }
    )
    if config.get("SKIP_USERS"):  # a restart of a site the test set up already
        return app
    with app.app_context():
        for role in ("admin", "approver", "auditor"):
            get_db().add(User(name=f"{role}@usd999.org", role=role, password_hash=password_hash()))
        get_db().commit()
    return app


@cache
def password_hash() -> str:
    """Hashed once per run: scrypt is slow on purpose, and every test signs its users up."""
    return generate_password_hash(PASSWORD)


class AuthActions:
    def __init__(self, client: FlaskClient):
        self.client = client

    def login(self, role: str = "admin") -> Any:
        return self.client.post("/login", data={"name": f"{role}@usd999.org", "password": PASSWORD})

    def logout(self) -> Any:
        return self.client.post("/logout")


def sign_in(page: Page, site: str, role: str) -> None:
    """Sign in through the browser as the account made for ``role`` (admin, approver, auditor)."""
    page.goto(f"{site}/login")
    page.get_by_label("Name").fill(f"{role}@usd999.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Last 30 days")).to_be_visible()
