"""How much of a CONNECT passthrough's proxy CPU an earlier "no decision needed" could save.

    .venv/bin/python bench/connect_floor.py           # 100,000 listed domains, 3 rounds of 4 s

Runs two lean StaffGuard proxies on the same list and upstream, in alternating rounds: one as
shipped (mitmproxy reads each tunnel's TLS ClientHello and StaffGuard's ``tls_clienthello``
lets a host that needs no decision pass through), and one with ``--ignore-hosts '.*'``, where
mitmproxy passes every tunnel through before any TLS parsing or hook runs. The second is the
floor that deciding earlier (in ``next_layer``, or by an ``ignore_hosts`` pattern) could reach;
it prints req/s and the proxy's CPU time per CONNECT for each (bench/peers.py's client).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import peers  # noqa: E402  (bench/peers.py)
from proxy import serve_upstream  # noqa: E402  (bench/proxy.py)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    from proxy_addons import cli

    with tempfile.TemporaryDirectory(prefix="staffguard-connect-") as tmp:
        work = Path(tmp)
        os.chmod(work, 0o755)
        queue: Any = multiprocessing.Queue()
        upstream_proc = multiprocessing.Process(
            target=serve_upstream, args=(work, queue), daemon=True
        )
        upstream_proc.start()
        upstream = queue.get(timeout=30)
        for name in ("shipped", "ignoring"):  # each its own list copy, data and confdir
            (work / name).mkdir()
            os.chmod(work / name, 0o755)
        shipped = peers.staffguard(work / "shipped", args.domains, lean=True)
        lean_argv = cli.lean_argv
        cli.lean_argv = lambda argv: [*lean_argv(argv), "--ignore-hosts", ".*"]
        try:
            ignoring = peers.staffguard(work / "ignoring", args.domains, lean=True)
        finally:
            cli.lean_argv = lean_argv
        shipped.name, ignoring.name = "as shipped", "ignore_hosts=.*"
        proxies = [shipped, ignoring]
        try:
            for proxy in proxies:
                if not peers.wait_ready(proxy, upstream, args.domains, time.perf_counter()):
                    print(f"{proxy.name}: did not start (see {work})")
                    return 1
            cost: dict[str, list[float]] = {p.name: [] for p in proxies}
            rates: dict[str, list[float]] = {p.name: [] for p in proxies}
            with concurrent.futures.ProcessPoolExecutor(args.concurrency) as pool:
                for round_ in range(args.rounds):
                    for proxy in proxies if round_ % 2 == 0 else proxies[::-1]:
                        before = proxy.cpu_seconds()
                        rps, _ = peers.measure(
                            pool, "connect", proxy, upstream, args.seconds, args.concurrency,
                            args.domains,
                        )  # fmt: skip
                        used = proxy.cpu_seconds() - before
                        cost[proxy.name].append(used / max(rps * args.seconds, 1))
                        rates[proxy.name].append(rps)
            for proxy in proxies:
                print(
                    f"connect {proxy.name:16} {statistics.median(rates[proxy.name]):6.0f} req/s"
                    f"  CPU {statistics.median(cost[proxy.name]) * 1e6:6.0f} us/req"
                    f"  (median of {args.rounds})"
                )
        finally:
            for proxy in proxies:
                proxy.stop()
            upstream_proc.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
