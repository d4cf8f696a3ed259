"""Layer sources into one compiled policy document: the JSON the API serves and engines run.

Both engines (``policy_lists.engine`` in Python, ``extension/lib/policy.js``) evaluate this
document, never the YAML, so every decision that needs judgement (layering, the action table,
the texts) is taken once, here.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Sequence
from typing import Any

from .feeds import FeedLayer, compile_feeds
from .schema import Document, PolicyError, Rule, Where
from .texts import EXEMPT_REASON, REF_DEFINITIONS, REF_VIRTUAL, UNCLASSIFIED_REASON, reason_for
from .vocabulary import ACTIVITIES, DEFAULT_ACTIONS, FIXED_ACTIONS

FORMAT = "staffguard-policy/1"
DEFAULT_SETTINGS: dict[str, Any] = {
    "continue_minutes": 60,
    "retention_days": 365,
    "district_name": "",
    "permission_url": "",
    "policy_url": "",
}


def compile_documents(documents: list[Document], feeds: Sequence[FeedLayer] = ()) -> dict[str, Any]:
    """Layer documents (earliest first) into the compiled policy; raise PolicyError if unsound.

    ``feeds`` (category feeds, see ``feeds.py``) sit below every document's platforms.
    """
    platforms, problems = _layer_platforms(documents)
    approvals = [a for d in documents for a in d.approvals]
    accounts = [a for d in documents for a in d.accounts]
    for record in approvals + accounts:
        if record["platform"] not in platforms:
            where = record["where"].about("platform")
            problems.append((where, f"unknown platform {record['platform']!r}"))
    if problems:
        raise PolicyError(problems)

    settings = dict(DEFAULT_SETTINGS)
    actions = {c: {a: dict(t) for a, t in tables.items()} for c, tables in DEFAULT_ACTIONS.items()}
    for document in documents:
        overrides = document.settings.get("actions", {})
        settings.update({k: v for k, v in document.settings.items() if k != "actions"})
        for category, tables in overrides.items():
            for approval, table in tables.items():
                actions.setdefault(category, {}).setdefault(approval, {}).update(table)

    approved = {a["platform"] for a in approvals}
    doc: dict[str, Any] = {
        "format": FORMAT,
        "settings": settings,
        "actions": actions,
        "platforms": [
            _compile_platform(fields, fields["id"] in approved, actions)
            for fields in platforms.values()
        ],
        "approvals": [
            {
                "platform": a["platform"],
                "approved_on": a["approved_on"],
                "reference": str(a.get("reference", "")),
            }
            for a in approvals
        ],
        "exemptions": [
            {
                "name": exemption.name,
                "users": sorted(exemption.users),
                "user_domains": list(exemption.user_domains),
                "networks": [str(n) for n in exemption.networks],
                "network_ranges": [_network_range(n) for n in exemption.networks],
            }
            for document in documents
            for exemption in document.exemptions
        ],
        "unclassified": {"reason": UNCLASSIFIED_REASON, "policy_ref": REF_DEFINITIONS},
        "exempt": {"reason": EXEMPT_REASON, "policy_ref": REF_VIRTUAL},
    }
    if feeds:
        doc["feeds"] = compile_feeds(feeds, actions)
    doc["version"] = content_version(doc)
    return doc


def content_version(doc: dict[str, Any]) -> str:
    """A stable hash of the document's content (without its own version field)."""
    body = {k: v for k, v in doc.items() if k != "version"}
    if any("domains_text" in p for p in doc["platforms"]):  # hash a file list's text once,
        body["platforms"] = [_digested(p) for p in doc["platforms"]]  # not in a copy of all
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:24]


_HASHED_CHARS = 1 << 20  # a domains_text is hashed a slice at a time


def _digested(platform: dict[str, Any]) -> dict[str, Any]:
    if "domains_text" not in platform:
        return platform
    text, digest = platform["domains_text"], hashlib.sha256()
    for start in range(0, len(text), _HASHED_CHARS):  # not one copy of it all as bytes
        digest.update(text[start : start + _HASHED_CHARS].encode())
    return {**platform, "domains_text": f"sha256:{digest.hexdigest()}"}


