"""A slow admin site holds up only the staff member whose training status or acknowledgment is
being asked, never the proxy's other clients: a real mitmdump fed by a FakeAdmin whose training
calls take 3 s, and a second client browsing an allowed site meanwhile."""

from __future__ import annotations

import base64
import html
import re
import threading
import time
from collections.abc import Callable

import pytest
from proxy_harness import FakeAdmin, Proxy

from staffguard_testkit.headers import NAVIGATE
from staffguard_testkit.net import until

pytestmark = pytest.mark.e2e

USER = "ana@usd999.org"
AUTH = {"Proxy-Authorization": "Basic " + base64.b64encode(f"{USER}:pw".encode()).decode()}
PAGE = "https://www.tiktok.com/@lincolnhigh"
ALLOWED = "http://en.wikipedia.org/wiki/Honey_bee"  # another site, allowed: never waits


class Timed(threading.Thread):
    """One request on its own thread, with when it ended."""

    def __init__(self, send: Callable[[], tuple]):
        super().__init__(daemon=True)
        self.send, self.ended, self.answer = send, 0.0, None

    def run(self) -> None:
        self.answer = self.send()
        self.ended = time.monotonic()


@pytest.fixture
def slow(proxy_factory, admin: FakeAdmin) -> tuple[Proxy, FakeAdmin]:
    admin.training_due = True
    proxy = proxy_factory([admin.url], "t0k")
    proxy.options = [f"proxyauth={USER}:pw"]
    return proxy.start(), admin


def asked(admin: FakeAdmin, path: str) -> bool:
    return any(p.startswith(path) for _, p, _ in list(admin.requests))


def other_client(proxy: Proxy) -> float:
    """Browse the allowed site as another client would: its answer's time."""
    started = time.monotonic()
    response, _, _ = proxy.get(ALLOWED, {**NAVIGATE, **AUTH})
    assert response.status == 200
    return time.monotonic() - started


def test_a_slow_training_status_holds_up_no_one_and_the_page_comes_without_the_step(slow):
    proxy, admin = slow
    admin.training_delay = 3.0
    page = Timed(lambda: proxy.get(PAGE, NAVIGATE, tunnel=AUTH))
    page.start()
    assert until(lambda: asked(admin, "/api/v1/training/status"), timeout=10)
    other_client(proxy)
    other_ended = time.monotonic()
    page.join(10)
    response, body, _ = page.answer
    assert response.status == 200 and b"Continue for district work" in body
    assert b'class="training"' not in body, "not known in time: no step, the page still comes"
    assert other_ended < page.ended, "the other client was served while the page waited"
    # The answer, when it came, was kept: the next page has the step, with no new wait.
    assert until(
        lambda: b'class="training"' in proxy.get(PAGE, NAVIGATE, tunnel=AUTH)[1], timeout=10
    )


def test_an_acknowledgment_waiting_on_a_slow_admin_site_holds_up_no_one(slow):
    proxy, admin = slow
    _, page, _ = proxy.get(PAGE, NAVIGATE, tunnel=AUTH)
    section = re.search(rb'<section class="training".*?</section>', page, re.S)
    assert section, "the status came at once: the first page has the step"
    form = {
        k.decode(): html.unescape(v.decode())
        for k, v in re.findall(rb'name="(ack|return)" value="([^"]*)"', section.group(0))
    }
    admin.training_delay = 3.0
    click = Timed(
        lambda: proxy.get(
            "https://www.tiktok.com/.staffguard/acknowledge",
            {"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"},
            method="POST",
            body=f"ack={form['ack']}&return={form['return']}",
            tunnel=AUTH,
        )
    )
    click.start()
    assert until(lambda: asked(admin, "/api/v1/training/acknowledgments"), timeout=10)
    took = other_client(proxy)
    assert click.is_alive(), "the acknowledgment is still waiting on the admin site"
    assert took < 2.0, f"the other client waited {took:.2f} s"
    click.join(10)
    response, _, _ = click.answer
    assert response.status == 303 and response.getheader("Location") == PAGE
    assert admin.acknowledged == [USER]
