"""The "no required student use" notice in the proxy (proxy_addons.lms_hook): an LMS post that
links to social media goes on, marked, with one event per platform named and nothing of its text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from addon_cases import XHR, events, flow
from mitmproxy import http
from test_proxy_connections import hello_data

from policy_lists.lms import is_lms_host
from proxy_addons import pages

VECTORS = json.loads(
    (Path(__file__).parents[1] / "vectors" / "lms" / "lms.json").read_text(encoding="utf-8")
)["cases"]
CANVAS = "https://usd999.instructure.com/api/v1/courses/1042/assignments"
JSON = {**XHR, "Content-Type": "application/json"}


def post(url: str, text: str, user: str | None = "ana@usd999.org") -> http.HTTPFlow:
    return flow(url, "POST", JSON, body=json.dumps({"description": text}).encode(), user=user)


def answered(guard, f: http.HTTPFlow, body: bytes = b'{"id": 1}', kind: str = "json"):
    guard.request(f)
    assert f.response is None, "the LMS post is never answered by the proxy"
    content = "application/json" if kind == "json" else "text/html; charset=utf-8"
    f.response = http.Response.make(200, body, {"Content-Type": content})
    guard.response(f)
    return f.response


def test_an_assignment_linking_tiktok_is_marked_and_logged_by_platform_only(guard, tmp_path):
    f = post(CANVAS + "?include=x", "Secret plan: post at https://www.tiktok.com/@kid1 tonight")
    response = answered(guard, f)
    marker = response.headers["X-StaffGuard"]
    assert "action=notice" in marker and "activity=student_required" in marker
    assert "platforms=tiktok" in marker and "kind=assignment" in marker
    [event] = events(tmp_path)
    assert (event["activity"], event["action"], event["outcome"]) == (
        "student_required",
        "notice",
        "shown",
    )
    assert event["platform_id"] == "tiktok" and event["category"] == "social_media"
    assert event["url"] == CANVAS and event["host"] == "usd999.instructure.com"
    assert event["user"] == "ana@usd999.org"
    assert event["reason"].startswith("This assignment links to TikTok. No employee shall")
    stored = json.dumps(event)
    assert "@kid1" not in stored and "Secret plan" not in stored and "include" not in stored


def test_links_to_educational_and_district_sites_give_nothing(guard, tmp_path):
    text = "Read https://www.khanacademy.org/math and https://usd999.instructure.com/courses/1"
    response = answered(guard, post(CANVAS, text))
    assert "X-StaffGuard" not in response.headers
    assert not (tmp_path / "events.jsonl").read_text()


def test_two_platforms_make_two_events_and_an_autosave_none_more(guard, tmp_path):
    text = "https://www.instagram.com/lhs and https://www.tiktok.com/@lhs"
    answered(guard, post(CANVAS, text))
    answered(guard, post(CANVAS, text))  # the editor saves again a moment later
    assert sorted(e["platform_id"] for e in events(tmp_path)) == ["instagram", "tiktok"]


def test_a_form_post_that_loads_a_page_gets_the_banner_in_it(guard):
    f = flow(
        "https://usd999.schoology.com/v1/sections/1/updates",
        "POST",
        {
            "Sec-Fetch-Mode": "navigate",
            "Sec-Fetch-Dest": "document",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        body=b"body=Photos+at+https%3A%2F%2Fwww.instagram.com%2Flhs_band",
    )
    response = answered(guard, f, b"<html><body><p>saved</p></body></html>", kind="html")
    page = response.get_text()
    assert 'data-staffguard="notice"' in page and "No employee shall require a student" in page


def test_reads_nothing_and_marks_nothing_off_the_lms_routes(guard, tmp_path):
    f = post("https://usd999.instructure.com/api/v1/courses/1042/quizzes", "https://x.com/a")
    assert "X-StaffGuard" not in answered(guard, f).headers
    f = flow(CANVAS, "GET", XHR)
    assert "X-StaffGuard" not in answered(guard, f).headers
    assert not (tmp_path / "events.jsonl").read_text()


def test_a_fault_reading_the_post_lets_it_through(guard, monkeypatch, tmp_path):
    def boom(*args, **kwargs):
        raise RuntimeError("bug")

    monkeypatch.setattr("proxy_addons.lms_hook.required_platforms", boom)
    response = answered(guard, post(CANVAS, "https://www.tiktok.com/@x"))
    assert response.status_code == 200 and "X-StaffGuard" not in response.headers


@pytest.mark.parametrize(
    ("sni", "decrypted"),
    [
        ("usd999.instructure.com", True),  # Canvas tenant: assignment routes
        ("classroom.googleapis.com", True),
        ("classroom.google.com", True),
        ("usd999.schoology.com", True),
        ("canvas-user-content.com", False),  # Canvas's files: no routes there
        ("docs.google.com", False),
    ],
)
def test_only_lms_hosts_with_these_routes_are_decrypted(guard, sni, decrypted):
    data = hello_data(sni)
    guard.tls_clienthello(data)
    assert data.ignore_connection is not decrypted
    assert is_lms_host(sni) is decrypted


@pytest.mark.parametrize("case", [c for c in VECTORS if c["expect"]], ids=lambda c: c["name"])
def test_the_proxys_notice_is_the_vectors(case):
    from policy_lists import load_policy
    from policy_lists.lms import required_platforms

    found = required_platforms(
        load_policy(),
        case["url"],
        case["method"],
        case["headers"],
        case["body"],
        extra_hosts=case.get("extra_hosts"),
    )
    assert found is not None and pages.lms_notice(found) == case["expect"]["notice"]


def test_a_districts_own_lms_host_from_settings_is_decrypted_and_read(tmp_path):
    from proxy_harness import running_addon

    district = "settings:\n  lms_hosts: {canvas: [canvas.usd999.org]}\n"
    with running_addon(tmp_path, district) as guard:
        data = hello_data("canvas.usd999.org")
        guard.tls_clienthello(data)
        assert data.ignore_connection is False
        url = "https://canvas.usd999.org/api/v1/courses/1/assignments"
        response = answered(guard, post(url, "https://www.tiktok.com/@x"))
        assert "platforms=tiktok" in response.headers["X-StaffGuard"]
        other = hello_data("canvas.elsewhere.org")
        guard.tls_clienthello(other)
        assert other.ignore_connection is True
