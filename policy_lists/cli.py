"""``staffguard``: the one command line. The lists commands live here; the admin site and proxy
add theirs through ``register(subparsers)`` in ``admin_web.cli`` and ``proxy_addons.cli``."""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import sys
from collections.abc import Sequence

from . import DEFAULTS, PolicyError, compile_sources, load_policy
from .engine import Verdict

PLUGINS = (
    "admin_web.cli",
    "admin_web.extension_package",
    "admin_web.feed_updates",
    "proxy_addons.cli",
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        return int(args.handler(args) or 0)
    except PolicyError as error:
        print(f"staffguard: bad policy lists:\n{error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="staffguard", description=__doc__)
    sub = parser.add_subparsers(metavar="COMMAND")

    check = sub.add_parser("check", help="print the verdict for URLs")
    _policy_option(check)
    check.add_argument("--user", help="the staff member's sign-in (email)")
    check.add_argument("--client-ip", help="the device's address")
    check.add_argument("--method", default="GET", help="HTTP method (default GET)")
    check.add_argument("--json", action="store_true", help="one JSON object per line")
    check.add_argument("urls", nargs="+", metavar="URL")
    check.set_defaults(handler=_check)

    compile_ = sub.add_parser("compile", help="print the compiled policy JSON")
    _policy_option(compile_)
    compile_.set_defaults(handler=_compile)

    lists = sub.add_parser("lists", help="work with policy list files").add_subparsers(
        metavar="ACTION"
    )
    validate = lists.add_parser("validate", help="check list files, layered on the defaults")
    validate.add_argument("sources", nargs="+", metavar="SRC")
    validate.set_defaults(handler=_validate)

    groups = {"lists": lists}
    for name in PLUGINS:
        if importlib.util.find_spec(name.split(".")[0]) and importlib.util.find_spec(name):
            importlib.import_module(name).register(sub, groups)
    return parser


def _policy_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--policy",
        action="append",
        default=[],
        metavar="SRC",
        help="a district list file or directory, layered on the defaults (repeatable)",
    )


def _sources(extra: Sequence[str]) -> list[str]:
    return [str(DEFAULTS), *extra]


def _check(args: argparse.Namespace) -> int:
    policy = load_policy(*_sources(args.policy))
    for url in args.urls:
        verdict = policy.classify(url, method=args.method, user=args.user, client_ip=args.client_ip)
        print(json.dumps(verdict.to_dict()) if args.json else _describe(verdict))
    return 0


def _describe(verdict: Verdict) -> str:
    platform = f"{verdict.platform} ({verdict.platform_id})" if verdict.platform_id else "-"
    approved = " approved" if verdict.approved else ""
    exempt = " exempt" if verdict.exempt else ""
    return (
        f"{verdict.action.upper():6} {verdict.url or '(not a web address)'}\n"
        f"       platform {platform}, {verdict.category}{approved}, "
        f"activity {verdict.activity}{exempt}\n"
        f"       {verdict.reason} [{verdict.policy_ref}]"
    )


def _compile(args: argparse.Namespace) -> int:
    print(json.dumps(compile_sources(*_sources(args.policy)), indent=1, ensure_ascii=False))
    return 0


def _validate(args: argparse.Namespace) -> int:
    policy = load_policy(*_sources(args.sources))
    counts: dict[str, int] = {}
    for platform in policy.platforms.values():
        counts[platform.category] = counts.get(platform.category, 0) + 1
    summary = ", ".join(f"{n} {c}" for c, n in sorted(counts.items()))
    print(f"ok: {len(policy.platforms)} platforms ({summary}); version {policy.version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
