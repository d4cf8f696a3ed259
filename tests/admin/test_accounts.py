"""An admin account's whole life, per role: only admins delete accounts and reset passwords,
everyone changes their own password with the current one, a reset password only leads to
choosing a new one, and the command line keeps the same rules."""

from __future__ import annotations

import re
import sqlite3

import pytest
from admin_harness import PASSWORD
from test_admin_cli import run

from admin_web.db import get_db
from admin_web.models import AuditRecord, User

NEW = "a brand new passphrase"


def user_id(app, role: str) -> int:
    with app.app_context():
        return get_db().query(User).filter_by(name=f"{role}@usd999.org").one().id


@pytest.mark.parametrize("role", ["approver", "auditor"])
def test_only_admins_delete_accounts_or_reset_passwords(app, client, auth, role):
    auth.login(role)
    target = user_id(app, "auditor" if role == "approver" else "approver")
    assert client.post(f"/users/{target}/delete").status_code == 403
    assert client.post(f"/users/{target}/reset-password").status_code == 403
    assert client.post(f"/users/{target}", data={"role": "admin"}).status_code == 403
    with app.app_context():
        assert get_db().get(User, target) is not None


def test_an_admin_deletes_an_account_and_its_sessions_end(app, client, auth):
    approver = app.test_client()
    approver.post("/login", data={"name": "approver@usd999.org", "password": PASSWORD})
    assert approver.get("/requests/").status_code == 200
    auth.login("admin")
    target = user_id(app, "approver")
    assert client.post(f"/users/{target}/delete").status_code == 302
    assert approver.get("/requests/").status_code == 302  # back to sign-in
    with app.app_context():
        assert get_db().get(User, target) is None
        audit = get_db().query(AuditRecord).filter_by(target="approver@usd999.org").one()
        assert audit.actor == "admin@usd999.org" and audit.after is None
    # not oneself, and never the last active admin
    me = user_id(app, "admin")
    client.post(f"/users/{me}/delete")
    with app.app_context():
        assert get_db().get(User, me) is not None


def test_a_reset_password_is_shown_once_and_only_leads_to_choosing_a_new_one(app, client, auth):
    auditor = app.test_client()
    auditor.post("/login", data={"name": "auditor@usd999.org", "password": PASSWORD})
    auth.login("admin")
    page = client.post(f"/users/{user_id(app, 'auditor')}/reset-password").get_data(as_text=True)
    one_time = re.search(r'id="one-time-password">([^<]+)<', page).group(1)
    assert one_time not in client.get("/users").get_data(as_text=True)
    assert auditor.get("/log").status_code == 302  # the old session ended
    assert (
        auditor.post(
            "/login", data={"name": "auditor@usd999.org", "password": PASSWORD}
        ).status_code
        == 401
    )
    auditor.post("/login", data={"name": "auditor@usd999.org", "password": one_time})
    assert auditor.get("/log").headers["Location"].endswith("/account/password")
    changed = auditor.post(
        "/account/password", data={"current": one_time, "new": NEW, "repeat": NEW}
    )
    assert changed.status_code == 302
    assert auditor.get("/log").status_code == 200  # this browser stays signed in


@pytest.mark.parametrize("role", ["admin", "approver", "auditor"])
def test_everyone_changes_their_own_password_with_the_current_one(app, role):
    browser = app.test_client()
    other = app.test_client()
    for signed_in in (browser, other):
        signed_in.post("/login", data={"name": f"{role}@usd999.org", "password": PASSWORD})
    wrong = browser.post(
        "/account/password", data={"current": "not it at all", "new": NEW, "repeat": NEW}
    )
    assert wrong.status_code == 400 and "current password is wrong" in wrong.get_data(as_text=True)
    short = browser.post(
        "/account/password", data={"current": PASSWORD, "new": "short", "repeat": "short"}
    )
    assert short.status_code == 400
    differ = browser.post(
        "/account/password", data={"current": PASSWORD, "new": NEW, "repeat": NEW + "x"}
    )
    assert differ.status_code == 400
    ok = browser.post("/account/password", data={"current": PASSWORD, "new": NEW, "repeat": NEW})
    assert ok.status_code == 302
    assert browser.get("/log").status_code == 200
    assert other.get("/log").status_code == 302  # the other sign-in has ended
    fresh = app.test_client()
    assert (
        fresh.post("/login", data={"name": f"{role}@usd999.org", "password": NEW}).status_code
        == 302
    )


def test_the_command_line_runs_the_same_lifecycle(tmp_path):
    def users(*args: str, stdin: str = ""):
        return run(["users", *args], tmp_path, stdin)

    assert (
        users("add", "it@usd999.org", "--role", "admin", stdin="long enough pw\n").returncode == 0
    )
    assert (
        users("add", "t@usd999.org", "--role", "auditor", stdin="long enough pw\n").returncode == 0
    )
    assert users("role", "t@usd999.org", "approver").returncode == 0
    assert users("disable", "t@usd999.org").returncode == 0
    db = tmp_path / "db.sqlite3"

    def row(name: str):
        with sqlite3.connect(db) as connection:
            query = "SELECT role, disabled, must_change_password FROM users WHERE name = ?"
            return connection.execute(query, (name,)).fetchone()

    assert row("t@usd999.org") == ("approver", 1, 0)
    assert users("enable", "t@usd999.org").returncode == 0
    reset = users("reset-password", "t@usd999.org")
    assert reset.returncode == 0 and len(reset.stdout.splitlines()[-1]) >= 12
    assert row("t@usd999.org") == ("approver", 0, 1)
    last_admin = users("disable", "it@usd999.org")
    assert last_admin.returncode == 2 and "one active admin" in last_admin.stderr
    assert users("delete", "it@usd999.org").returncode == 2
    assert users("delete", "nobody@usd999.org").returncode == 2
    assert users("delete", "t@usd999.org").returncode == 0
    assert row("t@usd999.org") is None
