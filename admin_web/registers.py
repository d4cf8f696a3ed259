"""The district's registers: board approvals, approved accounts, exemptions and settings.

Like the platform editor, every change is checked by ``policy_lists`` itself, audited, and
compiles a new policy version; approvers record approvals and accounts, only admins change
exemptions and settings.
"""

from __future__ import annotations

from typing import Any

import yaml
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
from sqlalchemy import select

from .auth import role_required
from .db import get_db
from .duties import account_duties, record_review, review_key
from .inputs import int_arg
from .layer import PolicyError, problems_by_field, read_form_yaml
from .lists import lines
from .models import Account, Approval, AuditRecord, ExemptionRow, Setting
from .versions import commit_change, current_policy

bp = Blueprint("registers", __name__, url_prefix="/lists")
SETTING_FIELDS = ("district_name", "policy_url", "permission_url", "time_zone")
ROW_ID = 2**31 - 1


@bp.route("/approvals", methods=["GET", "POST"])
@role_required("approver", "auditor")
def approvals() -> Any:
    db = get_db()
    problems: dict[str, list[str]] = {}
    if request.method == "POST":
        if g.user.role == "auditor":
            return render_template("error.html", message="Auditors cannot change lists."), 403
        form = request.form
        if form.get("remove_approval") or form.get("remove_account"):
            model = Approval if form.get("remove_approval") else Account
            row_id = int_arg(form.get("remove_approval") or form.get("remove_account"), 1, ROW_ID)
            if row_id is None:
                return render_template("error.html", message="No such entry to remove."), 400
            _remove(model, row_id, f"{model.__name__.lower()} removed")
        elif form.get("kind") == "account":
            record = Account(
                platform=form.get("platform", ""),
                handle=form.get("handle", "").strip(),
                sponsor=form.get("sponsor", "").strip(),
                officials=lines(form.get("officials", "")),
            )
            problems = _add(record, "account", record.handle)
        else:
            record_a = Approval(
                platform=form.get("platform", ""),
                approved_on=form.get("approved_on", ""),
                reference=form.get("reference", "").strip(),
            )
            problems = _add(record_a, "approval", record_a.platform)
        if not problems:
            return redirect(url_for("registers.approvals"))
    policy = current_policy(db)
    return render_template(
        "approvals.html",
        approvals=db.scalars(select(Approval).order_by(Approval.approved_on)).all(),
        accounts=db.scalars(select(Account).order_by(Account.platform)).all(),
        duties=account_duties(db),
        platforms=sorted(policy.compiled["platforms"], key=lambda p: p["name"].lower()),
        problems=problems,
    )


@bp.route("/accounts/<int:account_id>/review", methods=["GET", "POST"])
def review(account_id: int) -> Any:
    """The sponsor's yearly review: by the link an approver sends (``key``), or recorded by a
    signed-in approver on the sponsor's word."""
    db = get_db()
    account = db.get(Account, account_id)
    if account is None:
        abort(404)
    key = request.values.get("key", "")
    by_link = key == review_key(current_app.config["SECRET_KEY"], account)
    if not by_link and not (g.user is not None and g.user.role in ("admin", "approver")):
        abort(403)
    if request.method == "POST":
        reviewer = account.sponsor if by_link else f"{g.user.name} (for {account.sponsor})"
        record_review(db, account, reviewer, request.form)
        db.add(
            AuditRecord(
                actor=reviewer,
                kind="account review",
                target=f"{account.platform}/{account.handle}",
                before=None,
                after={k: bool(request.form.get(k)) for k in REVIEW_CHECKS},
            )
        )
        db.commit()
        flash("Review recorded. Thank you.", "ok")
        if by_link:
            return redirect(url_for("registers.review", account_id=account_id, key=key))
        return redirect(url_for("registers.approvals"))
    link = url_for(
        "registers.review",
        account_id=account_id,
        key=review_key(current_app.config["SECRET_KEY"], account),
        _external=True,
    )
    return render_template("account_review.html", a=account, link=link, by_link=by_link, key=key)


REVIEW_CHECKS = ("officials_have_access", "monitored", "one_way_only")


def _add(record: Any, kind: str, target: str) -> dict[str, list[str]]:
    db = get_db()
    for column in record.__table__.columns:  # the lists check the rest; columns check size
        length, value = getattr(column.type, "length", None), getattr(record, column.name)
        if length and isinstance(value, str) and len(value) > length:
            return {column.name: [f"{column.name} is longer than {length} characters"]}
    db.add(record)
    try:
        db.flush()
        after = {
            c.name: getattr(record, c.name) for c in record.__table__.columns if c.name != "id"
        }
        commit_change(db, g.user.name, kind, target, None, after)
        flash(f"Saved the {kind}; new policy version.", "ok")
        return {}
    except PolicyError as error:
        db.rollback()
        return problems_by_field(error) or {"": [str(error)]}


