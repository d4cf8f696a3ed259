"""Lists of millions of names: a ``domains_file`` is checked a chunk at a time and indexed by
hash, and it must decide exactly as a list read name by name would."""

from __future__ import annotations

import re
import sys
import textwrap
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policy_lists import PolicyError, compile_sources, load_policy
from policy_lists.domains import is_public_suffix
from policy_lists.engine import MAX_DNS_NAME, dns_tail
from policy_lists.hashed import (
    CHUNK_CHARS,
    COMPACT_FROM,
    HashedDomains,
    first_line,
    text_chunks,
)
from policy_lists.schema.bulk import all_plain
from policy_lists.schema.values import PLAIN_DOMAIN, normalize_domain

LINES = 120_000  # about 2.5 MB of names: three chunks of the file
# HashedDomains' two layouts: a compact index from the first name on, and a dict for any size
LAYOUTS = pytest.mark.parametrize("compact_from", [1, 1 << 40], ids=["compact", "dict"])


def big_list(tmp_path: Path, lines: list[str], extra: str = "") -> Path:
    (tmp_path / "blocked.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    path = tmp_path / "district.yaml"
    path.write_text(
        textwrap.dedent(
            """
            platforms:
              - id: blocked
                name: Blocked
                category: social_media
                domains_file: blocked.txt
            """
        )
        + extra,
        encoding="utf-8",
    )
    return path


def names(count: int) -> list[str]:
    return [f"site{n}.blocked-{n % 89}.example" for n in range(count)]


@LAYOUTS
def test_every_name_of_a_large_file_classifies_and_its_subdomains_too(
    tmp_path, monkeypatch, compact_from
):
    monkeypatch.setattr("policy_lists.hashed.COMPACT_FROM", compact_from)
    listed = names(LINES)
    policy = load_policy(big_list(tmp_path, listed))
    for name in [*listed[:: LINES // 50], listed[-1]]:
        assert policy.classify(f"https://www.{name}/x").platform_id == "blocked", name
    assert policy.classify("https://site1.blocked-2.example/").platform_id is None
    assert policy.classify("https://blocked-1.example/").platform_id is None


def test_a_bad_line_deep_in_a_large_file_is_named_by_its_number(tmp_path):
    listed = names(LINES)
    listed[100_000] = "not a domain"
    listed[110_000] = "co.uk"
    with pytest.raises(PolicyError) as caught:
        load_policy(big_list(tmp_path, listed))
    assert [p.message.rpartition(": ")[0] for p in caught.value.problems] == [
        "domains_file 'blocked.txt' line 100001",
        "domains_file 'blocked.txt' line 110001",
    ]


def test_comments_capitals_and_windows_line_ends_in_a_large_file_still_read(tmp_path):
    listed = names(LINES)
    listed[5] = "# a comment line"
    listed[70_000] = "Mixed.Example  # a trailing comment"
    path = big_list(tmp_path, [])
    (tmp_path / "blocked.txt").write_bytes("\r\n".join(listed).encode())
    policy = load_policy(path)
    assert policy.classify("https://mixed.example/").platform_id == "blocked"
    assert policy.classify(f"https://{listed[-1]}/").platform_id == "blocked"
    text = compile_sources(path)["platforms"][0]["domains_text"]
    assert text.count("\n") == LINES - 2 and "#" not in text and "\r" not in text


def test_compiling_a_large_file_holds_its_names_twice_at_most(tmp_path):
    """The file's bytes and its text, for a moment: no stripped copy, no copy to hash or to
    search for a rule's host (here the file's last name, the end of its text)."""
    listed = names(LINES * 3)
    extra = f"    rules:\n      - activity: direct_message\n        hosts: [{listed[-1]}]\n"
    path = big_list(tmp_path, listed, extra)
    size = (tmp_path / "blocked.txt").stat().st_size
    tracemalloc.start()
    try:
        compiled = compile_sources(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2.2 * size, peak / size
    assert compiled["platforms"][0]["domains_text"] == "\n".join(listed)


@pytest.mark.parametrize(
    ("lines", "host", "owned"),
    [
        (["a.example", "b.example", "c.example"], "x.a.example", True),  # the first line
        (["a.example", "b.example", "c.example"], "b.example", True),
        (["a.example", "b.example", "c.example"], "c.example", True),  # the last line
        (["only.example"], "m.only.example", True),
        (["a.example", "sub.b.example"], "b.example", False),  # a parent is not listed
        (["xa.example", "b.example"], "a.example", False),  # a line's end is not a name
        (["a.example.org", "b.example"], "a.example", False),  # nor is a line's start
    ],
)
def test_a_rule_host_must_be_under_a_name_of_the_platforms_file(tmp_path, lines, host, owned):
    extra = f"    rules:\n      - activity: direct_message\n        hosts: [{host}]\n"
    path = big_list(tmp_path, lines, extra)
    if owned:
        assert compile_sources(path)["platforms"][0]["rules"][0]["hosts"] == [host]
    else:
        with pytest.raises(PolicyError, match="not under the platform"):
            compile_sources(path)


def test_an_inline_domain_wins_over_the_same_name_in_another_platforms_file(tmp_path):
    """The nearest listed name decides; at one name, an inline domain ranks above a file's."""
    extra = (
        "  - id: chatter\n    name: Chatter\n    category: direct_messaging\n"
        "    domains: [site7.blocked-7.example]\n"
    )
    policy = load_policy(big_list(tmp_path, names(100), extra))
    assert policy.classify("https://site7.blocked-7.example/").platform_id == "chatter"
    assert policy.classify("https://a.site8.blocked-8.example/").platform_id == "blocked"


def test_a_later_source_that_lists_domains_inline_replaces_the_file(tmp_path):
    (tmp_path / "a").mkdir()
    first = big_list(tmp_path / "a", names(10))
    later = tmp_path / "later.yaml"
    later.write_text("platforms:\n  - id: blocked\n    domains: [other.example]\n")
    policy = load_policy(first, later)
    assert policy.classify("https://other.example/").platform_id == "blocked"
    assert policy.classify("https://site1.blocked-1.example/").platform_id is None


def test_chunks_keep_whole_lines_and_lose_none():
    text = "\n".join(names(50_000))
    pieces = list(text_chunks(text, size=CHUNK_CHARS // 8))
    assert len(pieces) > 2 and "\n".join(pieces) == text
    assert all(not p.startswith("\n") and not p.endswith("\n") for p in pieces)


@LAYOUTS
def test_a_hashed_index_keeps_the_last_number_given_to_a_name(compact_from):
    listed = HashedDomains(compact_from)
    listed.add("a.example\nb.example", 0)
    listed.add("b.example\nc.example", 1)
    assert (listed.get("a.example"), listed.get("b.example"), listed.get("c.example")) == (0, 1, 1)
    assert listed.get("d.example") is None and len(listed) == 3


@LAYOUTS
def test_a_sealed_hashed_index_takes_no_more_names(compact_from):
    listed = HashedDomains(compact_from)
    listed.add("a.example", 0)
    assert listed.get("a.example") == 0
    with pytest.raises(RuntimeError):
        listed.add("b.example", 1)


def test_without_numpy_a_big_index_still_answers_and_says_why_it_is_bigger(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "numpy", None)  # ``import numpy`` raises ImportError
    listed = HashedDomains(compact_from=1)
    listed.add("a.example\nb.example", 4)
    assert (listed.get("a.example"), listed.get("c.example"), len(listed)) == (4, None, 2)
    assert "numpy" in caplog.text


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from([f"n{n}.example" for n in range(40)]), max_size=30),
            st.sampled_from([0, 1, 2, 65_535, 65_536, 70_000]),
        ),
        max_size=6,
    )
)
def test_the_compact_index_answers_as_the_dict_does(adds):
    """Same numbers (the last add wins), same misses, same size, whichever layout."""
    compact, small = HashedDomains(compact_from=1), HashedDomains(compact_from=1 << 40)
    for lines, number in adds:
        compact.add("\n".join(lines), number)
        small.add("\n".join(lines), number)
    assert len(compact) == len(small)
    for name in [f"n{n}.example" for n in range(45)]:
        assert compact.get(name) == small.get(name), name


def test_a_big_index_holds_no_object_a_name():
    """Past COMPACT_FROM names no object is kept per name: as a dict of int keys the same
    index took about 70 bytes a name (tracemalloc sees numpy's arrays too)."""
    import numpy  # noqa: F401  (imported by the first big index; its modules are not the index)

    count = COMPACT_FROM + 50_000
    text = "\n".join(names(count))
    tracemalloc.start()
    try:
        listed = HashedDomains()
        listed.add(text, 3)
        listed.seal()
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert held / count < 20, held / count
    assert listed.get(names(count)[-1]) == 3 and listed.get("site1.blocked-2.example") is None


EDGES = [
    "a" * 63 + ".com", "a" * 64 + ".com", "a.b" + "c" * 63, "a.b" + "c" * 64, "a-.com", "a_.com",
    "_a.com", "a-b_c.d-", "a..com", ".a.com", "a.com.", "a.c", "a.-c", "a.c-", "9.99", "a\nb.com",
]  # fmt: skip
label = st.text(alphabet="abcz09-_.", min_size=1, max_size=12)
line = st.one_of(
    st.builds(lambda a, b: f"{a}.{b}", label, st.sampled_from(["com", "co.uk", "ck", "io", "x"])),
    st.sampled_from(["github.io", "www.ck", "a.ck", "uk", "x" * 64 + ".com", "a.b_c", "-a.com"]),
    label,
)


@settings(max_examples=500, deadline=None)
@given(st.lists(line, min_size=1, max_size=8))
def test_a_chunk_called_plain_holds_only_names_the_line_by_line_check_keeps(lines):
    """The whole-chunk check may send good chunks line by line, never let a bad name through."""
    if all_plain("\n".join(lines)):
        for name in lines:
            assert normalize_domain(name) == name and not is_public_suffix(name), name


# PLAIN_DOMAIN as first written (backtracking); the possessive spelling must match the same names.
_BACKTRACKING = re.compile(r"(?:[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}\Z")
_POSSESSIVE = re.compile(PLAIN_DOMAIN + r"\Z")


@settings(max_examples=2000, deadline=None)
@given(st.one_of(line, st.text(alphabet="ab9-_.\n", max_size=70), st.sampled_from(EDGES)))
def test_the_possessive_plain_domain_pattern_matches_the_same_names(text):
    assert bool(_POSSESSIVE.match(text)) == bool(_BACKTRACKING.match(text)), text


def long_host(ending: str, size: int = 64 * 1024) -> str:
    """A host of ``size`` characters of short labels, then ``ending``: longer than any DNS name."""
    labels = "a1b2c3d4." * (size // 9)
    return labels + ending


def test_a_64_kib_host_ending_in_a_listed_domain_is_still_warned():
    """Over-long hosts are looked up by their last 253 characters (the cost: a bench line,
    bench/classify.py --long-host); the listed part is at the end, so the warning stays."""
    policy = load_policy()
    host = long_host("tiktok.com")
    verdict = policy.classify(f"https://{host}/@lincolnhigh")
    assert (verdict.platform_id, verdict.action) == ("tiktok", "warn")
    assert policy.platform_for_host(long_host("wikipedia.org")) is not None, "an allowed one too"
    assert policy.classify(f"https://{long_host('lincolnbank.com')}/").platform_id is None


def test_a_long_host_ending_in_a_name_of_a_large_file_is_still_listed(tmp_path):
    listed = names(2_000)
    policy = load_policy(big_list(tmp_path, listed))
    assert policy.platform_for_host(long_host(listed[-1], 1000)).id == "blocked"
    assert policy.platform_for_host(long_host(listed[-1][1:], 1000)) is None, "a label cut"


@pytest.mark.parametrize(
    ("host", "tail"),
    [
        ("www.tiktok.com", "www.tiktok.com"),
        ("a" * 250 + ".com", "com"),  # 254 characters: the first label does not fit
        ("b." + "a" * 249 + ".com", "a" * 249 + ".com"),  # the cut falls on the dot: 253 kept
        ("x" * 300, ""),  # one label longer than any name: nothing can be listed
    ],
)
def test_the_dns_tail_keeps_whole_labels_that_fit(host, tail):
    assert dns_tail(host) == tail and len(dns_tail(host)) <= MAX_DNS_NAME


def test_a_policy_can_drop_each_lists_text_once_indexed(tmp_path):
    """keep_listed_text=False (the proxy's load) classifies as before; each domains_file's text
    is cut to its first name, the platform's home, and the inline names are untouched."""
    listed = names(LINES)
    extra = "  - {id: inline, name: Inline, category: social_media, domains: [inline.example]}\n"
    path = big_list(tmp_path, listed, extra)
    kept = load_policy(path)
    shed = load_policy(path, keep_listed_text=False)
    for name in [*listed[:: LINES // 50], listed[-1], "inline.example", "other.example"]:
        url = f"https://www.{name}/x"
        assert shed.classify(url) == kept.classify(url), name
    platforms = {p["id"]: p for p in shed.compiled["platforms"]}
    assert platforms["blocked"]["domains_text"] == listed[0]
    assert platforms["inline"]["domains"] == ["inline.example"]
    assert {p["id"]: p for p in kept.compiled["platforms"]}["blocked"]["domains_text"].count(
        "\n"
    ) == (LINES - 1)


@pytest.mark.parametrize(
    ("text", "first"), [("a.example\nb.example", "a.example"), ("a.example", "a.example"), ("", "")]
)
def test_the_first_line_of_a_list(text, first):
    assert first_line(text) == first
