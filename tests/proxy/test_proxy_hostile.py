"""Issue 14, proxy side: hostile data in a request, a cookie, a form or a response never switches
a warning off, and never makes the proxy pass on what it should answer itself."""

from __future__ import annotations

import logging
import time

import pytest
from addon_cases import NAVIGATE, continue_form, continue_on_tiktok, events, flow
from mitmproxy import http

from proxy_addons import pages
from proxy_addons.pages import Signer

MALFORMED = [
    "²",  # a digit to str.isdigit(), not to int()
    "9" * 5000,  # past int()'s digit limit
    "²." + "0" * 32,
    "99999999999",  # no dot, no mac
    f"{int(time.time()) + 600}.not-hex-not-hex-not-hex-not-hexx",
    f"{int(time.time()) + 600}.{'é' * 32}",  # non-ASCII: hmac.compare_digest raises on it
    f"{int(time.time()) + 600}.{'0' * 32}",  # well-formed, wrong mac
    "",
    "." * 3000,
]


@pytest.mark.parametrize("token", MALFORMED)
def test_a_malformed_token_is_no_pass_and_never_an_error(token):
    assert Signer(b"k" * 32).check("pass", token, "10.1.2.3", "tiktok.com", "browse") is False


@pytest.mark.parametrize("token", MALFORMED)
def test_a_planted_malformed_pass_still_gets_the_warning(guard, tmp_path, token):
    f = flow(
        "https://www.tiktok.com/messages",
        headers={**NAVIGATE, "Cookie": "__staffguard_direct_message=" + token},
    )
    guard.request(f)
    assert f.response is not None and f.response.status_code == 200
    assert "Continue for district work" in f.response.get_text()
    assert "staffguard_error" not in f.metadata
    assert [e["outcome"] for e in events(tmp_path)] == ["shown"]
    assert "__staffguard" not in f.request.headers.get("cookie", "")


def test_a_planted_value_does_not_shadow_a_real_pass(guard):
    ours = continue_on_tiktok(guard)
    name = ours.split("=")[0]
    planted = f"{name}=1.{'0' * 32}"  # well-formed, long expired; sent after the real pass
    again = flow("https://www.tiktok.com/", headers={**NAVIGATE, "Cookie": f"{ours}; {planted}"})
    guard.request(again)
    assert again.response is None, "a second, planted value next to the pass changes nothing"


@pytest.mark.parametrize("hook", ["responseheaders", "response"])
def test_a_site_cannot_set_staffguard_cookies(guard, hook):
    f = flow("https://blog.tiktok.com/post", headers={"Sec-Fetch-Dest": "image"})
    guard.request(f)
    f.response = http.Response.make(200, b"", {})
    for value in (
        "__staffguard_direct_message=²; Domain=tiktok.com; Path=/",
        "  __staffguard_browse=1; Path=/messages",
        "__STAFFGUARD_comment=1",
        "__staffguard_signup",  # a nameless cookie the browser sends back as this text
        "theme=dark; Path=/",
    ):
        f.response.headers.add("Set-Cookie", value)
    getattr(guard, hook)(f)
    assert f.response.headers.get_all("Set-Cookie") == ["theme=dark; Path=/"]


def test_the_proxys_own_pass_cookie_is_not_stripped(guard):
    assert continue_on_tiktok(guard).startswith("__staffguard_browse=")


