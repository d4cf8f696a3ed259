"""Whatever text arrives, classify answers with the fixed vocabulary and never raises."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from policy_lists import load_policy
from policy_lists.vocabulary import ACTIONS, ACTIVITIES, CATEGORIES

POLICY = load_policy()
HOSTS = ["tiktok.com", "www.instagram.com", "x.com", "example.org", "mail.google.com", "[::1]"]
urlish = st.builds(
    lambda scheme, userinfo, host, port, path, tail: f"{scheme}{userinfo}{host}{port}{path}{tail}",
    st.sampled_from(["https://", "http://", "", "//", "HTTPS:", "wss://", "ftp://", " "]),
    st.sampled_from(["", "user@", "tiktok.com@", "a:b@"]),
    st.one_of(st.sampled_from(HOSTS), st.text(max_size=20)),
    st.sampled_from(["", ":443", ":8080", ":99999", ":"]),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=30),
    st.sampled_from(["", "?q=1", "#frag", "\\@evil.test"]),
)


@settings(max_examples=400, deadline=None)
@given(
    text=st.one_of(st.text(max_size=80), urlish),
    method=st.one_of(st.none(), st.sampled_from(["GET", "post", "PUT"]), st.text(max_size=6)),
    user=st.one_of(st.none(), st.text(max_size=20)),
    client_ip=st.one_of(st.none(), st.ip_addresses().map(str), st.text(max_size=15)),
)
def test_classify_never_raises_and_speaks_the_vocabulary(text, method, user, client_ip):
    verdict = POLICY.classify(text, method=method, user=user, client_ip=client_ip)
    assert verdict.category in CATEGORIES
    assert verdict.activity in ACTIVITIES
    assert verdict.action in ACTIONS
    assert isinstance(verdict.approved, bool) and isinstance(verdict.exempt, bool)
    assert "?" not in verdict.url
    assert set(verdict.to_dict()) == {
        "url",
        "host",
        "platform_id",
        "platform",
        "category",
        "approved",
        "activity",
        "action",
        "exempt",
        "reason",
        "policy_ref",
        "feed",
    }


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_stored_url_never_keeps_a_query_string(suffix):
    verdict = POLICY.classify("https://www.tiktok.com/search?q=" + suffix)
    assert verdict.url == "https://www.tiktok.com/search"
