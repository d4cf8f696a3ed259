"""Training and acknowledgment ("the superintendent or designee shall provide training …
periodically thereafter"): the staff page, the admins' completion view, reminders, and
``GET /api/v1/training/status`` for the proxy and the extension.

Staff reach ``/training`` by link and identify themselves by email, or sign in with the
district's SSO (``/training/sso``, a staff identity only: see sso.py); nothing else about them
is asked. The district edits the sections shown below the policy's own text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import select

from . import staff
from .api import authorized
from .auth import role_required
from .db import get_db
from .inputs import json_body
from .log import defuse
from .mailer import send_all
from .models import AuditRecord
from .models_iibgc import Reminder, TrainingSection

bp = Blueprint("training", __name__)
API_VIAS = ("proxy", "extension")  # how an acknowledgment made through the API can say it came
# The calls the proxy and the extension make with a bearer token: exempt from CSRF tokens as
# the API is (app.py), so a blueprint of their own.
api_bp = Blueprint("training_api", __name__)
CSV_FIELDS = (
    "email", "name", "building", "role", "period", "acknowledged_at", "policy_revision", "via",
)  # fmt: skip


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n\n") if p.strip()]


@bp.route("/training", methods=["GET", "POST"])
def page() -> Any:
    db = get_db()
    period = staff.current_period(db)
    problem, done = None, None
    # Signed in by the district's SSO (sso.py): that address, whatever a form or link says.
    signed_in = session.get("staff_email")
    email = signed_in or request.values.get("email", "").strip().lower()
    if request.method == "POST":
        name = request.form.get("name", "").strip()[:200] or session.get("staff_name", "")
        problem = staff.email_problem(db, email)
        if not problem and not request.form.get("read"):
            problem = "tick the box to say you have read the policy and the district's sections"
        if not problem:
            done = staff.acknowledge(db, email, name, period, "sso" if signed_in else "page")
            db.commit()
    elif email and not staff.email_problem(db, email):
        done = staff.acknowledgment(db, email, period)
        if done is not None and done.policy_revision != staff.policy_revision(db):
            done = None
    return render_template(
        "training.html",
        policy=_paragraphs(staff.policy_text()),
        sections=db.scalars(
            select(TrainingSection).order_by(TrainingSection.position, TrainingSection.id)
        ).all(),
        period=period,
        revision=staff.policy_revision(db),
        email=email,
        signed_in=signed_in,
        done=done,
        problem=problem,
    ), (400 if problem else 200)


@bp.get("/training/manage")
@role_required("approver", "auditor")
def manage() -> Any:
    db = get_db()
    period = request.args.get("period") or staff.current_period(db)
    everyone = staff.people(db, period)
    outbox = db.scalars(
        select(Reminder).where(Reminder.status != "sent").order_by(Reminder.at.desc()).limit(50)
    ).all()
    config = staff.settings(db)
    return render_template(
        "training_manage.html",
        period=period,
        everyone=everyone,
        by_building=staff.completion(everyone, "building"),
        by_role=staff.completion(everyone, "role"),
        by_via=staff.by_via(everyone),
        sections=db.scalars(
            select(TrainingSection).order_by(TrainingSection.position, TrainingSection.id)
        ).all(),
        config=config,
        buildings_text="\n".join(f"{d} = {b}" for d, b in config["domain_buildings"].items()),
        revision=staff.policy_revision(db),
        outbox=outbox,
        link=url_for("training.page", _external=True),
    )


def _audit(kind: str, target: str, after: Any) -> None:
    get_db().add(AuditRecord(actor=g.user.name, kind=kind, target=target, before=None, after=after))


@bp.post("/training/sections")
@role_required("admin")
def sections() -> Any:
    db = get_db()
    form = request.form
    if form.get("remove"):
        row = db.get(TrainingSection, int(form["remove"]))
        if row is not None:
            db.delete(row)
            _audit("training section removed", row.title, None)
    else:
        title, body = form.get("title", "").strip(), form.get("body", "").strip()
        if not title or not body:
            flash("A section needs a title and a text.", "error")
            return redirect(url_for("training.manage"))
        row = db.get(TrainingSection, int(form["id"])) if form.get("id") else None
        if row is None:
            row = TrainingSection(title=title, body=body)
            db.add(row)
        row.title, row.body = title[:200], body
        position = form.get("position", "0").strip()
        row.position = int(position) if position.lstrip("-").isdigit() else 0
        row.updated_by = g.user.name
        row.updated_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        _audit("training section", title[:200], {"position": row.position})
    db.commit()
    flash("Training page saved.", "ok")
    return redirect(url_for("training.manage"))


@bp.post("/training/settings")
@role_required("admin")
def settings() -> Any:
    db = get_db()
    form = request.form
    buildings: dict[str, str] = {}
    for line in form.get("domain_buildings", "").splitlines():
        domain, _, building = line.partition("=")
        if domain.strip() and building.strip():
            buildings[domain.strip().lower().lstrip("@")] = building.strip()
    month = form.get("period_start_month", "7").strip()
    values = {
        "training_domains": [
            d.strip().lower().lstrip("@")
            for d in form.get("training_domains", "").split()
            if d.strip()
        ],
        "domain_buildings": buildings,
        "period_start_month": int(month) if month.isdigit() and 1 <= int(month) <= 12 else 7,
        "policy_revision": form.get("policy_revision", "").strip()[:100],
    }
    staff.save_settings(db, values)
    _audit("training settings", "training", values)
    db.commit()
    flash("Training settings saved.", "ok")
    return redirect(url_for("training.manage"))


@bp.post("/training/roster")
@role_required("admin")
def roster() -> Any:
    db = get_db()
    upload = request.files.get("roster")
    text = upload.read().decode("utf-8", "replace") if upload else request.form.get("csv", "")
    count, problems = staff.import_roster(db, text, replace=bool(request.form.get("replace")))
    if problems:
        db.rollback()
        for problem in problems[:20]:
            flash(problem, "error")
        return redirect(url_for("training.manage"))
    _audit("roster import", "roster", {"rows": count})
    db.commit()
    flash(f"Roster imported: {count} staff.", "ok")
    return redirect(url_for("training.manage"))


@bp.get("/training/completion.csv")
@role_required("approver", "auditor")
def export() -> Response:
    db = get_db()
    period = request.args.get("period") or staff.current_period(db)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_FIELDS)
    for p in staff.people(db, period):
        ack = p.acknowledged
        writer.writerow(
            [
                defuse(v)
                for v in (
                    p.email,
                    p.name,
                    p.building,
                    p.role,
                    period,
                    ack.at.isoformat() + "Z" if ack else "",
                    ack.policy_revision if ack else "",
                    ack.via if ack else "",
                )
            ]
        )
    return Response(
        buffer.getvalue(),
        200,
        {
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f"attachment; filename=staffguard-training-{period}.csv",
        },
    )


@bp.post("/training/remind")
@role_required("approver")
def remind() -> Any:
    """Remind everyone on the roster who has not acknowledged this period."""
    db = get_db()
    period = staff.current_period(db)
    due = [p for p in staff.people(db, period) if p.acknowledged is None]
    messages = [
        (
            p.email,
            "Please read and acknowledge the staff social media policy (IIBGC)",
            f"Hello {p.name or p.email},\n\nPlease read the district's staff social media "
            f"policy and acknowledge it for {period}:\n\n"
            f"{url_for('training.page', email=p.email, _external=True)}\n\nIt takes a few minutes.",
        )
        for p in due
    ]
    results = send_all(messages)
    for email, status in results.items():
        db.add(Reminder(email=email, period=period, status=status.split(":")[0], detail=status))
    _audit("training reminders", period, {"count": len(results)})
    db.commit()
    sent = sum(1 for s in results.values() if s == "sent")
    held = sum(1 for s in results.values() if s == "outbox")
    failed = len(results) - sent - held
    flash(
        f"Reminders: {sent} sent, {held} kept in the outbox (no mail server set: "
        f"STAFFGUARD_SMTP_HOST), {failed} failed.",
        "warning" if held or failed else "ok",
    )
    return redirect(url_for("training.manage"))


def _api_user(user: Any) -> tuple[str, str, Any]:
    """The staff member a proxy or device asks about (a device: its own user only) and the
    asker's token scope, or the error answer to give instead."""
    token = authorized("proxy", "device")
    assert token is not None  # authorized() answers 401/403 itself
    if not isinstance(user, str) or not user.strip():
        return "", "", (jsonify(error="user is required (the staff member's email)"), 400)
    user = user.strip().lower()
    if token.scope == "device" and user != (token.user or "").strip().lower():
        get_db().commit()  # its last use still counts
        message = f"this device token is bound to {token.user}; it may not ask about {user}"
        return "", "", (jsonify(error=message), 403)
    return user, token.scope, None


