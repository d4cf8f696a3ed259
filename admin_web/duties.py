"""The sponsor's duties on approved accounts (IIBGC steps 2–4), as the register shows them.

Each account's yearly review (officials still hold admin access, the account is monitored, it
posts one-way only), the itemized costs of the permission request it came from and who approved
them, and flags for what needs attention. An account is matched to its request by platform,
account name and sponsor, exactly as ``permissions.decide`` writes it on approval.

The users table has no "disabled" flag yet: a sponsor or official is flagged when they are
neither an admin-site user nor on the staff roster, and as disabled when a later schema marks
the user so (``disabled``, ``disabled_at`` or ``active``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Account, PermissionRequest, User
from .models_iibgc import AccountReview, RosterEntry

REVIEW_EVERY = dt.timedelta(days=365)


@dataclass
class AccountDuty:
    account: Account
    request: PermissionRequest | None
    last_review: AccountReview | None
    review_due: dt.date | None  # None: never reviewed and no approval date to count from
    flags: list[str] = field(default_factory=list)

    @property
    def costs_total(self) -> str:
        costs = self.request.costs if self.request else []
        return f"{sum((Decimal(c['amount']) for c in costs), Decimal('0')):.2f}"

    @property
    def review_status(self) -> str:
        if self.review_due is None:
            return "never reviewed"
        return "overdue" if "review overdue" in " ".join(self.flags) else "current"


def review_key(secret: str, account: Account) -> str:
    """The sponsor's review link key: tied to the account and its sponsor, never stored."""
    message = f"review:{account.id}:{account.sponsor}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def _people(db: Session) -> tuple[dict[str, User], set[str]]:
    users = {u.name: u for u in db.scalars(select(User))}
    roster = set(db.scalars(select(RosterEntry.email)))
    return users, roster


def _disabled(user: User) -> bool:
    """Whichever way a later schema marks a disabled user (none does yet)."""
    return bool(
        getattr(user, "disabled", False)
        or getattr(user, "disabled_at", None) is not None
        or getattr(user, "active", True) is False
    )


def _person_flag(who: str, what: str, users: dict[str, User], roster: set[str]) -> str | None:
    email = who.strip().lower()
    user = users.get(email)
    if user is not None and _disabled(user):
        return f"{what} {who} is disabled in StaffGuard"
    if user is None and email not in roster:
        return f"{what} {who} is not a known user (not an admin-site user, not on the roster)"
    return None


def account_duties(db: Session, today: dt.date | None = None) -> list[AccountDuty]:
    today = today or dt.date.today()
    users, roster = _people(db)
    approved = {
        (r.platform_id, r.account_name, r.requester): r
        for r in db.scalars(
            select(PermissionRequest)
            .where(PermissionRequest.status == "approved")
            .order_by(PermissionRequest.decided_at)
        )
    }
    reviews: dict[int, AccountReview] = {}
    for review in db.scalars(select(AccountReview).order_by(AccountReview.at)):
        reviews[review.account_id] = review  # the newest wins
    rows = []
    for account in db.scalars(select(Account).order_by(Account.platform, Account.handle)):
        request = approved.get((account.platform, account.handle, account.sponsor))
        last = reviews.get(account.id)
        start = last.at if last else (request.decided_at if request else None)
        due = (start + REVIEW_EVERY).date() if start else None
        duty = AccountDuty(account, request, last, due)
        if due is None:
            duty.flags.append("never reviewed: the sponsor's yearly review is due")
        elif due < today:
            duty.flags.append(f"review overdue since {due.isoformat()}")
        if not account.officials:
            duty.flags.append("no designated officials with admin access")
        for flag in [
            _person_flag(account.sponsor, "sponsor", users, roster),
            *(_person_flag(o, "official", users, roster) for o in account.officials),
        ]:
            if flag:
                duty.flags.append(flag)
        if last is not None:
            for ok, what in (
                (last.officials_have_access, "officials no longer have admin access"),
                (last.monitored, "the account is not monitored"),
                (last.one_way_only, "the account does not post one-way only"),
            ):
                if not ok:
                    duty.flags.append(f"last review: {what}")
        rows.append(duty)
    return rows


def record_review(db: Session, account: Account, reviewer: str, form: Any) -> AccountReview:
    review = AccountReview(
        account_id=account.id,
        reviewer=reviewer,
        officials_have_access=bool(form.get("officials_have_access")),
        monitored=bool(form.get("monitored")),
        one_way_only=bool(form.get("one_way_only")),
        note=str(form.get("note", "")).strip()[:2000],
    )
    db.add(review)
    return review
