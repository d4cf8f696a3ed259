"""Mail about permission requests, through the one SMTP helper (``mailer.send_all``).

Approvers hear of each new request; the requester hears of the decision, with the status link;
and staff who lost their links ask for them by mail (the page never shows them: only the
mailbox owner may follow a request). Approvers' addresses are the enabled admin-site users with
role approver or admin whose user name is an email address. With no mail server set, every
message waits in the outbox shown on the training page (rows of ``Reminder`` with period
``requests``). Mail trouble never stops a request or a decision: it is logged loudly.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

from flask import current_app, url_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .mailer import send_all
from .models import PermissionRequest, User, utcnow
from .models_iibgc import Reminder

log = logging.getLogger("staffguard.admin")
PERIOD = "requests"  # the outbox rows' period, telling them from training reminders
MINE = "Your permission requests"  # the subject of the links mail
_EMAIL = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,}\Z")


def approver_emails(db: Session) -> list[str]:
    names = db.scalars(
        select(User.name).where(User.role.in_(("approver", "admin")), User.disabled.is_(False))
    )
    return sorted({n.lower() for n in names if _EMAIL.match(n)})


def _link(record: PermissionRequest) -> str:
    return url_for("permissions.status", key=record.key, _external=True)


def _send(db: Session, messages: list[tuple[str, str, str]]) -> dict[str, str]:
    """Send, and keep each message's fate (outbox, failed, sent) next to the reminders."""
    try:
        results = send_all(messages)
    except Exception as error:  # fail open: a request is never lost to a mail fault
        log.exception("request mail failed")
        results = {to: f"failed: {error}" for to, _, _ in messages}
    subjects = {to: subject for to, subject, _ in messages}
    for to, status in results.items():
        detail = f"{status} ({subjects[to]})"[:2000]
        db.add(Reminder(email=to[:200], period=PERIOD, status=status.split(":")[0], detail=detail))
    return results


def new_request(db: Session, record: PermissionRequest) -> dict[str, str]:
    review = url_for("permissions.decide", request_id=record.id, _external=True)
    subject = f"Permission request: {record.platform_id} from {record.requester}"
    body = (
        f"{record.requester} asks to use {record.platform_id} as {record.account_name!r}.\n\n"
        f"Purpose: {record.purpose}\nAudience: {record.audience}\n\nReview it: {review}\n"
    )
    return _send(db, [(to, subject, body) for to in approver_emails(db)])


def decided(db: Session, record: PermissionRequest) -> dict[str, str]:
    subject = f"Your permission request for {record.platform_id} was {record.status}"
    reason = f"\nReason: {record.decision_reason}\n" if record.decision_reason else ""
    body = (
        f"Your request to use {record.platform_id} as {record.account_name!r} was "
        f"{record.status} by {record.decided_by}.\n{reason}\nStatus: {_link(record)}\n"
    )
    return _send(db, [(record.requester, subject, body)])


def my_requests(db: Session, requester: str) -> dict[str, str]:
    """Mail the requester the links to all their requests: nothing when they have none, and
    at most REQUEST_LIMIT such mails an hour per address, so the form cannot flood a mailbox."""
    count, seconds = current_app.config["REQUEST_LIMIT"]
    since = utcnow() - dt.timedelta(seconds=seconds)
    recent = db.scalar(
        select(func.count())
        .select_from(Reminder)
        .where(Reminder.email == requester, Reminder.period == PERIOD, Reminder.at >= since)
        .where(Reminder.detail.like(f"%({MINE})"))
    )
    if (recent or 0) >= count:
        log.warning("request links for %s not mailed again: %s in the last hour", requester, count)
        return {}
    records = db.scalars(
        select(PermissionRequest)
        .where(PermissionRequest.requester == requester)
        .order_by(PermissionRequest.created_at)
        .limit(200)
    ).all()
    if not records:
        return {}
    lines = [
        f"- {r.created_at:%Y-%m-%d} {r.platform_id} ({r.account_name}): {r.status}\n  {_link(r)}"
        for r in records
    ]
    body = "Your permission requests:\n\n" + "\n".join(lines) + "\n"
    return _send(db, [(requester, MINE, body)])