def test_a_page_that_fails_to_build_is_replaced_by_the_static_page(guard, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("template gone")

    monkeypatch.setattr(pages, "interstitial", broken)
    f = flow("https://www.tiktok.com/")
    guard.request(f)
    assert f.response is not None and f.response.status_code == 200
    assert "Check the district policy first" in f.response.get_text()
    assert [e["outcome"] for e in events(tmp_path)] == ["shown"], "a page was sent: it is logged"


def test_a_log_that_cannot_be_written_does_not_take_the_page(guard, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(guard.spool, "write", broken)
    f = flow("https://www.tiktok.com/")
    guard.request(f)
    assert f.response is not None and "Continue for district work" in f.response.get_text()
    assert guard.recorder.log_failures == 1 and len(guard.recorder.held) == 1
    assert "No space left" in guard.recorder.last_failure


def test_no_shown_event_for_a_page_nobody_saw(guard, tmp_path, monkeypatch):
    """The event is written after the page is built: a fault before it means no event."""

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(guard.source.policy, "classify", broken)
    f = flow("https://www.tiktok.com/")
    guard.request(f)
    assert f.response is None and f.metadata["staffguard_error"]
    assert events(tmp_path) == []


def post_choice(guard, choice: str, body: bytes, headers: dict | None = None, method="POST"):
    f = flow(
        f"https://www.instagram.com/.staffguard/{choice}",
        method,
        headers if headers is not None else {"Content-Type": "application/x-www-form-urlencoded"},
        body=body,
    )
    guard.request(f)
    return f


def dm_offer(guard) -> str:
    first = flow("https://www.instagram.com/direct/inbox/")
    guard.request(first)
    return continue_form(first.response.get_text())["offer"]


def test_a_dm_continue_returning_elsewhere_logs_the_dm_it_allowed(guard, tmp_path):
    offer = dm_offer(guard)
    f = post_choice(guard, "continue", f"offer={offer}&return=/&activity=direct_message".encode())
    assert f.response.status_code == 303
    assert f.response.headers["Set-Cookie"].startswith("__staffguard_direct_message=")
    shown, continued = events(tmp_path)
    assert continued["outcome"] == "continued"
    assert (continued["activity"], continued["action"]) == ("direct_message", "warn")
    assert continued["reason"] == shown["reason"] and continued["policy_ref"] == shown["policy_ref"]


@pytest.mark.parametrize(
    "body",
    [
        b"offer={offer}&return=/direct/inbox/&activity=direct_message&justification=%FF%FE",
        b"offer={offer}&return=/direct/inbox/&activity=direct_message&justification=a%00b%1b[2J",
        b"offer={offer}&return=%FF/&activity=direct_message",
    ],
)
def test_hostile_bytes_in_a_continue_are_cleaned_and_logged(guard, tmp_path, body):
    offer = dm_offer(guard)
    f = post_choice(guard, "continue", body.replace(b"{offer}", offer.encode()))
    assert f.response is not None and f.response.status_code == 303
    continued = events(tmp_path)[-1]
    assert continued["outcome"] == "continued"
    assert all(ch.isprintable() for ch in continued["justification"])
    assert "\x00" not in continued["justification"]


@pytest.mark.parametrize(
    ("choice", "body", "headers", "method"),
    [
        ("continue", b"return=/&activity=direct_message", None, "POST"),  # no offer
        ("continue", b"offer=%C2%B2&return=/&activity=direct_message", None, "POST"),
        ("continue", b"offer=" + b"9" * 5000 + b"&activity=direct_message", None, "POST"),
        ("continue", b"offer={offer}&activity=%FF", None, "POST"),  # unknown activity
        ("continue", b"offer={offer}&activity=browse", None, "POST"),  # not what was offered
        (
            "continue",
            b"offer={offer}&activity=direct_message",
            {"Content-Type": "text/plain"},
            "POST",
        ),
        ("continue", b"", {}, "GET"),
        ("back", b"\xff\xfe\x00", None, "POST"),
        ("elsewhere", b"offer={offer}&activity=direct_message", None, "POST"),
    ],
)
def test_a_bad_choice_is_answered_by_the_proxy_and_logs_nothing(
    guard, tmp_path, choice, body, headers, method
):
    offer = dm_offer(guard)
    f = post_choice(guard, choice, body.replace(b"{offer}", offer.encode()), headers, method)
    assert f.response is not None and f.response.status_code == 403, "never passed on"
    assert "Set-Cookie" not in f.response.headers
    assert [e["outcome"] for e in events(tmp_path)] == ["shown"]


def test_a_long_justification_is_bounded(guard, tmp_path):
    offer = dm_offer(guard)
    body = f"offer={offer}&return=/direct/inbox/&activity=direct_message&justification="
    post_choice(guard, "back", (body + "x" * 100_000).encode())
    went_back = events(tmp_path)[-1]
    assert went_back["outcome"] == "went_back" and len(went_back["justification"]) == 500


def test_a_nul_in_the_proxy_user_name_never_reaches_the_event(guard, tmp_path):
    guard.request(flow("https://www.tiktok.com/", user="jdoe\x00@usd999.org\ud800"))
    assert events(tmp_path)[0]["user"] == "jdoe@usd999.org"


# --- transport ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "host_header", "sni"),
    [
        ("https://www.lincolnbank.com/", "www.tiktok.com", "www.lincolnbank.com"),
        ("https://www.tiktok.com/", "www.tiktok.com", "www.lincolnbank.com"),  # SNI differs
        ("http://www.wikipedia.org/", "www.tiktok.com", None),  # absolute form vs Host
        ("http://www.tiktok.com/", "www.wikipedia.org", None),
    ],
)
def test_a_request_whose_names_disagree_is_refused(guard, tmp_path, url, host_header, sni):
    f = flow(url)
    f.request.headers["Host"] = host_header
    f.client_conn.sni = sni
    guard.request(f)
    assert f.response is not None and f.response.status_code == 421
    assert events(tmp_path) == []


def test_names_that_agree_apart_from_case_and_a_dot_are_one_name(guard):
    f = flow("https://www.tiktok.com/")
    f.request.headers["Host"] = "WWW.TikTok.com.:443"
    guard.request(f)
    assert f.response.status_code == 200 and "Continue" in f.response.get_text()


def test_an_ip_connection_is_decided_on_the_host_it_names(guard):
    f = flow("https://203.0.113.9/")
    f.request.headers["Host"] = "www.tiktok.com"
    f.client_conn.sni = None
    guard.request(f)
    assert f.response.status_code == 200 and "Continue" in f.response.get_text()


def test_disagreeing_names_nobody_decides_on_pass(guard):
    f = flow("http://www.example.org/")
    f.request.headers["Host"] = "www.example.net"
    guard.request(f)
    assert f.response is None


# --- what the policy says, checked at the edge -------------------------------------------


def test_a_javascript_policy_link_is_not_put_on_the_page(guard, monkeypatch):
    settings = {**guard.source.policy.settings, "policy_url": "javascript:alert(1)"}
    monkeypatch.setattr(guard.source.policy, "settings", settings)
    f = flow("https://www.tiktok.com/")
    guard.request(f)
    assert "javascript:" not in f.response.get_text()


@pytest.mark.parametrize("minutes", ["²", "9" * 5000, -5, None, 10**12])
def test_a_nonsense_continue_time_falls_back_to_an_hour(minutes):
    assert pages.continue_minutes({"continue_minutes": minutes}) == 60


def test_a_short_secret_file_is_replaced_by_a_strong_key(tmp_path, caplog):
    (tmp_path / "secret").write_text("")
    key = pages.secret_key(tmp_path, "")
    assert len(key) == 64 and (tmp_path / "secret").read_text() == key.decode()


def test_nothing_here_logs_a_traceback(guard, caplog):
    with caplog.at_level(logging.WARNING):
        for token in MALFORMED:
            guard.request(
                flow(
                    "https://www.tiktok.com/",
                    headers={**NAVIGATE, "Cookie": f"__staffguard_browse={token}"},
                )
            )
    assert not [r for r in caplog.records if r.exc_info]
