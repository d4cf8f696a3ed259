"""Registrable domains ("eTLD+1") from tldextract's bundled Public Suffix List, never fetched.

The list is read from tldextract's own snapshot file without importing tldextract, which brings
``requests`` and keeps the list as two tries of objects (about 11 MB in every proxy). A plain
host name (ASCII letters, digits, ``-``, ``_`` and dots, no punycode label) is matched here by
the same walk as tldextract's, over sets of strings; any other host (a port, brackets, punycode,
another script) is handed to tldextract itself, imported then.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

_PLAIN_HOST = re.compile(r"[a-z0-9._-]+")
# tldextract's reading of the list (suffix_list.py): one rule a line, private ones after this
_RULE = re.compile(r"^(?P<suffix>[.*!]*\w[\S]*)", re.UNICODE | re.MULTILINE)
_PRIVATE_FROM = "// ===BEGIN PRIVATE DOMAINS==="


@lru_cache(maxsize=65536)
def registrable_domain(host: str) -> str | None:
    """``www.bbc.co.uk`` -> ``bbc.co.uk``; None for public suffixes, IP literals and junk.

    >>> registrable_domain("cdn.fbcdn.net"), registrable_domain("co.uk")
    ('fbcdn.net', None)
    """
    host = host.strip(".").lower()
    if not _PLAIN_HOST.fullmatch(host) or "xn--" in host:
        parts = _extractor()(host)
        return f"{parts.domain}.{parts.suffix}" if parts.domain and parts.suffix else None
    labels = host.split(".")
    start = _suffix_start(labels)
    if start in (0, len(labels)) or not labels[start - 1]:
        return None
    return ".".join(labels[start - 1 :])


def _suffix_start(labels: list[str]) -> int:
    """Where the public suffix of ``labels`` starts (``len(labels)``: none), as tldextract's
    trie walk finds it: from the right while the labels lead along some rule, the last rule
    passed being the suffix, unless a wildcard rule takes the next label (or an exception
    to it stops one short)."""
    nodes, rules = _suffix_sets()
    path, matched, suffix = "", len(labels), len(labels)
    for at in range(len(labels) - 1, -1, -1):
        candidate = f"{labels[at]}.{path}" if path else labels[at]
        if candidate in nodes:
            path, matched = candidate, at
            if candidate in rules:
                suffix = at
            continue
        if (f"*.{path}" if path else "*") in nodes:
            return matched if f"!{labels[at]}.{path}" in nodes else at
        break
    return suffix


@cache
def _suffix_sets() -> tuple[frozenset[str], frozenset[str]]:
    """Every rule's trailing labels (the trie's nodes, as names), and the rules themselves."""
    rules = frozenset(psl_rules())
    nodes: set[str] = set()
    for rule in rules:
        labels = rule.split(".")
        nodes.update(".".join(labels[at:]) for at in range(len(labels)))
    return frozenset(nodes), rules


@cache
def psl_rules() -> tuple[str, ...]:
    """The Public Suffix List's rules, ICANN and private, as tldextract reads its snapshot."""
    spec = find_spec("tldextract")  # finds the package without running it
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("tldextract (the Public Suffix List's copy) is not installed")
    snapshot = Path(next(iter(spec.submodule_search_locations))) / ".tld_set_snapshot"
    public, _, private = snapshot.read_text(encoding="utf-8").partition(_PRIVATE_FROM)
    return tuple(m.group("suffix") for text in (public, private) for m in _RULE.finditer(text))


@cache
def _extractor() -> Any:
    import tldextract

    return tldextract.TLDExtract(
        suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
    )


def is_public_suffix(domain: str) -> bool:
    """Whether ``domain`` itself is on the Public Suffix List (``co.uk``, ``github.io``).

    Set look-ups instead of a full extraction per name, so a million-domain list validates fast.

    >>> is_public_suffix("github.io"), is_public_suffix("pages.github.io")
    (True, False)
    """
    exact, wildcard_parents, exceptions = suffix_rules()
    if domain in exact:
        return True
    parent = domain.partition(".")[2]
    return parent in wildcard_parents and domain not in exceptions


@cache
def suffix_rules() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """The Public Suffix List's exact suffixes, wildcard parents (``ck`` of ``*.ck``) and
    exceptions (``www.ck``)."""
    rules = psl_rules()
    exact = frozenset(r for r in rules if not r.startswith(("*", "!")))
    wildcard_parents = frozenset(r[2:] for r in rules if r.startswith("*."))
    exceptions = frozenset(r[1:] for r in rules if r.startswith("!"))
    return exact, wildcard_parents, exceptions
