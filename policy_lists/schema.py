"""The list format of DESIGN.md, checked entry by entry into typed values.

Every problem is collected with the file, line and entry it belongs to, so a district admin
sees all of them at once and nothing is half-loaded.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import idna

from .domains import is_public_suffix
from .vocabulary import ACTIONS, ACTIVITIES, CATEGORIES, FIXED_ACTIONS

_ID = re.compile(r"[a-z0-9_]+\Z")
_METHOD = re.compile(r"[A-Z]+\Z")
_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)\Z")
_PLAIN_DOMAIN = re.compile(r"(?:[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}\Z")
TOP_LEVEL_KEYS = ("platforms", "approvals", "accounts", "exemptions", "settings")
PLATFORM_KEYS = {
    "id",
    "name",
    "category",
    "domains",
    "domains_file",
    "rules",
    "note",
    "source",
    "actions",
    "disabled",
}
RULE_KEYS = {
    "activity",
    "paths",
    "methods",
    "hosts",
    "headers",
    "websocket",
    "operations",
    "note",
    "source",
}
# A GraphQL operation name as clients send it (GraphQL names, plus the dots and dashes some
# friendly names carry).
_OPERATION = re.compile(r"[A-Za-z0-9_.:-]{1,200}\Z")
# A host pattern: "*" inside the first label only ("im-api*.tiktok.com"), matching any run of
# label characters, the empty run included.
_HOST_PATTERN_LABEL = re.compile(r"[a-z0-9_-]*\*[a-z0-9_-]*\Z")
SETTINGS_LIMITS = {"continue_minutes": (1, 24 * 60), "retention_days": (1, 3650)}
SETTINGS_TEXT = {"district_name": 200, "permission_url": 2000, "policy_url": 2000}
SETTINGS_URLS = {"permission_url", "policy_url"}  # shown as links to staff: http(s) only
TEXT_LIMITS = {"platform": 100, "reference": 500, "handle": 200, "sponsor": 200, "name": 200}
MAX_PEOPLE = 1000  # officials of an account, users of an exemption
_URL = re.compile(r"https?://[^\s/?#@\\\x00-\x1f\x7f]+(?:[/?#][^\s\\\x00-\x1f\x7f]*)?\Z", re.I)
MAX_DOMAINS_FILE_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Where:
    """Where an entry was written: file, line and a human name for the entry."""

    file: str
    line: int | None = None
    entry: str = ""

    def __str__(self) -> str:
        place = f"{self.file}:{self.line}" if self.line else self.file
        return f"{place}: {self.entry}" if self.entry else place


class PolicyError(ValueError):
    """One or more problems in policy lists; nothing of the lists was taken."""

    def __init__(self, problems: list[tuple[Where, str]]):
        self.problems = problems
        super().__init__("\n".join(f"{where}: {message}" for where, message in problems))


@dataclass(frozen=True)
class Rule:
    activity: str
    paths: tuple[tuple[str, ...], ...] = ()  # each pattern as lowercase segments; "*" is one
    methods: frozenset[str] = frozenset()
    hosts: tuple[str, ...] = ()  # a domain, or a pattern with "*" in its first label
    headers: tuple[tuple[str, frozenset[str]], ...] = ()
    websocket: bool = False  # only websocket handshakes
    operations: frozenset[str] = frozenset()  # GraphQL operation names


@dataclass
class PlatformEntry:
    """A platform as one source writes it; later sources may give only some fields."""

    id: str
    where: Where
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Exemption:
    name: str
    users: frozenset[str]
    user_domains: tuple[str, ...]
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]


@dataclass
class Document:
    """What one source (a file, or a directory of files) says."""

    platforms: list[PlatformEntry] = field(default_factory=list)
    approvals: list[dict[str, Any]] = field(default_factory=list)
    accounts: list[dict[str, Any]] = field(default_factory=list)
    exemptions: list[tuple[Exemption, dict[str, Any]]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)


class Checker:
    """Collects problems while reading one file's mapping into a Document."""

    def __init__(self, file: str, directory: Path | None = None):
        self.file = file
        self.directory = directory  # where a domains_file may be; None: nowhere
        self.problems: list[tuple[Where, str]] = []

    def where(self, node: Any, entry: str = "") -> Where:
        return Where(self.file, getattr(node, "line", None), entry)

    def fail(self, where: Where, message: str) -> None:
        self.problems.append((where, message))

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
            self.fail(self.where(raw, name), "a platform needs an 'id'")
            return None
        where = self.where(raw, f"platform {raw['id']!r}")
        if not _ID.match(raw["id"]):
            self.fail(where, "id must be lowercase letters, digits and '_'")
        for key in raw:
            if key not in PLATFORM_KEYS:
                self.fail(where, f"unknown field {key!r}")
        entry = PlatformEntry(id=raw["id"], where=where)
        for key in ("name", "note"):
            if key in raw:
                if isinstance(raw[key], str) and raw[key].strip():
                    entry.fields[key] = raw[key].strip()
                else:
                    self.fail(where, f"{key} must be non-empty text")
        if "source" in raw:
            entry.fields["source"] = raw["source"]
        if "category" in raw:
            if raw["category"] in CATEGORIES:
                entry.fields["category"] = raw["category"]
            else:
                self.fail(
                    where, f"category {raw['category']!r} is not one of " + ", ".join(CATEGORIES)
                )
        if "domains" in raw or "domains_file" in raw:
            listed = raw.get("domains", [])
            from_file = (
                self.domains_file(raw["domains_file"], where) if "domains_file" in raw else []
            )
            checked = self.domains(listed, where, "domains") if listed or not from_file else ()
            entry.fields["domains"] = (*checked, *from_file)
        if "rules" in raw:
            entry.fields["rules"] = self.rules(raw["rules"], where)
        if "actions" in raw:
            entry.fields["actions"] = self.activity_actions(raw["actions"], where, "actions")
        if "disabled" in raw:
            if isinstance(raw["disabled"], bool):
                entry.fields["disabled"] = raw["disabled"]
            else:
                self.fail(where, "disabled must be true or false")
        return entry

    def domains(self, raw: Any, where: Where, key: str) -> tuple[str, ...]:
        if not isinstance(raw, list) or not raw:
            self.fail(where, f"{key} must be a non-empty list of domain names")
            return ()
        plain = _PLAIN_DOMAIN.match
        # Most names are already plain lowercase ASCII: check those in one pass, fix the rest.
        result = [d if isinstance(d, str) and plain(d) else normalize_domain(d) for d in raw]
        for value, domain in zip(raw, result, strict=True):
            if domain is None:
                self.fail(where, f"{key}: {value!r} is not a domain name (no scheme, path or port)")
        suffixes = [d for d in result if d is not None and is_public_suffix(d)]
        for domain in suffixes:
            self.fail(
                where, f"{key}: {domain!r} is a public suffix; it would claim every site under it"
            )
        return tuple(d for d in result if d is not None)

    def domains_file(self, raw: Any, where: Where) -> list[str]:
        """Domains from a text file beside the list file: one a line, ``#`` starts a comment.

        Large lists (a district's own block list, say) load far faster this way than as YAML.
        The file must lie inside the list file's own directory (an upload has none, so it
        cannot name one), and problems name its lines, never its contents: a list file must
        not be a way to read other files on the server.
        """
        if self.directory is None:
            self.fail(where, "domains_file works only in list files on disk, not in uploads")
            return []
        base = self.directory.resolve()
        path = (base / str(raw)).resolve()
        label = f"domains_file {str(raw)[:200]!r}"
        if not path.is_relative_to(base) or not path.is_file():
            self.fail(where, f"{label} must be a file inside {str(self.directory)!r}")
            return []
        try:
            if path.stat().st_size > MAX_DOMAINS_FILE_BYTES:
                self.fail(where, f"{label} is larger than {MAX_DOMAINS_FILE_BYTES >> 20} MiB")
                return []
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            self.fail(where, f"{label} cannot be read ({error.__class__.__name__})")
            return []
        result = []
        for number, line in enumerate(text.splitlines(), 1):
            name = line.partition("#")[0].strip()
            if not name:
                continue
            domain = normalize_domain(name)
            if domain is None or is_public_suffix(domain):
                self.fail(where, f"{label} line {number}: not a domain name a platform can own")
            else:
                result.append(domain)
        return result

    def rules(self, raw: Any, where: Where) -> tuple[Rule, ...]:
        if not isinstance(raw, list):
            self.fail(where, "rules must be a list")
            return ()
        rules = []
        for index, item in enumerate(raw):
            rule_where = Where(
                where.file, getattr(item, "line", where.line), f"{where.entry} rules[{index}]"
            )
            rule = self.rule(item, rule_where)
            if rule:
                rules.append(rule)
        return tuple(rules)

    def rule(self, raw: Any, where: Where) -> Rule | None:
        if not isinstance(raw, Mapping):
            self.fail(where, "a rule must be a mapping")
            return None
        problems = len(self.problems)
        for key in raw:
            if key not in RULE_KEYS:
                self.fail(where, f"unknown rule field {key!r}")
        if raw.get("activity") not in ACTIVITIES:
            self.fail(where, f"activity must be one of {', '.join(ACTIVITIES)}")
        if not any(key in raw for key in ("paths", "hosts", "headers", "operations", "websocket")):
            self.fail(where, "a rule needs paths, hosts, headers, operations or websocket")
        paths = []
        for path in _strings(raw.get("paths", [])):
            if path.startswith("/"):
                paths.append(tuple(s.lower() for s in path.split("/") if s))
            else:
                self.fail(where, f"path {path!r} must start with '/'")
        methods = frozenset(m.upper() for m in _strings(raw.get("methods", [])))
        if any(not _METHOD.match(m) for m in methods):
            self.fail(where, f"methods must be HTTP method names, not {sorted(methods)}")
        hosts = self.rule_hosts(raw["hosts"], where) if "hosts" in raw else ()
        headers = []
        raw_headers = raw.get("headers") or {}
        if not isinstance(raw_headers, Mapping):
            self.fail(where, "headers must map header names to accepted values")
            raw_headers = {}
        for name, values in raw_headers.items():
            accepted = values if isinstance(values, list) else [values]
            headers.append((str(name).lower(), frozenset(str(v) for v in accepted)))
        websocket = raw.get("websocket", False)
        if "websocket" in raw and websocket is not True:
            self.fail(where, "websocket must be true (or left out)")
        operations = frozenset(_strings(raw.get("operations", [])))
        if "operations" in raw and not operations:
            self.fail(where, "operations must be a non-empty list of GraphQL operation names")
        for name in sorted(operations):
            if not _OPERATION.match(name):
                self.fail(where, f"operation {name!r} is not a GraphQL operation name")
        if len(self.problems) > problems:
            return None
        return Rule(
            raw["activity"],
            tuple(paths),
            methods,
            hosts,
            tuple(headers),
            websocket=websocket is True,
            operations=operations,
        )

    def rule_hosts(self, raw: Any, where: Where) -> tuple[str, ...]:
        """Rule hosts: domains as in ``domains``, or patterns with "*" in the first label."""
        if not isinstance(raw, list) or not raw:
            self.fail(where, "hosts must be a non-empty list of domain names")
            return ()
        patterns = [h for h in raw if isinstance(h, str) and "*" in h]
        plain = [h for h in raw if not (isinstance(h, str) and "*" in h)]
        hosts = list(self.domains(plain, where, "hosts")) if plain else []
        for pattern in patterns:
            label, _, parent = pattern.strip().lower().partition(".")
            domain = normalize_domain(parent)
            if not _HOST_PATTERN_LABEL.match(label) or label.count("*") != 1 or domain is None:
                self.fail(
                    where,
                    f"hosts: {pattern!r} is not a host pattern (one '*' inside the first label, "
                    "as in im-api*.tiktok.com)",
                )
            elif is_public_suffix(domain):
                self.fail(where, f"hosts: {pattern!r} would match hosts under a public suffix")
            else:
                hosts.append(f"{label}.{domain}")
        return tuple(hosts)

    def activity_actions(self, raw: Any, where: Where, key: str) -> dict[str, str]:
        if not isinstance(raw, Mapping):
            self.fail(where, f"{key} must map activities to actions")
            return {}
        result = {}
        for activity, action in raw.items():
            if activity not in ACTIVITIES:
                self.fail(
                    where, f"{key}: {activity!r} is not an activity ({', '.join(ACTIVITIES)})"
                )
            elif activity in FIXED_ACTIONS and action != FIXED_ACTIONS[activity]:
                self.fail(where, f"{key}.{activity}: is always {FIXED_ACTIONS[activity]!r}")
            elif action not in ACTIONS:
                self.fail(
                    where, f"{key}.{activity}: {action!r} is not an action ({', '.join(ACTIONS)})"
                )
            else:
                result[activity] = action
        return result

    def approval(self, raw: Any, index: int) -> dict[str, Any] | None:
        where = self.where(raw, f"approvals[{index}]")
        if not isinstance(raw, Mapping) or not isinstance(raw.get("platform"), str):
            self.fail(where, "an approval needs a 'platform' id")
            return None
        approved_on = _date(raw.get("approved_on"))
        if approved_on is None:
            self.fail(where, "approved_on must be a date (YYYY-MM-DD)")
            return None
        if not self.texts_fit(raw, where, ("platform", "reference")):
            return None
        return {**raw, "approved_on": approved_on, "where": where}

    def account(self, raw: Any, index: int) -> dict[str, Any] | None:
        where = self.where(raw, f"accounts[{index}]")
        if not isinstance(raw, Mapping) or not isinstance(raw.get("platform"), str):
            self.fail(where, "an account needs a 'platform' id")
            return None
        if not isinstance(raw.get("handle"), str) or not raw["handle"]:
            self.fail(where, "an account needs a 'handle'")
            return None
        officials = raw.get("officials", [])
        if not isinstance(officials, list) or not self.people_fit(officials, where, "officials"):
            self.fail(where, "officials must be a list of email addresses")
            return None
        if not self.texts_fit(raw, where, ("platform", "handle", "sponsor")):
            return None
        return {**raw, "where": where}

    def texts_fit(self, raw: Mapping[str, Any], where: Where, keys: tuple[str, ...]) -> bool:
        """Register fields are short text (the admin site stores them in sized columns)."""
        fits = True
        for key in keys:
            value = raw.get(key)
            if value is not None and len(str(value)) > TEXT_LIMITS[key]:
                self.fail(where, f"{key} is longer than {TEXT_LIMITS[key]} characters")
                fits = False
        return fits

    def people_fit(self, people: list[Any], where: Where, key: str) -> bool:
        if len(people) > MAX_PEOPLE or any(len(str(p)) > 200 for p in people):
            self.fail(where, f"{key}: at most {MAX_PEOPLE} addresses of at most 200 characters")
            return False
        return True

    def exemption(self, raw: Any, index: int) -> tuple[Exemption, dict[str, Any]] | None:
        where = self.where(raw, f"exemptions[{index}]")
        if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str):
            self.fail(where, "an exemption needs a 'name'")
            return None
        if not self.texts_fit(raw, where, ("name",)) or not self.people_fit(
            _strings(raw.get("users", [])) + _strings(raw.get("networks", [])), where, "users"
        ):
            return None
        users = [u.strip().lower() for u in _strings(raw.get("users", []))]
        networks = []
        for text in _strings(raw.get("networks", [])):
            try:
                networks.append(ipaddress.ip_network(text))
            except ValueError as error:
                self.fail(where, f"network {text!r}: {error}")
        if not users and not raw.get("networks"):
            self.fail(where, "an exemption needs users or networks")
        if len(networks) < len(_strings(raw.get("networks", []))) or not (users or networks):
            return None
        exemption = Exemption(
            name=raw["name"],
            users=frozenset(u for u in users if not u.startswith("@")),
            user_domains=tuple(u for u in users if u.startswith("@")),
            networks=tuple(networks),
        )
        return exemption, {
            "name": raw["name"],
            "users": users,
            "networks": [str(n) for n in networks],
        }

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
                    self.fail(where, f"{key} must be a whole number from {low} to {high}")
            elif key in SETTINGS_TEXT:
                if not isinstance(value, str) or len(value) > SETTINGS_TEXT[key]:
                    self.fail(
                        where, f"{key} must be text of at most {SETTINGS_TEXT[key]} characters"
                    )
                elif key in SETTINGS_URLS and value and not _URL.match(value):
                    self.fail(where, f"{key} must be an http:// or https:// address")
                else:
                    result[key] = value
            elif key == "staff_domains":
                result[key] = list(self.domains(value, where, "staff_domains"))
            elif key == "time_zone":
                if isinstance(value, str) and is_time_zone(value):
                    result[key] = value
                else:
                    self.fail(where, f"time_zone: {value!r} is not a zone such as America/Chicago")
            elif key == "actions":
                result[key] = self.action_table(value, where)
            else:
                self.fail(where, f"unknown setting {key!r}")
        return result

    def action_table(self, raw: Any, where: Where) -> dict[str, dict[str, dict[str, str]]]:
        """``{category: {approved|unapproved: {activity: action}}}``, merged over the defaults."""
        if not isinstance(raw, Mapping):
            self.fail(where, "settings.actions must map categories to approved/unapproved tables")
            return {}
        table: dict[str, dict[str, dict[str, str]]] = {}
        for category, by_approval in raw.items():
            if category not in CATEGORIES:
                self.fail(where, f"settings.actions: {category!r} is not a category")
                continue
            if not isinstance(by_approval, Mapping):
                self.fail(where, f"settings.actions.{category} must have approved/unapproved")
                continue
            for approval, actions in by_approval.items():
                if approval not in ("approved", "unapproved"):
                    self.fail(
                        where,
                        f"settings.actions.{category}: {approval!r} must be "
                        "'approved' or 'unapproved'",
                    )
                    continue
                table.setdefault(category, {})[approval] = self.activity_actions(
                    actions, where, f"settings.actions.{category}.{approval}"
                )
        return table


def is_time_zone(name: str) -> bool:
    """An IANA time zone name (``America/Chicago``) this machine knows."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def normalize_domain(value: Any) -> str | None:
    """Lowercase ASCII form of a domain name (Unicode becomes punycode), or None if invalid."""
    if not isinstance(value, str):
        return None
    if _PLAIN_DOMAIN.match(value):
        return value
    text = value.strip().strip(".").lower()
    if not text.isascii():
        try:
            text = idna.encode(text, uts46=True, transitional=False).decode("ascii")
        except idna.IDNAError:
            return None
    labels = text.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return None
    return text


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def _date(value: Any) -> str | None:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            return None
    return None
