"""``staffguard proxy``: run mitmdump with the StaffGuard addon, and the argv others reuse.

``--lean`` runs the same command line on the lean master (``lean.py``: the hook dispatch
StaffGuard's traffic needs); ``--workers N`` runs N such processes on one port
(``SO_REUSEPORT``), each with its own data directory and the same signing secret.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

SCRIPT = Path(__file__).with_name("staffguard.py")


def with_options(argv: list[str], options: Sequence[str]) -> list[str]:
    """``argv`` with the operator's ``--set`` options, and StaffGuard's default for the one
    they do not set. The upstream connection is lazy: the client's CONNECT is answered at once
    and the site is reached only for a request that goes to it, so a warning never depends on
    the platform being reachable (eager, an unreachable site is ERR_TUNNEL_CONNECTION_FAILED
    instead of the interstitial). mitmproxy refuses an option given twice, hence the check."""
    argv = list(argv)
    if not any(option.startswith("connection_strategy=") for option in options):
        argv += ["--set", "connection_strategy=lazy"]
    for option in options:
        argv += ["--set", option]
    return argv


def mitmdump_argv(
    policy: Sequence[str],
    *,
    listen_host: str = "127.0.0.1",
    listen_port: int = 8081,
    token: str | None = None,
    data_dir: str | Path | None = None,
    confdir: str | Path | None = None,
    quiet: bool = False,
) -> list[str]:
    """The command line that runs the proxy; ``staffguard run`` and the tests start it so.

    ``quiet`` (``staffguard run``) leaves out mitmproxy's line per client connection."""
    mitmdump = Path(sys.executable).with_name("mitmdump")
    quiet = quiet or bool(os.environ.get("STAFFGUARD_PROXY_QUIET"))
    argv = [
        str(mitmdump),
        "--quiet" if quiet else "--flow-detail=0",
        "--listen-host",
        listen_host,
        "--listen-port",
        str(listen_port),
        "-s",
        str(SCRIPT),
    ]
    for source in policy:
        argv += ["--set", f"staffguard_policy={source}"]
    if token:  # by a private file: a command line is readable by every account (ps)
        argv += ["--set", f"staffguard_token_file={token_file(token, data_dir)}"]
    if data_dir:
        argv += ["--set", f"staffguard_data={data_dir}"]
    if confdir:
        argv += ["--set", f"confdir={confdir}"]
    return argv


def lean_argv(argv: Sequence[str]) -> list[str]:
    """The same mitmdump command line, run on the lean master."""
    return [str(Path(sys.executable)), "-m", "proxy_addons.lean", *argv[1:]]


def token_file(token: str, data_dir: str | Path | None) -> Path:
    """``token`` written where only this account may read it: the data directory, or a new
    private temporary directory."""
    directory = Path(data_dir).expanduser() if data_dir else Path(tempfile.mkdtemp(prefix="sg-"))
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "api-token"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(token + "\n")
    os.chmod(path, 0o600)
    return path


def register(sub: argparse._SubParsersAction, groups: object = None) -> None:
    proxy = sub.add_parser("proxy", help="run the StaffGuard proxy (mitmdump with the addon)")
    proxy.add_argument(
        "--policy",
        action="append",
        default=[],
        metavar="SRC",
        help="list files/directories layered on the defaults, or the admin site's URL",
    )
    proxy.add_argument("--listen-host", default="127.0.0.1")
    proxy.add_argument("--listen-port", type=int, default=8081)
    proxy.add_argument(
        "--token-file",
        help="file holding the admin site's API token (or set STAFFGUARD_TOKEN; never the "
        "token itself on a command line, where ps shows it)",
    )
    proxy.add_argument("--data", help="directory for the spool and the last good policy")
    proxy.add_argument("--confdir", help="mitmproxy's directory (its CA lives there)")
    proxy.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        dest="mitmproxy_options",
        help="any other mitmproxy option, e.g. proxyauth=@/etc/staffguard/htpasswd (repeatable)",
    )
    proxy.add_argument(
        "--lean",
        action="store_true",
        help="run on the lean mitmproxy master (same options, faster; docs/performance.md)",
    )
    proxy.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="N proxy processes sharing the listen port (SO_REUSEPORT; implies --lean)",
    )
    proxy.set_defaults(handler=_proxy)


def _proxy(args: argparse.Namespace) -> int:
    workers = args.workers > 1
    argv = mitmdump_argv(
        args.policy,
        listen_host=args.listen_host,
        listen_port=args.listen_port,
        data_dir=None if workers else args.data,
        confdir=args.confdir,
    )
    if args.token_file:
        argv += ["--set", f"staffguard_token_file={Path(args.token_file).resolve()}"]
    argv = with_options(argv, args.mitmproxy_options)
    if workers:
        return run_workers(argv, args.workers, Path(args.data or "~/.staffguard-proxy"))
    if args.lean:
        argv = lean_argv(argv)
    os.execv(argv[0], argv)
    return 0


def worker_argvs(argv: list[str], workers: int, data: Path) -> list[list[str]]:
    """Each worker's command line: the lean master, its own data dir (spool, policy copy), and
    the shared secret copied in, so a "continue" signed by one worker is good at every other."""
    data = data.expanduser()
    data.mkdir(parents=True, exist_ok=True)
    secret = data / "secret"
    if not secret.exists():
        secret.write_text(secrets.token_hex(32))
        secret.chmod(0o600)
    argvs = []
    for n in range(workers):
        own = data / f"worker-{n}"
        own.mkdir(exist_ok=True)
        shutil.copy2(secret, own / "secret")
        argvs.append([*lean_argv(argv), "--set", f"staffguard_data={own}"])
    return argvs


def run_workers(argv: list[str], workers: int, data: Path) -> int:
    """Start the workers and stay with them: a signal stops all, and one ending stops the rest
    (so systemd's ``Restart=`` brings the whole set back)."""
    env = {**os.environ, "STAFFGUARD_REUSE_PORT": "1"}
    procs = [
        subprocess.Popen(a, env={**env, "STAFFGUARD_WORKER": str(n)})
        for n, a in enumerate(worker_argvs(argv, workers, data))
    ]

    def stop(_signum: int = 0, _frame: object = None) -> None:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while all(proc.poll() is None for proc in procs):
            time.sleep(0.5)
    finally:
        stop()
        for proc in procs:
            proc.wait()
    return next((proc.returncode for proc in procs if proc.returncode), 0)
