"""The admin site's Flask application factory.

>>> app = create_app({"DATABASE_URL": "sqlite://", "TESTING": True})
>>> app.test_client().get("/healthz").json["status"]
'ok'
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, Response
from flask_wtf.csrf import CSRFProtect, generate_csrf
from markupsafe import Markup

from staffguard_common.files import secret_file

from . import (
    accounts,
    api,
    auth,
    db,
    devices,
    feeds,
    health,
    identity_api,
    log,
    permissions,
    registers,
    versions,
)
from .iibgc import API_BLUEPRINTS as IIBGC_API_BLUEPRINTS
from .iibgc import BLUEPRINTS as IIBGC_BLUEPRINTS
from .inputs import refuse_unstorable
from .lists import bp as lists_bp
from .metrics import init_app as init_metrics
from .pac import bp as pac_bp
from .sso import init_app as init_sso
from .transport import init_app as init_transport

csrf = CSRFProtect()

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    instance = os.environ.get("STAFFGUARD_INSTANCE") or str(Path.cwd() / "instance")
    app = Flask(
        __name__,
        instance_path=os.path.abspath(instance),
        instance_relative_config=True,
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(
        SECRET_KEY=_secret_key(Path(app.instance_path)),
        DATABASE_URL=os.environ.get(
            "STAFFGUARD_DATABASE_URL",
            f"sqlite:///{Path(app.instance_path) / 'staffguard.sqlite3'}",
        ),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("STAFFGUARD_INSECURE_COOKIES") != "1",
        PERMANENT_SESSION_LIFETIME=8 * 3600,
        WTF_CSRF_TIME_LIMIT=None,
        PROXY_ADDRESS=os.environ.get("STAFFGUARD_PROXY_ADDRESS", "127.0.0.1:8081"),
        MAX_CONTENT_LENGTH=16 * 1024 * 1024,
        LOGIN_ATTEMPTS=5,
        REQUEST_LIMIT=(10, 3600),  # permission requests per address and window (seconds)
        ENROLL_FAILURES=(10, 900),  # refused device enrollments per address and window (s)
    )
    if test_config:
        app.config.from_mapping(test_config)

    db.init_app(app)
    with app.app_context():
        versions.refresh(db.get_db())
    app.before_request(refuse_unstorable)
    csrf.init_app(app)
    csrf.exempt(api.bp)
    csrf.exempt(health.bp)
    csrf.exempt(identity_api.bp)
    for blueprint in IIBGC_API_BLUEPRINTS:
        csrf.exempt(blueprint)
    csrf.exempt(devices.bp)
    blueprints = [auth.bp, lists_bp, registers.bp, permissions.bp, log.bp, api.bp, health.bp]
    blueprints += [feeds.bp, identity_api.bp, accounts.bp, devices.bp]
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    for blueprint in IIBGC_BLUEPRINTS:  # training, the board report
        app.register_blueprint(blueprint)
    app.after_request(_security_headers)
    app.jinja_env.globals["csrf"] = _csrf_field
    init_transport(app)  # trusted reverse proxies; a page, not a bare 400, for sign-in over HTTP
    init_metrics(app)  # /metrics
    init_sso(app)  # OpenID Connect sign-in, when configured
    app.register_blueprint(pac_bp)
    return app


def _csrf_field() -> Markup:
    return Markup('<input type="hidden" name="csrf_token" value="{}">').format(generate_csrf())


def _secret_key(instance: Path) -> str:
    """A per-installation key kept in the instance folder (or STAFFGUARD_SECRET_KEY)."""
    if os.environ.get("STAFFGUARD_SECRET_KEY"):
        return os.environ["STAFFGUARD_SECRET_KEY"]
    return secret_file(instance / "secret_key")


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    return response
