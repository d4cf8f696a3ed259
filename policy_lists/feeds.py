"""Category feeds: public domain lists read into one sorted set of domains each, and layered
*below* every curated entry.

No hand-kept list keeps up with the platforms staff meet, so a district may add the category
lists it already uses: squidGuard/UT1 ``domains`` files (or a UT1 ``.tar.gz``), hosts files,
AdBlock-style ``||domain^`` lists and AdGuard's HostlistsRegistry service files. A feed names a
*category* only: it never brings activity rules, and a shipped or district entry for a domain
(or for its parent) always wins over it. Its verdicts name the feed, so the log shows where a
warning came from.

>>> parse(b"0.0.0.0 Example.COM\\n127.0.0.1 localhost\\n0.0.0.0 co.uk\\n", "hosts")
Parsed(domains=('example.com',), ignored=0, invalid=2)
>>> parse(b"||a.example^\\n||b.example/path^\\n@@||c.example^\\n", "adblock")
Parsed(domains=('a.example',), ignored=2, invalid=0)
"""

from __future__ import annotations

import gzip
import io
import ipaddress
import json
import re
import tarfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Generic, TypeVar

import yaml

from .domains import is_public_suffix
from .hashed import HashedDomains
from .texts import reason_for

FORMATS = {
    "domains": "one domain a line (squidGuard/UT1 'domains'; a UT1 .tar.gz with its member)",
    "hosts": "a hosts file: an address, then names ('0.0.0.0 example.com')",
    "adblock": "AdBlock-style rules ('||example.com^'); rules with paths or options are ignored",
    "adguard_services": "AdGuard HostlistsRegistry: a service .yml, or services.json by group",
}
T = TypeVar("T")
DEFINITIONS = Path(__file__).with_name("feed_definitions.yaml")
MAX_BYTES = 64 * 1024 * 1024
MAX_DOMAINS = 2_000_000
DOMAIN = "{domain}"  # where a feed verdict's reason names the site, filled in by each engine

_NAME = re.compile(
    r"(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
)
_LOCAL_SUFFIXES = ("localhost", "local", "localdomain", "invalid", "test", "onion", "arpa")
_HONOURED_OPTIONS = frozenset({"important", "all", "document", "doc"})
_LOOPBACK_ADDRESSES = frozenset({"0.0.0.0", "127.0.0.1", "::", "::1", "0"})


class FeedError(ValueError):
    """A feed that cannot be read: the message says why, for the admin who added it."""


@dataclass(frozen=True, slots=True)
class Parsed:
    domains: tuple[str, ...]  # sorted, unique, none under another
    ignored: int  # rules the format allows but a domain list cannot honour (paths, options, @@)
    invalid: int  # entries that are no site: addresses, localhost, public suffixes, junk


@dataclass(frozen=True, slots=True)
class FeedLayer:
    """What the compiler needs of one enabled feed: its name, category and last good copy."""

    name: str
    category: str
    domains: str  # sorted, newline-joined: compact in the compiled document


@cache
def shipped_definitions() -> dict[str, dict[str, str]]:
    """The ready-made feeds StaffGuard ships (none enabled), by id.

    >>> shipped_definitions()["ut1_social_networks"]["category"]
    'social_media'
    """
    data = yaml.safe_load(DEFINITIONS.read_text(encoding="utf-8"))
    return {str(d["id"]): {k: str(v) for k, v in d.items()} for d in data["feeds"]}


def normalise(text: str) -> str | None:
    """The site a feed entry names, as hosts are compared (lowercase ASCII), or None.

    >>> normalise("*.Bücher.example."), normalise("10.0.0.1"), normalise("github.io")
    ('xn--bcher-kva.example', None, None)
    """
    name = text.strip().lower().removeprefix("*.").strip(".")
    if not name.isascii():
        try:
            name = name.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if len(name) > 253 or not _NAME.fullmatch(name):
        return None
    top = name.rpartition(".")[2]
    if top.isdigit() or top in _LOCAL_SUFFIXES or is_public_suffix(name):
        return None
    return name