def _layer_platforms(
    documents: list[Document],
) -> tuple[dict[str, dict[str, Any]], list[tuple[Where, str]]]:
    """Later sources override platforms by id, field by field; a later claim to a domain wins."""
    merged: dict[str, dict[str, Any]] = {}
    for document in documents:
        for entry in document.platforms:
            base = merged.pop(entry.id, {})
            if "domains" in entry.fields or "domains_text" in entry.fields:
                base = {k: v for k, v in base.items() if k not in ("domains", "domains_text")}
            merged[entry.id] = {**base, **entry.fields, "id": entry.id, "where": entry.where}
    problems: list[tuple[Where, str]] = []
    owner: dict[str, str] = {}
    claims = 0
    for pid, fields in merged.items():  # dict order: the last-defined platform comes last
        if fields.get("disabled"):
            continue
        missing = [k for k in ("name", "category") if not fields.get(k)]
        if not fields.get("domains") and not fields.get("domains_text"):
            missing.append("domains")
        if missing:
            problems.append(
                (
                    fields["where"],
                    "missing " + ", ".join(missing) + " (no earlier source defines this platform)",
                )
            )
            continue
        owner.update(dict.fromkeys(fields.get("domains", ()), pid))
        claims += len(fields.get("domains", ()))
        for rule in fields.get("rules", ()):
            for host in rule.hosts:
                if not _owns(fields, host):
                    problems.append(
                        (
                            fields["where"].about("rules"),
                            f"rule host {host!r} is not under the platform's domains",
                        )
                    )
    platforms = {}
    for pid, fields in merged.items():
        if fields.get("disabled"):
            continue
        domains = fields.get("domains", ())
        if claims > len(owner):  # some domain changed hands: keep only what this one still owns
            domains = [d for d in domains if owner.get(d) == pid]
        if domains or fields.get("domains_text"):
            platforms[pid] = {**fields, "domains": domains}
    return platforms, problems


def _compile_platform(
    fields: dict[str, Any], approved: bool, actions: dict[str, dict[str, dict[str, str]]]
) -> dict[str, Any]:
    category = fields["category"]
    table = actions.get(category, {}).get("approved" if approved else "unapproved", {})
    verdicts = {}
    for activity in ACTIVITIES:
        action = FIXED_ACTIONS.get(activity) or (
            fields.get("actions", {}).get(activity) or table.get(activity, "allow")
        )
        reason, ref = reason_for(fields["name"], category, approved, activity, action)
        verdicts[activity] = {"action": action, "reason": reason, "policy_ref": ref}
    return {
        "id": fields["id"],
        "name": fields["name"],
        "category": category,
        "approved": approved,
        "domains": list(fields["domains"]),
        "rules": [_compile_rule(rule) for rule in fields.get("rules", ())],
        "verdicts": verdicts,
    } | ({"domains_text": fields["domains_text"]} if fields.get("domains_text") else {})


def _owns(fields: dict[str, Any], host: str) -> bool:
    """Whether ``host`` is one of the platform's domains or under one."""
    if any(host == d or host.endswith("." + d) for d in fields.get("domains", ())):
        return True
    if not fields.get("domains_text"):
        return False
    text = fields["domains_text"]  # searched as it is: a copy with newlines added at each end
    name = host  # would be the whole of a big list again
    while "." in name:
        if (
            f"\n{name}\n" in text
            or text.startswith(f"{name}\n")
            or text.endswith(f"\n{name}")
            or text == name
        ):
            return True
        name = name.partition(".")[2]
    return False


def _compile_rule(rule: Rule) -> dict[str, Any]:
    """A rule as both engines run it: paths also as segment lists, operation names lowercased
    for matching (clients vary the case; the names are distinctive either way)."""
    return {
        "activity": rule.activity,
        "paths": ["/" + "/".join(p) for p in rule.paths],
        "segments": [list(p) for p in rule.paths],
        "methods": sorted(rule.methods),
        "hosts": list(rule.hosts),
        "headers": {name: sorted(values) for name, values in rule.headers},
        "websocket": rule.websocket,
        "operations": sorted({name.lower() for name in rule.operations}),
    }


def _network_range(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> list[Any]:
    """``[version, first, last]`` with the addresses as hex integers, so that an engine checks
    an address with two comparisons instead of parsing the network on every request."""
    width = 8 if network.version == 4 else 32
    first, last = int(network.network_address), int(network.broadcast_address)
    return [network.version, f"{first:0{width}x}", f"{last:0{width}x}"]
