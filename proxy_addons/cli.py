"""``staffguard proxy``: run mitmdump with the StaffGuard addon, and the argv others reuse."""

from __future__ import annotations

import argparse
import os
import sys
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
    if token:
        argv += ["--set", f"staffguard_token={token}"]
    if data_dir:
        argv += ["--set", f"staffguard_data={data_dir}"]
    if confdir:
        argv += ["--set", f"confdir={confdir}"]
    return argv


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
    proxy.add_argument("--token", help="API token for the admin site")
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
    proxy.set_defaults(handler=_proxy)


def _proxy(args: argparse.Namespace) -> int:
    argv = mitmdump_argv(
        args.policy,
        listen_host=args.listen_host,
        listen_port=args.listen_port,
        token=args.token,
        data_dir=args.data,
        confdir=args.confdir,
    )
    argv = with_options(argv, args.mitmproxy_options)
    os.execv(argv[0], argv)
    return 0
