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

from policy_lists import vocabulary
from policy_lists.schema import Where
from policy_lists.vocabulary import ACTIONS, ACTIVITIES, CATEGORIES

from . import describe, timefmt
from .auth import role_required
from .db import get_db
from .layer import (
    ID_LIMIT,
    PolicyError,
    base_fields,
    diff,
    layer_data,
    parse_import,
    problems_by_field,
    read_form_yaml,
    replace_layer,
    to_yaml,
)
from .models import AuditRecord, LayerEntry, Setting
from .versions import commit_change, current_policy

bp = Blueprint("lists", __name__, url_prefix="/lists")
bp.add_app_template_filter(describe.audit_kind, "audit_kind")
bp.add_app_template_filter(describe.action_choice, "action_choice")


@bp.app_context_processor
def _words() -> dict[str, Any]:
    """The vocabulary and the zone names, for the forms' inline help and suggestions."""
    return {"vocabulary": vocabulary, "time_zones": timefmt.zone_names}


EDITABLE_CATEGORIES = [c for c in CATEGORIES if c != "unclassified"]


def lines(text: str) -> list[str]:
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
    return base_fields(platform_id) is not None


def _editable_fields(platform_id: str) -> dict[str, Any]:
    """The platform as it is in force, in the YAML shape the form edits."""
    for raw in current_policy(get_db()).compiled["platforms"]:
        if raw["id"] == platform_id:
            fields = {k: raw[k] for k in ("id", "name", "category", "domains")}
            fields["rules"] = [{k: v for k, v in rule.items() if v} for rule in raw["rules"]]
            base = base_fields(platform_id) or {}
            fields.update({k: base[k] for k in ("note", "source") if isinstance(base.get(k), str)})
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
        elif len(entry["id"]) > ID_LIMIT:
            problems = {"id": [f"id is longer than {ID_LIMIT} characters"]}
        else:
            try:
                if isinstance(entry.get("rules"), str):  # kept as typed: it does not read
                    raise PolicyError(
                        [
                            (Where("form", None, "rules", "rules"), f"rules: {m}")
                            for m in _yaml_problems(entry["rules"])
                        ]
                    )
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


def _yaml_problems(text: str) -> list[str]:
    try:
        read_form_yaml("rules", text)
    except PolicyError as error:
        return [message for _, message in error.problems]
    return ["not valid YAML"]


def _rules_text(rules: Any) -> str:
    if isinstance(rules, str):
        return rules
    return yaml.safe_dump(rules, sort_keys=False, allow_unicode=True) if rules else ""


def _entry_from_form(form: Any, platform_id: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": platform_id or form.get("id", "").strip().lower()}
    for key in ("name", "category", "note", "source"):
        if form.get(key, "").strip():
            entry[key] = form[key].strip()
    entry["domains"] = lines(form.get("domains", ""))
    rules_text = form.get("rules", "").strip()
    if rules_text:
        try:
            entry["rules"] = read_form_yaml("rules", rules_text)
        except PolicyError:
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
    before: Any = row.data if row else _editable_fields(platform_id)
    if _is_shipped(platform_id):
        after: Any = {"id": platform_id, "disabled": True}
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


@bp.post("/welcome")
@role_required()
def welcome() -> Response:
    """First sign-in: the district's name (every warning page shows it) and its time zone,
    added to the settings without touching the others."""
    db = get_db()
    stored = {s.key: s for s in db.scalars(select(Setting))}
    before = {k: s.value for k, s in stored.items()}
    wanted = {k: request.form.get(k, "").strip() for k in ("district_name", "time_zone")}
    for key, value in wanted.items():
        if not value:
            continue
        if key in stored:
            stored[key].value = value
        else:
            db.add(Setting(key=key, value=value))
    try:
        db.flush()
        after = {**before, **{k: v for k, v in wanted.items() if v}}
        commit_change(db, g.user.name, "settings", "settings", before, after)
        flash("Saved; every warning page now shows the district's name.", "ok")
    except PolicyError as error:
        db.rollback()
        flash(f"Not saved: {error}", "error")
    return redirect(url_for("log.dashboard"))


@bp.get("/audit")
@role_required("approver", "auditor")
def audit() -> Any:
    records = get_db().scalars(select(AuditRecord).order_by(AuditRecord.id.desc()).limit(500))
    return render_template(
        "audit.html",
        records=[(r, describe.changes(r.before, r.after)) for r in records],
        zone=timefmt.district_zone(),
    )