def _fields(record: Any) -> dict[str, Any]:
    return {c.name: getattr(record, c.name) for c in record.__table__.columns if c.name != "id"}


def _remove(model: Any, row_id: int, kind: str) -> None:
    db = get_db()
    record = db.get(model, row_id)
    if record is None:
        return
    before = _fields(record)
    db.delete(record)
    db.flush()
    try:
        commit_change(
            db, g.user.name, kind, str(before.get("platform") or before.get("name")), before, None
        )
    except PolicyError as error:
        db.rollback()
        flash(f"Not removed: {error}", "error")


@bp.route("/exemptions", methods=["GET", "POST"])
@role_required("approver", "auditor")
def exemptions() -> Any:
    db = get_db()
    problems: dict[str, list[str]] = {}
    if request.method == "POST":
        if g.user.role != "admin":
            return render_template("error.html", message="Only admins change exemptions."), 403
        if request.form.get("remove"):
            row_id = int_arg(request.form["remove"], 1, ROW_ID)
            if row_id is None:
                return render_template("error.html", message="No such exemption."), 400
            _remove(ExemptionRow, row_id, "exemption removed")
            return redirect(url_for("registers.exemptions"))
        record = ExemptionRow(
            name=request.form.get("name", "").strip(),
            users=lines(request.form.get("users", "")),
            networks=lines(request.form.get("networks", "")),
        )
        problems = _add(record, "exemption", record.name)
        if not problems:
            return redirect(url_for("registers.exemptions"))
    return render_template(
        "exemptions.html",
        exemptions=db.scalars(select(ExemptionRow).order_by(ExemptionRow.name)).all(),
        problems=problems,
    )


def lms_host_lines(text: str) -> dict[str, list[str]]:
    """``canvas = canvas.usd999.org`` lines as the ``lms_hosts`` setting; a line without "="
    keeps its text as the LMS name, so the lists' check names it rather than dropping it."""
    result: dict[str, list[str]] = {}
    for line in text.splitlines():
        lms, _, host = line.partition("=")
        if lms.strip() or host.strip():
            result.setdefault(lms.strip().lower(), []).append(host.strip())
    return result


@bp.route("/settings", methods=["GET", "POST"])
@role_required("approver", "auditor")
def settings() -> Any:
    db = get_db()
    stored = {s.key: s for s in db.scalars(select(Setting))}
    problems: dict[str, list[str]] = {}
    if request.method == "POST":
        if g.user.role != "admin":
            return render_template("error.html", message="Only admins change settings."), 403
        before = {k: s.value for k, s in stored.items()}
        wanted: dict[str, Any] = {}
        for key in ("continue_minutes", "retention_days"):
            value = request.form.get(key, "").strip()
            if value:  # not a small whole number: kept as text, which the lists refuse
                number = int_arg(value, -(10**8), 10**8)
                wanted[key] = number if number is not None else value[:100]
        for key in SETTING_FIELDS:
            if request.form.get(key, "").strip():
                wanted[key] = request.form[key].strip()
        staff_domains = lines(request.form.get("staff_domains", ""))
        if staff_domains:
            wanted["staff_domains"] = staff_domains
        lms_hosts = lms_host_lines(request.form.get("lms_hosts", ""))
        if lms_hosts:
            wanted["lms_hosts"] = lms_hosts  # checked with the lists (unknown LMS, bad names)
        actions_text = request.form.get("actions", "").strip()
        if actions_text:
            try:
                wanted["actions"] = read_form_yaml("actions", actions_text)
            except PolicyError as error:
                problems = {"actions": [f"actions: {message}" for _, message in error.problems]}
        if not problems:
            for key, row in stored.items():
                if key not in wanted:
                    db.delete(row)
            for key, value in wanted.items():
                if key in stored:
                    stored[key].value = value
                else:
                    db.add(Setting(key=key, value=value))
            try:
                db.flush()
                commit_change(db, g.user.name, "settings", "settings", before, wanted)
                flash("Settings saved; new policy version.", "ok")
                return redirect(url_for("registers.settings"))
            except PolicyError as error:
                db.rollback()
                problems = problems_by_field(error)
        values = dict(request.form)
    else:
        values = {k: s.value for k, s in stored.items()}
        if "actions" in values:
            values["actions"] = yaml.safe_dump(values["actions"], sort_keys=False)
        if "staff_domains" in values:
            values["staff_domains"] = "\n".join(values["staff_domains"])
        stored_hosts = values.get("lms_hosts")
        if isinstance(stored_hosts, dict):
            values["lms_hosts"] = "\n".join(
                f"{lms} = {host}" for lms, hosts in stored_hosts.items() for host in hosts
            )
    return render_template(
        "settings.html",
        values=values,
        effective=current_policy(db).settings,
        problems=problems,
    )
