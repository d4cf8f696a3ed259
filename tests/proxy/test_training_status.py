"""The proxy's view of who owes the yearly training acknowledgment (proxy_addons.training):
cached per user for a bounded time, asked without holding up a page or the event loop,
failing open."""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from proxy_addons import training
from proxy_addons.training import TrainingStatus
from staffguard_testkit.net import until


class Site:
    """The admin site's two training calls, with a switchable delay and status."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.acknowledged: list[str] = []
        self.delay = 0.0
        self.status = 200
        site = self

        class Handler(BaseHTTPRequestHandler):
            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                user = self.path.partition("user=")[2].replace("%40", "@")
                site.asked.append(user)
                time.sleep(site.delay)
                due = user not in site.acknowledged
                url = f"https://sg.usd999.org/training?email={user}"
                self._send(site.status, {"due": due, "period": "2026-27", "url": url})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                time.sleep(site.delay)
                site.acknowledged.append(body["user"])
                self._send(201 if site.status == 200 else site.status, {"due": False})

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def site() -> Iterator[Site]:
    made = Site()
    yield made
    made.server.shutdown()
    made.server.server_close()


def test_due_is_asked_once_and_cached_until_acknowledged(site):
    status = TrainingStatus(site.url, "t0k")
    due = asyncio.run(status.ask("Ana@usd999.org"))
    assert due is not None and due.period == "2026-27" and due.url.startswith("https://")
    assert status.due("ana@usd999.org") == due and site.asked == ["ana@usd999.org"]
    assert asyncio.run(status.acknowledge("ana@usd999.org"))
    assert site.acknowledged == ["ana@usd999.org"]
    assert status.due("ana@usd999.org") is None and site.asked == ["ana@usd999.org"]


def test_due_never_waits_and_its_ask_serves_the_next_page(site):
    site.delay = 1.0
    status = TrainingStatus(site.url, "t0k")
    started = time.monotonic()
    assert status.due("bo@usd999.org") is None and not status.known("bo@usd999.org")
    assert time.monotonic() - started < 0.1
    assert until(lambda: status.due("bo@usd999.org") is not None, timeout=5)
    assert status.known("bo@usd999.org")
    assert site.asked == ["bo@usd999.org"], "one ask in flight per user, not one per page"


def test_a_slow_site_holds_up_no_other_work_on_the_event_loop(site):
    """While one staff member's ask and another's acknowledgment wait on a slow admin site,
    the loop goes on ticking: the waits are awaited, not blocked on."""
    site.delay = 1.0
    status = TrainingStatus(site.url, "t0k")

    async def scenario() -> tuple[list[float], object, bool, float]:
        ticks: list[float] = []

        async def tick() -> None:
            while True:
                ticks.append(time.monotonic())
                await asyncio.sleep(0.01)

        ticker = asyncio.create_task(tick())
        started = time.monotonic()
        due, acknowledged = await asyncio.gather(
            status.ask("cy@usd999.org", wait=0.3), status.acknowledge("di@usd999.org")
        )
        took = time.monotonic() - started
        ticker.cancel()
        return ticks, due, acknowledged, took

    ticks, due, acknowledged, took = asyncio.run(scenario())
    assert due is None, "not known within the wait: no step this time"
    assert acknowledged and took >= 1.0, "the acknowledgment waited for the admin site"
    gaps = [b - a for a, b in itertools.pairwise(ticks)]
    assert len(ticks) > 20 and max(gaps) < 0.5, "the loop was never held up by the admin site"
    assert until(lambda: status.due("cy@usd999.org") is not None, timeout=5)


def test_an_admin_site_that_is_down_or_odd_means_no_step(site):
    site.status = 500
    status = TrainingStatus(site.url, "t0k")
    assert asyncio.run(status.ask("cy@usd999.org")) is None
    assert not asyncio.run(status.acknowledge("cy@usd999.org"))
    gone = TrainingStatus("http://127.0.0.1:9", "t0k")  # nothing listens on the discard port
    assert asyncio.run(gone.ask("cy@usd999.org", wait=2)) is None
    assert gone.known("cy@usd999.org"), "a failed ask is remembered, not repeated per page"
    assert not asyncio.run(gone.acknowledge("cy@usd999.org"))
    assert status.due(None) is None and status.due("") is None


def test_the_cache_is_bounded_and_answers_expire(site, monkeypatch):
    monkeypatch.setattr(training, "MAX_USERS", 3)
    status = TrainingStatus(site.url, "t0k", ttl=0.2)
    for n in range(5):
        asyncio.run(status.ask(f"u{n}@usd999.org"))
    assert len(status._cache) == 3
    assert site.asked.count("u4@usd999.org") == 1
    assert until(lambda: status.due("u4@usd999.org") and site.asked.count("u4@usd999.org") == 2)
