"""Human words for the log's and the audit trail's fields, and a readable before/after diff.

The database keeps docs/design.md's vocabulary (``direct_message``, ``went_back``); pages say it
the way a principal would (``direct message``, ``went back``).

>>> [(c.field, c.before, c.after) for c in changes({"domains": ["a.org"]}, {"domains": ["b.org"]})]
[('domains 1', 'a.org', 'b.org')]
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

EVENT_FIELDS = {
    "ts": "Time",
    "source": "Seen by",
    "user": "Staff member",
    "client": "Device address",
    "url": "Address",
    "host": "Site",
    "platform_id": "Platform",
    "category": "Category",
    "activity": "What they were doing",
    "action": "What StaffGuard did",
    "outcome": "What they chose",
    "justification": "Their reason",
    "reason": "Why StaffGuard warned",
    "policy_ref": "Policy section",
    "reporter": "Reported by (token)",
}
WORDS = {
    "went_back": "went back",
    "continued": "continued to the site",
    "shown": "saw the warning",
    "blocked": "was blocked",
    "proxy": "the district proxy",
    "extension": "the browser extension",
    "warn": "warned",
    "notice": "showed a notice",
    "block": "blocked",
    "allow": "allowed",
    "student_required": "linked students to social media (LMS)",
}
# What each action does to staff, for the choices on the platform form.
ACTION_CHOICES = {
    "allow": "allow: nothing shown",
    "notice": "notice: a banner",
    "warn": "warn: a page with Continue",
    "block": "block: no Continue",
}
AUDIT_KINDS = {
    "platform": "Saved a platform",
    "platform removed": "Removed a platform",
    "approval": "Recorded a board approval",
    "approval removed": "Removed a board approval",
    "account": "Added an approved account",
    "account removed": "Removed an approved account",
    "exemption": "Added an exemption",
    "exemption removed": "Removed an exemption",
    "settings": "Changed settings",
    "import": "Imported lists from YAML",
    "token": "API token",
    "user": "Added a sign-in account",
}


def word(value: Any) -> str:
    """A vocabulary word as a person says it (``direct_message`` → ``direct message``)."""
    if value is None or value == "":
        return ""
    text = str(value)
    return WORDS.get(text, text.replace("_", " "))


def action_choice(action: str) -> str:
    """An action as the platform form offers it (``warn`` → ``warn: a page with Continue``)."""
    return ACTION_CHOICES.get(action, action)


def audit_kind(kind: str) -> str:
    return AUDIT_KINDS.get(kind, word(kind).capitalize())


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str

    @property
    def kind(self) -> str:
        return "added" if not self.before else "removed" if not self.after else "changed"


def changes(before: Any, after: Any) -> list[Change]:
    """What differs between two audited values, one line per changed field."""
    old, new = _flat(before), _flat(after)
    return [
        Change(key, old.get(key, ""), new.get(key, ""))
        for key in sorted(old.keys() | new.keys(), key=_order(old, new))
        if old.get(key, "") != new.get(key, "")
    ]


def _order(old: dict[str, str], new: dict[str, str]) -> Any:
    seen = list(dict.fromkeys([*old, *new]))
    return seen.index


def _flat(value: Any, prefix: str = "") -> dict[str, str]:
    """``{"rules": [{"activity": "comment"}]}`` → ``{"rules 1 activity": "comment"}``."""
    if value is None:
        return {}
    if isinstance(value, dict):
        result: dict[str, str] = {}
        for key, item in value.items():
            result.update(_flat(item, f"{prefix} {word(key)}".strip()))
        return result
    if isinstance(value, list):
        if all(not isinstance(v, dict | list) for v in value) and not prefix.startswith("rules"):
            return {f"{prefix} {i + 1}".strip(): _text(v) for i, v in enumerate(value)}
        result = {}
        for i, item in enumerate(value):
            result.update(_flat(item, f"{prefix} {i + 1}".strip()))
        return result
    return {prefix or "value": _text(value)}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
