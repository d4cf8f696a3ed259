"""The lists editor: platforms, board approvals, approved accounts, exemptions and settings.

Every form is checked by ``policy_lists`` itself (the same checks as a YAML file), problems
are shown next to the field, and a saved change compiles a new policy version.
"""

from __future__ import annotations

from typing import Any

import yaml
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from policy_lists.schema import Where
from policy_lists.vocabulary import ACTIONS, ACTIVITIES, CATEGORIES

from .auth import role_required
from .db import get_db
from .layer import (
    PolicyError,
    commit_change,
    current_policy,
    diff,
    layer_data,
    parse_import,
    problems_by_field,
    replace_layer,
    shipped,
    to_yaml,
)
from .models import Account, Approval, AuditRecord, ExemptionRow, LayerEntry, Setting

bp = Blueprint("lists", __name__, url_prefix="/lists")
EDITABLE_CATEGORIES = [c for c in CATEGORIES if c != "unclassified"]
SETTING_FIELDS = ("district_name", "policy_url", "permission_url")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]


@bp.get("/")
@role_required("approver", "auditor")
def platforms() -> Any:
    policy = current_policy(get_db())
    q = request.args.get("q", "").strip().lower()
    category = request.args.get("category", "")
    approval = request.args.get("approval", "")
    rows = []
    for raw in policy.compiled["platforms"]:
        if category and raw["category"] != category:
            continue
        if approval and raw["approved"] != (approval == "approved"):
            continue
        text = " ".join([raw["id"], raw["name"].lower(), *raw["domains"]])
        if q and q not in text:
            continue
        rows.append(raw)
    overridden = {e.id for e in get_db().scalars(select(LayerEntry))}
    return render_template(
        "platforms.html",
        platforms=sorted(rows, key=lambda r: (r["category"], r["name"].lower())),
        categories=EDITABLE_CATEGORIES,
        q=q,
        category=category,
        approval=approval,
        overridden=overridden,
        version=policy.version,
    )


def _is_shipped(platform_id: str) -> bool:
    return any(entry.id == platform_id for entry in shipped().platforms)


def _editable_fields(platform_id: str) -> dict[str, Any]:
    """The platform as it is in force, in the YAML shape the form edits."""
    for raw in current_policy(get_db()).compiled["platforms"]:
        if raw["id"] == platform_id:
            fields = {k: raw[k] for k in ("id", "name", "category", "domains")}
            fields["rules"] = [{k: v for k, v in rule.items() if v} for rule in raw["rules"]]
            for entry in shipped().platforms:
                if entry.id == platform_id:
                    for key in ("note", "source"):
                        if isinstance(entry.fields.get(key), str):
                            fields[key] = entry.fields[key]
            return fields
    return {}


@bp.route("/platforms/new", methods=["GET", "POST"])
@bp.route("/platforms/<platform_id>", methods=["GET", "POST"])
@role_required()
def platform(platform_id: str | None = None) -> Any:
    db = get_db()
    row = db.get(LayerEntry, platform_id) if platform_id else None
    fields: dict[str, Any] = {**_editable_fields(platform_id or ""), **(row.data if row else {})}
    if platform_id and not fields:
        return render_template("error.html", message=f"No platform {platform_id!r}."), 404
    if platform_id is None and request.args.get("new_domain"):
        domain = request.args["new_domain"].strip().lower()
        fields = {"id": domain.split(".")[0].replace("-", "_"), "name": domain, "domains": [domain]}
    problems: dict[str, list[str]] = {}
    if request.method == "POST":
        entry = _entry_from_form(request.form, platform_id)
        before = row.data if row else None
        target = db.get(LayerEntry, entry["id"]) if entry.get("id") else None
        if platform_id is None and (target is not None or _is_shipped(entry.get("id", ""))):
            problems = {"id": [f"a platform with id {entry.get('id')!r} exists; edit it instead"]}
        else:
            try:
                if isinstance(entry.get("rules"), str):
                    raise PolicyError([(Where("form", None, "rules"), "rules: not valid YAML")])
                if target is None:
                    db.add(LayerEntry(id=entry["id"], data=entry))
                else:
                    target.data = entry
                db.flush()
                commit_change(db, g.user.name, "platform", entry["id"], before, entry)
                flash(f"Saved {entry.get('name') or entry['id']}; new policy version.", "ok")
                return redirect(url_for("lists.platforms", q=entry["id"]))
            except PolicyError as error:
                db.rollback()
                problems = problems_by_field(error)
        fields = entry
    return render_template(
        "platform_form.html",
        fields=fields,
        rules_yaml=_rules_text(fields.get("rules")),
        is_new=platform_id is None,
        shipped=_is_shipped(platform_id or ""),
        categories=EDITABLE_CATEGORIES,
        activities=ACTIVITIES,
        actions=ACTIONS,
        problems=problems,
    )


def _rules_text(rules: Any) -> str:
    if isinstance(rules, str):
        return rules
    return yaml.safe_dump(rules, sort_keys=False, allow_unicode=True) if rules else ""


