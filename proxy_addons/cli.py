"""``staffguard proxy``: run mitmdump with the StaffGuard addon, and the argv others reuse."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

SCRIPT = Path(__file__).with_name("staffguard.py")


def mitmdump_argv(
    policy: Sequence[str],
    *,
    listen_host: str = "127.0.0.1",
    listen_port: int = 8081,
    token: str | None = None,
    data_dir: str | Path | None = None,
    confdir: str | Path | None = None,
) -> list[str]:
    """The command line that runs the proxy; ``staffguard run`` and the tests start it so."""
    mitmdump = Path(sys.executable).with_name("mitmdump")
    argv = [
        str(mitmdump),
        "--quiet" if os.environ.get("STAFFGUARD_PROXY_QUIET") else "--flow-detail=0",
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
    proxy.set_defaults(handler=_proxy)


def _proxy(args: argparse.Namespace) -> int:
    argv = mitmdump_argv(
        args.policy,
        listen_host=args.listen_host,
        listen_port=args.listen_port,
        data_dir=args.data,
        confdir=args.confdir,
    )
    if args.token_file:
        argv += ["--set", f"staffguard_token_file={Path(args.token_file).resolve()}"]
    for option in args.mitmproxy_options:
        argv += ["--set", option]
    os.execv(argv[0], argv)
    return 0
