"""The sponsor's duties in the register: costs and their approval, yearly reviews, flags."""

from __future__ import annotations

import datetime as dt
import io

from admin_web.db import get_db
from admin_web.duties import account_duties, review_key
from admin_web.models import Account
from admin_web.models_iibgc import AccountReview


def _approve_a_request_with_costs(client, auth) -> None:
    client.post(
        "/requests/new",
        data={
            "requester": "coach@usd999.org",
            "platform_id": "instagram",
            "purpose": "Game schedules",
            "audience": "parents",
            "account_name": "lincoln_athletics",
            "officials": "principal@usd999.org\nauditor@usd999.org",
            "costs": "Canva Pro: 120.00\nScheduler: $30.50",
        },
    )
    auth.login("approver")
    client.post("/requests/1", data={"decision": "approve"})


def test_the_register_shows_itemized_costs_and_who_approved_them(client, auth):
    _approve_a_request_with_costs(client, auth)
    page = client.get("/lists/approvals").get_data(as_text=True)
    assert "Canva Pro: $120.00" in page and "Scheduler: $30.50" in page
    assert "$150.50</strong>, approved by approver@usd999.org" in page


def test_unknown_sponsor_and_officials_are_flagged_until_on_the_roster(app, client, auth):
    _approve_a_request_with_costs(client, auth)
    page = client.get("/lists/approvals").get_data(as_text=True)
    assert "sponsor coach@usd999.org is not a known user" in page
    assert "official principal@usd999.org is not a known user" in page
    assert "official auditor@usd999.org" not in page  # an admin-site user
    auth.login()
    roster = (
        "email,name,building,role\ncoach@usd999.org,C,LHS,coach\nprincipal@usd999.org,P,LHS,admin\n"
    )
    client.post("/training/roster", data={"roster": (io.BytesIO(roster.encode()), "r.csv")})
    page = client.get("/lists/approvals").get_data(as_text=True)
    assert "is not a known user" not in page


def test_reviews_are_due_yearly_and_overdue_ones_flagged(app, client, auth):
    _approve_a_request_with_costs(client, auth)
    with app.app_context():
        db = get_db()
        [duty] = account_duties(db)
        assert duty.review_due == dt.date.today() + dt.timedelta(days=365)
        assert duty.review_status == "current"
        [late] = account_duties(db, today=dt.date.today() + dt.timedelta(days=400))
        assert late.review_status == "overdue"
        assert any(f.startswith("review overdue since") for f in late.flags)
        db.add(
            Account(platform="facebook", handle="old_page", sponsor="x@usd999.org", officials=[])
        )
        db.commit()
        old = next(d for d in account_duties(db) if d.account.handle == "old_page")
        assert old.review_status == "never reviewed"
        assert "no designated officials with admin access" in old.flags


def test_the_sponsor_reviews_by_link_and_a_failed_check_is_flagged(app, client, auth):
    _approve_a_request_with_costs(client, auth)
    auth.logout()
    with app.app_context():
        account = get_db().query(Account).one()
        key = review_key(app.config["SECRET_KEY"], account)
        account_id = account.id
    assert client.get(f"/lists/accounts/{account_id}/review?key=wrong").status_code == 403
    form = {"key": key, "officials_have_access": "1", "monitored": "1", "note": "fine"}
    response = client.post(f"/lists/accounts/{account_id}/review", data=form)
    assert response.status_code == 302
    with app.app_context():
        db = get_db()
        review = db.query(AccountReview).one()
        assert review.reviewer == "coach@usd999.org" and review.one_way_only is False
        [duty] = account_duties(db, today=dt.date.today() + dt.timedelta(days=400))
        assert "last review: the account does not post one-way only" in duty.flags
        assert any(f.startswith("review overdue since") for f in duty.flags)
    auth.login("approver")
    page = client.get("/lists/approvals").get_data(as_text=True)
    assert "by coach@usd999.org" in page and "the account does not post one-way only" in page


def test_an_approver_records_a_review_for_the_sponsor_and_auditors_cannot(app, client, auth):
    _approve_a_request_with_costs(client, auth)
    auth.login("auditor")
    assert client.post("/lists/accounts/1/review", data={"monitored": "1"}).status_code == 403
    auth.login("approver")
    page = client.get("/lists/accounts/1/review").get_data(as_text=True)
    assert "Review link for the sponsor" in page
    client.post(
        "/lists/accounts/1/review",
        data={"officials_have_access": "1", "monitored": "1", "one_way_only": "1"},
    )
    with app.app_context():
        [duty] = account_duties(get_db())
        assert duty.last_review is not None
        assert duty.last_review.reviewer == "approver@usd999.org (for coach@usd999.org)"
        assert not [f for f in duty.flags if f.startswith("last review")]


def test_a_disabled_official_is_flagged(app, client, auth, monkeypatch):
    """With a ``disabled`` column (admin14's schema) it is set; before it, it is simulated."""
    from admin_web.models import User

    _approve_a_request_with_costs(client, auth)
    with app.app_context():
        db = get_db()
        if "disabled" in User.__table__.columns:
            db.query(User).filter_by(name="auditor@usd999.org").one().disabled = True
            db.commit()
        else:
            official = property(lambda u: u.name == "auditor@usd999.org")
            monkeypatch.setattr(User, "disabled", official, raising=False)
        [duty] = account_duties(db)
        assert "official auditor@usd999.org is disabled in StaffGuard" in duty.flags
