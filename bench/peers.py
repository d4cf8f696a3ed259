"""StaffGuard beside the C++ filtering proxies districts know: e2guardian and squid+squidGuard.

    .venv/bin/python bench/peers.py                    # a 1,000,000-domain list, 3 rounds
    .venv/bin/python bench/peers.py --domains 100000 --rounds 1 --seconds 2   # a quick look
    .venv/bin/python bench/peers.py --lean --workers 2 # also `staffguard proxy --lean`, and
                                                       # `--workers 2` (one port, 2 processes)
    .venv/bin/python bench/peers.py --lean --no-plain --baseline /tmp/main  # this checkout's
        # lean proxy beside main's (git archive main | tar -x -C /tmp/main) and the peers

Every proxy runs on loopback, from config files generated in a temporary directory (never the
system's), with the same list (``--domains`` names, banned/warned) and the same local upstream.
Scenarios, each measured for every proxy in turn, in alternating order each round:

* ``http``    — plain-HTTP passthrough: GET of an unlisted URL on a kept-alive connection;
* ``connect`` — CONNECT passthrough: a new connection per request (CONNECT, TLS with the
  upstream, one GET), as a browser's first request to an HTTPS site no list knows;
* ``warned``  — a listed platform's home domain (its first listed name): the proxy's own page
  (StaffGuard's interstitial, e2guardian's block page, squidGuard's redirect to its block page);
* ``redirect`` — (only with ``--only``) another listed name of a platform: StaffGuard answers
  with a 303 to the home domain's check, which looks for a pass set there (one continue covers
  every domain of a platform); the peers answer as for ``warned``.
* ``https-warned`` — (only with ``--only``) the warned page as staff meet it: over HTTPS, a new
  connection per request (CONNECT to a platform's home, TLS with the proxy's own certificate for
  it, one GET), as a browser's first visit. StaffGuard decrypts the platforms' hosts;
  e2guardian runs with its SSL MITM on (a CA made for the run); squid+squidGuard is not
  measured (it has no block page inside a tunnel without ssl-bump). e2guardian connects to
  the real server before its page, and mitmproxy does by default, so the list's home names
  must resolve: both run in a mount namespace of their own whose ``/etc/hosts`` maps them to
  127.0.0.1 (``unshare -m``, as root; the machine's own file is not touched).

With ``--floor``, the lean master answering every request with a page and deciding nothing
(``bench/floor_addon.py``) runs beside them in the page scenarios: the part of a warned page
that is mitmproxy's own (with ``--baseline``, that checkout's floor too).

It prints req/s (``--concurrency`` clients), p50/p99 (one client), the proxy's own CPU time per
request during the req/s measurement (from /proc: the figure least moved by other work on a
shared machine), the RSS of the proxy's processes (squid with its squidGuard helpers) after
the run, the start time (spawn to the first warned answer), and one answer's status and size
per scenario (so a figure can be read as what it measured: a page, a redirect, an error).
Peers are installed from Debian when absent (``apt-get install -y e2guardian squid
squidguard``); when they cannot be, a "skipped: ..." line says why.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import http.client
import os
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from proxy import free_port, start_upstream  # noqa: E402  (bench/proxy.py)

UPSTREAM_MARK = b"<h1>upstream</h1>"
PER_PLATFORM = 1000
TICKS = os.sysconf("SC_CLK_TCK")


def domain(n: int) -> str:
    """The list's n-th name (the same for every proxy)."""
    return f"host{n % PER_PLATFORM}-{n // PER_PLATFORM}.example-{n % 97}.com"


