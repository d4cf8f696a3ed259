"""Permission requests (IIBGC steps 1-3): a staff member asks, the superintendent decides.

The form is open to staff without an admin-site account (sign-up warnings link here); the
requester follows the status on an unguessable link. Approving records the approved account
with its sponsor and designated officials, and says when the board has yet to approve the
platform itself.
"""

from __future__ import annotations

import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from .auth import role_required
from .db import get_db
from .layer import PolicyError
from .models import Account, PermissionRequest, utcnow
from .versions import commit_change, current_policy

bp = Blueprint("permissions", __name__, url_prefix="/requests")


def _costs(text: str) -> tuple[list[dict[str, str]], list[str]]:
    """Itemized costs, one 'item: amount' a line (step 3)."""
    costs, problems = [], []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        item, _, amount = line.rpartition(":")
        try:
            value = Decimal(amount.strip().lstrip("$").replace(",", ""))
        except InvalidOperation:
            problems.append(f"line {number}: write 'item: amount', e.g. 'Canva Pro: 120.00'")
            continue
        costs.append({"item": item.strip() or "cost", "amount": f"{value:.2f}"})
    return costs, problems


@bp.route("/new", methods=["GET", "POST"])
def new() -> Any:
    policy = current_policy(get_db())
    platforms = sorted(policy.compiled["platforms"], key=lambda p: p["name"].lower())
    values = dict(request.form) if request.method == "POST" else dict(request.args)
    problems: dict[str, list[str]] = {}
    if request.method == "POST":
        form = request.form
        for key in ("requester", "platform_id", "purpose", "audience", "account_name"):
            if not form.get(key, "").strip():
                problems[key] = ["required"]
        if form.get("platform_id") and form["platform_id"] not in policy.platforms:
            problems["platform_id"] = ["choose a platform from the list"]
        if "@" not in form.get("requester", ""):
            problems.setdefault("requester", []).append("your district email address")
        costs, cost_problems = _costs(form.get("costs", ""))
        if cost_problems:
            problems["costs"] = cost_problems
        if not problems:
            record = PermissionRequest(
                key=secrets.token_urlsafe(24),
                requester=form["requester"].strip().lower(),
                platform_id=form["platform_id"],
                purpose=form["purpose"].strip(),
                audience=form["audience"].strip(),
                account_name=form["account_name"].strip(),
                officials=[o.strip() for o in form.get("officials", "").splitlines() if o.strip()],
                costs=costs,
            )
            db = get_db()
            db.add(record)
            db.commit()
            return redirect(url_for("permissions.status", key=record.key))
    return render_template(
        "request_form.html", platforms=platforms, values=values, problems=problems
    ), (400 if problems else 200)


@bp.get("/status/<key>")
def status(key: str) -> Any:
    record = get_db().scalar(select(PermissionRequest).where(PermissionRequest.key == key))
    if record is None:
        abort(404)
    return render_template("request_status.html", r=record, platform=_platform(record))


def _platform(record: PermissionRequest) -> dict[str, Any]:
    for raw in current_policy(get_db()).compiled["platforms"]:
        if raw["id"] == record.platform_id:
            return dict(raw)
    return {"id": record.platform_id, "name": record.platform_id, "approved": False}


@bp.get("/")
@role_required("approver", "auditor")
def queue() -> Any:
    state = request.args.get("status", "pending")
    records = get_db().scalars(
        select(PermissionRequest)
        .where(PermissionRequest.status == state)
        .order_by(PermissionRequest.created_at)
    )
    return render_template("requests.html", records=records.all(), state=state)


@bp.route("/<int:request_id>", methods=["GET", "POST"])
@role_required("approver", "auditor")
def decide(request_id: int) -> Any:
    db = get_db()
    record = db.get(PermissionRequest, request_id)
    if record is None:
        abort(404)
    if request.method == "POST":
        if g.user.role == "auditor":
            abort(403)
        choice = request.form.get("decision")
        reason = request.form.get("reason", "").strip()
        if record.status != "pending" or choice not in ("approve", "deny"):
            flash("This request was already decided.", "error")
            return redirect(url_for("permissions.decide", request_id=request_id))
        if choice == "deny" and not reason:
            flash("Give the requester a reason for the denial.", "error")
            return redirect(url_for("permissions.decide", request_id=request_id))
        before = {"status": record.status}
        record.status = "approved" if choice == "approve" else "denied"
        record.decided_by = g.user.name
        record.decided_at = utcnow()
        record.decision_reason = reason
        if choice == "approve":
            db.add(
                Account(
                    platform=record.platform_id,
                    handle=record.account_name,
                    sponsor=record.requester,
                    officials=list(record.officials),
                )
            )
        try:
            db.flush()
            commit_change(
                db,
                g.user.name,
                f"request {record.status}",
                record.requester,
                before,
                {"status": record.status, "platform": record.platform_id},
            )
        except PolicyError as error:
            db.rollback()
            flash(f"Not saved: {error}", "error")
            return redirect(url_for("permissions.decide", request_id=request_id))
        platform = _platform(record)
        if choice == "approve" and not platform.get("approved"):
            flash(
                f"Approved, and the account is on the register. {platform['name']} is not yet "
                "board-approved: the board must approve the platform before it is used for "
                "official school purposes.",
                "warning",
            )
        else:
            flash(f"Request {record.status}.", "ok")
        return redirect(url_for("permissions.queue"))
    return render_template("request_detail.html", r=record, platform=_platform(record))
