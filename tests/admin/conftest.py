"""An admin site per test, on a fresh SQLite file or a fresh PostgreSQL schema."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy
from flask import Flask
from flask.testing import FlaskClient

from admin_web.app import create_app
from admin_web.auth import add_user, create_token
from admin_web.db import get_db

PASSWORD = "correct horse battery"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'staffguard.sqlite3'}"
        return
    base = request.getfixturevalue("postgres_url")
    schema = f"sg_{uuid.uuid4().hex[:12]}"
    engine = sqlalchemy.create_engine(base)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(f"CREATE SCHEMA {schema}"))
    yield f"{base}?options=-csearch_path%3D{schema}"
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'staffguard.sqlite3'}"


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


@pytest.fixture
def app(database_url: str, tmp_path) -> Flask:
    return make_app(database_url, tmp_path)


@pytest.fixture
def sqlite_app(sqlite_url: str, tmp_path) -> Flask:
    return make_app(sqlite_url, tmp_path)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class AuthActions:
    def __init__(self, client: FlaskClient):
        self.client = client

    def login(self, role: str = "admin") -> Any:
        return self.client.post("/login", data={"name": f"{role}@usd999.org", "password": PASSWORD})

    def logout(self) -> Any:
        return self.client.post("/logout")


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def token(app: Flask) -> str:
    with app.app_context():
        value = create_token("proxy-1")
        get_db().commit()
    return value


@pytest.fixture
def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
