"""Figures for issue 13's proxy work: how long one staff member's wait on the admin site, or one
LMS post, holds up the proxy's other clients.

mitmproxy serves every client from one event loop, so a hook that blocks stalls everyone. This
runs a real ``mitmdump`` fed by a stand-in admin site whose training calls take ``--delay``
seconds, and measures another client's request to an allowed site while

- a staff member's navigation waits for their training status (``page``),
- a staff member's *Acknowledge* click waits for the admin site (``ack``);

then, in this process, the LMS scan of the worst 64 KiB bodies we know (``scan``) and bounded
decoding of compression bombs (``bombs``: time and peak memory).

    .venv/bin/python bench/lms_stall.py            # all of it, ~30 s
    .venv/bin/python bench/lms_stall.py --rounds 3 --delay 3
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import functools
import gzip
import html
import http.client
import itertools
import json
import os
import re
import ssl
import statistics
import subprocess
import tempfile
import threading
import time
import tracemalloc
import urllib.parse
import zlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import brotli
import zstandard

from proxy_addons.cli import mitmdump_argv
from staffguard_testkit.net import free_port, until, wait_for_port
from staffguard_testkit.upstream import Upstream

ROOT = Path(__file__).resolve().parents[1]
PAGE = "https://www.tiktok.com/@lincolnhigh"
ALLOWED = "http://en.wikipedia.org/wiki/Honey_bee"
MAPPED = ("tiktok.com", "wikipedia.org", "instructure.com")
CANVAS = "https://usd999.instructure.com/api/v1/courses/1/assignments"
NAVIGATE = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Accept": "text/html"}
FORM = {"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"}


def request(flow: Any) -> None:
    """mitmproxy hook (this file is loaded with ``-s``): the bench's hosts go upstream."""
    ports = os.environ.get("STAFFGUARD_BENCH_UPSTREAM")
    if ports and flow.response is None and flow.request.pretty_host.endswith(MAPPED):
        http_port, https_port = (int(p) for p in ports.split(","))
        original = flow.request.host_header
        flow.request.host = "127.0.0.1"
        flow.request.port = https_port if flow.request.scheme == "https" else http_port
        flow.request.host_header = original


class Admin:
    """The admin site's calls the proxy makes, with training calls that take ``delay`` s."""

    def __init__(self) -> None:
        from policy_lists import compile_sources

        self.delay = 0.0
        self.asked: list[str] = []  # the training paths asked, in order
        self.acknowledged: set[str] = set()
        policy = json.dumps(compile_sources()).encode()
        admin = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if not self.path.startswith("/api/v1/training/status"):
                    return self._reply(200, policy)
                admin.asked.append(self.path)
                time.sleep(admin.delay)
                user = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)["user"][0]
                self._status(user, 200)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.path != "/api/v1/training/acknowledgments":
                    return self._reply(200, b"{}")
                admin.asked.append(self.path)
                time.sleep(admin.delay)
                user = json.loads(body)["user"]
                admin.acknowledged.add(user)
                self._status(user, 201)

            def _status(self, user: str, status: int) -> None:
                due = user not in admin.acknowledged
                url = f"https://sg.usd999.org/training?email={user}"
                answer = {"user": user, "period": "2026-27", "due": due, "url": url}
                self._reply(status, json.dumps(answer).encode())

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"


def start_proxy(work: Path, admin: Admin, upstream: Upstream) -> tuple[subprocess.Popen, int]:
    port = free_port()
    argv = mitmdump_argv(
        [admin.url], listen_port=port, token="t0k", data_dir=work / "data", confdir=work / "conf"
    )
    argv += ["-s", __file__, "--set", "ssl_insecure=true", "--set", "connection_strategy=lazy"]
    argv += ["--set", "proxyauth=any"]  # any user: a fresh one, uncached, each round
    env = {**os.environ, "STAFFGUARD_BENCH_UPSTREAM": upstream.ports}
    log = (work / "mitmdump.log").open("ab")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env)
    wait_for_port(port, proc=proc)
    return proc, port


