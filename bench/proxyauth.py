"""CONNECT passthrough with proxy sign-in (``proxyauth``, a bcrypt htpasswd file), the lean
proxy of this checkout beside another's.

    .venv/bin/python bench/proxyauth.py --baseline /tmp/main   # (git archive main)
    .venv/bin/python bench/proxyauth.py --cost 12               # passlib's default bcrypt cost

Each proxy runs ``--lean`` with ``--set proxyauth=@FILE`` (one user, bcrypt, as ``htpasswd -B``
writes it: cost 5 unless ``--cost``) on the same 100,000-name list and local upstream. Clients
open a new connection per request (CONNECT with ``Proxy-Authorization``, TLS with the upstream,
one GET), the first request of an HTTPS site no list knows. Rounds alternate between the
proxies; it prints req/s and the proxy's CPU time per request (from /proc), medians.
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures
import http.client
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

USER, PASSWORD = "staff", "s3cret-Password"


def signed_in_connect(port: int, upstream: tuple[int, int], seconds: float) -> int:
    """CONNECTs with credentials for ``seconds``; how many were answered by the upstream."""
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    context = peers._insecure()
    done = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=30)
        conn.set_tunnel("localhost", upstream[1], headers={"Proxy-Authorization": f"Basic {token}"})
        conn.request("GET", "/")
        body = conn.getresponse().read()
        conn.close()
        if peers.UPSTREAM_MARK not in body:
            raise RuntimeError("the signed-in CONNECT did not reach the upstream")
        done += 1
    return done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, help="another checkout's lean proxy beside")
    parser.add_argument("--domains", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--cost", type=int, default=5, help="bcrypt cost (htpasswd -B: 5)")
    args = parser.parse_args()
    from passlib.hash import bcrypt

    with tempfile.TemporaryDirectory(prefix="staffguard-proxyauth-") as tmp:
        work = Path(tmp)
        os.chmod(work, 0o755)
        entry = bcrypt.using(rounds=args.cost).hash(PASSWORD)
        (work / "htpasswd").write_text(f"{USER}:{entry}\n")
        upstream_proc, upstream = start_upstream(work)
        extra = ["--set", f"proxyauth=@{work / 'htpasswd'}", "--set", "connection_strategy=lazy"]
        proxies = []
        for name, baseline in (("this checkout", None), ("baseline", args.baseline)):
            if name == "baseline" and baseline is None:
                continue
            (work / name).mkdir()
            os.chmod(work / name, 0o755)
            proxy = peers.staffguard(
                work / name, args.domains, lean=True, baseline=baseline, extra=extra
            )
            proxy.name = name
            proxies.append(proxy)
        try:
            for proxy in proxies:  # ready: a signed-in CONNECT gets through
                started = time.perf_counter()
                while True:
                    try:
                        signed_in_connect(proxy.port, upstream, 0.01)
                        break
                    except (OSError, RuntimeError, http.client.HTTPException):
                        if time.perf_counter() - started > 120 or proxy.proc.poll() is not None:
                            print(f"{proxy.name}: did not start (see {work})")
                            return 1
                        time.sleep(0.2)
            with concurrent.futures.ProcessPoolExecutor(args.concurrency) as pool:

                def run(proxy: peers.Running) -> int:
                    jobs = [
                        pool.submit(signed_in_connect, proxy.port, upstream, args.seconds)
                        for _ in range(args.concurrency)
                    ]
                    return sum(job.result() for job in jobs)

                medians = peers.alternate(proxies, args.rounds, args.seconds, run)
            peers.print_medians("signed-in connect", medians, args.rounds)
        finally:
            for proxy in proxies:
                proxy.stop()
            upstream_proc.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
