"""How requests reach the site: straight from browsers, or through a TLS reverse proxy it trusts.

Behind nginx or Caddy every request arrives from the proxy's own address over plain HTTP. The
site takes the real client address and scheme from ``X-Forwarded-For`` / ``-Proto`` only when
told how many proxies stand in front of it (``STAFFGUARD_TRUSTED_PROXIES=N``, Werkzeug's
``ProxyFix``): trusting those headers from anyone else would let a password guesser pick a new
address for every attempt, and without them every sign-in failure counts against the proxy.

Sign-in sets a ``Secure`` session cookie, which browsers keep only over HTTPS, so a sign-in
posted over plain HTTP from another machine cannot work. Such a request gets a page that says
so and how to put TLS in front, not a bare "CSRF session token is missing".
"""

from __future__ import annotations

import ipaddress
import os
from typing import Any

from flask import Flask, current_app, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.middleware.proxy_fix import ProxyFix

SIGN_IN = ("auth.login",)


def init_app(app: Flask) -> None:
    hops = trusted_proxies(app.config.get("TRUSTED_PROXIES"))
    app.config["TRUSTED_PROXIES"] = hops
    if hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )
    app.before_request(_sign_in_needs_https)
    app.register_error_handler(CSRFError, _csrf_error)


def trusted_proxies(value: Any = None) -> int:
    """How many reverse proxies stand in front (config, else the environment, else none)."""
    raw = value if value is not None else os.environ.get("STAFFGUARD_TRUSTED_PROXIES", "0")
    try:
        hops = int(raw or 0)
    except (TypeError, ValueError):
        hops = -1
    if hops < 0:
        raise ValueError(
            f"STAFFGUARD_TRUSTED_PROXIES must be how many reverse proxies stand in front of the "
            f"site (0, 1, ...), not {raw!r}"
        )
    return hops


def plain_http_off_loopback() -> bool:
    """True when a Secure cookie cannot come back: HTTP from another machine."""
    if not current_app.config.get("SESSION_COOKIE_SECURE") or request.is_secure:
        return False
    try:
        return not ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return True


def _https_page() -> Any:
    return render_template("https_required.html", host=request.host), 403


def _sign_in_needs_https() -> Any:
    if request.endpoint in SIGN_IN and plain_http_off_loopback():
        return _https_page()
    return None


def _csrf_error(error: CSRFError) -> Any:
    if plain_http_off_loopback():
        return _https_page()
    message = "This form expired or came from another page. Go back, reload it and try again."
    return render_template("error.html", message=message), 400