def get(port: int, url: str, headers: dict[str, str], user: str, **kw: Any) -> tuple[int, str]:
    """One request through the proxy as ``user`` (proxy authentication): (status, body)."""
    credentials = base64.b64encode(f"{user}:pw".encode()).decode()
    auth = {"Proxy-Authorization": f"Basic {credentials}"}
    scheme, _, rest = url.partition("://")
    host, _, path = rest.partition("/")
    if scheme == "https":
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            "127.0.0.1", port, context=context, timeout=30
        )
        conn.set_tunnel(host, 443, headers=auth)
        target, headers = "/" + path, {"Host": host, **headers}
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        target, headers = url, {"Host": host, **headers, **auth}
    conn.request(kw.get("method", "GET"), target, body=kw.get("body"), headers=headers)
    response = conn.getresponse()
    body = response.read().decode("utf-8", "replace")
    conn.close()
    return response.status, body


def other_client(port: int) -> float:
    started = time.monotonic()
    status, _ = get(port, ALLOWED, NAVIGATE, "other@usd999.org")
    assert status == 200, status
    return time.monotonic() - started


def stalled_while(port: int, admin: Admin, path: str, send: Callable[[], object]) -> float:
    """Another client's time for one request, sent once the admin site has been asked."""
    seen = len(admin.asked)
    worker = threading.Thread(target=send, daemon=True)
    worker.start()
    assert until(lambda: any(p.startswith(path) for p in admin.asked[seen:]), timeout=10)
    took = other_client(port)
    worker.join(30)
    return took


def proxy_figures(rounds: int, delay: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        upstream = Upstream(Path(tmp) / "upstream")
        admin = Admin()
        proc, port = start_proxy(Path(tmp), admin, upstream)
        try:
            idle = [other_client(port) for _ in range(10)]
            print(f"other client, nothing waiting: median {statistics.median(idle) * 1000:.1f} ms")
            admin.delay = delay
            page = []
            for n in range(rounds):
                send = functools.partial(get, port, PAGE, NAVIGATE, f"page{n}@usd999.org")
                page.append(stalled_while(port, admin, "/api/v1/training/status", send))
            report("page", page, delay)
            ack = []
            for n in range(rounds):
                user = f"ack{n}@usd999.org"
                admin.delay = 0.0
                form = step_form(port, user)
                data = f"ack={form['ack']}&return={html.unescape(form['return'])}"
                admin.delay = delay
                click = PAGE.rsplit("/", 1)[0] + "/.staffguard/acknowledge"
                send = functools.partial(get, port, click, FORM, user, method="POST", body=data)
                ack.append(stalled_while(port, admin, "/api/v1/training/acknowledgments", send))
            report("ack", ack, delay)
            lms_figures(port)
        finally:
            proc.terminate()
            proc.wait(10)
            admin.server.shutdown()
            upstream.close()


class Poster(threading.Thread):
    """One client posting the same LMS save back to back until ``stop``."""

    def __init__(self, port: int, body: bytes, headers: dict[str, str]):
        super().__init__(daemon=True)
        self.port, self.body, self.headers = port, body, headers
        self.stop, self.posted = threading.Event(), 0

    def run(self) -> None:
        while not self.stop.is_set():
            get(self.port, CANVAS, self.headers, "t@usd999.org", method="POST", body=self.body)
            self.posted += 1


def lms_figures(port: int) -> None:
    """Another client's times while a third posts slow-to-read LMS saves back to back."""
    names = json.dumps({"d": " ".join(f"a{i}.example.com/x" for i in range(6000))})[: 64 * 1024]
    for name, body, headers in (
        ("bare names, 64 KiB", names.encode(), {"Content-Type": "application/json"}),
        ("one 64 KiB www. link", ("body=" + "www.x" * 13_107).encode(), {}),
        ("br bomb, 100 MB", brotli.compress(b"\0" * 100_000_000), {"Content-Encoding": "br"}),
    ):
        poster = Poster(port, body, headers)
        poster.start()
        assert until(lambda p=poster: p.posted > 0, timeout=30)
        times, ends = [], time.monotonic() + 3
        while time.monotonic() < ends:
            times.append(other_client(port))
        poster.stop.set()
        poster.join(30)
        times.sort()
        print(
            f"other client while LMS saves ({name}) go back to back: median "
            f"{statistics.median(times) * 1000:.0f} ms, "
            f"p95 {times[int(len(times) * 0.95)] * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms "
            f"({len(times)} requests, {poster.posted} saves in 3 s)"
        )


def step_form(port: int, user: str) -> dict[str, str]:
    """The training step's fields on ``user``'s page, once the proxy knows the step is due
    (earlier rounds' slow asks may still hold its workers)."""
    form: dict[str, str] = {}

    def shown() -> bool:
        body = get(port, PAGE, NAVIGATE, user)[1]
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
        "gzip": (gzip.compress(zeros), len(zeros)),
        "deflate": (zlib.compress(zeros), len(zeros)),
        "br": (brotli.compress(zeros), len(zeros)),
        "zstd": (
            zstandard.ZstdCompressor(write_content_size=False).compress(zeros[:8_000_000]),
            8_000_000,
        ),
    }
    for coding, (data, inflated) in bombs.items():
        tracemalloc.start()
        started = time.perf_counter()
        out = bodies.decode(data, coding, 64 * 1024)
        took = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(
            f"bomb {coding:7} ({len(data):6} bytes, inflates to {inflated / 1e6:.0f} MB): "
            f"{len(out)} bytes read "
            f"in {took * 1000:.1f} ms, peak {peak / 1e6:.1f} MB"
        )


