"""Permission-request mail over a real local SMTP server: approvers hear of new requests, the
requester of the decision, and staff get their requests' links by mail only."""

from __future__ import annotations

import email
from email.policy import default

import pytest
from admin_harness import password_hash
from aiosmtpd.controller import Controller
from sqlalchemy import select

from admin_web.db import get_db
from admin_web.models import PermissionRequest, User
from admin_web.models_iibgc import Reminder
from staffguard_testkit.net import free_port, until

REQUEST = {
    "requester": "coach@usd999.org",
    "platform_id": "instagram",
    "purpose": "Game schedules and results for parents",
    "audience": "parents and community",
    "account_name": "lincolnhigh_athletics",
}


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str, str]] = []

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=default)
        body = parsed.get_body().get_content()  # type: ignore[union-attr]
        self.messages.append((list(envelope.rcpt_tos), str(parsed["Subject"]), body))
        return "250 OK"

    def wait_for(self, count: int) -> list[tuple[list[str], str, str]]:
        """The messages once ``count`` have come. The site sends within the request (the server
        has each one before the request returns), so there is no more to come after that."""
        return until(lambda: len(self.messages) >= count and self.messages, timeout=5)


@pytest.fixture
def inbox(app, monkeypatch):
    monkeypatch.delenv("STAFFGUARD_SMTP_HOST", raising=False)
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_FROM="sg@usd999.org")
    with app.app_context():
        db = get_db()
        for name, role, disabled in (
            ("super@usd999.org", "approver", False),
            ("gone@usd999.org", "approver", True),
            ("audit@usd999.org", "auditor", False),
        ):
            db.add(User(name=name, password_hash=password_hash(), role=role, disabled=disabled))
        db.commit()
    yield box
    controller.stop()


def _submit(client) -> str:
    response = client.post("/requests/new", data=REQUEST)
    assert response.status_code == 302
    return response.headers["Location"]


def _request_id(app) -> int:
    with app.app_context():
        return get_db().scalars(select(PermissionRequest.id)).one()


def test_a_new_request_mails_the_approvers(app, client, inbox):
    _submit(client)
    messages = inbox.wait_for(3)  # nobody else gets mail: not the disabled approver, the auditor
    names = ["admin@usd999.org", "approver@usd999.org", "super@usd999.org"]  # harness + ours
    assert sorted(to[0] for to, _, _ in messages) == names
    _, subject, body = messages[0]
    assert "instagram" in subject and "coach@usd999.org" in subject
    assert f"/requests/{_request_id(app)}" in body


@pytest.mark.parametrize("decision,reason", [("approve", ""), ("deny", "Use the district site")])
def test_a_decision_mails_the_requester_the_status_link(app, client, auth, inbox, decision, reason):
    status_url = _submit(client)
    inbox.wait_for(3)
    auth.login("approver")
    request_id = _request_id(app)
    client.post(f"/requests/{request_id}", data={"decision": decision, "reason": reason})
    messages = inbox.wait_for(4)
    to, subject, body = messages[3]
    assert to == ["coach@usd999.org"]
    word = "approved" if decision == "approve" else "denied"
    assert word in subject
    assert status_url.split("/requests")[1] in body and "http://" in body
    assert reason in body
    assert word in client.get(status_url).get_data(as_text=True)


def test_email_me_my_requests_mails_the_links_and_never_shows_them(app, client, inbox):
    first = _submit(client)
    second = _submit(client)
    inbox.wait_for(6)
    answer = client.post("/requests/mine", data={"requester": "Coach@usd999.org"})
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "on their way by email" in page
    key_of = lambda url: url.rsplit("/", 1)[1]  # noqa: E731
    assert key_of(first) not in page and key_of(second) not in page
    to, subject, body = inbox.wait_for(7)[6]
    assert to == ["coach@usd999.org"] and subject == "Your permission requests"
    assert key_of(first) in body and key_of(second) in body
    # an address without requests gets no mail, and the page says the same
    other = client.post("/requests/mine", data={"requester": "nobody@usd999.org"})
    assert "on their way by email" in client.get(other.headers["Location"]).get_data(as_text=True)
    assert len(inbox.messages) == 7  # sent within the request, or never


def test_without_a_mail_server_everything_waits_in_the_outbox(app, client, auth, inbox):
    app.config["SMTP_HOST"] = ""
    _submit(client)
    auth.login("approver")
    client.post(f"/requests/{_request_id(app)}", data={"decision": "approve"})
    client.post("/requests/mine", data={"requester": "coach@usd999.org"})
    assert inbox.messages == []  # sent within the request, or never
    with app.app_context():
        rows = get_db().scalars(select(Reminder).where(Reminder.period == "requests")).all()
    assert sorted((r.email, r.status) for r in rows) == [
        ("admin@usd999.org", "outbox"),
        ("approver@usd999.org", "outbox"),
        ("coach@usd999.org", "outbox"),
        ("coach@usd999.org", "outbox"),
        ("super@usd999.org", "outbox"),
    ]
    auth.login("admin")
    manage = client.get("/training/manage").get_data(as_text=True)
    assert "super@usd999.org" in manage and "Your permission requests" in manage
