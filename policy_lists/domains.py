"""Registrable domains ("eTLD+1") from tldextract's bundled Public Suffix List, never fetched."""

from __future__ import annotations

from functools import cache, lru_cache

import tldextract

_EXTRACT = tldextract.TLDExtract(
    suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
)


@lru_cache(maxsize=65536)
def registrable_domain(host: str) -> str | None:
    """``www.bbc.co.uk`` -> ``bbc.co.uk``; None for public suffixes, IP literals and junk.

    >>> registrable_domain("cdn.fbcdn.net"), registrable_domain("co.uk")
    ('fbcdn.net', None)
    """
    parts = _EXTRACT(host.strip(".").lower())
    if not parts.domain or not parts.suffix:
        return None
    return f"{parts.domain}.{parts.suffix}"


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
    rules = _EXTRACT.tlds
    exact = frozenset(r for r in rules if not r.startswith(("*", "!")))
    wildcard_parents = frozenset(r[2:] for r in rules if r.startswith("*."))
    exceptions = frozenset(r[1:] for r in rules if r.startswith("!"))
    return exact, wildcard_parents, exceptions
