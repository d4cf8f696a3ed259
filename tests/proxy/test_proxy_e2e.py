"""End to end: a real proxy process (the lean master, and plain ``mitmdump`` where a test says
so) with the addon, a local upstream and a real HTTP client."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from proxy_harness import FakeAdmin, spool_drained

from staffguard_testkit.headers import NAVIGATE
from staffguard_testkit.net import until

pytestmark = pytest.mark.e2e


def offer_form(page: bytes) -> dict[str, str]:
    return dict(re.findall(r'name="(offer|return|activity)" value="([^"]*)"', page.decode()))


@pytest.mark.parametrize("master", ["lean", "mitmdump"])
def test_interstitial_then_continue_reaches_the_upstream(proxy_factory, upstream, master):
    proxy = proxy_factory([])
    proxy.master = master  # what `staffguard run` starts, and the addon in plain mitmdump
    proxy.start()
    response, page, cert = proxy.get("https://www.tiktok.com/@lincolnhigh", NAVIGATE)
    assert response.status == 200 and b"Continue for district work" in page
    assert cert != upstream.cert_der, "a platform host is decrypted (the proxy's certificate)"

    form = offer_form(page)
    body = f"offer={form['offer']}&return={form['return']}&activity=browse&justification=club"
    response, _, _ = proxy.get(
        "https://www.tiktok.com/.staffguard/continue",
        {"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"},
        method="POST",
        body=body,
    )
    assert response.status == 303
    cookie = response.getheader("Set-Cookie").split(";")[0]

    response, page, _ = proxy.get(
        "https://www.tiktok.com/@lincolnhigh", {**NAVIGATE, "Cookie": f"sid=1; {cookie}"}
    )
    assert b"upstream page" in page
    seen = upstream.received[-1]
    assert (seen.host, seen.path, seen.tls) == ("www.tiktok.com", "/@lincolnhigh", True)
    assert seen.header("Cookie") == "sid=1", "StaffGuard's own cookie is not forwarded"


@pytest.mark.parametrize("master", ["lean", "mitmdump"])
def test_hosts_needing_no_decision_pass_through_with_the_real_certificate(
    proxy_factory, upstream, master
):
    proxy = proxy_factory([])
    proxy.master = master
    proxy.start()
    response, page, cert = proxy.get("https://www.lincolnbank.com/accounts", NAVIGATE)
    assert response.status == 200 and b"upstream page" in page
    assert cert == upstream.cert_der, "the client saw the bank's own certificate"
    assert not (proxy.data / "events.jsonl").read_text(), "allowed browsing is not logged"

    proxy.stop()  # the proxy keeps its counts on the way out
    [counts] = json.loads((proxy.data / "unclassified.json").read_text()).values()
    assert counts == {"lincolnbank.com": 1}, "counted by its SNI, as a domain, not a URL"


def test_events_reach_the_admin_site_exactly_once_across_outages(proxy_factory):
    admin = FakeAdmin().start()
    proxy = proxy_factory([admin.url], token="t0k").start()
    try:
        proxy.get("https://www.tiktok.com/a", NAVIGATE)
        until(lambda: len(admin.stored) == 1)

        admin.stop()  # the admin site goes down; warnings go on and wait in the spool
        for path in ("b", "c", "d"):
            proxy.get(f"https://www.tiktok.com/{path}", NAVIGATE)
        proxy.kill()  # and the proxy dies too, before it could ship anything
        assert len((proxy.data / "events.jsonl").read_text().splitlines()) == 4

        admin.start()
        proxy.start()  # the admin site is back: the spool drains
        until(lambda: len(admin.stored) == 4)
        until(lambda: spool_drained(proxy.data))  # shipped and noted: nothing more to send
        paths = sorted(e["url"].rsplit("/", 1)[1] for e in admin.stored.values())
        assert paths == ["a", "b", "c", "d"]
        assert sum(admin.batches) == 4, "nothing was sent twice"
    finally:
        admin.stop()


def test_a_bad_policy_edit_keeps_the_old_policy(proxy_factory, tmp_path: Path):
    district = tmp_path / "district.yaml"
    district.write_text("platforms:\n  - {id: tiktok, disabled: true}\n")
    proxy = proxy_factory([str(district)]).start()
    assert proxy.get("http://www.tiktok.com/", NAVIGATE)[0].status == 200
    _, page, _ = proxy.get("http://www.tiktok.com/", NAVIGATE)
    assert b"upstream page" in page, "TikTok is disabled in the district's list"

    district.write_text("platforms:\n  - {id: tiktok, disabled: maybe}\n")
    until(lambda: "new policy refused" in proxy.log_text())
    _, page, _ = proxy.get("http://www.tiktok.com/", NAVIGATE)
    assert b"upstream page" in page, "the bad edit did not replace the last good policy"

    district.write_text("settings: {continue_minutes: 5}\n")
    until(lambda: b"Continue" in proxy.get("http://www.tiktok.com/", NAVIGATE)[1])


def test_an_lms_assignment_linking_social_media_is_marked_and_logged(proxy_factory, upstream):
    """A real mitmdump: the Canvas tenant is decrypted, the post reaches Canvas, its answer
    carries the notice marker, and the event names the platform and nothing of the text."""
    proxy = proxy_factory([]).start()
    url = "https://usd999.instructure.com/api/v1/courses/1042/assignments"
    headers = {"Content-Type": "application/json", "Sec-Fetch-Mode": "cors"}
    body = json.dumps({"assignment": {"description": "Post it on https://www.tiktok.com/@kid1"}})
    response, page, cert = proxy.get(url + "?x=1", headers, method="POST", body=body)
    assert response.status == 200 and b"upstream page" in page, "the post reached Canvas"
    assert cert != upstream.cert_der, "an LMS host with assignment routes is decrypted"
    marker = response.getheader("X-StaffGuard")
    assert "activity=student_required" in marker and "platforms=tiktok" in marker
    [event] = [json.loads(line) for line in (proxy.data / "events.jsonl").read_text().splitlines()]
    assert (event["activity"], event["action"], event["platform_id"]) == (
        "student_required",
        "notice",
        "tiktok",
    )
    assert event["url"] == url and "kid1" not in json.dumps(event)

    body = json.dumps({"assignment": {"description": "Practice on https://www.khanacademy.org/"}})
    response, page, _ = proxy.get(url, headers, method="PUT", body=body)
    assert response.status == 200 and response.getheader("X-StaffGuard") is None
    assert len((proxy.data / "events.jsonl").read_text().splitlines()) == 1
