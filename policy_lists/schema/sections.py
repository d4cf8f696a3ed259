"""Checks of whole entries and sections: a list file's mapping into a :class:`Document`.

Every section refuses keys it does not know (a typo must not silently drop what it meant),
and every problem names its file, line, entry and field.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from ..vocabulary import CATEGORIES, LMS_NAMES
from .fields import FieldChecks
from .problems import Where
from .values import (
    _ID,
    _URL,
    ACCOUNT_KEYS,
    APPROVAL_KEYS,
    EXEMPTION_KEYS,
    PLATFORM_KEYS,
    SETTINGS_LIMITS,
    SETTINGS_TEXT,
    SETTINGS_URLS,
    TOP_LEVEL_KEYS,
    Document,
    Exemption,
    PlatformEntry,
    as_date,
    is_time_zone,
    strings,
)


class Checker(FieldChecks):
    """Reads one file's mapping into a Document, collecting every problem on the way."""

    def read(self, data: Any) -> Document:
        document = Document()
        if data is None:
            return document
        if not isinstance(data, Mapping):
            self.fail(
                self.where(data),
                "a list file must be a mapping with keys " + ", ".join(TOP_LEVEL_KEYS),
            )
            return document
        for key in data:
            if key not in TOP_LEVEL_KEYS:
                self.fail(
                    self.where(data),
                    f"unknown top-level key {key!r}; expected one of " + ", ".join(TOP_LEVEL_KEYS),
                )
        for index, raw in enumerate(self._list(data, "platforms")):
            entry = self.platform(raw, index)
            if entry:
                document.platforms.append(entry)
        for index, raw in enumerate(self._list(data, "approvals")):
            approval = self.approval(raw, index)
            if approval:
                document.approvals.append(approval)
        for index, raw in enumerate(self._list(data, "accounts")):
            account = self.account(raw, index)
            if account:
                document.accounts.append(account)
        for index, raw in enumerate(self._list(data, "exemptions")):
            exemption = self.exemption(raw, index)
            if exemption:
                document.exemptions.append(exemption)
        if data.get("settings") is not None:
            document.settings = self.settings(data["settings"])
        return document

    def _list(self, data: Mapping[str, Any], key: str) -> list[Any]:
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(self.where(data), f"{key} must be a list")
            return []
        return value

    def platform(self, raw: Any, index: int) -> PlatformEntry | None:
        name = f"platforms[{index}]"
        if not isinstance(raw, Mapping) or not isinstance(raw.get("id"), str):
            self.fail(self.where(raw, name), "a platform needs an 'id'", "id")
            return None
        where = self.where(raw, f"platform {raw['id']!r}")
        if not _ID.match(raw["id"]):
            self.fail(where, "id must be lowercase letters, digits and '_'", "id")
        self.known_keys(raw, where, PLATFORM_KEYS)
        entry = PlatformEntry(id=raw["id"], where=where)
        for key in ("name", "note"):
            if key in raw:
                if isinstance(raw[key], str) and raw[key].strip():
                    entry.fields[key] = raw[key].strip()
                else:
                    self.fail(where, f"{key} must be non-empty text", key)
        if "source" in raw:
            entry.fields["source"] = raw["source"]
        if "category" in raw:
            if raw["category"] in CATEGORIES:
                entry.fields["category"] = raw["category"]
            else:
                message = f"category {raw['category']!r} is not one of " + ", ".join(CATEGORIES)
                self.fail(where, message, "category")
        if "domains" in raw or "domains_file" in raw:
            listed = raw.get("domains", [])
            from_file = (
                self.domains_file(raw["domains_file"], where) if "domains_file" in raw else ""
            )
            if listed or not from_file:
                entry.fields["domains"] = self.domains(listed, where, "domains")
            if from_file:
                entry.fields["domains_text"] = from_file
        if "rules" in raw:
            entry.fields["rules"] = self.rules(raw["rules"], where)
        if "actions" in raw:
            entry.fields["actions"] = self.activity_actions(raw["actions"], where, "actions")
        if "disabled" in raw:
            if isinstance(raw["disabled"], bool):
                entry.fields["disabled"] = raw["disabled"]
            else:
                self.fail(where, "disabled must be true or false", "disabled")
        return entry

    def approval(self, raw: Any, index: int) -> dict[str, Any] | None:
        where = self.where(raw, f"approvals[{index}]")
        if not isinstance(raw, Mapping) or not isinstance(raw.get("platform"), str):
            self.fail(where, "an approval needs a 'platform' id", "platform")
            return None
        self.known_keys(raw, where, APPROVAL_KEYS)
        approved_on = as_date(raw.get("approved_on"))
        if approved_on is None:
            self.fail(where, "approved_on must be a date (YYYY-MM-DD)", "approved_on")
            return None
        if not self.texts_fit(raw, where, ("platform", "reference")):
            return None
        return {**raw, "approved_on": approved_on, "where": where}

    def account(self, raw: Any, index: int) -> dict[str, Any] | None:
        where = self.where(raw, f"accounts[{index}]")
        if not isinstance(raw, Mapping) or not isinstance(raw.get("platform"), str):
            self.fail(where, "an account needs a 'platform' id", "platform")
            return None
        self.known_keys(raw, where, ACCOUNT_KEYS)
        if not isinstance(raw.get("handle"), str) or not raw["handle"]:
            self.fail(where, "an account needs a 'handle'", "handle")
            return None
        officials = raw.get("officials", [])
        if not isinstance(officials, list) or not self.people_fit(officials, where, "officials"):
            self.fail(where, "officials must be a list of email addresses", "officials")
            return None
        if not self.texts_fit(raw, where, ("platform", "handle", "sponsor")):
            return None
        return {**raw, "where": where}

    def exemption(self, raw: Any, index: int) -> Exemption | None:
        where = self.where(raw, f"exemptions[{index}]")
        if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str):
            self.fail(where, "an exemption needs a 'name'", "name")
            return None
        self.known_keys(raw, where, EXEMPTION_KEYS)
        if not self.texts_fit(raw, where, ("name",)) or not self.people_fit(
            strings(raw.get("users", [])) + strings(raw.get("networks", [])), where, "users"
        ):
            return None
        users = [u.strip().lower() for u in strings(raw.get("users", []))]
        networks = []
        for text in strings(raw.get("networks", [])):
            try:
                networks.append(ipaddress.ip_network(text))
            except ValueError as error:
                self.fail(where, f"network {text!r}: {error}", "networks")
        if not users and not raw.get("networks"):
            self.fail(where, "an exemption needs users or networks")
        if len(networks) < len(strings(raw.get("networks", []))) or not (users or networks):
            return None
        return Exemption(
            name=raw["name"],
            users=frozenset(u for u in users if not u.startswith("@")),
            user_domains=tuple(u for u in users if u.startswith("@")),
            networks=tuple(networks),
        )

    def settings(self, raw: Any) -> dict[str, Any]:
        where = self.where(raw, "settings")
        if not isinstance(raw, Mapping):
            self.fail(where, "settings must be a mapping")
            return {}
        result: dict[str, Any] = {}
        for key, value in raw.items():
            if key in SETTINGS_LIMITS:
                low, high = SETTINGS_LIMITS[key]
                if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
                    result[key] = value
                else:
                    self.fail(where, f"{key} must be a whole number from {low} to {high}", key)
            elif key in SETTINGS_TEXT:
                if not isinstance(value, str) or len(value) > SETTINGS_TEXT[key]:
                    limit = SETTINGS_TEXT[key]
                    self.fail(where, f"{key} must be text of at most {limit} characters", key)
                elif key in SETTINGS_URLS and value and not _URL.match(value):
                    self.fail(where, f"{key} must be an http:// or https:// address", key)
                else:
                    result[key] = value
            elif key == "staff_domains":
                result[key] = list(self.domains(value, where, "staff_domains"))
            elif key == "lms_hosts":
                result[key] = self.lms_hosts(value, where)
            elif key == "time_zone":
                if isinstance(value, str) and is_time_zone(value):
                    result[key] = value
                else:
                    message = f"time_zone: {value!r} is not a zone such as America/Chicago"
                    self.fail(where, message, key)
            elif key == "actions":
                result[key] = self.action_table(value, where)
            else:
                self.fail(where, f"unknown setting {key!r}")
        return result

    def lms_hosts(self, raw: Any, where: Where) -> dict[str, list[str]]:
        """A district's own LMS host names by LMS (``{canvas: [canvas.usd999.org]}``): their
        assignment and announcement routes are read as the LMS's own hosts' are (lms.py)."""
        if not isinstance(raw, Mapping):
            self.fail(where, "lms_hosts must map an LMS to its host names", "lms_hosts")
            return {}
        result: dict[str, list[str]] = {}
        for lms, hosts in raw.items():
            if lms not in LMS_NAMES:
                known = ", ".join(LMS_NAMES)
                self.fail(where, f"lms_hosts: {lms!r} is not an LMS ({known})", "lms_hosts")
                continue
            result[lms] = list(self.domains(hosts, where, f"lms_hosts.{lms}"))
        return result

    def action_table(self, raw: Any, where: Where) -> dict[str, dict[str, dict[str, str]]]:
        """``{category: {approved|unapproved: {activity: action}}}``, merged over the defaults."""
        if not isinstance(raw, Mapping):
            self.fail(
                where,
                "settings.actions must map categories to approved/unapproved tables",
                "actions",
            )
            return {}
        table: dict[str, dict[str, dict[str, str]]] = {}
        for category, by_approval in raw.items():
            if category not in CATEGORIES:
                self.fail(where, f"settings.actions: {category!r} is not a category", "actions")
                continue
            if not isinstance(by_approval, Mapping):
                self.fail(
                    where, f"settings.actions.{category} must have approved/unapproved", "actions"
                )
                continue
            for approval, actions in by_approval.items():
                if approval not in ("approved", "unapproved"):
                    self.fail(
                        where,
                        f"settings.actions.{category}: {approval!r} must be "
                        "'approved' or 'unapproved'",
                        "actions",
                    )
                    continue
                table.setdefault(category, {})[approval] = self.activity_actions(
                    actions, where, f"settings.actions.{category}.{approval}"
                )
        return table