def parse(data: bytes, format: str, member: str = "", max_domains: int = MAX_DOMAINS) -> Parsed:
    """Read a feed's bytes in ``format``; FeedError when it is not that format or too large."""
    if format not in FORMATS:
        raise FeedError(f"unknown format {format!r}; one of {', '.join(FORMATS)}")
    if data[:2] == b"\x1f\x8b":
        data = _tar_member(data, member) if _is_tar(data) else _gunzip(data)
    text = data.decode("utf-8", errors="replace")
    entries: Iterable[str]
    if format == "hosts":
        entries, ignored = _hosts(text), 0
    elif format == "adblock":
        entries, ignored = _adblock(text.splitlines())
    elif format == "adguard_services":
        entries, ignored = _adblock(_service_rules(text, member))
    else:
        entries, ignored = _lines(text), 0
    domains: set[str] = set()
    invalid = 0
    for entry in entries:
        name = normalise(entry)
        if name is None:
            invalid += 1
        else:
            domains.add(name)
    if len(domains) > max_domains:
        raise FeedError(f"{len(domains):,} domains, more than the limit of {max_domains:,}")
    return Parsed(
        tuple(sorted(d for d in domains if not _parent_listed(d, domains))), ignored, invalid
    )


def _parent_listed(domain: str, domains: set[str]) -> bool:
    """Whether a parent of ``domain`` is listed too: it matches anyway, and one name per site
    keeps the verdicts (and the log) saying ``vk.com`` rather than ``www.vk.com``."""
    dot = domain.find(".")
    while dot >= 0:
        domain = domain[dot + 1 :]
        if domain in domains:
            return True
        dot = domain.find(".")
    return False


def _lines(text: str) -> Iterator[str]:
    for line in text.splitlines():
        entry = line.partition("#")[0].strip()
        if entry:
            yield entry.split()[0]


def _hosts(text: str) -> Iterator[str]:
    for line in text.splitlines():
        parts = line.partition("#")[0].split()
        if not parts:
            continue
        if len(parts) < 2 or not _is_address(parts[0]):
            yield ""  # counted as invalid: a hosts line starts with an address
            continue
        yield from parts[1:]


def _is_address(text: str) -> bool:
    if text in _LOOPBACK_ADDRESSES:
        return True
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _adblock(lines: Iterable[str]) -> tuple[list[str], int]:
    """Domains of ``||domain^`` rules; every other rule is counted, never half-honoured."""
    entries: list[str] = []
    ignored = 0
    for raw in lines:
        line = str(raw).strip()
        if not line or line.startswith(("!", "[", "#")):
            continue
        rule, _, options = line.partition("$")
        if (
            not rule.startswith("||")
            or not rule.endswith(("^", "^|"))
            or (options and not set(options.split(",")) <= _HONOURED_OPTIONS)
        ):
            ignored += 1
            continue
        domain = rule[2:].rstrip("|").removesuffix("^")
        if any(c in domain for c in "/*^|?=:"):
            ignored += 1
            continue
        entries.append(domain)
    return entries, ignored


def _service_rules(text: str, member: str) -> list[str]:
    """Rules of one HostlistsRegistry service file, or of services.json's chosen groups/ids."""
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as error:
        raise FeedError(f"not a HostlistsRegistry service file: {error}") from None
    if isinstance(data, dict) and isinstance(data.get("blocked_services"), list):
        wanted = {w.strip() for w in member.split(",") if w.strip()}
        if not wanted:
            raise FeedError("services.json: name the groups or service ids to take (member)")
        services = [
            s
            for s in data["blocked_services"]
            if isinstance(s, dict) and (s.get("group") in wanted or s.get("id") in wanted)
        ]
        if not services:
            raise FeedError(f"services.json has no service in {', '.join(sorted(wanted))}")
        return [str(r) for s in services for r in s.get("rules") or ()]
    if isinstance(data, dict) and isinstance(data.get("rules"), list):
        return [str(r) for r in data["rules"]]
    raise FeedError("not a HostlistsRegistry service file: no 'rules' list")


def _is_tar(data: bytes) -> bool:
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            return archive.next() is not None
    except (tarfile.TarError, OSError, EOFError):
        return False


