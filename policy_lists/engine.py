"""Classify a URL against a compiled policy: the one place where StaffGuard decides.

>>> from policy_lists import load_policy
>>> policy = load_policy()
>>> v = policy.classify("https://www.instagram.com/direct/inbox/")
>>> v.platform_id, v.category, v.activity, v.action
('instagram', 'social_media', 'direct_message', 'warn')
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .feeds import FeedHit, FeedIndex
from .hashed import HashedDomains, first_line
from .memory import give_back
from .operations import header, is_upgrade, operations
from .urls import Target, parse_target, path_segments
from .vocabulary import ACTIVITIES


@dataclass(slots=True)
class Verdict:
    """What StaffGuard decided about one request, in docs/design.md's words.

    Not frozen only because frozen dataclasses cost five times as much to build, and a verdict
    is built for every request; treat it as read-only.
    """

    url: str
    host: str
    platform_id: str | None
    platform: str | None
    category: str
    approved: bool
    activity: str
    action: str
    exempt: bool
    reason: str
    policy_ref: str
    feed: str | None = None  # the feed's name when only a category feed knows the site

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "host": self.host,
            "platform_id": self.platform_id,
            "platform": self.platform,
            "category": self.category,
            "approved": self.approved,
            "activity": self.activity,
            "action": self.action,
            "exempt": self.exempt,
            "reason": self.reason,
            "policy_ref": self.policy_ref,
            "feed": self.feed,
        }


@dataclass(frozen=True, slots=True)
class _Rule:
    activity: str
    paths: tuple[tuple[str, ...], ...]
    methods: frozenset[str]
    hosts: tuple[str, ...]  # plain hosts: the host or its subdomains
    host_suffixes: tuple[str, ...]  # ".host" for each: one ``endswith`` finds a subdomain
    host_patterns: tuple[tuple[str, str, str], ...]  # "pre*suf.parent" as (pre, suf, parent)
    headers: tuple[tuple[str, frozenset[str]], ...]
    websocket: bool
    operations: frozenset[str]  # lowercase

    def matches_host(self, host: str) -> bool:
        """Whether ``host`` is (under) one of the rule's hosts; true when it names none."""
        if not (self.hosts or self.host_patterns):
            return True
        if host in self.hosts or host.endswith(self.host_suffixes):
            return True
        for prefix, suffix, parent in self.host_patterns:
            if host.endswith("." + parent):
                label = host[: -len(parent) - 1].rpartition(".")[2]
                if (
                    len(label) >= len(prefix) + len(suffix)
                    and label.startswith(prefix)
                    and label.endswith(suffix)
                ):
                    return True
        return False


@dataclass(frozen=True, slots=True)
class _Platform:
    id: str
    name: str
    category: str
    approved: bool
    rules: tuple[_Rule, ...]
    verdicts: dict[str, tuple[str, str, str]]  # activity -> (action, reason, policy_ref)
    feed: str | None = None

    @property
    def needs_decision(self) -> bool:
        """True when some request to this platform could get more than a plain allow."""
        return bool(self.rules) or any(v[0] != "allow" for v in self.verdicts.values())


# Listed text dropped between hand-backs (``keep_listed_text=False``): 16 MB, a handful of
# malloc_trim calls for a five-million-name list (each walks the heap's free blocks)
_GIVE_BACK_CHARS = 4 << 20

MAX_DNS_NAME = 253  # characters of a DNS name in text form (RFC 1035's 255 octets on the wire)


def dns_tail(host: str) -> str:
    """``host`` if it can be a DNS name; else its last labels that fit in ``MAX_DNS_NAME``.

    Looking a host up walks its parents, hashing each: quadratic in its length, ~175 ms for a
    64 KiB host that anyone can put in a Host header. No real name is longer than 253
    characters, and a listed domain is at the end of a host (the registrable part), so the
    labels kept are the ones any listed domain can be: a long host never loses its warning.
    """
    if len(host) <= MAX_DNS_NAME:
        return host
    tail = host[-MAX_DNS_NAME - 1 :]
    return tail[tail.find(".") + 1 :] if "." in tail else ""