def homes(domains: int) -> list[str]:
    """The platforms' home names (each platform's first listed name): the warned requests."""
    return [domain(p * PER_PLATFORM) for p in range(domains // PER_PLATFORM)]


def resolving(argv: list[str], hosts: Path | None) -> list[str]:
    """``argv`` in a mount namespace of its own whose /etc/hosts is ``hosts`` (for
    ``https-warned``); unchanged when ``hosts`` is None."""
    if hosts is None:
        return argv
    bind = 'mount --bind "$0" /etc/hosts && exec "$@"'
    return ["unshare", "-m", "sh", "-c", bind, str(hosts), *argv]


# --- the proxies ---------------------------------------------------------------------------


class Running:
    """A proxy started from generated config; ``pids()`` lists its processes for the RSS."""

    def __init__(self, name: str, port: int, proc: subprocess.Popen, stop: Callable[[], None]):
        self.name, self.port, self.proc, self._stop = name, port, proc, stop
        self.start_seconds = 0.0
        self.answers: dict[str, str] = {}  # scenario -> the status and size of one answer

    def pids(self) -> list[int]:
        found = [self.proc.pid]
        changed = True
        while changed:  # children, grandchildren (squid -> its kid -> squidGuard helpers)
            changed = False
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit() or int(entry.name) in found:
                    continue
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                parent = int(stat.rsplit(")", 1)[1].split()[1])
                if parent in found:
                    found.append(int(entry.name))
                    changed = True
        return found

    def rss_mib(self) -> float:
        total = 0
        for pid in self.pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except OSError:
                pass
        return total / 1024

    def cpu_seconds(self) -> float:
        """User and system time of the proxy's processes so far (gone helpers not counted)."""
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / TICKS

    def stop(self) -> None:
        self._stop()


def _terminate(proc: subprocess.Popen) -> Callable[[], None]:
    def stop() -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

    return stop


def staffguard(
    work: Path,
    domains: int,
    lean: bool = False,
    workers: int = 1,
    baseline: Path | None = None,
    extra: Sequence[str] = (),
    hosts: Path | None = None,
) -> Running:
    """StaffGuard on mitmdump, ``--lean`` or ``--workers N``; with ``baseline``, the code of
    that other checkout (say ``git archive main``) runs instead of this one's; ``extra``: more
    mitmdump arguments (``--set NAME=VALUE``...)."""
    from proxy_addons.cli import lean_argv, mitmdump_argv, with_options

    name = f"staffguard-w{workers}" if workers > 1 else "staffguard-lean" if lean else "staffguard"
    name += "-base" if baseline else ""
    lists = work / "staffguard-lists"
    if not lists.exists():
        lists.mkdir()
        with (lists / "big.yaml").open("w", encoding="utf-8") as out:
            out.write("platforms:\n")
            for p in range(domains // PER_PLATFORM):
                out.write(
                    f"  - id: synthetic_{p}\n    name: Synthetic {p}\n"
                    f"    category: social_media\n    domains_file: synthetic_{p}.txt\n"
                )
                names = (domain(p * PER_PLATFORM + d) for d in range(PER_PLATFORM))
                (lists / f"synthetic_{p}.txt").write_text("\n".join(names) + "\n")
    port = free_port()
    argv = mitmdump_argv(
        [str(lists / "big.yaml")],
        listen_port=port,
        data_dir=work / name / "data",
        confdir=work / name,
        quiet=True,  # as the --workers supervisor's workers: no log line per connection
    )
    if workers > 1:  # as an operator runs it: the supervisor and its workers on one port
        argv = [
            str(Path(sys.executable).with_name("staffguard")), "proxy", "--workers", str(workers),
            "--policy", str(lists / "big.yaml"), "--listen-port", str(port),
            "--data", str(work / name / "data"), "--confdir", str(work / name),
        ]  # fmt: skip
    else:  # as `staffguard proxy` starts it: the lazy upstream connection, unless extra says
        if not any(arg.startswith("connection_strategy=") for arg in extra):
            argv = with_options(argv, [])
        argv = lean_argv(argv) if lean else argv
    argv = [*argv, *extra]
    log = (work / f"{name}.log").open("wb")
    env = {**os.environ, "STAFFGUARD_PROXY_QUIET": "1"}
    if baseline is not None:
        argv = [argv[0], *(a.replace(str(ROOT), str(baseline)) for a in argv[1:])]
        env["PYTHONPATH"] = str(baseline)
    proc = subprocess.Popen(
        resolving(argv, hosts), stdout=log, stderr=subprocess.STDOUT, env=env,
        cwd=baseline or ROOT,
    )  # fmt: skip
    return Running(name, port, proc, _terminate(proc))


def floor(work: Path, baseline: Path | None = None) -> Running:
    """The lean master with ``floor_addon.py`` instead of StaffGuard: every request answered
    with a page at once (``--floor``; no list, so only the page scenarios mean anything); with
    ``baseline``, that checkout's lean master."""
    from proxy_addons.cli import lean_argv

    name = "mitmproxy-floor-base" if baseline else "mitmproxy-floor"
    port = free_port()
    argv = lean_argv(
        ["mitmdump", "--quiet", "--listen-host", "127.0.0.1", "--listen-port", str(port),
         "-s", str(ROOT / "bench" / "floor_addon.py"), "--set", f"confdir={work / name}",
         "--set", "connection_strategy=lazy"]
    )  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(baseline)} if baseline else None
    log = (work / f"{name}.log").open("wb")
    proc = subprocess.Popen(
        argv, stdout=log, stderr=subprocess.STDOUT, cwd=baseline or ROOT, env=env
    )
    return Running(name, port, proc, _terminate(proc))


def e2guardian(work: Path, domains: int, hosts: Path | None = None) -> Running | str:
    """e2guardian on the list; with ``hosts``, with its SSL MITM on, in a namespace that
    resolves the list's home names (``https-warned``)."""
    binary = shutil.which("e2guardian")
    if binary is None or not Path("/etc/e2guardian/e2guardian.conf").exists():
        return "e2guardian is not installed (apt-get install -y e2guardian)"
    home = work / "e2guardian"
    shutil.copytree("/etc/e2guardian", home)
    port = free_port()
    for path in home.rglob("*"):
        if path.is_file():
            try:
                text = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
            path.write_text(text.replace("/etc/e2guardian", str(home)))
    with (home / "lists" / "bannedsitelist").open("w") as out:
        out.writelines(domain(n) + "\n" for n in range(domains))
    conf = home / "e2guardian.conf"
    text = conf.read_text()
    settings = {
        "filterip": "127.0.0.1",
        "filterports": str(port),
        "transparenthttpsport": str(free_port()),  # unused, but bound: never a fixed 8443
        "nodaemon": "on",
        "nologger": "on",
        "loglevel": "0",
    }
    if hosts is not None:
        settings.update(_e2guardian_mitm(home))
    for key, value in settings.items():
        text = "\n".join(
            f"{key} = {value}" if line.split("=")[0].strip() == key else line
            for line in text.splitlines()
        )
    text += (
        f"\npidfilename = '{home}/e2guardian.pid'\nloglocation = '{home}/access.log'\n"
        "daemonuser = 'root'\ndaemongroup = 'root'\n"
    )
    conf.write_text(text + "\n")
    log = (work / "e2guardian.log").open("wb")
    argv = resolving([binary, "-N", "-c", str(conf)], hosts)
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    return Running("e2guardian", port, proc, _terminate(proc))


def _e2guardian_mitm(home: Path) -> dict[str, str]:
    """Settings for e2guardian's SSL MITM, with a CA and a key made for this run (openssl);
    the filter group decrypts and does not check the local upstream's self-signed
    certificate."""
    private = home / "private"
    (private / "generatedcerts").mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=bench e2guardian CA", "-keyout", str(private / "ca.key"),
         "-out", str(private / "ca.pem")],
        check=True, capture_output=True,
    )  # fmt: skip
    subprocess.run(
        ["openssl", "genrsa", "-out", str(private / "cert.key"), "2048"],
        check=True, capture_output=True,
    )  # fmt: skip
    group = home / "e2guardianf1.conf"
    text = group.read_text().replace("\nsslmitm = off", "\nsslmitm = on")
    group.write_text(text.replace("\nmitmcheckcert = on", "\nmitmcheckcert = off"))
    return {  # each replaces the shipped file's own line
        "enablessl": "on",
        "cacertificatepath": f"'{private}/ca.pem'",
        "caprivatekeypath": f"'{private}/ca.key'",
        "certprivatekeypath": f"'{private}/cert.key'",
        "generatedcertpath": f"'{private}/generatedcerts/'",
    }