def _gunzip(data: bytes) -> bytes:
    """A gzipped list (``hosts.gz``), unpacked no further than the size limit."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as unpacked:
            text = unpacked.read(MAX_BYTES + 1)
    except (OSError, EOFError) as error:
        raise FeedError(f"not a readable .gz: {error}") from None
    if len(text) > MAX_BYTES:
        raise FeedError(f"larger than {MAX_BYTES:,} bytes once unpacked")
    return text


def _tar_member(data: bytes, member: str) -> bytes:
    """The ``domains`` file of one category in a UT1 tarball (``social_networks/domains``)."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            files = [m for m in archive.getmembers() if m.isfile()]
            wanted = member.strip("/")
            chosen = [m for m in files if _is_member(m.name, wanted)]
            if len(chosen) != 1:
                names = ", ".join(m.name for m in files if m.name.endswith("domains")) or "none"
                raise FeedError(f"name the archive member to read (domains files: {names})")
            if chosen[0].size > MAX_BYTES:
                raise FeedError(f"{chosen[0].name} is larger than {MAX_BYTES:,} bytes")
            handle = archive.extractfile(chosen[0])
            return handle.read() if handle is not None else b""
    except (tarfile.TarError, OSError, EOFError) as error:
        raise FeedError(f"not a readable .tar.gz: {error}") from None


def _is_member(name: str, wanted: str) -> bool:
    """``social_networks`` picks ``blacklists/social_networks/domains``; a path picks itself."""
    if not wanted:
        return name == "domains" or name.endswith("/domains")
    return (
        name == wanted
        or name.endswith(("/" + wanted, "/" + wanted + "/domains"))
        or (name == wanted + "/domains")
    )


def compile_feeds(
    feeds: Iterable[FeedLayer], actions: Mapping[str, Mapping[str, Mapping[str, str]]]
) -> list[dict[str, Any]]:
    """The compiled document's ``feeds``: per feed its browse verdict and its domains.

    A feed site is never board-approved (approvals name platforms), so it gets the category's
    *unapproved* action; the reason keeps ``{domain}`` for each engine to fill in.
    """
    compiled = []
    for feed in feeds:
        action = actions.get(feed.category, {}).get("unapproved", {}).get("browse", "allow")
        reason, ref = reason_for(DOMAIN, feed.category, False, "browse", action)
        compiled.append(
            {
                "name": feed.name,
                "category": feed.category,
                "verdict": {
                    "action": action,
                    "reason": f"{reason} (from feed: {feed.name})",
                    "policy_ref": ref,
                },
                "domains": feed.domains,
            }
        )
    return compiled


@dataclass(frozen=True, slots=True)
class FeedHit:
    domain: str  # the listed domain: the host or its nearest listed parent
    name: str
    category: str
    verdict: tuple[str, str, str]  # (action, reason with the domain filled in, policy_ref)


class FeedIndex(Generic[T]):
    """Domain -> feed for the compiled document's feeds; the first feed listing a domain wins.

    ``make`` turns a hit into what the caller wants (the engine: a platform); its results are
    kept per listed domain, so a site visited again costs one dict look-up per parent name.
    """

    def __init__(self, feeds: Iterable[Mapping[str, Any]], make: Callable[[FeedHit], T]):
        feeds = list(feeds)
        self._make = make
        self._feeds = [
            (f["name"], f["category"], f["verdict"]["action"], f["verdict"]["reason"],
             f["verdict"]["policy_ref"])
            for f in feeds
        ]  # fmt: skip
        self._domains = HashedDomains()  # a feed may list millions of domains
        for number in reversed(range(len(feeds))):
            self._domains.add(str(feeds[number]["domains"]), number)
        self._domains.seal()
        self._made: dict[str, T] = {}

    def __len__(self) -> int:
        return len(self._domains)

    def find(self, host: str) -> T | None:
        """What ``make`` made of the feed listing ``host`` or its nearest listed parent."""
        if not self._domains:
            return None
        name = host
        dot = name.find(".")
        while dot >= 0:  # a feed never lists a single label (``normalise`` drops them)
            number = self._domains.get(name)
            if number is not None:
                made = self._made.get(name)
                return made if made is not None else self._remember(name, number)
            name = name[dot + 1 :]
            dot = name.find(".")
        return None

    def _remember(self, domain: str, number: int) -> T:
        feed, category, action, reason, ref = self._feeds[number]
        made = self._make(
            FeedHit(domain, feed, category, (action, reason.replace(DOMAIN, domain), ref))
        )
        if len(self._made) >= 65536:
            self._made.clear()
        self._made[domain] = made
        return made