class Policy:
    """A compiled policy document with the indexes that make ``classify`` fast."""

    def __init__(self, compiled: Mapping[str, Any], *, keep_listed_text: bool = True):
        """``keep_listed_text=False``: each platform's ``domains_text`` is cut to its first
        name as soon as it is indexed, so the names' text (138 MB at five million names) and
        the index never exist whole together, the peak of a big list's load. The document is
        changed in place (still a valid compiled policy, apart from the names): save it first
        if it is kept anywhere. The first name stays because it is the platform's home domain
        (where a consumer shows a warning page on another of the platform's domains)."""
        self.compiled = compiled
        self.version: str = compiled["version"]
        self.settings: Mapping[str, Any] = compiled["settings"]
        self._domains: dict[str, _Platform] = {}
        # a domains_file's names: millions of them fit in a HashedDomains, not in _domains
        self._listed = HashedDomains()
        self._listed_platforms: list[_Platform] = []
        self.platforms: dict[str, _Platform] = {}
        shed = 0  # characters of listed text dropped and not yet handed back
        for raw in compiled["platforms"]:
            platform = _Platform(
                id=raw["id"],
                name=raw["name"],
                category=raw["category"],
                approved=raw["approved"],
                rules=tuple(_compile_rule(r) for r in raw["rules"]),
                verdicts={
                    a: (v["action"], v["reason"], v["policy_ref"])
                    for a, v in raw["verdicts"].items()
                },
            )
            self.platforms[platform.id] = platform
            self._domains.update(dict.fromkeys(raw["domains"], platform))
            if raw.get("domains_text"):
                self._listed.add(raw["domains_text"], len(self._listed_platforms))
                self._listed_platforms.append(platform)
                if not keep_listed_text:
                    shed += len(raw["domains_text"])
                    raw["domains_text"] = first_line(raw["domains_text"])
                    if shed >= _GIVE_BACK_CHARS:  # the freed text, before the index grows on
                        give_back()
                        shed = 0
        self._listed.seal()  # a big index is sorted now, not on the first request
        if shed:
            give_back()
        self._exemptions = [
            (e["name"], frozenset(e["users"]), tuple(e["user_domains"]), _ranges(e))
            for e in compiled["exemptions"]
        ]
        self._unclassified = (
            compiled["unclassified"]["reason"],
            compiled["unclassified"]["policy_ref"],
        )
        self._exempt = (compiled["exempt"]["reason"], compiled["exempt"]["policy_ref"])
        self.feeds = FeedIndex(compiled.get("feeds", ()), make=_feed_platform)

    def platform_for_host(self, host: str) -> _Platform | None:
        """The platform whose domain is ``host`` or its nearest listed parent."""
        host = dns_tail(host)
        name = host
        listed = self._listed if self._listed_platforms else None
        while True:
            platform = self._domains.get(name)
            if platform is not None:
                return platform
            if listed is not None:
                number = listed.get(name)
                if number is not None:
                    return self._listed_platforms[number]
            dot = name.find(".")
            if dot < 0:
                return self.feeds.find(host)
            name = name[dot + 1 :]

    def needs_decision(self, host: str) -> bool:
        """Whether traffic to ``host`` must be looked into (decrypted) to be decided."""
        platform = self.platform_for_host(host.lower().strip("."))
        return platform is not None and platform.needs_decision

    def needs_body(self, host: str) -> bool:
        """Whether a request to ``host`` may need its body (for a GraphQL operation name) to be
        decided: the proxy passes the body only then, and only its first 64 KiB is read."""
        host = host.lower().strip(".")
        platform = self.platform_for_host(host)
        return platform is not None and any(
            r.operations and r.matches_host(host) for r in platform.rules
        )

    def exemption_for(self, user: str | None, client_ip: str | None) -> str | None:
        """The name of the exemption that covers this user or client address, if any."""
        if not self._exemptions:
            return None
        user = user.strip().lower() if user else None
        address = _ip(client_ip) if client_ip else None
        for name, users, user_domains, networks in self._exemptions:
            if user and (user in users or (bool(user_domains) and user.endswith(user_domains))):
                return name
            if address is not None and any(
                address.version == version and first <= int(address) <= last
                for version, first, last in networks
            ):
                return name
        return None

    def classify(
        self,
        url: str,
        method: str | None = "GET",
        user: str | None = None,
        client_ip: str | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes | str | None = None,
    ) -> Verdict:
        """The verdict for one request; never raises, whatever ``url``, ``headers`` or ``body``
        hold. Only rules with ``operations`` read ``body``, and only its first 64 KiB."""
        target = parse_target(url) if isinstance(url, str) else None
        exemption = self.exemption_for(user, client_ip)
        if target is None:
            return self._unclassified_verdict(_strip_query(url), "", exemption)
        platform = self.platform_for_host(target.host)
        if platform is None:
            return self._unclassified_verdict(target.url, target.host, exemption)
        activity = _activity(platform, target, (method or "GET").upper(), headers, body)
        action, reason, ref = platform.verdicts[activity]
        if exemption is not None and action != "allow":
            action = "allow"
            reason = self._exempt[0].format(exemption=exemption)
            ref = self._exempt[1]
        return Verdict(
            target.url,
            target.host,
            platform.id,
            platform.name,
            platform.category,
            platform.approved,
            activity,
            action,
            exemption is not None,
            reason,
            ref,
            platform.feed,
        )

    def _unclassified_verdict(self, url: str, host: str, exemption: str | None) -> Verdict:
        reason, ref = self._unclassified
        return Verdict(
            url,
            host,
            None,
            None,
            "unclassified",
            False,
            "browse",
            "allow",
            exemption is not None,
            reason,
            ref,
        )