def _status(user: str) -> dict[str, Any]:
    db = get_db()
    period = staff.current_period(db)
    in_scope = staff.email_problem(db, user) is None
    ack = staff.acknowledgment(db, user, period)
    return {
        "user": user,
        "period": period,
        "in_scope": in_scope,
        "due": in_scope and staff.is_due(db, user, period),
        "acknowledged_at": ack.at.isoformat() + "Z" if ack else None,
        "policy_revision": staff.policy_revision(db),
        "url": url_for("training.page", email=user, _external=True),
    }


@api_bp.get("/api/v1/training/status")
def status() -> Any:
    """Whether ``user`` owes an acknowledgment: the proxy's interstitial and the extension ask
    this before showing a one-time "read and acknowledge" step. Proxy and device tokens; a
    device token for its own user only."""
    user, _, refusal = _api_user(request.args.get("user", ""))
    if refusal is not None:
        return refusal
    body = _status(user)
    get_db().commit()  # the token's last use
    return body


@api_bp.post("/api/v1/training/acknowledgments")
def acknowledge_api() -> Any:
    """The one-time step's "Acknowledge": ``{"user": email, "via": "proxy" | "extension"}``
    from the proxy (for the user it authenticated) or the extension, recorded with the time,
    the policy revision in force and how it was made, as the training page records one.
    ``via`` defaults to ``proxy`` (proxies before it was sent); a device token is always
    ``extension``, whatever it says (a fleet's extensions may share a proxy-scope token, so
    the scope alone cannot tell). Answers the new status (201)."""
    body = json_body()
    user, scope, refusal = _api_user(body.get("user") if isinstance(body, dict) else None)
    if refusal is not None:
        return refusal
    db = get_db()
    problem = staff.email_problem(db, user)
    if problem:
        return jsonify(error=f"user {user!r}: {problem}"), 400
    via = body.get("via", "proxy")
    if via not in API_VIAS:
        return jsonify(error=f"via {via!r}: one of {', '.join(API_VIAS)} (or left out)"), 400
    if scope == "device":
        via = "extension"
    staff.acknowledge(db, user, "", staff.current_period(db), via)
    answer = _status(user)
    db.commit()
    return answer, 201