def loop_figures() -> None:
    """The longest gap in an event loop's ticks while the worst LMS read (a br bomb, then
    64 KiB of bare names) runs on the loop itself and on a thread, as the addon runs it."""
    from mitmproxy import http as mhttp

    from policy_lists import load_policy
    from proxy_addons import lms_hook

    policy = load_policy()
    names = json.dumps({"d": " ".join(f"a{i}.example.com/x" for i in range(6000))})[: 64 * 1024]
    bomb = brotli.compress(names.encode() + b"\0" * 100_000_000)
    url = "https://usd999.instructure.com/api/v1/courses/1/assignments"
    headers = {"Content-Type": "application/json", "Content-Encoding": "br"}
    req = mhttp.Request.make("POST", url, b"", headers)
    req.raw_content = bomb

    def read() -> None:
        lms_hook.finding_for(req, url, "usd999.instructure.com", policy)

    async def gap(threaded: bool) -> tuple[float, float]:
        ticks: list[float] = []

        async def tick() -> None:
            while True:
                ticks.append(time.perf_counter())
                await asyncio.sleep(0.001)

        ticker = asyncio.create_task(tick())
        await asyncio.sleep(0.02)
        started = time.perf_counter()
        if threaded:
            await asyncio.to_thread(read)
        else:
            read()
        took = time.perf_counter() - started
        await asyncio.sleep(0.01)
        ticker.cancel()
        during = [b - a for a, b in itertools.pairwise(ticks) if b >= started]
        return took, max(during)

    for threaded in (False, True, False, True):
        took, longest = asyncio.run(gap(threaded))
        where = "on a thread" if threaded else "on the loop"
        print(f"worst LMS read {where}: {took * 1000:.0f} ms, ", end="")
        print(f"longest loop gap {longest * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--delay", type=float, default=3.0)
    parser.add_argument("--only", choices=["proxy", "scan", "bombs", "loop"])
    args = parser.parse_args()
    if args.only in (None, "proxy"):
        proxy_figures(args.rounds, args.delay)
    if args.only in (None, "scan"):
        scan_figures()
    if args.only in (None, "bombs"):
        bomb_figures()
    if args.only in (None, "loop"):
        loop_figures()


if __name__ == "__main__":
    main()
