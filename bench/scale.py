"""Throughput as the proxy grows from one process to N: `staffguard proxy --workers N`.

    .venv/bin/python bench/scale.py                     # 1 and 2 workers, 100,000 domains
    .venv/bin/python bench/scale.py --workers 1 2 4 --rounds 5 --seconds 6

Each setup serves warned pages (the proxy's own answer: decided and logged, nothing upstream).
The load comes from ApacheBench (``ab``, Debian's apache2-utils: C, a fraction of a Python
client's CPU) when installed, with ``--clients`` requests in flight, each on a new connection so
that the kernel (SO_REUSEPORT) spreads them over the workers as it spreads browsers; else from
``--clients`` Python processes that reconnect every ``--per-connection`` requests. Setups
are measured in alternating rounds; it prints the median req/s and what that costs the proxy:
its processes' CPU time per request, read from /proc. On a machine where the clients share the
cores with the proxy, req/s cannot double with a second worker even when the proxy scales; the
CPU cost per request says how many requests one core serves, which is what sizing needs.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import Client, Running, domain, staffguard, wait_ready
from proxy import start_upstream

AB = shutil.which("ab")


def client(
    port: int, upstream: tuple[int, int], seconds: float, domains: int, per_connection: int
) -> int:
    """Warned requests answered in ``seconds``, on a fresh connection every ``per_connection``."""
    one = Client(port, upstream)
    one.domains = domains
    done = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        try:
            one.one("warned")
        except (RuntimeError, OSError, http.client.HTTPException):
            continue
        done += 1
        if done % per_connection == 0 and one.conn is not None:
            one.conn.close()
            one.conn = None
    return done


def ab(port: int, seconds: float, clients: int, domains: int) -> int:
    """Warned requests ApacheBench got answered in ``seconds`` through the proxy."""
    url = f"http://www.{domain(7919 % domains)}/"
    done = subprocess.run(
        [AB, "-q", "-X", f"127.0.0.1:{port}", "-H", "Accept: text/html", "-c", str(clients),
         "-t", str(seconds), "-n", "10000000", "-r", url],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    complete, failed = (
        int(re.findall(rf"{label} requests:\s+(\d+)", done.stdout)[0])
        for label in ("Complete", "Failed")
    )
    return complete - failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--domains", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--per-connection", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="staffguard-scale-") as tmp:
        work = Path(tmp)
        upstream_proc, upstream = start_upstream(work)
        running: list[tuple[int, Running]] = []
        try:
            for workers in args.workers:
                started = time.perf_counter()
                proxy = staffguard(work, args.domains, lean=True, workers=workers)
                if not wait_ready(proxy, upstream, args.domains, started):
                    raise SystemExit(f"--workers {workers} did not answer (see {work})")
                running.append((workers, proxy))
            rates: dict[int, list[float]] = {n: [] for n, _ in running}
            costs: dict[int, list[float]] = {n: [] for n, _ in running}
            with concurrent.futures.ProcessPoolExecutor(args.clients) as pool:
                for round_ in range(args.rounds):
                    for workers, proxy in running if round_ % 2 == 0 else running[::-1]:
                        before = proxy.cpu_seconds()
                        if AB:
                            answered = ab(proxy.port, args.seconds, args.clients, args.domains)
                        else:
                            task = (proxy.port, upstream, args.seconds, args.domains)
                            task += (args.per_connection,)
                            jobs = [pool.submit(client, *task) for _ in range(args.clients)]
                            answered = sum(job.result() for job in jobs)
                        used = proxy.cpu_seconds() - before
                        rates[workers].append(answered / args.seconds)
                        costs[workers].append(used / max(answered, 1) * 1e6)
            how = (
                f"ab, {args.clients} in flight, a connection each"
                if AB
                else f"{args.clients} Python clients, a connection per {args.per_connection}"
            )
            print(
                f"warned pages, {args.domains:,} list domains, {os.cpu_count()} CPUs, "
                f"load from {how}, {args.rounds} alternating rounds of {args.seconds:g} s"
            )
            first = statistics.median(rates[running[0][0]])
            for workers, proxy in running:
                rate, cost = statistics.median(rates[workers]), statistics.median(costs[workers])
                print(
                    f"--workers {workers}: {rate:7.0f} req/s ({rate / first:4.2f}x), proxy CPU "
                    f"{cost:5.0f} us per request = {1e6 / cost:6.0f} req/s per busy core, "
                    f"RSS {proxy.rss_mib():4.0f} MiB ({len(proxy.pids())} processes)"
                )
        finally:
            for _, proxy in running:
                proxy.stop()
            upstream_proc.terminate()


if __name__ == "__main__":
    main()
