"""Coverage of the shipped lists: the social platforms public category lists name are known,
popular non-social sites stay allowed, and every added entry says where it comes from.

The social table is drawn from public category lists (the tag says which: UT1 social_networks,
AdGuard's blocked-services registry, NextDNS parental-control services, Sinfonietta's social
hosts) and, tagged "popular", from platforms with large audiences that none of those lists
carries yet. The non-social table is what staff open all day: a warning there costs trust.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from policy_lists import DEFAULTS, load_policy
from policy_lists.loader import read_source
from staffguard_testkit.hosts import NOT_SOCIAL, SOCIAL

POLICY = load_policy()
ENTRIES = read_source(DEFAULTS).platforms
VECTORS = Path(__file__).resolve().parent.parent / "vectors" / "cases" / "coverage.json"

# Files the coverage work added; every entry in them carries a `source`.
COVERAGE_FILES = {
    "social_media_world.yaml",
    "social_media_communities.yaml",
    "fediverse.yaml",
    "messaging_world.yaml",
    "content_services_more.yaml",
}


def test_the_tables_are_as_large_as_promised():
    assert len(SOCIAL) >= 200 and len(set(SOCIAL)) == len(SOCIAL)
    assert len(NOT_SOCIAL) >= 250 and len(set(NOT_SOCIAL)) == len(NOT_SOCIAL)


@pytest.mark.parametrize(("host", "listed_by"), SOCIAL, ids=[h for h, _ in SOCIAL])
def test_social_platforms_from_the_category_lists_are_classified(host, listed_by):
    verdict = POLICY.classify(f"https://{host}/")
    assert (verdict.category, verdict.action) == ("social_media", "warn"), (host, listed_by)


@pytest.mark.parametrize("host", NOT_SOCIAL)
def test_popular_non_social_sites_stay_allowed(host):
    verdict = POLICY.classify(f"https://{host}/")
    assert verdict.category != "social_media"
    assert verdict.action == "allow", (host, verdict.platform_id, verdict.category)


@pytest.mark.parametrize(
    ("url", "platform_id"),
    [
        ("https://www.facebook.fr/", "facebook"),
        ("https://br.linkedin.com/in/someone", "linkedin"),
        ("https://www.linkedin.com.br/", "linkedin"),
        ("https://www.pinterest.co.kr/pin/1/", "pinterest"),
        ("https://www.youtube.de/", "youtube"),
        ("https://linevoom.line.me/", "line_voom"),
        ("https://line.me/R/ti/p/x", "line"),
        ("https://story.kakao.com/", "kakaostory"),
        ("https://qzone.qq.com/", "qzone"),
        ("https://lemmy.world/c/teachers", "lemmy_servers"),
        ("https://troet.cafe/@someone", "mastodon_servers"),
        ("https://mastodon.social/@someone", "mastodon"),
    ],
)
def test_country_domains_and_product_hosts_name_the_right_platform(url, platform_id):
    assert POLICY.classify(url).platform_id == platform_id


def test_at_least_300_platforms_with_fediverse_servers_from_public_lists():
    assert len(POLICY.platforms) >= 300
    fediverse = [e for e in ENTRIES if Path(e.where.file).name == "fediverse.yaml"]
    servers = sum(len(e.fields["domains"]) for e in fediverse)
    assert servers >= 200


def test_every_coverage_entry_names_its_source():
    added = [e for e in ENTRIES if Path(e.where.file).name in COVERAGE_FILES]
    assert len(added) >= 160
    assert [e.id for e in added if not e.fields.get("source")] == []


def test_files_that_pick_from_ut1_cite_its_licence():
    for name in COVERAGE_FILES:
        text = (DEFAULTS / name).read_text(encoding="utf-8")
        if "UT1" in text:
            assert "CC BY-SA 4.0" in text, name


def test_coverage_vectors_hold_for_the_python_engine():
    """The same cases the JavaScript twin runs (tests/vectors/cases/coverage.json)."""
    cases = json.loads(VECTORS.read_text(encoding="utf-8"))["cases"]
    assert len(cases) >= 10
    for case in cases:
        assert case["scenario"] == "defaults"
        verdict = POLICY.classify(
            case["url"],
            method=case["method"],
            user=case["user"],
            client_ip=case["client_ip"],
            headers=case["headers"],
        )
        got = {key: getattr(verdict, key) for key in case["expect"]}
        assert got == case["expect"], case["name"]
