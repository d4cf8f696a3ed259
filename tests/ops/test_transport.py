"""Behind a TLS reverse proxy the site sees real client addresses; over plain HTTP it says why
sign-in cannot work instead of a bare CSRF error."""

from __future__ import annotations

import pytest
from admin_harness import PASSWORD, make_app
from sqlalchemy import select

from admin_web.db import get_db
from admin_web.models import LoginFailure
from admin_web.transport import trusted_proxies

OFF_LOOPBACK = {"REMOTE_ADDR": "192.0.2.40"}


def failure_addresses(app) -> list[str]:
    with app.app_context():
        return list(get_db().scalars(select(LoginFailure.address).order_by(LoginFailure.id)))


def wrong_password(client, name: str, **headers: str):
    return client.post("/login", data={"name": name, "password": "not it"}, headers=headers)


def test_behind_one_trusted_proxy_failures_count_against_the_real_client(sqlite_url, tmp_path):
    app = make_app(sqlite_url, tmp_path, TRUSTED_PROXIES=1)
    client = app.test_client()
    wrong_password(client, "a@usd999.org", **{"X-Forwarded-For": "203.0.113.7"})
    wrong_password(client, "b@usd999.org", **{"X-Forwarded-For": "10.9.8.7, 203.0.113.8"})
    # one proxy: only the address it appended counts; what the client claimed before is ignored
    assert failure_addresses(app) == ["203.0.113.7", "203.0.113.8"]


def test_without_the_setting_forwarded_addresses_are_not_believed(sqlite_url, tmp_path):
    app = make_app(sqlite_url, tmp_path)
    client = app.test_client()
    for n in range(3):
        wrong_password(client, f"{n}@usd999.org", **{"X-Forwarded-For": f"203.0.113.{n}"})
    assert failure_addresses(app) == ["127.0.0.1"] * 3


def test_guessing_from_one_address_is_throttled_and_another_address_is_not(sqlite_url, tmp_path):
    app = make_app(sqlite_url, tmp_path, TRUSTED_PROXIES=1, LOGIN_ATTEMPTS=1)
    client = app.test_client()
    statuses = [
        wrong_password(client, f"{n}@usd999.org", **{"X-Forwarded-For": "203.0.113.9"}).status_code
        for n in range(6)
    ]
    assert statuses[0] == 401 and statuses[-1] == 429
    other = wrong_password(client, "x@usd999.org", **{"X-Forwarded-For": "203.0.113.10"})
    assert other.status_code == 401


def test_the_forwarded_https_scheme_lets_sign_in_through(sqlite_url, tmp_path):
    app = make_app(sqlite_url, tmp_path, TRUSTED_PROXIES=1, SESSION_COOKIE_SECURE=True)
    client = app.test_client()
    forwarded = {"X-Forwarded-For": "198.51.100.4", "X-Forwarded-Proto": "https"}
    page = client.get("/login", headers=forwarded, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert page.status_code == 200 and 'name="password"' in page.get_data(as_text=True)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sign_in_over_plain_http_off_loopback_explains_tls(sqlite_url, tmp_path, method):
    app = make_app(sqlite_url, tmp_path, SESSION_COOKIE_SECURE=True, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    form = {"name": "admin@usd999.org", "password": PASSWORD}
    response = client.open(
        "/login", method=method, data=form if method == "POST" else None, environ_base=OFF_LOOPBACK
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Sign-in needs HTTPS" in page and "STAFFGUARD_TRUSTED_PROXIES" in page
    assert "CSRF" not in page


def test_on_this_machine_plain_http_still_signs_in(sqlite_url, tmp_path):
    app = make_app(sqlite_url, tmp_path, SESSION_COOKIE_SECURE=True)
    response = app.test_client().get("/login")
    assert response.status_code == 200 and 'name="password"' in response.get_data(as_text=True)


def test_a_stale_form_over_https_gets_a_page_not_a_bare_400(sqlite_url, tmp_path):
    app = make_app(sqlite_url, tmp_path, SESSION_COOKIE_SECURE=True, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    response = client.post(
        "/login", base_url="https://staffguard.usd999.org", environ_base=OFF_LOOPBACK, data={}
    )
    assert response.status_code == 400
    assert "reload it and try again" in response.get_data(as_text=True)


@pytest.mark.parametrize("value", ["-1", "one", "1.5"])
def test_a_bad_trusted_proxies_value_is_refused_with_its_name(value):
    with pytest.raises(ValueError, match="STAFFGUARD_TRUSTED_PROXIES"):
        trusted_proxies(value)
