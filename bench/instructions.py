"""Instructions per answered request, counted by valgrind: a figure a busy machine cannot move.

    .venv/bin/python bench/instructions.py                       # this checkout
    .venv/bin/python bench/instructions.py --baseline /tmp/main  # and another, side by side

Each proxy runs under ``valgrind --tool=callgrind`` (user-space instructions; the kernel's
socket work is not counted) twice: once answering ``--few`` plain-HTTP requests on one kept-
alive connection, once ``--many``. The difference over ``many - few`` is one request's cost,
start-up and shutdown cancelled out. Two proxies per checkout, on the lean master:

* ``floor``: ``bench/floor_addon.py`` answers every request with a page, deciding nothing;
* ``warned``: StaffGuard on its shipped lists, a navigation to a platform's home (its page).

Under valgrind a proxy runs ~50x slower, so a run takes a few minutes. Needs valgrind
(``apt-get install valgrind``).
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from proxy import free_port  # noqa: E402  (bench/proxy.py)

WARNED_URL = "http://www.tiktok.com/@school{n}"
FLOOR_URL = "http://floor{n}.example/"


def proxy_argv(code: Path, kind: str, port: int, data: Path) -> list[str]:
    argv = [sys.executable, "-m", "proxy_addons.lean", "--quiet", "--listen-host", "127.0.0.1",
            "--listen-port", str(port), "--set", f"confdir={data / 'conf'}",
            "--set", "connection_strategy=lazy"]  # fmt: skip
    if kind == "floor":
        return [*argv, "-s", str(ROOT / "bench" / "floor_addon.py")]
    script = code / "proxy_addons" / "staffguard.py"
    return [*argv, "-s", str(script), "--set", f"staffguard_data={data / 'data'}"]


def counted(code: Path, kind: str, requests: int) -> int:
    """Instructions of one proxy process that answered ``requests`` requests, then stopped."""
    with tempfile.TemporaryDirectory(prefix="staffguard-instr-") as tmp:
        work, port = Path(tmp), free_port()
        out = work / "callgrind.out"
        env = {**os.environ, "PYTHONPATH": str(code), "STAFFGUARD_PROXY_QUIET": "1"}
        proc = subprocess.Popen(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
             *proxy_argv(code, kind, port, work)],
            cwd=code, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            url = WARNED_URL if kind == "warned" else FLOOR_URL
            conn = _connected(port, proc)
            for n in range(requests):
                conn.request("GET", url.format(n=n % 10), headers={"Accept": "text/html"})
                answer = conn.getresponse()
                body = answer.read()
                if answer.status != 200 or not body:
                    raise RuntimeError(f"{kind}: answered {answer.status} {body[:80]!r}")
            conn.close()
        finally:
            proc.terminate()
            proc.wait(120)
        totals = [line for line in out.read_text().splitlines() if line.startswith("totals:")]
        return int(totals[-1].split()[1])


def _connected(port: int, proc: subprocess.Popen) -> http.client.HTTPConnection:
    deadline = time.monotonic() + 600  # a proxy under valgrind starts in a minute or two
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the proxy exited under valgrind")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            conn.connect()
            return conn
        except OSError:
            time.sleep(1)
    raise RuntimeError("the proxy did not start under valgrind")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--few", type=int, default=100, help="requests in the first run")
    parser.add_argument("--many", type=int, default=400, help="requests in the second run")
    parser.add_argument("--baseline", type=Path, help="also this other checkout")
    parser.add_argument("--only", nargs="+", choices=["floor", "warned"], default=None)
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("skipped: valgrind is not installed (apt-get install valgrind)")
        return 0
    checkouts = [("this checkout", ROOT)]
    if args.baseline:
        checkouts.append(("baseline", args.baseline.resolve()))
    for kind in args.only or ["floor", "warned"]:
        for name, code in checkouts:
            few, many = counted(code, kind, args.few), counted(code, kind, args.many)
            per = (many - few) / (args.many - args.few)
            print(f"{kind:7} {name:14} {per:12,.0f} instructions per request", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