def squid_guard(work: Path, domains: int, page_port: int) -> Running | str:
    squid, guard = shutil.which("squid"), shutil.which("squidGuard")
    if squid is None or guard is None:
        return "squid+squidGuard are not installed (apt-get install -y squid squidguard)"
    home = work / "squid"
    for sub in ("db/blocked", "log", "cache"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    with (home / "db" / "blocked" / "domains").open("w") as out:
        out.writelines(domain(n) + "\n" for n in range(domains))
    (home / "squidGuard.conf").write_text(
        f"dbhome {home}/db\nlogdir {home}/log\n"
        "dest blocked {\n  domainlist blocked/domains\n}\n"
        "acl {\n  default {\n    pass !blocked all\n"
        f"    redirect 302:http://127.0.0.1:{page_port}/blocked?url=%u\n  }}\n}}\n"
    )
    subprocess.run(  # the Berkeley DB the helpers open (as squidGuard is deployed)
        [guard, "-c", str(home / "squidGuard.conf"), "-C", "all"],
        check=False,
        capture_output=True,
    )
    port = free_port()
    (home / "squid.conf").write_text(
        f"http_port 127.0.0.1:{port}\n"
        f"pid_filename {home}/squid.pid\n"
        f"cache_log {home}/cache.log\n"
        "access_log none\ncache deny all\ncache_mem 8 MB\n"
        f"coredump_dir {home}/cache\n"
        "cache_effective_user proxy\n"
        "shutdown_lifetime 0 seconds\n"
        "http_access allow all\n"
        f"url_rewrite_program {guard} -c {home}/squidGuard.conf\n"
        "url_rewrite_children 8 startup=4 idle=2 concurrency=0\n"
    )
    for path in [home, *home.rglob("*")]:  # squid and its helpers run as Debian's proxy user
        shutil.chown(path, "proxy", "proxy")
    log = (work / "squid.log").open("wb")
    proc = subprocess.Popen(
        # -n: its own name, so its shared-memory segments never meet another squid's
        [squid, "-N", "-n", f"sgbench{port}", "-f", str(home / "squid.conf")],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return Running("squid+squidGuard", port, proc, _terminate(proc))


def install_peers() -> None:
    """Debian's packages, when absent (the bench runs as root on a throwaway machine)."""
    if shutil.which("e2guardian") and shutil.which("squid") and shutil.which("squidGuard"):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return
    subprocess.run(
        ["apt-get", "install", "-y", "e2guardian", "squid", "squidguard"],
        check=False,
        capture_output=True,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )


# --- the clients ---------------------------------------------------------------------------


def _insecure() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


class Client:
    """One client's connection to a proxy, reopened whenever the proxy closes it."""

    def __init__(self, proxy_port: int, upstream: tuple[int, int]):
        self.proxy_port, self.upstream = proxy_port, upstream
        self.conn: http.client.HTTPConnection | None = None
        self.context = _insecure()
        self.n = 0
        self.last = ""  # status and size of the last answer, for the "answers" line

    def one(self, kind: str) -> None:
        http_port, https_port = self.upstream
        if kind == "https-warned":
            self.n += 1
            conn = http.client.HTTPSConnection(
                "127.0.0.1", self.proxy_port, context=self.context, timeout=30
            )
            conn.set_tunnel(self.home(), https_port)
            conn.request("GET", "/", headers={"Accept": "text/html"})
            answer = conn.getresponse()
            body = answer.read()
            conn.close()
            self.last = f"{answer.status} ({len(body):,} B)"
            if answer.status != 200 or UPSTREAM_MARK in body:
                raise RuntimeError(f"https-warned: unexpected answer {answer.status}")
            return
        if kind == "connect":
            conn = http.client.HTTPSConnection(
                "127.0.0.1", self.proxy_port, context=self.context, timeout=30
            )
            conn.set_tunnel("localhost", https_port)
            conn.request("GET", "/")
            answer = conn.getresponse()
            body = answer.read()
            conn.close()
            self.last = f"{answer.status} ({len(body):,} B)"
            if UPSTREAM_MARK not in body:
                raise RuntimeError("CONNECT passthrough did not reach the upstream")
            return
        self.n += 1
        if kind == "http":
            url = f"http://localhost:{http_port}/"
        elif kind == "warned":  # a platform's home: the page itself
            url = f"http://{self.home()}/"
        else:  # "redirect": any listed name; most are not their platform's home
            url = f"http://www.{domain(self.n * 7919 % self.domains)}/"
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.proxy_port, timeout=30)
        try:
            self.conn.request("GET", url, headers={"Accept": "text/html"})
            response = self.conn.getresponse()
            body = response.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            self.conn = None
            raise
        self.last = f"{response.status} ({len(body):,} B)"
        if response.will_close:
            self.conn.close()
            self.conn = None
        if (UPSTREAM_MARK in body) != (kind == "http"):
            raise RuntimeError(f"{kind}: unexpected answer {response.status} {body[:80]!r}")

    def home(self) -> str:
        """The n-th request's platform home (the platforms' first listed names, in turn)."""
        return domain(self.n * 7919 % (self.domains // PER_PLATFORM) * PER_PLATFORM)

    domains = 1


def worker(
    kind: str, port: int, upstream: tuple[int, int], seconds: float, domains: int
) -> tuple[list[float], int]:
    client = Client(port, upstream)
    client.domains = domains
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        try:
            client.one(kind)
        except (RuntimeError, OSError, http.client.HTTPException):
            errors += 1
            if errors > 50 and not latencies:
                break
            continue
        latencies.append(time.perf_counter() - start)
    return latencies, errors


def measure(
    pool: concurrent.futures.Executor,
    kind: str,
    proxy: Running,
    upstream: tuple[int, int],
    seconds: float,
    clients: int,
    domains: int,
) -> tuple[float, int]:
    jobs = [
        pool.submit(worker, kind, proxy.port, upstream, seconds, domains) for _ in range(clients)
    ]
    done = [job.result() for job in jobs]
    return sum(len(lat) for lat, _ in done) / seconds, sum(e for _, e in done)


def alternate(
    proxies: list[Running], rounds: int, seconds: float, run: Callable[[Running], int]
) -> dict[str, tuple[float, float]]:
    """``run(proxy)`` (the number of requests it completed in ``seconds``) for each proxy, in
    alternating order each round; per proxy name, the median req/s and proxy CPU seconds per
    request (from /proc, around each run)."""
    cost: dict[str, list[float]] = {p.name: [] for p in proxies}
    rates: dict[str, list[float]] = {p.name: [] for p in proxies}
    for round_ in range(rounds):
        for proxy in proxies if round_ % 2 == 0 else proxies[::-1]:
            before = proxy.cpu_seconds()
            done = run(proxy)
            cost[proxy.name].append((proxy.cpu_seconds() - before) / max(done, 1))
            rates[proxy.name].append(done / seconds)
    return {name: (statistics.median(rates[name]), statistics.median(cost[name])) for name in rates}


def print_medians(label: str, medians: dict[str, tuple[float, float]], rounds: int) -> None:
    for name, (rate, cost) in medians.items():
        print(
            f"{label} {name:16} {rate:6.0f} req/s  CPU {cost * 1e6:6.0f} us/req"
            f"  (median of {rounds})"
        )


def wait_ready(proxy: Running, upstream: tuple[int, int], domains: int, started: float) -> bool:
    client = Client(proxy.port, upstream)
    client.domains = domains
    while time.perf_counter() - started < 300:
        if proxy.proc.poll() is not None:
            return False
        try:
            client.one("warned")
            proxy.start_seconds = time.perf_counter() - started
            return True
        except (RuntimeError, OSError, http.client.HTTPException):
            time.sleep(0.05)
    return False


# --- the run -------------------------------------------------------------------------------


def measures(proxy: Running, kind: str) -> bool:
    """Whether ``kind`` is measured for ``proxy`` (squid has no page inside a tunnel; the floor
    answers every request, so it has only the page scenarios)."""
    if proxy.name.startswith("mitmproxy-floor"):
        return kind in ("warned", "https-warned")
    return not (kind == "https-warned" and proxy.name.startswith("squid"))


def start_all(
    work: Path, args: argparse.Namespace, upstream: tuple[int, int]
) -> tuple[list[Running], list[str]]:
    hosts, domains = args.hosts, args.domains
    starters: list[tuple[str, Callable[[], Running | str]]] = [
        ("staffguard", lambda: staffguard(work, domains, hosts=hosts))
    ]
    if not args.no_peers:
        install_peers()
        starters += [
            ("e2guardian", lambda: e2guardian(work, domains, hosts)),
            ("squid+squidGuard", lambda: squid_guard(work, domains, upstream[0])),
        ]
    if args.lean:
        lean = ("staffguard-lean", lambda: staffguard(work, domains, True, hosts=hosts))
        starters.insert(1, lean)
    if args.workers > 1:
        starters.insert(
            2, ("staffguard workers", lambda: staffguard(work, domains, True, args.workers,
                                                         hosts=hosts)),
        )  # fmt: skip
    if args.baseline:
        starters.insert(
            1, ("staffguard baseline", lambda: staffguard(work, domains, args.lean, 1,
                                                          args.baseline, hosts=hosts)),
        )  # fmt: skip
    if args.floor:
        starters.insert(1, ("mitmproxy-floor", lambda: floor(work)))
        if args.baseline:
            starters.insert(2, ("mitmproxy-floor-base", lambda: floor(work, args.baseline)))
    if args.no_plain:
        starters = [s for s in starters if s[0] != "staffguard"]
    running: list[Running] = []
    skipped: list[str] = []
    for name, start in starters:  # one at a time: each start time on a quiet machine
        started = time.perf_counter()
        try:
            proxy = start()
        except (OSError, subprocess.SubprocessError) as error:
            skipped.append(f"skipped: {name}: {error}")
            continue
        if isinstance(proxy, str):
            skipped.append(f"skipped: {name}: {proxy}")
            continue
        if not wait_ready(proxy, upstream, args.domains, started):
            proxy.stop()
            skipped.append(f"skipped: {name}: did not answer a warned request (see {work})")
            continue
        sample = Client(proxy.port, upstream)
        sample.domains = args.domains
        for kind in args.kinds:  # what each scenario's answer is, to read the figures by
            if not measures(proxy, kind):
                proxy.answers[kind] = "not measured"
                continue
            try:
                sample.one(kind)
                proxy.answers[kind] = sample.last
            except (RuntimeError, OSError, http.client.HTTPException) as error:
                proxy.answers[kind] = f"failed: {error}"
        running.append(proxy)
    return running, skipped


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--domains", type=int, default=1_000_000, help="names in the list")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds")
    parser.add_argument("--seconds", type=float, default=4.0, help="per measurement")
    parser.add_argument("--concurrency", type=int, default=4, help="client processes")
    parser.add_argument("--lean", action="store_true", help="also staffguard proxy --lean")
    parser.add_argument(
        "--workers", type=int, default=1, help="also staffguard proxy --workers N (N > 1)"
    )
    parser.add_argument("--no-peers", action="store_true", help="StaffGuard's variants only")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="also the lean master answering every request with a page and deciding nothing "
        "(bench/floor_addon.py): mitmproxy's own floor under the warned page",
    )
    parser.add_argument(
        "--no-plain", action="store_true", help="leave out StaffGuard on plain mitmdump"
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="also StaffGuard from this other checkout (--lean when given), to show a change "
        "before/after in one run",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=["http", "connect", "warned", "redirect", "https-warned"],
        default=None,
    )
    args = parser.parse_args()
    args.domains = max(PER_PLATFORM, args.domains // PER_PLATFORM * PER_PLATFORM)
    kinds = args.kinds = args.only or ["http", "connect", "warned"]
    if "https-warned" in kinds and (os.geteuid() != 0 or not shutil.which("unshare")):
        print("skipped: https-warned needs root and unshare (a mount namespace)", flush=True)
        kinds.remove("https-warned")

    with tempfile.TemporaryDirectory(prefix="staffguard-peers-") as tmp:
        work = Path(tmp)
        os.chmod(work, 0o755)
        args.hosts = None
        if "https-warned" in kinds:
            args.hosts = work / "hosts"
            names = "".join(f"127.0.0.1 {name}\n" for name in homes(args.domains))
            args.hosts.write_text(f"127.0.0.1 localhost\n::1 localhost\n{names}")
        upstream_proc, upstream = start_upstream(work)
        running: list[Running] = []
        try:
            running, skipped = start_all(work, args, upstream)
            for line in skipped:
                print(line, flush=True)
            print(
                f"{args.domains:,} list domains, {os.cpu_count()} CPUs, {args.rounds} rounds of "
                f"{args.seconds:g} s, {args.concurrency} clients (p50/p99: one client)",
                flush=True,
            )
            rates: dict[tuple[str, str], list[float]] = {}
            single: dict[tuple[str, str], list[float]] = {}
            errors: dict[tuple[str, str], int] = {}
            cost: dict[tuple[str, str], list[float]] = {}  # proxy CPU seconds per request
            with concurrent.futures.ProcessPoolExecutor(args.concurrency) as pool:
                for round_ in range(args.rounds):
                    order = running if round_ % 2 == 0 else running[::-1]
                    for kind in kinds:
                        for proxy in order:
                            if not measures(proxy, kind):
                                continue
                            key = (kind, proxy.name)
                            cpu_before = proxy.cpu_seconds()
                            rps, failed = measure(
                                pool, kind, proxy, upstream, args.seconds, args.concurrency,
                                args.domains,
                            )  # fmt: skip
                            used = proxy.cpu_seconds() - cpu_before  # the req/s requests only
                            latencies, failed_one = worker(
                                kind, proxy.port, upstream, args.seconds / 2, args.domains
                            )
                            cost.setdefault(key, []).append(used / max(rps * args.seconds, 1))
                            rates.setdefault(key, []).append(rps)
                            single.setdefault(key, []).extend(latencies)
                            errors[key] = errors.get(key, 0) + failed + failed_one
            for kind in kinds:
                for proxy in running:
                    key = (kind, proxy.name)
                    if key not in rates:
                        continue
                    values, lat = rates[key], sorted(single[key]) or [0.0]
                    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
                    print(
                        f"{kind:8} {proxy.name:17} {statistics.median(values):7.0f} req/s "
                        f"(min {min(values):.0f}, max {max(values):.0f})  p50 "
                        f"{statistics.median(lat) * 1000:6.2f} ms  p99 {p99 * 1000:6.2f} ms"
                        f"  CPU {statistics.median(cost[key]) * 1e6:5.0f} us/req"
                        f"  errors {errors[key]}",
                        flush=True,
                    )
            for proxy in running:
                answers = ", ".join(f"{kind} {text}" for kind, text in proxy.answers.items())
                print(f"{'answers':8} {proxy.name:17} {answers}", flush=True)
            for proxy in running:
                print(
                    f"{'memory':8} {proxy.name:17} RSS {proxy.rss_mib():6.0f} MiB "
                    f"({len(proxy.pids())} processes), start {proxy.start_seconds:5.1f} s",
                    flush=True,
                )
        finally:
            for proxy in running:
                proxy.stop()
            upstream_proc.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
