"""A CONNECT passthrough's proxy CPU: the lean proxy's front door, mitmproxy, mitmproxy's floor.

    .venv/bin/python bench/connect_floor.py           # 100,000 listed domains, 3 rounds of 4 s

Runs three lean StaffGuard proxies on the same list and upstream, in alternating rounds:
``front door`` as shipped (``proxy_addons/front.py`` relays a CONNECT to a host that needs no
decision before mitmproxy sees it); ``mitmproxy`` with ``staffguard_fast_connect=false``
(mitmproxy reads each tunnel's ClientHello and StaffGuard's ``tls_clienthello`` lets the host
pass through); and ``ignore_hosts=.*`` with the front door off too, where mitmproxy passes every
tunnel through before any TLS parsing or hook runs: the floor of deciding inside mitmproxy. It
prints req/s and the proxy's CPU time per CONNECT for each (bench/peers.py's client).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import peers  # noqa: E402  (bench/peers.py)
from proxy import start_upstream  # noqa: E402  (bench/proxy.py)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="staffguard-connect-") as tmp:
        work = Path(tmp)
        os.chmod(work, 0o755)
        upstream_proc, upstream = start_upstream(work)
        variants = {  # name -> extra mitmdump arguments; each its own list copy, data, confdir
            "front door": [],
            "mitmproxy": ["--set", "staffguard_fast_connect=false"],
            "ignore_hosts=.*": ["--set", "staffguard_fast_connect=false", "--ignore-hosts", ".*"],
        }
        proxies = []
        for number, (name, extra) in enumerate(variants.items()):
            (work / str(number)).mkdir()
            os.chmod(work / str(number), 0o755)
            proxy = peers.staffguard(work / str(number), args.domains, lean=True, extra=extra)
            proxy.name = name
            proxies.append(proxy)
        try:
            for proxy in proxies:
                if not peers.wait_ready(proxy, upstream, args.domains, time.perf_counter()):
                    print(f"{proxy.name}: did not start (see {work})")
                    return 1
            with concurrent.futures.ProcessPoolExecutor(args.concurrency) as pool:

                def run(proxy: peers.Running) -> int:
                    rps, _ = peers.measure(
                        pool, "connect", proxy, upstream, args.seconds, args.concurrency,
                        args.domains,
                    )  # fmt: skip
                    return round(rps * args.seconds)

                medians = peers.alternate(proxies, args.rounds, args.seconds, run)
            peers.print_medians("connect", medians, args.rounds)
        finally:
            for proxy in proxies:
                proxy.stop()
            upstream_proc.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
