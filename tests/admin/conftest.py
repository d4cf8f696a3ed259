"""An admin site per test, on a fresh SQLite file or a fresh PostgreSQL schema."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from admin_harness import AuthActions, make_app
from flask import Flask
from flask.testing import FlaskClient
from playwright.sync_api import Page, sync_playwright
from realparts import CHROMIUM_ARGS
from werkzeug.serving import make_server

from admin_web.auth import create_token
from admin_web.db import get_db


@pytest.fixture(autouse=True)
def instance_folder(tmp_path, monkeypatch) -> None:
    """Each test's secret key and files live in its own folder, never in the checkout."""
    monkeypatch.setenv("STAFFGUARD_INSTANCE", str(tmp_path / "instance"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'staffguard.sqlite3'}"
        return
    yield request.getfixturevalue("postgres_schema")


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'staffguard.sqlite3'}"


@pytest.fixture
def app(database_url: str, tmp_path) -> Flask:
    return make_app(database_url, tmp_path)


@pytest.fixture
def sqlite_app(sqlite_url: str, tmp_path) -> Flask:
    return make_app(sqlite_url, tmp_path)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


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


@pytest.fixture
def site(app: Flask) -> Iterator[str]:
    """The test's admin site served on a free loopback port, for the browser journeys."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def page(chromium_path: str) -> Iterator[Page]:
    """A page in Debian's Chromium that accepts downloads (CSV exports, the board report)."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser.new_context(accept_downloads=True).new_page()
        browser.close()
