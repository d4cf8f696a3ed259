"""Permission requests (IIBGC steps 1-3): a staff member asks, the superintendent decides.

The form is open to staff without an admin-site account (sign-up warnings link here); the
requester follows the status on an unguessable link. Approving records the approved account
with its sponsor and designated officials, and says when the board has yet to approve the
platform itself.

Being open, the form trusts nothing: every field has a size, costs are finite non-negative
amounts under a cap, the requester's address must be in the district's staff domains (when
the settings name them), and each address may send only a few requests an hour.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import func, select

from . import request_mail
from .auth import role_required
from .db import get_db
from .layer import PolicyError
from .models import Account, PermissionRequest, utcnow
from .versions import commit_change, current_policy

bp = Blueprint("permissions", __name__, url_prefix="/requests")
LIMITS = {"requester": 200, "platform_id": 100, "purpose": 5000, "audience": 500}
LIMITS |= {"account_name": 200, "officials": 5000, "costs": 5000, "reason": 5000}
MAX_LINES, MAX_AMOUNT, MAX_BODY = 50, Decimal(10_000_000), 64 * 1024
_AMOUNT = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,2})?\Z")
_EMAIL = re.compile(r"[^@\s]{1,64}@([a-z0-9.-]{1,190})\Z")


def _costs(text: str) -> tuple[list[dict[str, str]], list[str]]:
    """Itemized costs, one 'item: amount' a line (step 3): plain amounts such as 1,200.50,
    never NaN, Infinity, exponents or negatives, and at most MAX_AMOUNT each."""
    costs, problems = [], []
    rows = [line for line in text.splitlines() if line.strip()]
    if len(rows) > MAX_LINES:
        return [], [f"at most {MAX_LINES} lines"]
    for number, line in enumerate(rows, 1):
        item, _, amount = line.rpartition(":")
        written = amount.strip().lstrip("$").replace(",", "")
        try:
            value = Decimal(written) if _AMOUNT.match(written) else None
        except InvalidOperation:
            value = None
        if value is None or value > MAX_AMOUNT:
            problems.append(
                f"line {number}: write 'item: amount' with an amount from 0 to "
                f"{MAX_AMOUNT:,}, e.g. 'Canva Pro: 120.00'"
            )
            continue
        costs.append({"item": item.strip()[:200] or "cost", "amount": f"{value:.2f}"})
    return costs, problems


def _requester_problem(requester: str, staff_domains: list[str]) -> str | None:
    """Why this is not a staff address of the district, or None."""
    match = _EMAIL.match(requester)
    if match is None:
        return "your district email address"
    domain = match.group(1)
    if staff_domains and not any(domain == d or domain.endswith("." + d) for d in staff_domains):
        return "use your district email address (" + ", ".join(staff_domains) + ")"
    return None


def _too_many_from(address: str) -> bool:
    count, seconds = current_app.config["REQUEST_LIMIT"]
    since = utcnow() - dt.timedelta(seconds=seconds)
    sent = get_db().scalar(
        select(func.count())
        .select_from(PermissionRequest)
        .where(PermissionRequest.address == address, PermissionRequest.created_at >= since)
    )
    return (sent or 0) >= count


@bp.route("/new", methods=["GET", "POST"])
def new() -> Any:
    policy = current_policy(get_db())
    platforms = sorted(policy.compiled["platforms"], key=lambda p: p["name"].lower())
    if request.method == "POST" and (request.content_length or 0) > MAX_BODY:
        return render_template("error.html", message="This request is far too long."), 413
    source = request.form if request.method == "POST" else request.args
    values = {key: value[:5000] for key, value in source.items()}  # echoed into the form
    problems: dict[str, list[str]] = {}
    address = (request.remote_addr or "")[:64]
    if request.method == "POST" and _too_many_from(address):
        message = "Too many requests from this address; try again in an hour."
        return render_template("error.html", message=message), 429
    if request.method == "POST":
        form = request.form
        for key in ("requester", "platform_id", "purpose", "audience", "account_name"):
            if not form.get(key, "").strip():
                problems[key] = ["required"]
        for key, limit in LIMITS.items():
            if len(form.get(key, "")) > limit:
                problems.setdefault(key, []).append(f"at most {limit:,} characters")
        if form.get("platform_id") and form["platform_id"] not in policy.platforms:
            problems["platform_id"] = ["choose a platform from the list"]
        staff_domains = list(policy.settings.get("staff_domains", []))
        requester_problem = _requester_problem(
            form.get("requester", "").strip().lower(), staff_domains
        )
        if requester_problem:
            problems.setdefault("requester", []).append(requester_problem)
        officials = [o.strip() for o in form.get("officials", "").splitlines() if o.strip()]
        if len(officials) > MAX_LINES or any(len(o) > 200 for o in officials):
            problems["officials"] = [f"at most {MAX_LINES} addresses of 200 characters"]
        costs, cost_problems = _costs(form.get("costs", "")[: LIMITS["costs"]])
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
                officials=officials,
                costs=costs,
                address=address,
            )
            db = get_db()
            db.add(record)
            db.commit()
            request_mail.new_request(db, record)
            db.commit()
            return redirect(url_for("permissions.status", key=record.key))
    return render_template(
        "request_form.html", platforms=platforms, values=values, problems=problems
    ), (400 if problems else 200)


@bp.post("/mine")
def mine() -> Any:
    """Mail the requester the links to their requests; the answer is the same either way,
    so the page tells nobody whether an address has requests."""
    requester = request.form.get("requester", "")[: LIMITS["requester"]].strip().lower()
    staff_domains = list(current_policy(get_db()).settings.get("staff_domains", []))
    if _requester_problem(requester, staff_domains):
        flash("Give your district email address to get your requests' links.", "error")
        return redirect(url_for("permissions.new"))
    db = get_db()
    request_mail.my_requests(db, requester)
    db.commit()
    flash(f"If {requester} has sent requests, the links are on their way by email.", "ok")
    return redirect(url_for("permissions.new"))


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
    state = request.args.get("status", "pending")[:20]
    records = get_db().scalars(
        select(PermissionRequest)
        .where(PermissionRequest.status == state)
        .order_by(PermissionRequest.created_at)
    )
    return render_template("requests.html", records=records.all(), state=state)


@bp.route("/<int(max=2147483647):request_id>", methods=["GET", "POST"])
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
        reason = request.form.get("reason", "").strip()[: LIMITS["reason"]]
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
        request_mail.decided(db, record)
        db.commit()
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
