"""Figures for the proxy (issue 4): what the StaffGuard addon costs inside ``mitmdump``.

Same run, same local upstream, each scenario measured with and without the addon in alternating
rounds (so drift on a shared machine hits both alike):

* passthrough HTTPS — a host no list knows: a new connection (CONNECT, TLS handshake with the
  upstream's own certificate, one GET) per request; baseline: mitmdump told to pass every host
  through (``ignore_hosts``), i.e. the same work without the addon;
* decrypted allowed — an approved platform's page on a kept-alive decrypted connection;
  baseline: plain mitmdump, which decrypts everything;
* the interstitial — a warned navigation the proxy answers itself; baseline: plain mitmdump
  fetching the upstream's page;
* memory — RSS of a proxy that has seen 100,000 distinct client × site pairs (1,000 loopback
  client addresses × 100 platforms, a direct-message API call each), vs plain mitmdump.

Run: ``.venv/bin/python bench/proxy.py`` (about 10 minutes on 2 cores, most of it the memory
run; ``--only passthrough decrypted interstitial`` skips it; ``--quick`` for a smoke run).
Loaded by mitmdump (``-s bench/proxy.py``), this module is instead the bench-only addon that
sends the benchmark's platform hosts to the local upstream.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import functools
import http.client
import multiprocessing
import os
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from staffguard_testkit.tls import self_signed

MAPPED = ("tiktok.com", "facebook.com", "-social.net")
NAVIGATE = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Accept": "text/html"}
XHR = {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}
SITES = 100


def tls_clienthello(data: Any) -> None:
    """mitmproxy hook: with STAFFGUARD_BENCH_HOOK_ONLY, pass every TLS connection through from
    this hook, so the cost of mitmproxy's own hook machinery can be told from StaffGuard's."""
    if os.environ.get("STAFFGUARD_BENCH_HOOK_ONLY"):
        data.ignore_connection = True


def request(flow: Any) -> None:
    """mitmproxy hook (when loaded with ``-s``): the benchmark's platform hosts go upstream."""
    ports = os.environ.get("STAFFGUARD_BENCH_UPSTREAM")
    if ports and flow.response is None and flow.request.pretty_host.endswith(MAPPED):
        http_port, https_port = (int(p) for p in ports.split(","))
        original = flow.request.host_header
        flow.request.host = "127.0.0.1"
        flow.request.port = https_port if flow.request.scheme == "https" else http_port
        flow.request.host_header = original


# --- the upstream ------------------------------------------------------------------------


