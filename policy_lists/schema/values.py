"""The list format's vocabulary of values: limits, name patterns, and the typed entries a
checked list file becomes (``Document``)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import idna

from .problems import Where

_ID = re.compile(r"[a-z0-9_]+\Z")
_METHOD = re.compile(r"[A-Z]+\Z")
_LABEL = re.compile(r"(?!-)[a-z0-9_-]{1,63}(?<!-)\Z")
# Labels of 1-63 characters that start and end with a letter or digit, then a top-level label.
# Written possessively (a label ends only at its dot, so no other split can match) and with a
# look-behind for the last character instead of a backtracked ``[a-z0-9_-]{0,61}[a-z0-9]``: the
# same names, and a 5,000,000-name domains_file checks 2.3x faster (tests/engine/test_large_lists).
PLAIN_DOMAIN = r"(?:[a-z0-9][a-z0-9_-]{0,62}+(?<![_-])\.)++[a-z0-9-]{2,63}+"
_PLAIN_DOMAIN = re.compile(PLAIN_DOMAIN + r"\Z")
TOP_LEVEL_KEYS = ("platforms", "approvals", "accounts", "exemptions", "settings")
APPROVAL_KEYS = ("platform", "approved_on", "reference", "note", "source")
ACCOUNT_KEYS = ("platform", "handle", "sponsor", "officials", "note", "source")
EXEMPTION_KEYS = ("name", "users", "networks", "note", "source")
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
# About 7,000,000 names: a file is checked and indexed a chunk at a time, so one this size
# costs its text and its index (docs/performance.md), not a string object per name.
MAX_DOMAINS_FILE_BYTES = 192 * 1024 * 1024


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
    exemptions: list[Exemption] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)


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


def strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def as_date(value: Any) -> str | None:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            return None
    return None
