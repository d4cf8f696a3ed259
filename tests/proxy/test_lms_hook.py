"""The "no required student use" notice in the proxy (proxy_addons.lms_hook): an LMS post that
links to social media goes on, marked, with one event per platform named and nothing of its text."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import json
import time
import tracemalloc
import zlib
from pathlib import Path

import brotli
import pytest
import zstandard
from addon_cases import XHR, events, flow
from mitmproxy import http
from test_proxy_connections import hello_data

from policy_lists.lms import is_lms_host
from proxy_addons import bodies, lms_hook, pages

VECTORS = json.loads(
    (Path(__file__).parents[1] / "vectors" / "lms" / "lms.json").read_text(encoding="utf-8")
)["cases"]
CANVAS = "https://usd999.instructure.com/api/v1/courses/1042/assignments"
JSON = {**XHR, "Content-Type": "application/json"}


def post(url: str, text: str, user: str | None = "ana@usd999.org") -> http.HTTPFlow:
    return flow(url, "POST", JSON, body=json.dumps({"description": text}).encode(), user=user)


def decided(guard, f: http.HTTPFlow) -> None:
    """The request hook as mitmproxy runs it: an LMS save comes back as a coroutine (its body
    is read on a thread), which mitmproxy awaits."""
    waits = guard.request(f)
    if waits is not None:
        asyncio.run(waits)


def answered(guard, f: http.HTTPFlow, body: bytes = b'{"id": 1}', kind: str = "json"):
    decided(guard, f)
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


def sent(url: str, headers: dict[str, str], raw: bytes) -> http.HTTPFlow:
    """A post whose body is ``raw`` exactly as the client sent it (``Request.make`` would
    encode it again for its Content-Encoding)."""
    f = flow(url, "POST")
    f.request.headers.clear()
    f.request.headers.update(headers)
    f.request.raw_content = raw
    return f


# Long and repetitive enough that no coding keeps the link's bytes readable as sent.
LINKED = json.dumps({"description": "Post it at https://www.tiktok.com/@lhs_band. " * 20}).encode()


@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),  # zlib-wrapped, as the RFC says
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw, as some clients send it
        ("br", brotli.compress),
        ("zstd", lambda b: zstandard.ZstdCompressor().compress(b)),
        ("gzip, br", lambda b: brotli.compress(gzip.compress(b))),
    ],
    ids=["gzip", "deflate", "raw-deflate", "br", "zstd", "gzip-then-br"],
)
def test_a_compressed_post_is_read_decoded(guard, tmp_path, coding, encode):
    f = sent(CANVAS, {**JSON, "Content-Encoding": coding}, encode(LINKED))
    response = answered(guard, f)
    assert "platforms=tiktok" in response.headers["X-StaffGuard"]
    assert f.request.headers["Content-Encoding"] == coding, "the post goes on as it was sent"
    assert [e["platform_id"] for e in events(tmp_path)] == ["tiktok"]


ZEROS = b"\0" * 64_000_000


@pytest.mark.parametrize(
    ("coding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("br", brotli.compress),
        ("zstd", zstandard.ZstdCompressor(write_content_size=False).compress),
    ],
)
def test_a_compression_bomb_is_read_no_further_than_the_cap(coding, compress):
    """64 MB of zeros in a small body: the decoder stops past the cap (br: after one brotli
    meta-block, at most 16 MiB), so memory stays well under the 64 MB and time short."""
    request = sent(CANVAS, {"Content-Encoding": coding}, compress(ZEROS)).request
    tracemalloc.start()
    started = time.perf_counter()
    try:
        body = bodies.request_body(request, lms_hook.BODY_BYTES)
        took = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert body == ZEROS[: lms_hook.BODY_BYTES]
    assert peak < 40_000_000 and took < 1.0, (peak, took)


def test_a_body_that_will_not_decode_is_read_as_sent_and_goes_on(guard):
    raw = json.dumps({"description": "https://www.tiktok.com/@x"}).encode()
    f = sent(CANVAS, {**JSON, "Content-Encoding": "gzip"}, raw)  # not gzip at all
    response = answered(guard, f)
    assert "platforms=tiktok" in response.headers["X-StaffGuard"]
    f = sent(CANVAS, {**JSON, "Content-Encoding": "compress"}, b"\x1f\x9d\x90")
    assert "X-StaffGuard" not in answered(guard, f).headers


def test_a_post_nested_past_pythons_limit_is_still_read(guard):
    deep = b"[" * 5000 + b'"https://www.tiktok.com/@x"' + b"]" * 5000
    response = answered(guard, flow(CANVAS, "POST", JSON, body=deep))
    assert "platforms=tiktok" in response.headers["X-StaffGuard"]


def test_a_link_is_read_no_longer_than_a_real_one():
    """A 64 KiB "link" would cost the engine ~0.2 s to classify (bench/lms_stall.py)."""
    from policy_lists.lms import MAX_LINK, linked_urls

    [link] = linked_urls(b"body=" + b"www.x" * 13_000)
    assert len(link) <= len("https://") + MAX_LINK


def test_an_lms_save_is_read_off_the_event_loop(guard, monkeypatch):
    """Only an LMS save waits (its read runs on a thread); the loop goes on meanwhile, and
    every other request is decided at once."""
    from policy_lists import lms

    def slow_read(*args, **kwargs):
        time.sleep(0.5)  # a read as slow as no real one is
        return lms.required_platforms(*args, **kwargs)

    monkeypatch.setattr("proxy_addons.lms_hook.required_platforms", slow_read)
    quiz = post("https://usd999.instructure.com/api/v1/courses/1/quizzes", "")
    assert guard.request(quiz) is None, "not an LMS save: decided at once"
    f = post(CANVAS, "https://www.tiktok.com/@x")
    waits = guard.request(f)
    assert waits is not None and f.response is None

    async def alongside() -> list[float]:
        ticks: list[float] = []
        task = asyncio.ensure_future(waits)
        while not task.done():
            ticks.append(time.monotonic())
            await asyncio.sleep(0.01)
        return ticks

    ticks = asyncio.run(alongside())
    assert len(ticks) > 10 and max(b - a for a, b in itertools.pairwise(ticks)) < 0.25
    f.response = http.Response.make(200, b"{}", {"Content-Type": "application/json"})
    guard.response(f)
    assert "platforms=tiktok" in f.response.headers["X-StaffGuard"]
