"""Registrable domains and public suffixes: the same answers as tldextract, the reference, which
the engine no longer imports for plain host names."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policy_lists.domains import _extractor, psl_rules, registrable_domain, suffix_rules


def tldextract_says(host: str) -> str | None:
    parts = _extractor()(host.strip(".").lower())
    return f"{parts.domain}.{parts.suffix}" if parts.domain and parts.suffix else None


def test_the_list_is_tldextracts_own():
    assert set(psl_rules()) == set(_extractor().tlds) and len(psl_rules()) > 5000


def test_every_rule_and_the_names_around_it_split_as_tldextract_splits_them():
    hosts = []
    for rule in psl_rules():
        name = rule.lstrip("!").replace("*", "x")
        for before in ("", "a.", "b.a.", "www.", "x.www.", "city.", "_.a.", "a.."):
            hosts += [before + name, before + name.partition(".")[2]]
    wrong = [h for h in hosts if registrable_domain(h) != tldextract_says(h)]
    assert not wrong, wrong[:5]


@pytest.mark.parametrize(
    "host",
    [
        "www.bbc.co.uk", "co.uk", "a.b.ck", "www.ck", "a.www.ck", "city.kawasaki.jp",
        "a.city.kawasaki.jp", "x.kawasaki.jp", "a.x.kawasaki.jp", "pages.github.io", "github.io",
        "1.2.3.4", "::1", "[::1]", "example.com:8080", "xn--bcher-kva.de", "bücher.de",
        "EXAMPLE.COM.", "", ".", "a..com", "localhost", "a.b.c.unknowntld",
    ],
)  # fmt: skip
def test_edge_hosts_split_as_tldextract_splits_them(host):
    assert registrable_domain(host) == tldextract_says(host)


@settings(max_examples=2000, deadline=None)
@given(
    st.text(alphabet="abcz09-_.", max_size=14),
    st.sampled_from(["", ".com", ".co.uk", ".ck", ".jp", ".kawasaki.jp", ".github.io", ".uk"]),
)
def test_generated_hosts_split_as_tldextract_splits_them(start, suffix):
    assert registrable_domain(start + suffix) == tldextract_says(start + suffix)


def test_suffix_sets_are_built_from_the_same_list():
    exact, wildcard_parents, exceptions = suffix_rules()
    assert "co.uk" in exact and "ck" in wildcard_parents and "www.ck" in exceptions


def test_a_proxys_suffix_look_ups_import_neither_tldextract_nor_requests():
    """tldextract brings requests and keeps the list in tries: ~10 MB of every proxy."""
    code = (
        "import sys\n"
        "from policy_lists import load_policy, registrable_domain\n"
        "from policy_lists.domains import is_public_suffix\n"
        "load_policy()\n"
        "assert registrable_domain('www.bbc.co.uk') == 'bbc.co.uk' and is_public_suffix('co.uk')\n"
        "print(sorted({'tldextract', 'requests'} & set(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
