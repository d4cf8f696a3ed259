"""Signing in and out (issue 14): same-site redirects only, sessions that really end, answers
that do not tell which accounts exist, and throttling nobody can turn against someone else."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from admin_harness import PASSWORD
from sqlalchemy import select

from admin_web import auth as auth_module
from admin_web.db import get_db
from admin_web.models import LoginFailure, User

ADMIN = {"name": "admin@usd999.org", "password": PASSWORD}


def sign_in(client, next_url: str | None = None, address: str = "10.0.0.1", **form):
    return client.post(
        "/login",
        query_string={"next": next_url} if next_url is not None else None,
        data={**ADMIN, **form},
        environ_base={"REMOTE_ADDR": address},
    )


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example/",
        "/\n/evil.example/",
        "/\\evil.example/",
        "\\/evil.example/",
        "//evil.example/",
        " //evil.example/",
        "https://evil.example/",
        "/\r\n/evil.example",
        "javascript:alert(1)",
    ],
)
def test_sign_in_never_redirects_to_another_site(client, target):
    answer = sign_in(client, target)
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/"


def test_sign_in_returns_to_the_page_asked_for_on_this_site(client):
    assert sign_in(client, "/log?user=a").headers["Location"] == "/log?user=a"


def test_a_session_cookie_copied_before_sign_out_no_longer_works(app, client, auth):
    auth.login("admin")
    copied = client.get_cookie("session").value
    assert client.get("/lists/").status_code == 200
    auth.logout()
    thief = app.test_client()
    thief.set_cookie("session", copied)
    answer = thief.get("/lists/")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]


@pytest.mark.parametrize("change", [{"role": "auditor"}, {"role": "approver", "disabled": "yes"}])
def test_changing_or_disabling_an_account_ends_its_sessions(app, client, auth, change):
    auth.login("approver")
    assert client.get("/requests/").status_code == 200
    admin = app.test_client()
    sign_in(admin)
    with app.app_context():
        approver = get_db().scalar(select(User).where(User.name == "approver@usd999.org"))
        user_id = approver.id
    assert admin.post(f"/users/{user_id}", data=change).status_code == 302
    answer = client.get("/requests/")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    again = auth.login("approver")
    assert again.status_code == (401 if change.get("disabled") else 302)


def test_the_last_admin_cannot_be_disabled(app, client):
    sign_in(client)
    with app.app_context():
        admin_id = get_db().scalar(select(User.id).where(User.name == "admin@usd999.org"))
    client.post(f"/users/{admin_id}", data={"role": "admin", "disabled": "yes"})
    assert client.get("/users").status_code == 200, "still signed in: nothing changed"


def test_unknown_accounts_cost_a_password_check_like_known_ones(client, monkeypatch):
    checked = []
    real = auth_module.check_password_hash

    def counting(hashed: str, password: str) -> bool:
        checked.append(hashed)
        return real(hashed, password)

    monkeypatch.setattr(auth_module, "check_password_hash", counting)
    unknown = sign_in(client, name="nobody@usd999.org", password="wrong password")
    known = sign_in(client, password="wrong password")
    assert unknown.status_code == known.status_code == 401
    assert without_token(unknown.text) == without_token(known.text)
    assert len(checked) == 2 and checked[0].split("$")[0] == checked[1].split("$")[0]


def test_failed_guesses_from_one_address_do_not_lock_the_account_elsewhere(client):
    for _ in range(12):
        sign_in(client, address="10.9.9.9", password="guess guess")
    assert sign_in(client, address="10.9.9.9").status_code == 429
    assert sign_in(client, address="10.0.0.1").status_code == 302, "the owner still gets in"


def test_the_wait_after_failures_doubles_and_then_lets_the_pair_try_again(app, client):
    for _ in range(5):
        assert sign_in(client, password="guess guess").status_code == 401
    first = sign_in(client)
    assert first.status_code == 429 and "wait 15 seconds" in first.get_data(as_text=True)
    with app.app_context():
        db = get_db()
        for failure in db.scalars(select(LoginFailure)):
            failure.at -= dt.timedelta(seconds=16)
        db.commit()
    assert sign_in(client, password="guess guess").status_code == 401
    assert "wait 30 seconds" in sign_in(client).get_data(as_text=True)


def without_token(page: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]*"', "", page)


def test_a_very_long_name_is_a_failed_sign_in_not_an_error(client):
    assert sign_in(client, name="x" * 5000).status_code == 401
