"""The addon in mitmproxy's own test harness: what a staff member's request turns into."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from addon_cases import EVENT_FIELDS, NAVIGATE, XHR, continue_form, continue_on_tiktok, events, flow
from mitmproxy import http
from mitmproxy.test import tflow

from proxy_addons import flows


def test_a_navigation_to_unapproved_social_media_gets_the_interstitial(guard, tmp_path):
    f = flow("https://www.tiktok.com/@lincolnhigh?lang=en")
    guard.request(f)
    assert f.response is not None and f.response.status_code == 200
    page = f.response.get_text()
    assert "TikTok" in page and "IIBGC" in page and "Continue for district work" in page
    assert f.response.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in f.response.headers["Content-Security-Policy"]
    [event] = events(tmp_path)
    assert (event["platform_id"], event["action"], event["outcome"]) == ("tiktok", "warn", "shown")
    assert event["url"] == "https://www.tiktok.com/@lincolnhigh" and event["client"] == "10.1.2.3"
    assert set(event) == EVENT_FIELDS and event["source"] == "proxy"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["ts"])
    assert str(uuid.UUID(event["id"])) == event["id"]


def test_traffic_attacker_text_is_escaped_in_the_page(guard):
    f = flow("https://www.tiktok.com/<script>alert(1)</script>")
    guard.request(f)
    assert "<script>alert(1)" not in f.response.get_text()


def test_continue_sets_a_pass_the_site_never_sees_and_reaches_the_site(guard, tmp_path):
    first = flow("https://www.tiktok.com/@lincolnhigh")
    guard.request(first)
    form = continue_form(first.response.get_text())
    assert form["return"] == "/@lincolnhigh"

    choice = flow(
        "https://www.tiktok.com/.staffguard/continue",
        "POST",
        {
            **NAVIGATE,
            "Sec-Fetch-Site": "same-origin",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        body=(
            f"offer={form['offer']}&return=/@lincolnhigh&activity=browse"
            "&justification=Posting+the+game+schedule"
        ).encode(),
    )
    guard.request(choice)
    assert choice.response.status_code == 303
    assert choice.response.headers["Location"] == "https://www.tiktok.com/@lincolnhigh"
    cookie = choice.response.headers["Set-Cookie"]
    assert "Domain=tiktok.com" in cookie and "HttpOnly" in cookie and "Max-Age=1800" in cookie

    again = flow(
        "https://www.tiktok.com/@lincolnhigh",
        headers={**NAVIGATE, "Cookie": f"sid=abc; {cookie.split(';')[0]}"},
    )
    guard.request(again)
    assert again.response is None, "a continued navigation reaches the site"
    assert again.request.headers["Cookie"] == "sid=abc", "the site never sees StaffGuard's cookie"
    outcomes = [(e["outcome"], e["justification"]) for e in events(tmp_path)]
    assert outcomes == [("shown", ""), ("continued", "Posting the game schedule")]


def test_a_pass_does_not_cover_another_client_or_another_activity(guard):
    cookie = continue_on_tiktok(guard)
    elsewhere = flow(
        "https://www.tiktok.com/", headers={**NAVIGATE, "Cookie": cookie}, client="10.9.9.9"
    )
    guard.request(elsewhere)
    assert elsewhere.response is not None
    messages = flow("https://www.tiktok.com/messages", headers={**NAVIGATE, "Cookie": cookie})
    guard.request(messages)
    assert messages.response is not None and "direct messaging" in messages.response.get_text()


@pytest.mark.parametrize(
    ("offer", "fetch_site", "return_to"),
    [
        ("0.forged", "same-origin", "/"),  # a page elsewhere cannot know the offer
        (None, "cross-site", "/"),  # a valid offer posted from another site
        (None, "same-origin", "//evil.example/"),  # continue never leaves the site
    ],
)
def test_continue_cannot_be_forged_or_sent_elsewhere(guard, offer, fetch_site, return_to):
    first = flow("https://www.tiktok.com/")
    guard.request(first)
    offer = offer or continue_form(first.response.get_text())["offer"]
    choice = flow(
        "https://www.tiktok.com/.staffguard/continue",
        "POST",
        {"Sec-Fetch-Site": fetch_site, "Content-Type": "application/x-www-form-urlencoded"},
        body=f"offer={offer}&return={return_to}&activity=browse".encode(),
    )
    guard.request(choice)
    if return_to.startswith("//"):
        assert choice.response.headers["Location"] == "https://www.tiktok.com/"
    else:
        assert choice.response.status_code == 403
        assert "Set-Cookie" not in choice.response.headers


def test_go_back_is_logged(guard, tmp_path):
    first = flow("https://www.instagram.com/direct/inbox/")
    guard.request(first)
    form = continue_form(first.response.get_text())
    back = flow(
        "https://www.instagram.com/.staffguard/back",
        "POST",
        {"Content-Type": "application/x-www-form-urlencoded"},
        body=f"offer={form['offer']}&return=/direct/inbox/&activity=direct_message".encode(),
    )
    guard.request(back)
    assert back.response.status_code == 200 and "You went back" in back.response.get_text()
    assert [e["outcome"] for e in events(tmp_path)] == ["shown", "went_back"]


def test_a_comment_post_is_let_through_marked_and_recorded(guard, tmp_path):
    f = flow("https://www.tiktok.com/api/comment/publish/", "POST", XHR)
    guard.request(f)
    assert f.response is None
    f.response = http.Response.make(200, b"{}")
    guard.response(f)
    assert f.response.headers["X-StaffGuard"].startswith("action=warn; activity=comment; ref=")
    assert events(tmp_path)[0]["activity"] == "comment"


def test_cdn_requests_of_a_warned_platform_are_not_logged(guard, tmp_path):
    f = flow("https://p16-sign-va.tiktokcdn.com/obj/x.jpeg", headers={"Sec-Fetch-Dest": "image"})
    guard.request(f)
    assert f.response is None
    assert not (tmp_path / "events.jsonl").read_text()


def test_block_answers_a_page_for_navigations_and_403_otherwise(guard):
    nav = flow("https://bereal.com/")
    guard.request(nav)
    assert nav.response.status_code == 403 and "blocked" in nav.response.get_text()
    assert "Continue" not in nav.response.get_text()
    xhr = flow("https://bereal.com/api/feed", headers=XHR)
    guard.request(xhr)
    assert xhr.response.status_code == 403


def test_signup_warning_links_to_the_permission_request(guard):
    f = flow("https://www.tiktok.com/signup")
    guard.request(f)
    assert "https://admin.usd999.org/requests/new?platform=tiktok" in f.response.get_text()


def test_notice_shows_a_banner_in_the_document(guard):
    f = flow("https://chat.example.net/")
    guard.request(f)
    assert f.response is None
    f.response = http.Response.make(
        200, b"<html><body class=x><p>hi</p></body></html>", {"Content-Type": "text/html"}
    )
    guard.response(f)
    text = f.response.get_text()
    assert text.startswith('<html><body class=x><dialog open role="status"')
    assert 'data-staffguard="notice"' in text and text.endswith("<p>hi</p></body></html>")
    assert "action=notice" in f.response.headers["X-StaffGuard"]


@pytest.mark.parametrize(
    ("user", "client"), [("teacher@va.usd999.org", "10.1.2.3"), (None, "10.77.4.5")]
)
def test_exempt_users_and_networks_browse_freely(guard, tmp_path, user, client):
    f = flow("https://www.tiktok.com/messages", user=user, client=client)
    guard.request(f)
    assert f.response is None
    assert not (tmp_path / "events.jsonl").read_text()


def test_approved_platform_browses_but_its_messages_warn(guard):
    ok = flow("https://www.facebook.com/lincolnhigh")
    guard.request(ok)
    assert ok.response is None
    dm = flow("https://www.facebook.com/messages/t/1")
    guard.request(dm)
    assert dm.response is not None


def test_the_proxy_user_is_recorded(guard, tmp_path):
    guard.request(flow("https://www.tiktok.com/", user="jdoe@usd999.org"))
    assert events(tmp_path)[0]["user"] == "jdoe@usd999.org"


def test_ping_answers_for_the_extension(guard):
    f = flow("http://staffguard.invalid/ping", headers={})
    guard.request(f)
    body = json.loads(f.response.content)
    assert body["staffguard"] == "proxy" and body["version"] == guard.source.policy.version
    assert f.response.headers["Access-Control-Allow-Origin"] == "*"


def test_a_fault_in_the_addon_lets_the_request_through(guard, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(guard.source.policy, "classify", broken)
    f = flow("https://www.tiktok.com/")
    guard.request(f)
    assert f.response is None and f.metadata["staffguard_error"]


def test_unclassified_hosts_are_counted_not_logged(guard, tmp_path):
    for url in ("https://www.example.org/a?q=1", "https://cdn.example.org/b", "https://x.net/"):
        guard.request(flow(url))
    guard.counts.save()
    [counts] = json.loads((tmp_path / "unclassified.json").read_text()).values()
    assert counts == {"example.org": 2, "x.net": 1}
    assert not (tmp_path / "events.jsonl").read_text()


def test_a_polling_dm_api_is_recorded_once_a_minute_not_at_every_poll(guard, tmp_path):
    for _ in range(5):
        f = flow("https://www.instagram.com/direct/inbox/threads/", headers=XHR)
        guard.request(f)
        assert f.response is None
    other = flow("https://www.instagram.com/direct/inbox/", headers=XHR, client="10.1.2.4")
    guard.request(other)
    assert [e["client"] for e in events(tmp_path)] == ["10.1.2.3", "10.1.2.4"]


def test_the_notice_banner_survives_a_compressed_document(guard):
    f = flow("https://chat.example.net/")
    guard.request(f)
    f.response = http.Response.make(200, b"", {"Content-Type": "text/html; charset=utf-8"})
    f.response.text = "<!doctype html><html><body><p>café</p></body></html>"
    f.response.encode("gzip")
    guard.response(f)
    assert f.response.headers["Content-Encoding"] == "gzip"
    assert 'data-staffguard="notice"' in f.response.get_text() and "café" in f.response.text


def test_a_pass_in_a_split_http2_cookie_field_is_still_hidden_from_the_site(guard):
    ours = continue_on_tiktok(guard)
    again = tflow.tflow(req=http.Request.make("GET", "https://www.tiktok.com/", b"", NAVIGATE))
    again.request.http_version = "HTTP/2.0"
    again.request.headers.add("cookie", "sid=abc")
    again.request.headers.add("cookie", ours)
    again.client_conn.peername = ("10.1.2.3", 50000)
    again.client_conn.sni = "www.tiktok.com"
    guard.request(again)
    assert again.response is None, "the pass was found in the second cookie field"
    assert again.request.headers.get_all("cookie") == ["sid=abc"]


def test_recent_keys_are_forgotten_after_one_to_two_windows(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(flows.time, "monotonic", lambda: clock[0])
    recent = flows.Recent(60)
    seen = []
    for at in (0, 30, 61, 100, 125, 126, 400):
        clock[0] = 1000.0 + at
        seen.append(recent.first("10.1.2.3 instagram.com direct_message"))
    assert seen == [True, False, False, False, True, False, True]