class Page(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # no Nagle wait on the body after the headers
    body = b"<!doctype html><html><body><h1>upstream</h1>" + b"x" * 1000 + b"</body></html>"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


def serve_upstream(directory: Path, ports: Any) -> None:
    """The upstream, in its own process so it does not share the client's interpreter."""
    import threading

    cert, key, _ = self_signed(directory)
    plain = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    secure = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    secure.socket = context.wrap_socket(secure.socket, server_side=True)
    for server in (plain, secure):
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
    ports.put((plain.server_address[1], secure.server_address[1]))
    threading.Event().wait()


def start_upstream(directory: Path) -> tuple[multiprocessing.Process, tuple[int, int]]:
    """``serve_upstream`` started in its own process: the process (terminate it when done) and
    the (http, https) ports it listens on."""
    queue: Any = multiprocessing.Queue()
    process = multiprocessing.Process(target=serve_upstream, args=(directory, queue), daemon=True)
    process.start()
    return process, queue.get(timeout=30)


# --- the proxies -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen) -> None:
    for _ in range(300):
        if proc.poll() is not None:
            raise RuntimeError(f"mitmdump exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"mitmdump did not listen on {port}")


class Proxy:
    def __init__(
        self,
        name: str,
        work: Path,
        upstream: tuple[int, int],
        addon: str | None,
        *,
        lazy: bool = True,
        passthrough: bool = False,
        hook_only: bool = False,
    ):
        from proxy_addons.cli import mitmdump_argv

        self.name = name
        self.port = free_port()
        policy = [addon] if addon else []
        argv = mitmdump_argv(
            policy, listen_port=self.port, data_dir=work / name / "data", confdir=work / name
        )
        if addon is None:  # the same mitmdump, without the StaffGuard script
            at = argv.index("-s")
            del argv[at : at + 2]
        if passthrough:
            argv += ["--set", "ignore_hosts=.*"]
        if lazy:  # the platform hosts are sent to the upstream only once a request is seen
            argv += ["-s", __file__, "--set", "connection_strategy=lazy"]
        argv += ["--set", "ssl_insecure=true"]
        env = {**os.environ, "STAFFGUARD_BENCH_UPSTREAM": f"{upstream[0]},{upstream[1]}"}
        if hook_only:
            argv += ["-s", __file__]
            env["STAFFGUARD_BENCH_HOOK_ONLY"] = "1"
        self.log = (work / f"{name}.log").open("wb")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        wait_for_port(self.port, self.proc)

    def rss_kib(self) -> tuple[int, int]:
        """(VmRSS, VmHWM) of the mitmdump process, in KiB."""
        fields = dict(
            line.split(":", 1)
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().split("\n")
            if ":" in line
        )
        return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(20)
        self.log.close()


# --- the clients -------------------------------------------------------------------------


@functools.cache
def _insecure() -> ssl.SSLContext:
    """One client context per process: building one loads the system CAs, tens of ms."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _connection(proxy_port: int | None, host: str, port: int) -> http.client.HTTPSConnection:
    if proxy_port is None:
        return http.client.HTTPSConnection("127.0.0.1", port, context=_insecure(), timeout=30)
    conn = http.client.HTTPSConnection("127.0.0.1", proxy_port, context=_insecure(), timeout=30)
    conn.set_tunnel(host, port)
    return conn


def _one(conn: http.client.HTTPSConnection, path: str, headers: dict[str, str]) -> None:
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        raise RuntimeError(f"unexpected {response.status}")


def worker(kind: str, proxy_port: int | None, https_port: int, seconds: float) -> list[float]:
    """Requests for ``seconds``; returns each request's latency in seconds."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    conn: http.client.HTTPSConnection | None = None
    host, path, headers = {
        "passthrough": ("localhost", "/", NAVIGATE),
        "decrypted": ("www.facebook.com", "/lincolnhigh", NAVIGATE),
        "interstitial": ("www.tiktok.com", "/@lincolnhigh", NAVIGATE),
    }[kind]
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        if conn is None:
            conn = _connection(proxy_port, host, https_port)
        _one(conn, path, headers)
        if kind == "passthrough":  # the addon's cost there is per connection
            conn.close()
            conn = None
        latencies.append(time.perf_counter() - start)
    if conn is not None:
        conn.close()
    return latencies


def measure(
    pool: concurrent.futures.Executor,
    kind: str,
    proxy_port: int | None,
    https_port: int,
    seconds: float,
    concurrency: int,
) -> tuple[float, list[float]]:
    jobs = [pool.submit(worker, kind, proxy_port, https_port, seconds) for _ in range(concurrency)]
    latencies = [x for job in jobs for x in job.result()]
    return len(latencies) / seconds, latencies


def memory_client(proxy_port: int, first: int, last: int, http_port: int) -> int:
    """Clients ``first..last`` (each its own 127.x address) call a DM API on every site."""
    done = 0
    for n in range(first, last):
        source = f"127.{100 + n // 65536}.{n // 256 % 256}.{n % 256 or 1}"
        conn = http.client.HTTPConnection(
            "127.0.0.1", proxy_port, timeout=30, source_address=(source, 0)
        )
        for site in range(SITES):
            conn.request("GET", f"http://www.bench{site}-social.net/direct/inbox/", headers=XHR)
            conn.getresponse().read()
            done += 1
        conn.close()
    return done


# --- the run -----------------------------------------------------------------------------


def district(work: Path) -> Path:
    lines = [
        "approvals:",
        "  - {platform: facebook, approved_on: 2026-05-12, reference: bench}",
        "platforms:",
        "  - {id: facebook, name: Facebook, category: social_media, domains: [facebook.com],",
        '     rules: [{activity: direct_message, paths: ["/messages/"]}]}',
        "  - {id: tiktok, name: TikTok, category: social_media, domains: [tiktok.com]}",
    ]
    for site in range(SITES):
        lines += [
            f"  - {{id: bench{site}, name: Bench {site}, category: social_media,",
            f"     domains: [bench{site}-social.net],",
            '     rules: [{activity: direct_message, paths: ["/direct/"]}]}',
        ]
    path = work / "district.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def ratio_table(
    pool: concurrent.futures.Executor,
    kind: str,
    without: Proxy,
    with_addon: Proxy,
    https_port: int,
    args: argparse.Namespace,
    label: str = "addon",
) -> None:
    figures: dict[str, dict[str, list[float]]] = {"without": {}, "with": {}}
    for _ in range(args.rounds):
        for which, proxy in (("without", without), ("with", with_addon)):
            rps, _ = measure(pool, kind, proxy.port, https_port, args.seconds, args.concurrency)
            _, single = measure(pool, kind, proxy.port, https_port, args.seconds / 2, 1)
            figures[which].setdefault("rps", []).append(rps)
            figures[which].setdefault("p50", []).append(statistics.median(single) * 1000)
            figures[which].setdefault("p95", []).append(
                statistics.quantiles(single, n=20)[18] * 1000
            )

    def med(which: str, key: str) -> float:
        return statistics.median(figures[which][key])

    without_rps, with_rps = med("without", "rps"), med("with", "rps")
    print(
        f"{kind:<13} without: {without_rps:6.0f} req/s  p50 {med('without', 'p50'):6.2f} ms  "
        f"p95 {med('without', 'p95'):6.2f} ms | with {label}: {with_rps:6.0f} req/s  "
        f"p50 {med('with', 'p50'):6.2f} ms  p95 {med('with', 'p95'):6.2f} ms | "
        f"ratio {with_rps / without_rps:.2f}  added p50 "
        f"{med('with', 'p50') - med('without', 'p50'):+.2f} ms",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per scenario")
    parser.add_argument("--concurrency", type=int, default=4, help="client processes")
    parser.add_argument("--clients", type=int, default=1000, help="memory: client addresses")
    parser.add_argument("--quick", action="store_true", help="a smoke run: short, small")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=["passthrough", "decrypted", "interstitial", "memory"],
        default=["passthrough", "decrypted", "interstitial", "memory"],
        help="scenarios to run (default: all)",
    )
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.rounds, args.clients = 1.0, 1, 20

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    with tempfile.TemporaryDirectory(prefix="staffguard-bench-") as tmp:
        work = Path(tmp)
        ports: Any = multiprocessing.Queue()
        upstream = multiprocessing.Process(target=serve_upstream, args=(work, ports), daemon=True)
        upstream.start()
        http_port, https_port = ports.get(timeout=30)
        policy = str(district(work))
        print(
            f"mitmdump {_mitmproxy_version()}, {os.cpu_count()} CPUs; {args.rounds} rounds of "
            f"{args.seconds:g} s, {args.concurrency} clients (p50/p95: one client)",
            flush=True,
        )
        proxies: list[Proxy] = []
        try:
            plain = Proxy("plain", work, (http_port, https_port), None)
            addon = Proxy("addon", work, (http_port, https_port), policy)
            # Passthrough as deployed: mitmproxy's default eager connection strategy.
            passthrough = Proxy(
                "passthrough", work, (http_port, https_port), None, lazy=False, passthrough=True
            )
            addon_eager = Proxy("addon-eager", work, (http_port, https_port), policy, lazy=False)
            hook_only = Proxy(
                "hook-only", work, (http_port, https_port), None, lazy=False, hook_only=True
            )
            proxies += [plain, addon, passthrough, addon_eager, hook_only]
            with concurrent.futures.ProcessPoolExecutor(args.concurrency) as pool:
                if args.only != ["memory"]:
                    rps, single = measure(pool, "passthrough", None, https_port, args.seconds, 1)
                    print(
                        f"{'direct HTTPS':<13} {rps:7.0f} req/s  p50 "
                        f"{statistics.median(single) * 1000:6.2f} ms (no proxy, one client)",
                        flush=True,
                    )
                pairs = {
                    "passthrough": (passthrough, addon_eager),
                    "decrypted": (plain, addon),
                    "interstitial": (plain, addon),
                }
                for kind, (baseline, guarded) in pairs.items():
                    if kind in args.only:
                        ratio_table(pool, kind, baseline, guarded, https_port, args)
                if "passthrough" in args.only:  # the same, with a bare tls_clienthello hook
                    ratio_table(
                        pool, "passthrough", passthrough, hook_only, https_port, args, "bare hook"
                    )
            for proxy in proxies:
                proxy.stop()
            proxies.clear()
            if "memory" in args.only:
                memory(work, (http_port, https_port), policy, args)
        finally:
            for proxy in proxies:
                proxy.stop()
            upstream.terminate()
    return 0


def memory(work: Path, upstream: tuple[int, int], policy: str, args: argparse.Namespace) -> None:
    for name, source in (("plain-memory", None), ("addon-memory", policy)):
        proxy = Proxy(name, work, upstream, source)
        try:
            before = proxy.rss_kib()[0]
            start = time.perf_counter()
            step = max(1, args.clients // args.concurrency)
            with concurrent.futures.ProcessPoolExecutor(args.concurrency) as pool:
                jobs = [
                    pool.submit(
                        memory_client,
                        proxy.port,
                        first,
                        min(first + step, args.clients),
                        upstream[0],
                    )
                    for first in range(0, args.clients, step)
                ]
                total = sum(job.result() for job in jobs)
            elapsed = time.perf_counter() - start
            rss, peak = proxy.rss_kib()
            print(
                f"memory {name:<13} {total} client×site pairs in {elapsed:5.1f} s: RSS "
                f"{before / 1024:6.1f} MiB before, {rss / 1024:6.1f} MiB after, peak "
                f"{peak / 1024:6.1f} MiB",
                flush=True,
            )
        finally:
            proxy.stop()


def _mitmproxy_version() -> str:
    from mitmproxy.version import VERSION

    return VERSION


if __name__ == "__main__":
    sys.exit(main())