def _entry_from_form(form: Any, platform_id: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": platform_id or form.get("id", "").strip().lower()}
    for key in ("name", "category", "note", "source"):
        if form.get(key, "").strip():
            entry[key] = form[key].strip()
    entry["domains"] = _lines(form.get("domains", ""))
    rules_text = form.get("rules", "").strip()
    if rules_text:
        try:
            entry["rules"] = yaml.safe_load(rules_text)
        except yaml.YAMLError:
            entry["rules"] = rules_text
    actions = {a: form.get(f"action_{a}") for a in ACTIVITIES if form.get(f"action_{a}")}
    if actions:
        entry["actions"] = actions
    return entry


@bp.post("/platforms/<platform_id>/remove")
@role_required()
def remove_platform(platform_id: str) -> Response:
    db = get_db()
    row = db.get(LayerEntry, platform_id)
    before = row.data if row else _editable_fields(platform_id)
    if _is_shipped(platform_id):
        after: dict[str, Any] | None = {"id": platform_id, "disabled": True}
        if row is None:
            db.add(LayerEntry(id=platform_id, data=after))
        else:
            row.data = after
    else:
        after = None
        if row is not None:
            db.delete(row)
    try:
        db.flush()
        commit_change(db, g.user.name, "platform removed", platform_id, before, after)
        flash(f"Removed {platform_id}.", "ok")
    except PolicyError as error:
        db.rollback()
        flash(f"Not removed: {error}", "error")
    return redirect(url_for("lists.platforms"))


@bp.route("/approvals", methods=["GET", "POST"])
@role_required("approver", "auditor")
def approvals() -> Any:
    db = get_db()
    problems: dict[str, list[str]] = {}
    if request.method == "POST":
        if g.user.role == "auditor":
            return render_template("error.html", message="Auditors cannot change lists."), 403
        form = request.form
        if form.get("remove_approval"):
            _remove(Approval, int(form["remove_approval"]), "approval removed")
        elif form.get("remove_account"):
            _remove(Account, int(form["remove_account"]), "account removed")
        elif form.get("kind") == "account":
            record = Account(
                platform=form.get("platform", ""),
                handle=form.get("handle", "").strip(),
                sponsor=form.get("sponsor", "").strip(),
                officials=_lines(form.get("officials", "")),
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
            return redirect(url_for("lists.approvals"))
    policy = current_policy(db)
    return render_template(
        "approvals.html",
        approvals=db.scalars(select(Approval).order_by(Approval.approved_on)).all(),
        accounts=db.scalars(select(Account).order_by(Account.platform)).all(),
        platforms=sorted(policy.compiled["platforms"], key=lambda p: p["name"].lower()),
        problems=problems,
    )


def _add(record: Any, kind: str, target: str) -> dict[str, list[str]]:
    db = get_db()
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
            _remove(ExemptionRow, int(request.form["remove"]), "exemption removed")
            return redirect(url_for("lists.exemptions"))
        record = ExemptionRow(
            name=request.form.get("name", "").strip(),
            users=_lines(request.form.get("users", "")),
            networks=_lines(request.form.get("networks", "")),
        )
        problems = _add(record, "exemption", record.name)
        if not problems:
            return redirect(url_for("lists.exemptions"))
    return render_template(
        "exemptions.html",
        exemptions=db.scalars(select(ExemptionRow).order_by(ExemptionRow.name)).all(),
        problems=problems,
    )


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
            if value:
                wanted[key] = int(value) if value.lstrip("-").isdigit() else value
        for key in SETTING_FIELDS:
            if request.form.get(key, "").strip():
                wanted[key] = request.form[key].strip()
        actions_text = request.form.get("actions", "").strip()
        if actions_text:
            try:
                wanted["actions"] = yaml.safe_load(actions_text)
            except yaml.YAMLError as error:
                problems = {"actions": [f"actions: not valid YAML ({error})"]}
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
                return redirect(url_for("lists.settings"))
            except PolicyError as error:
                db.rollback()
                problems = problems_by_field(error)
        values = dict(request.form)
    else:
        values = {k: s.value for k, s in stored.items()}
        if "actions" in values:
            values["actions"] = yaml.safe_dump(values["actions"], sort_keys=False)
    return render_template(
        "settings.html",
        values=values,
        effective=current_policy(db).settings,
        problems=problems,
    )


@bp.get("/export.yaml")
@role_required("approver", "auditor")
def export() -> Any:
    text = to_yaml(layer_data(get_db()))
    return Response(
        text,
        200,
        {
            "Content-Type": "application/x-yaml; charset=utf-8",
            "Content-Disposition": "attachment; filename=staffguard-district.yaml",
        },
    )


@bp.route("/import", methods=["GET", "POST"])
@role_required()
def import_lists() -> Any:
    """Upload a YAML file, see what would change, then apply it."""
    db = get_db()
    if request.method == "GET":
        return render_template("import.html", stage="upload")
    text = request.form.get("text") or ""
    upload = request.files.get("file")
    name = "import"
    if upload and upload.filename:
        name = upload.filename
        text = upload.read().decode("utf-8", errors="replace")
    try:
        data = parse_import(name, text)
    except PolicyError as error:
        return render_template("import.html", stage="upload", errors=str(error).splitlines()), 400
    old = layer_data(db)
    changes = diff(old, data)
    if request.form.get("apply") != "yes":
        return render_template("import.html", stage="preview", changes=changes, text=text)
    replace_layer(db, data)
    try:
        commit_change(db, g.user.name, "import", name, old, data)
    except PolicyError as error:
        db.rollback()
        return render_template("import.html", stage="upload", errors=str(error).splitlines()), 400
    flash(
        f"Imported: {len(changes.added)} added, {len(changes.changed)} changed, "
        f"{len(changes.removed)} removed.",
        "ok",
    )
    return redirect(url_for("lists.platforms"))


@bp.get("/audit")
@role_required("approver", "auditor")
def audit() -> Any:
    records = get_db().scalars(select(AuditRecord).order_by(AuditRecord.id.desc()).limit(500))
    return render_template("audit.html", records=records.all())
