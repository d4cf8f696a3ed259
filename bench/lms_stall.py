"""Figures for issue 13's proxy work: how long one staff member's wait on the admin site, or one
LMS post, holds up the proxy's other clients.

mitmproxy serves every client from one event loop, so a hook that blocks stalls everyone. This
runs a real ``mitmdump`` (the tests' harness: tests/proxy/proxy_harness.py) fed by a FakeAdmin
whose training calls take ``--delay`` seconds, and measures another client's request to an
allowed site while

- a staff member's navigation waits for their training status (``page``),
- a staff member's *Acknowledge* click waits for the admin site (``ack``);

then, in this process, the LMS scan of the worst 64 KiB bodies we know (``scan``) and bounded
decoding of compression bombs (``bombs``: time and peak memory).

    .venv/bin/python bench/lms_stall.py            # all of it, ~30 s
    .venv/bin/python bench/lms_stall.py --rounds 3 --delay 3
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import gzip
import html
import json
import re
import statistics
import sys
import tempfile
import threading
import time
import tracemalloc
import zlib
from pathlib import Path

import brotli
import zstandard

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "proxy"))

from proxy_harness import FakeAdmin, Proxy  # noqa: E402

from staffguard_testkit.headers import NAVIGATE  # noqa: E402
from staffguard_testkit.net import until  # noqa: E402
from staffguard_testkit.upstream import Upstream  # noqa: E402

PAGE = "https://www.tiktok.com/@lincolnhigh"
ALLOWED = "http://en.wikipedia.org/wiki/Honey_bee"
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"}


def auth(user: str) -> dict[str, str]:
    return {"Proxy-Authorization": "Basic " + base64.b64encode(f"{user}:pw".encode()).decode()}


def other_client(proxy: Proxy) -> float:
    started = time.monotonic()
    response, _, _ = proxy.get(ALLOWED, {**NAVIGATE, **auth("other@usd999.org")})
    assert response.status == 200, response.status
    return time.monotonic() - started


def stalled_while(proxy: Proxy, admin: FakeAdmin, path: str, send) -> float:
    """Another client's time for one request, sent once the admin site has been asked."""
    seen = len(admin.requests)
    worker = threading.Thread(target=send, daemon=True)
    worker.start()
    assert until(lambda: any(p.startswith(path) for _, p, _ in admin.requests[seen:]), timeout=10)
    took = other_client(proxy)
    worker.join(30)
    return took


def proxy_figures(rounds: int, delay: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "upstream").mkdir()
        upstream = Upstream(Path(tmp) / "upstream")
        admin = FakeAdmin().start()
        admin.training_due = True
        proxy = Proxy(Path(tmp) / "proxy", upstream, [admin.url], "t0k")
        proxy.options = ["proxyauth=any"]  # any user: a fresh one, uncached, each round
        proxy.start()
        try:
            idle = [other_client(proxy) for _ in range(10)]
            print(f"other client, nothing waiting: median {statistics.median(idle) * 1000:.1f} ms")
            admin.training_delay = delay
            page = []
            for n in range(rounds):
                user = f"page{n}@usd999.org"
                send = lambda u=user: proxy.get(PAGE, NAVIGATE, tunnel=auth(u))  # noqa: E731
                page.append(stalled_while(proxy, admin, "/api/v1/training/status", send))
            report("page", page, delay)
            ack = []
            for n in range(rounds):
                user = f"ack{n}@usd999.org"
                admin.training_delay = 0.0
                form = step_form(proxy, user)
                data = f"ack={form['ack']}&return={html.unescape(form['return'])}"
                admin.training_delay = delay
                send = lambda u=user, d=data: proxy.get(  # noqa: E731
                    PAGE.rsplit("/", 1)[0] + "/.staffguard/acknowledge",
                    FORM,
                    method="POST",
                    body=d,
                    tunnel=auth(u),
                )
                ack.append(stalled_while(proxy, admin, "/api/v1/training/acknowledgments", send))
            report("ack", ack, delay)
        finally:
            proxy.stop()
            admin.stop()
            upstream.close()


def step_form(proxy: Proxy, user: str) -> dict[str, str]:
    """The training step's fields on ``user``'s page, once the proxy knows the step is due
    (earlier rounds' slow asks may still hold its workers)."""
    form: dict[str, str] = {}

    def shown() -> bool:
        body = proxy.get(PAGE, NAVIGATE, tunnel=auth(user))[1].decode()
        form.update(re.findall(r'name="(ack|return)" value="([^"]*)"', body))
        return "ack" in form

    assert until(shown, timeout=30)
    return form


def report(name: str, times: list[float], delay: float) -> None:
    print(
        f"other client while one {name} waits on a {delay:.0f} s admin site: "
        f"median {statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
        f"({len(times)} rounds)"
    )


def scan_figures() -> None:
    from policy_lists import load_policy
    from policy_lists.lms import required_platforms

    policy = load_policy()
    url = "https://usd999.instructure.com/api/v1/courses/1/assignments"
    n = 64 * 1024
    links = " ".join(f"https://www.tiktok.com/@kid{i}" for i in range(3000))
    bodies = {
        "100 social links (JSON)": json.dumps({"d": links})[:n],
        "bare names (JSON)": json.dumps(
            {"d": " ".join(f"a{i}.example.com/x" for i in range(6000))}
        ),
        "a.a.a.a… (text)": "a." * (n // 2),
        "one 64 KiB www. link (form)": "body=" + "www.x" * (n // 5),
        "JSON in JSON strings": json.dumps([json.dumps([json.dumps(["x" * 10] * 500)] * 5)] * 3),
        "nested 20,000 deep": "[" * 20000 + "]" * 20000,
        "HTML entities": "&amp;" * (n // 5),
    }
    for name, text in bodies.items():
        body = text.encode()[:n]
        times = []
        for _ in range(5):
            started = time.perf_counter()
            # Before the fix a deep body raised RecursionError (the notice was lost): timed too.
            with contextlib.suppress(RecursionError):
                required_platforms(policy, url, "POST", {"Content-Type": "application/json"}, body)
            times.append(time.perf_counter() - started)
        print(f"LMS scan, {name:28}: {min(times) * 1000:6.1f} ms (best of 5)")


def bomb_figures() -> None:
    from proxy_addons import bodies

    zeros = b"\0" * 100_000_000
    bombs = {
        "gzip": gzip.compress(zeros),
        "deflate": zlib.compress(zeros),
        "br": brotli.compress(zeros),
        "zstd": zstandard.ZstdCompressor(write_content_size=False).compress(zeros[:8_000_000]),
    }
    for coding, data in bombs.items():
        tracemalloc.start()
        started = time.perf_counter()
        out = bodies.decode(data, coding, 64 * 1024)
        took = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(
            f"bomb {coding:7} ({len(data):6} bytes, inflates to >=8 MB): {len(out)} bytes read "
            f"in {took * 1000:.1f} ms, peak {peak / 1e6:.1f} MB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--delay", type=float, default=3.0)
    parser.add_argument("--only", choices=["proxy", "scan", "bombs"])
    args = parser.parse_args()
    if args.only in (None, "proxy"):
        proxy_figures(args.rounds, args.delay)
    if args.only in (None, "scan"):
        scan_figures()
    if args.only in (None, "bombs"):
        bomb_figures()


if __name__ == "__main__":
    main()
