"""The district's layer of lists: read from the database into the mapping a YAML file of it
would hold, checked by ``policy_lists`` exactly as a YAML directory would be, exported and
imported as YAML, and form problems routed to their fields.

Compiling the layer into a policy version, and the policy in force, are ``versions.py``'s.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import yaml
from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from policy_lists import DEFAULTS, PolicyError, read_text
from policy_lists.compiler import compile_documents
from policy_lists.loader import read_source, read_yaml
from policy_lists.schema import Document

from .models import Account, Approval, ExemptionRow, LayerEntry, Setting

LAYER_NAME = "district lists (database)"
ID_LIMIT = 100  # the platform_entries key column
SECTIONS = ("platforms", "approvals", "accounts", "exemptions", "settings")


def base_documents() -> tuple[Document, ...]:
    """The lists the district's layer sits on: the shipped defaults, or ``BASE_POLICY``.

    ``BASE_POLICY`` (sources in layering order) lets tests and special deployments put the
    layer on other lists than the shipped ones.
    """
    sources = current_app.config.get("BASE_POLICY") if has_app_context() else None
    return _read_base(tuple(str(s) for s in sources or (DEFAULTS,)))


@cache
def _read_base(sources: tuple[str, ...]) -> tuple[Document, ...]:
    return tuple(read_source(source) for source in sources)


def base_fields(platform_id: str) -> dict[str, Any] | None:
    """A platform's fields as the base lists write them (None: not a base platform)."""
    found: dict[str, Any] | None = None
    for document in base_documents():
        for entry in document.platforms:
            if entry.id == platform_id:
                found = {**(found or {}), **entry.fields}
    return found


def layer_data(db: Session) -> dict[str, Any]:
    """The district's layer as the mapping a YAML file of it would hold."""
    data: dict[str, Any] = {
        "platforms": [e.data for e in db.scalars(select(LayerEntry).order_by(LayerEntry.id))],
        "approvals": [
            {"platform": a.platform, "approved_on": a.approved_on, "reference": a.reference}
            for a in db.scalars(select(Approval).order_by(Approval.id))
        ],
        "accounts": [
            {
                "platform": a.platform,
                "handle": a.handle,
                "sponsor": a.sponsor,
                "officials": list(a.officials),
            }
            for a in db.scalars(select(Account).order_by(Account.id))
        ],
        "exemptions": [
            {"name": e.name, "users": list(e.users), "networks": list(e.networks)}
            for e in db.scalars(select(ExemptionRow).order_by(ExemptionRow.id))
        ],
        "settings": {s.key: s.value for s in db.scalars(select(Setting).order_by(Setting.key))},
    }
    return {key: value for key, value in data.items() if value}


def to_yaml(data: dict[str, Any]) -> str:
    header = "# StaffGuard district lists, layered on the shipped defaults.\n"
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


@dataclass
class Diff:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)


def diff(old: dict[str, Any], new: dict[str, Any]) -> Diff:
    """What importing ``new`` over ``old`` would change, entry by entry."""
    result = Diff()
    for section in SECTIONS:
        before, after = _keyed(section, old.get(section)), _keyed(section, new.get(section))
        result.added += [f"{section}: {k}" for k in after if k not in before]
        result.removed += [f"{section}: {k}" for k in before if k not in after]
        result.changed += [
            f"{section}: {k}" for k in after if k in before and after[k] != before[k]
        ]
    return result


def _keyed(section: str, value: Any) -> dict[str, Any]:
    if not value:
        return {}
    if section == "settings":
        return dict(value)
    if section == "platforms":
        return {str(v.get("id")): v for v in value}
    return {json.dumps(v, sort_keys=True, default=str): v for v in value}


def parse_import(name: str, text: str) -> dict[str, Any]:
    """Read an uploaded YAML file as a layer; PolicyError when it does not validate."""
    name = name[:200]
    document = read_text(name, text)  # file, line and entry in every problem
    long_ids = [e for e in document.platforms if len(e.id) > ID_LIMIT]
    if long_ids:
        message = f"id is longer than {ID_LIMIT} characters"
        raise PolicyError([(e.where.about("id"), message) for e in long_ids])
    compile_documents([*base_documents(), document])
    data = read_yaml(name, text) or {}
    return {key: _plain(value) for key, value in data.items() if value}


def read_form_yaml(field_name: str, text: str) -> Any:
    """A YAML form field (rules, action table), read with the lists' own bounds, as plain data."""
    return _plain(read_yaml(field_name, text))


def _plain(value: Any) -> Any:
    """YAML dates and other scalars as the JSON columns store them."""
    return json.loads(json.dumps(value, default=str))


def replace_layer(db: Session, data: dict[str, Any]) -> None:
    """Put ``data`` in place of the stored layer (within the caller's transaction)."""
    for model in (LayerEntry, Approval, Account, ExemptionRow, Setting):
        for row in db.scalars(select(model)):
            db.delete(row)
    db.flush()
    for entry in data.get("platforms", []):
        db.add(LayerEntry(id=str(entry["id"]), data=entry))
    for a in data.get("approvals", []):
        db.add(
            Approval(
                platform=a["platform"],
                approved_on=str(a["approved_on"]),
                reference=str(a.get("reference", "")),
            )
        )
    for a in data.get("accounts", []):
        db.add(
            Account(
                platform=a["platform"],
                handle=str(a["handle"]),
                sponsor=str(a.get("sponsor", "")),
                officials=list(a.get("officials", [])),
            )
        )
    for e in data.get("exemptions", []):
        db.add(
            ExemptionRow(
                name=str(e["name"]),
                users=list(e.get("users", [])),
                networks=[str(n) for n in e.get("networks", [])],
            )
        )
    for key, value in (data.get("settings") or {}).items():
        db.add(Setting(key=key, value=value))
    db.flush()


# The fields the admin site's list forms show problems beside (see templates/_macros.html);
# a problem with any other field (platform, source, note, ...) is shown above the form.
FORM_FIELDS = frozenset(
    {
        "id", "name", "category", "domains", "rules", "actions", "approved_on", "handle",
        "officials", "users", "networks", "continue_minutes", "retention_days", "district_name",
        "permission_url", "policy_url", "staff_domains", "time_zone", "lms_hosts",
    }
)  # fmt: skip


def problems_by_field(error: PolicyError) -> dict[str, list[str]]:
    """Problems keyed by the form field they belong to ('' for the form as a whole), from the
    field each problem names (``Problem.field``), never from its wording."""
    result: dict[str, list[str]] = {}
    for problem in error.problems:
        key = problem.field if problem.field in FORM_FIELDS else ""
        result.setdefault(key, []).append(problem.message)
    return result


__all__ = ["PolicyError"]
