"""The admin site's commands: ``web``, ``run``, ``users``, ``tokens``, ``lists import/export``,
``retention purge`` and ``db upgrade``, added to the ``staffguard`` command line through the
``staffguard.commands`` entry point in pyproject.toml."""

from __future__ import annotations

import argparse
import getpass
import importlib.util
import secrets
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from .feed_updates import start_schedule as start_feed_schedule

LOOPBACK = ("127.0.0.1", "localhost", "::1")
HOST_HELP = "address to listen on (default %(default)s: this machine only; 0.0.0.0: all)"


def register(sub: argparse._SubParsersAction, groups: dict[str, Any] | None = None) -> None:
    web = sub.add_parser("web", help="serve the admin site and API (waitress)")
    web.add_argument("--host", default="127.0.0.1", help=HOST_HELP)
    web.add_argument("--port", type=int, default=8080, help="the site's port (default %(default)s)")
    web.set_defaults(handler=_web)

    run = sub.add_parser("run", help="the admin site and the proxy it feeds, with defaults")
    run.add_argument("--host", default="127.0.0.1", help=HOST_HELP)
    run.add_argument("--port", type=int, default=8080, help="the site's port (default %(default)s)")
    run.add_argument(
        "--proxy-port", type=int, default=8081, help="the proxy's port (default %(default)s)"
    )
    run.add_argument("--no-proxy", action="store_true", help="serve the admin site only")
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        dest="mitmproxy_options",
        help="a mitmproxy option for the proxy, as `staffguard proxy --set` (repeatable)",
    )
    run.set_defaults(handler=_run)

    users = sub.add_parser("users", help="admin-site accounts").add_subparsers(metavar="ACTION")
    add = users.add_parser("add", help="add an account (password from stdin)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=("admin", "approver", "auditor"))
    add.set_defaults(handler=_users_add)
    for action, what in (
        ("disable", "disable an account (ends its sessions)"),
        ("enable", "enable a disabled account"),
        ("delete", "delete an account"),
        ("reset-password", "give an account a one-time password (printed on the last line)"),
    ):
        command = users.add_parser(action, help=what)
        command.add_argument("name")
        command.set_defaults(handler=_users_change, action=action)
    role = users.add_parser("role", help="change an account's role (ends its sessions)")
    role.add_argument("name")
    role.add_argument("role", choices=("admin", "approver", "auditor"))
    role.set_defaults(handler=_users_change, action="role")

    tokens = sub.add_parser("tokens", help="API tokens").add_subparsers(metavar="ACTION")
    create = tokens.add_parser("create", help="create a token; printed once, on the last line")
    create.add_argument("name")
    create.add_argument(
        "--scope",
        default="proxy",
        choices=("proxy", "device", "session", "read", "enroll"),
        help="what the token may do (default %(default)s; docs/security.md)",
    )
    create.add_argument("--user", help="a device token's user (email); its events name only them")
    create.set_defaults(handler=_tokens_create)
    revoke = tokens.add_parser("revoke", help="revoke a token")
    revoke.add_argument("name")
    revoke.set_defaults(handler=_tokens_revoke)
    rotate = tokens.add_parser(
        "rotate", help="give a token a new value (same scope; the old one stops working)"
    )
    rotate.add_argument("name")
    rotate.set_defaults(handler=_tokens_rotate)
    devices = tokens.add_parser("devices", help="list enrolled devices (revoke by name)")
    devices.set_defaults(handler=_tokens_devices)
    keys = sub.add_parser("identity", help="device identity signing keys").add_subparsers(
        metavar="ACTION"
    )
    rotate_key = keys.add_parser(
        "rotate-key", help="sign with a new key; the old one stays valid for a day"
    )
    rotate_key.set_defaults(handler=_identity_rotate)

    lists = (groups or {}).get("lists")
    if lists is not None:
        imp = lists.add_parser("import", help="replace the admin site's district lists")
        imp.add_argument("file")
        imp.add_argument("--apply", action="store_true", help="apply (default: show changes)")
        imp.set_defaults(handler=_lists_import)
        exp = lists.add_parser("export", help="print the admin site's district lists as YAML")
        exp.add_argument("--out", help="write to this file instead")
        exp.set_defaults(handler=_lists_export)

    retention = sub.add_parser("retention", help="warning-log retention").add_subparsers(
        metavar="ACTION"
    )
    purge = retention.add_parser("purge", help="delete events older than retention_days")
    purge.set_defaults(handler=_purge)

    db = sub.add_parser("db", help="the database").add_subparsers(metavar="ACTION")
    upgrade = db.add_parser("upgrade", help="create or upgrade the schema")
    upgrade.set_defaults(handler=_db_upgrade)
    from .backup import register as register_backup

    register_backup(db)

    from .demo import register as register_demo  # IIBGC issue 13: `staffguard demo`

    register_demo(sub)


def _app(host: str | None = None) -> Flask:
    from .app import create_app
    from .transport import trusted_proxies

    config: dict[str, Any] = {}
    if host in LOOPBACK and not trusted_proxies():
        config["SESSION_COOKIE_SECURE"] = False  # plain http on this machine only
    return create_app(config)


def _web(args: argparse.Namespace) -> int:
    app = _app(args.host)
    _start_retention(app)
    start_feed_schedule(app)
    print(f"StaffGuard admin site on http://{args.host}:{args.port}/", flush=True)
    if args.host not in LOOPBACK and not app.config["TRUSTED_PROXIES"]:
        print("Sign-in needs HTTPS from other machines: see docs/deploy.md", flush=True)
    _serve(app, args.host, args.port)
    return 0


def _serve(app: Flask, host: str, port: int) -> None:
    from waitress import serve

    # X-Forwarded-* reach the site, which believes them only behind trusted proxies (transport)
    serve(
        app,
        host=host,
        port=port,
        threads=8,
        ident="staffguard",
        clear_untrusted_proxy_headers=False,
    )


def _start_retention(app: Flask) -> None:
    """Purge old events now and every six hours while the site runs."""
    from .log import purge
    from .versions import current_policy

    def loop() -> None:
        while True:
            with app.app_context():
                from .db import get_db

                db = get_db()
                days = int(current_policy(db).settings.get("retention_days", 365))
                purge(db, days)
            threading.Event().wait(6 * 3600)

    threading.Thread(target=loop, name="staffguard-retention", daemon=True).start()


def _run(args: argparse.Namespace) -> int:
    from .auth import add_user, create_token, revoke_token
    from .db import get_db
    from .models import User

    app = _app(args.host)
    base = f"http://{args.host}:{args.port}"
    token = None
    with app.app_context():
        db = get_db()
        if not db.scalar(select(func.count()).select_from(User)):
            password = secrets.token_urlsafe(12)
            add_user("admin", "admin", password)
            db.commit()
            print(f"First admin account: name 'admin', password {password}", flush=True)
        if not args.no_proxy:
            revoke_token("local-proxy")
            token = create_token("local-proxy")
            db.commit()
    _start_retention(app)
    start_feed_schedule(app)
    proxy = None
    if token and importlib.util.find_spec("proxy_addons.cli"):
        argv = proxy_argv(args, base, token, Path(app.instance_path) / "proxy")
        proxy = subprocess.Popen(argv)
        print(
            f"StaffGuard proxy on http://{args.host}:{args.proxy_port} "
            f"(policy from {base}/api/v1/policy; its CA is in ~/.mitmproxy)",
            flush=True,
        )
    stops = "both" if proxy is not None else "it"
    print(f"StaffGuard admin site on {base}/  (Ctrl-C stops {stops})", flush=True)
    # A service manager (or a test) stops us with SIGTERM: stop the proxy with us.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        _serve(app, args.host, args.port)
    finally:
        if proxy is not None:
            proxy.terminate()
            proxy.wait(10)
    return 0


def proxy_argv(args: argparse.Namespace, base: str, token: str, data: Path) -> list[str]:
    """The proxy ``run`` starts: quiet (no line per client connection on the console; the
    option is built here, in the parent, where the command line is made) and with the
    operator's ``--set`` options (StaffGuard's defaults for the others), on the lean master
    (``staffguard proxy --lean``, what the systemd unit runs)."""
    from proxy_addons.cli import lean_argv, mitmdump_argv, with_options

    argv = mitmdump_argv(
        [base],
        listen_host=args.host,
        listen_port=args.proxy_port,
        token=token,
        data_dir=data,
        quiet=True,
    )
    return lean_argv(with_options(argv, args.mitmproxy_options))


def _exit_on_signal(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def _users_add(args: argparse.Namespace) -> int:
    from .auth import add_user
    from .db import get_db

    password = (
        getpass.getpass("Password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    )
    app = _app()
    with app.app_context():
        db = get_db()
        try:
            add_user(args.name, args.role, password)
            db.commit()
        except ValueError as error:
            print(f"staffguard: {error}", file=sys.stderr)
            return 2
        except Exception as error:  # the name is taken
            print(
                f"staffguard: cannot add {args.name!r}: {error.__class__.__name__}", file=sys.stderr
            )
            return 2
    print(f"added {args.name} ({args.role})")
    return 0


def _users_change(args: argparse.Namespace) -> int:
    """disable, enable, delete, role or reset-password: the site's rules, audited as "cli"."""
    from . import accounts
    from .db import get_db
    from .models import User

    with _app().app_context():
        db = get_db()
        user = db.scalar(select(User).where(User.name == args.name.strip().lower()))
        if user is None:
            print(f"staffguard: no account named {args.name!r}", file=sys.stderr)
            return 2
        actor = f"cli:{getpass.getuser()}"
        password = None
        try:
            if args.action == "delete":
                accounts.delete(db, user, actor)
            elif args.action == "reset-password":
                password = accounts.reset_password(db, user, actor)
            else:
                role = args.role if args.action == "role" else user.role
                disabled = {"disable": True, "enable": False}.get(args.action, user.disabled)
                accounts.update(db, user, actor, role, disabled)
        except ValueError as error:
            print(f"staffguard: {error}", file=sys.stderr)
            return 2
        db.commit()
    if password is not None:
        print(f"one-time password for {user.name} (shown once; they choose their own next):")
        print(password)
    else:
        print(f"{args.action}: {user.name} done; its sessions have ended")
    return 0


def _tokens_create(args: argparse.Namespace) -> int:
    from .auth import create_token
    from .db import get_db

    with _app().app_context():
        try:
            token = create_token(args.name, args.scope, args.user)
        except ValueError as error:
            print(f"staffguard: {error}", file=sys.stderr)
            return 2
        get_db().commit()
    print(f"{args.scope} token {args.name!r} (shown once; only its hash is stored):")
    print(token)
    return 0


def _tokens_revoke(args: argparse.Namespace) -> int:
    from .auth import revoke_token
    from .db import get_db

    with _app().app_context():
        if not revoke_token(args.name):
            print(f"staffguard: no token named {args.name!r}", file=sys.stderr)
            return 2
        get_db().commit()
    print(f"revoked {args.name}")
    return 0


def _tokens_rotate(args: argparse.Namespace) -> int:
    from .auth import rotate_token
    from .db import get_db

    with _app().app_context():
        token = rotate_token(args.name)
        if token is None:
            print(f"staffguard: no token named {args.name!r}", file=sys.stderr)
            return 2
        get_db().commit()
    print(f"token {args.name!r} rotated (shown once; the old value no longer works):")
    print(token)
    return 0


def _tokens_devices(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from .db import get_db
    from .models import Token

    with _app().app_context():
        rows = get_db().scalars(
            select(Token).where(Token.device.is_not(None)).order_by(Token.user, Token.device)
        )
        for t in rows:
            seen = t.last_used_at.isoformat(timespec="minutes") if t.last_used_at else "never"
            enrolled = t.created_at.isoformat(timespec="minutes")
            print(f"{t.user}\t{t.device}\tenrolled {enrolled}\tlast seen {seen}\t{t.name}")
    return 0


def _identity_rotate(args: argparse.Namespace) -> int:
    from . import identity
    from .db import get_db

    with _app().app_context():
        key = identity.rotate(get_db())
        get_db().commit()
    print(f"identity signing key {key.kid} in force; the previous one is accepted for a day")
    return 0


def _lists_import(args: argparse.Namespace) -> int:
    from policy_lists import PolicyError
    from policy_lists.loader import MAX_YAML_BYTES
    from policy_lists.schema import Where

    from .db import get_db
    from .layer import diff, layer_data, parse_import, replace_layer
    from .versions import commit_change

    try:
        if Path(args.file).stat().st_size > MAX_YAML_BYTES:
            raise PolicyError([(Where(args.file), f"larger than {MAX_YAML_BYTES >> 20} MiB")])
        text = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PolicyError([(Where(args.file), f"cannot read: {error}")]) from None
    with _app().app_context():
        db = get_db()
        data = parse_import(args.file, text)  # PolicyError: exit 2 with file, line, entry
        old = layer_data(db)
        changes = diff(old, data)
        for kind, items in (("+", changes.added), ("~", changes.changed), ("-", changes.removed)):
            for item in items:
                print(f"{kind} {item}")
        if changes.empty:
            print("no changes")
            return 0
        if not args.apply:
            print("(not applied: run again with --apply)")
            return 0
        replace_layer(db, data)
        row = commit_change(db, getpass.getuser(), "import", args.file, old, data)
        print(f"applied; policy version {row.version}")
    return 0


def _lists_export(args: argparse.Namespace) -> int:
    from .db import get_db
    from .layer import layer_data, to_yaml

    with _app().app_context():
        text = to_yaml(layer_data(get_db()))
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


def _purge(args: argparse.Namespace) -> int:
    from .db import get_db
    from .log import purge
    from .versions import current_policy

    with _app().app_context():
        db = get_db()
        days = int(current_policy(db).settings.get("retention_days", 365))
        removed = purge(db, days)
    print(
        f"retention {days} days: removed {removed['events']} events, "
        f"{removed['unclassified']} unclassified counts"
    )
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    app = _app()
    print(f"database schema is current: {app.config['DATABASE_URL'].split('@')[-1]}")
    return 0
