"""Building an admin site for tests (imported by the fixtures and by tests themselves)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from admin_web.app import create_app
from admin_web.auth import add_user
from admin_web.db import get_db

PASSWORD = "correct horse battery"


def make_app(url: str, tmp_path, **config: Any) -> Flask:
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "WTF_CSRF_ENABLED": False,
            "SESSION_COOKIE_SECURE": False,
            "SECRET_KEY": "test",
            **config,
        }
    )
    with app.app_context():
        for role in ("admin", "approver", "auditor"):
            add_user(f"{role}@usd999.org", role, PASSWORD)
        get_db().commit()
    return app


class AuthActions:
    def __init__(self, client: FlaskClient):
        self.client = client

    def login(self, role: str = "admin") -> Any:
        return self.client.post("/login", data={"name": f"{role}@usd999.org", "password": PASSWORD})

    def logout(self) -> Any:
        return self.client.post("/logout")
