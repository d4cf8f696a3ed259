"""A real ``mitmdump`` on a policy whose feed knows a site no curated list does: the staff
member is warned, the page and the logged event name the feed."""

from __future__ import annotations

import pytest
from proxy_harness import FakeAdmin

from policy_lists.compiler import compile_documents
from policy_lists.feeds import FeedLayer
from policy_lists.loader import DEFAULTS, read_source
from staffguard_testkit.headers import NAVIGATE
from staffguard_testkit.net import until

pytestmark = pytest.mark.e2e

FEED = "UT1 social_networks"


def test_a_feed_site_is_warned_and_the_event_names_the_feed(proxy_factory, upstream):
    # lincolnbank.com stands in for a site only the feed knows (the upstream map serves it).
    compiled = compile_documents(
        [read_source(DEFAULTS)], [FeedLayer(FEED, "social_media", "lincolnbank.com")]
    )
    admin = FakeAdmin(policy=compiled).start()
    proxy = proxy_factory([admin.url], token="t0k").start()
    try:
        response, page, cert = proxy.get("https://www.lincolnbank.com/wall", NAVIGATE)
        assert response.status == 200 and b"Continue for district work" in page
        assert b"(from feed: UT1 social_networks)" in page
        assert cert != upstream.cert_der, "a feed site that warns is decrypted"
        until(lambda: admin.stored)
        [event] = admin.stored.values()
        assert (event["platform_id"], event["category"], event["action"]) == (
            "lincolnbank.com",
            "social_media",
            "warn",
        )
        assert event["reason"].endswith("(from feed: UT1 social_networks)")
    finally:
        proxy.stop()
        admin.stop()
