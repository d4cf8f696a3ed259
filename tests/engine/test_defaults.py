"""The shipped lists: what the policy names, what staff meet, and where each entry comes from."""

from __future__ import annotations

import doctest

import pytest

import policy_lists.domains
import policy_lists.engine
import policy_lists.urls
from policy_lists import DEFAULTS, load_policy
from policy_lists.loader import read_source
from policy_lists.vocabulary import CATEGORIES

POLICY = load_policy()
ENTRIES = read_source(DEFAULTS).platforms


def test_the_defaults_cover_at_least_80_platforms_in_every_category():
    assert len(POLICY.platforms) >= 80
    categories = {p.category for p in POLICY.platforms.values()}
    assert categories >= set(CATEGORIES) - {"unclassified"}


@pytest.mark.parametrize("platform_id", ["facebook", "instagram", "snapchat", "tiktok", "x"])
def test_every_platform_the_policy_names_is_unapproved_social_media(platform_id):
    platform = POLICY.platforms[platform_id]
    assert (platform.category, platform.approved) == ("social_media", False)
    activities = {rule.activity for rule in platform.rules}
    assert "direct_message" in activities


@pytest.mark.parametrize(
    "platform_id",
    [
        "youtube",
        "reddit",
        "linkedin",
        "pinterest",
        "tumblr",
        "threads",
        "bluesky",
        "mastodon",
        "twitch",
        "discord",
        "nextdoor",
        "vk",
    ],
)
def test_the_other_large_social_platforms_are_listed(platform_id):
    assert platform_id in POLICY.platforms


def test_every_entry_says_where_it_comes_from():
    unsourced = [e.id for e in ENTRIES if not (e.fields.get("source") or e.fields.get("note"))]
    assert unsourced == []


def test_no_entry_is_approved_by_default():
    """Approval is a board's act: a district records it in its own list, never in ours."""
    assert not any(p.approved for p in POLICY.platforms.values())


@pytest.mark.parametrize("module", [policy_lists.urls, policy_lists.domains, policy_lists.engine])
def test_module_examples_run(module):
    failures, tried = doctest.testmod(module)
    assert tried > 0 and failures == 0
