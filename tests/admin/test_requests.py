"""Permission requests (IIBGC steps 1-3): staff ask, the superintendent decides."""

from __future__ import annotations

import re

from sqlalchemy import select

from admin_web.db import get_db
from admin_web.models import Account, PermissionRequest

REQUEST = {
    "requester": "coach@usd999.org",
    "platform_id": "instagram",
    "purpose": "Game schedules and results for parents",
    "audience": "parents and community",
    "account_name": "lincolnhigh_athletics",
    "officials": "ad@usd999.org\nprincipal@usd999.org",
    "costs": "Scheduling tool: $120.00",
}


def submit(client) -> str:
    response = client.post("/requests/new", data=REQUEST)
    assert response.status_code == 302
    return response.headers["Location"]


def test_sign_up_warnings_link_to_a_prefilled_form(client):
    page = client.get("/requests/new?platform=tiktok").get_data(as_text=True)
    assert re.search(r'<option value="tiktok" selected>', page)


def test_a_request_is_approved_and_the_account_registered(client, auth):
    status_url = submit(client)
    assert "pending" in client.get(status_url).get_data(as_text=True)
    auth.login("approver")
    queue = client.get("/requests/").get_data(as_text=True)
    assert "coach@usd999.org" in queue
    with client.application.app_context():
        record = get_db().scalar(select(PermissionRequest))
        assert record.costs == [{"item": "Scheduling tool", "amount": "120.00"}]
    answer = client.post(
        f"/requests/{record.id}", data={"decision": "approve"}, follow_redirects=True
    )
    assert "not yet board-approved" in answer.get_data(as_text=True)
    with client.application.app_context():
        account = get_db().scalar(select(Account))
    assert (account.platform, account.handle, account.sponsor) == (
        "instagram",
        "lincolnhigh_athletics",
        "coach@usd999.org",
    )
    assert account.officials == ["ad@usd999.org", "principal@usd999.org"]
    auth.logout()
    assert "approved" in client.get(status_url).get_data(as_text=True)


def test_a_denial_needs_a_reason_the_requester_can_read(client, auth):
    status_url = submit(client)
    auth.login("approver")
    with client.application.app_context():
        record_id = get_db().scalar(select(PermissionRequest.id))
    client.post(f"/requests/{record_id}", data={"decision": "deny"})
    with client.application.app_context():
        assert get_db().get(PermissionRequest, record_id).status == "pending"
    client.post(f"/requests/{record_id}", data={"decision": "deny", "reason": "Use ParentSquare"})
    auth.logout()
    page = client.get(status_url).get_data(as_text=True)
    assert "denied" in page and "Use ParentSquare" in page


def test_an_incomplete_request_says_what_is_missing(client):
    response = client.post("/requests/new", data={**REQUEST, "purpose": "", "costs": "lots"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "required" in page and "item: amount" in page


def test_auditors_see_but_cannot_decide(client, auth):
    submit(client)
    auth.login("auditor")
    with client.application.app_context():
        record_id = get_db().scalar(select(PermissionRequest.id))
    assert client.get(f"/requests/{record_id}").status_code == 200
    assert client.post(f"/requests/{record_id}", data={"decision": "approve"}).status_code == 403
