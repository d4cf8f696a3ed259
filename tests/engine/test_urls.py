"""URL handling: the host a browser contacts, and path segments that rules match."""

from __future__ import annotations

import pytest

from policy_lists.urls import add_scheme, parse_target, path_segments


@pytest.mark.parametrize(
    ("text", "host", "url"),
    [
        ("https://www.example.org/a?b#c", "www.example.org", "https://www.example.org/a"),
        ("example.org", "example.org", "https://example.org/"),
        ("HTTP://EXAMPLE.ORG:80/A", "example.org", "http://example.org/A"),
        ("https://example.org:8443", "example.org", "https://example.org:8443/"),
        ("https://a@b@example.org/", "example.org", "https://example.org/"),
        ("https://example.org\\@evil.test/", "example.org", "https://example.org/@evil.test/"),
        ("https://b%C3%BCcher.example/", "xn--bcher-kva.example", "https://xn--bcher-kva.example/"),
        ("https://bücher.example/", "xn--bcher-kva.example", "https://xn--bcher-kva.example/"),
        ("https://[::1]:8080/x", "[::1]", "https://[::1]:8080/x"),
        ("https://.example.org./", "example.org", "https://example.org/"),
    ],
)
def test_target(text, host, url):
    target = parse_target(text)
    assert target is not None
    assert (target.host, target.url) == (host, url)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "http://",
        "https://exa mple.org/",
        "ftp://example.org/",
        "javascript:void(0)",
        "https://example.org:70000/",
    ],
)
def test_no_target(text):
    assert parse_target(text) is None


def test_a_dotted_word_before_a_colon_is_a_host_not_a_scheme():
    assert add_scheme("example.org:8080/x") == "https://example.org:8080/x"
    assert add_scheme("mailto:x@example.org") == "mailto:x@example.org"


@pytest.mark.parametrize(
    ("path", "segments"),
    [
        ("/", []),
        ("/Direct//Inbox/", ["direct", "inbox"]),
        ("/%64irect/%2e%2e/x", ["x"]),
        ("/a/./b/../c", ["a", "c"]),
        ("\\messages\\1", ["messages", "1"]),
        ("/%zz/", ["%zz"]),
        ("/%2564irect", ["%64irect"]),
        ("/direct;x=1/inbox;y", ["direct", "inbox"]),
        ("/a/..;/direct", ["direct"]),
        ("/direct%3Bx", ["direct;x"]),
        ("/direct./t.%20/%20/...", ["direct", "t"]),
        ("/d.m./.", ["d.m"]),
    ],
)
def test_path_segments(path, segments):
    assert path_segments(path) == segments


def test_fast_and_full_parsers_agree_on_simple_urls():
    """The fast path is an optimisation only: it must give exactly what ada gives."""
    from policy_lists.urls import _parse_whatwg

    for text in [
        "https://www.Instagram.com./direct/inbox/?x=1",
        "http://a-b.example:8080/p/q",
        "wss://gateway.discord.gg/?v=10",
        "https://x.com/i/api/graphql/a1/CreateTweet",
    ]:
        assert parse_target(text) == _parse_whatwg(text)