def _feed_platform(hit: FeedHit) -> _Platform:
    """Below every curated entry: a site a category feed lists, as a platform whose every
    request is browsing (feeds never bring activity rules)."""
    verdicts = dict.fromkeys(ACTIVITIES, hit.verdict)
    return _Platform(hit.domain, hit.domain, hit.category, False, (), verdicts, hit.name)


def _activity(
    platform: _Platform,
    target: Target,
    method: str,
    headers: Mapping[str, str] | None,
    body: object,
) -> str:
    if not platform.rules:
        return "browse"
    segments = path_segments(target.path)
    names: frozenset[str] | None = None
    for rule in platform.rules:
        if rule.methods and method not in rule.methods:
            continue
        if (rule.hosts or rule.host_patterns) and not rule.matches_host(target.host):
            continue
        if rule.headers and not all(
            headers is not None and header(headers, name) in accepted
            for name, accepted in rule.headers
        ):
            continue
        if rule.paths and not any(_has_prefix(segments, p) for p in rule.paths):
            continue
        if rule.websocket and not (target.scheme in ("ws", "wss") or is_upgrade(headers)):
            continue
        if rule.operations:
            if names is None:  # at most once a request, and only when a rule needs them
                names = operations(segments, headers, body)
            if rule.operations.isdisjoint(names):
                continue
        return rule.activity
    return "browse"


def _compile_rule(raw: Mapping[str, Any]) -> _Rule:
    patterns = []
    for host in raw["hosts"]:
        if "*" in host:
            label, _, parent = host.partition(".")
            prefix, _, suffix = label.partition("*")
            patterns.append((prefix, suffix, parent))
    segments = raw.get("segments")
    if segments is None:  # a document compiled before segments were shipped
        segments = [[s for s in p.split("/") if s] for p in raw["paths"]]
    hosts = tuple(h for h in raw["hosts"] if "*" not in h)
    return _Rule(
        activity=raw["activity"],
        paths=tuple(tuple(p) for p in segments),
        methods=frozenset(raw["methods"]),
        hosts=hosts,
        host_suffixes=tuple("." + h for h in hosts),
        host_patterns=tuple(patterns),
        headers=tuple((name, frozenset(values)) for name, values in raw["headers"].items()),
        websocket=bool(raw.get("websocket", False)),
        operations=frozenset(name.lower() for name in raw.get("operations", ())),
    )


def _ranges(exemption: Mapping[str, Any]) -> tuple[tuple[int, int, int], ...]:
    """The exemption's networks as (version, first, last) address numbers."""
    if "network_ranges" in exemption:
        return tuple(
            (v, int(first, 16), int(last, 16)) for v, first, last in exemption["network_ranges"]
        )
    networks = [ipaddress.ip_network(n) for n in exemption["networks"]]
    return tuple((n.version, int(n.network_address), int(n.broadcast_address)) for n in networks)


def _has_prefix(segments: list[str], pattern: tuple[str, ...]) -> bool:
    if len(segments) < len(pattern):
        return False
    for p, s in zip(pattern, segments, strict=False):  # noqa: SIM110 (no generator per pattern)
        if p != s and p != "*":
            return False
    return True


@lru_cache(maxsize=4096)
def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def _strip_query(url: object) -> str:
    if not isinstance(url, str):
        return ""
    return url.split("#", 1)[0].split("?", 1)[0][:2048]
