"""``staffguard``: the one command line.

The engine's own commands (``check``, ``compile``, ``lists validate``) are defined here. Every
other part adds its commands through the ``staffguard.commands`` entry-point group (see
pyproject.toml): each entry names a ``register(subcommands, groups)`` function, called in the
order of the entry names, so this package never imports the parts built on it. ``groups`` holds
the shared command groups (``lists``) a part may add actions to.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from importlib.metadata import EntryPoint, entry_points

from . import DEFAULTS, PolicyError, compile_sources, load_policy
from .engine import Verdict

COMMANDS = "staffguard.commands"  # the entry-point group other parts add their commands through
DESCRIPTION = (
    "StaffGuard warns district staff when their web use conflicts with the board's social-media "
    "policy (IIBGC). Start everything on this machine with 'staffguard run'; "
    "'staffguard COMMAND --help' shows a command's options."
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
    parser = argparse.ArgumentParser(prog="staffguard", description=DESCRIPTION)
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    check = sub.add_parser("check", help="print the verdict for URLs")
    _policy_option(check)
    check.add_argument("--user", help="the staff member's sign-in (email)")
    check.add_argument("--client-ip", help="the device's address")
    check.add_argument("--method", default="GET", help="HTTP method (default GET)")
    check.add_argument("--json", action="store_true", help="one JSON object per line")
    check.add_argument("urls", nargs="+", metavar="URL", help="web addresses (https:// if none)")
    check.set_defaults(handler=_check)

    compile_ = sub.add_parser("compile", help="print the compiled policy JSON")
    _policy_option(compile_)
    compile_.set_defaults(handler=_compile)

    lists = sub.add_parser("lists", help="work with policy list files").add_subparsers(
        title="actions", metavar="ACTION"
    )
    validate = lists.add_parser("validate", help="check list files, layered on the defaults")
    validate.add_argument("sources", nargs="+", metavar="SRC", help="list files or directories")
    validate.set_defaults(handler=_validate)

    groups = {"lists": lists}
    for entry in contributions():
        try:
            register = entry.load()
        except Exception as error:  # a broken part must not take the other commands with it
            print(
                f"staffguard: the {entry.name!r} commands are unavailable "
                f"({entry.value}: {error.__class__.__name__}: {error})",
                file=sys.stderr,
            )
            continue
        register(sub, groups)
    return parser


def contributions() -> list[EntryPoint]:
    """The installed parts' command registrations, one per name, in name order.

    They appear once the package is installed (``pip install -e .`` again after pyproject.toml
    changes); a name installed twice (two copies on sys.path) counts once.
    """
    found: dict[str, EntryPoint] = {}
    for entry in sorted(entry_points(group=COMMANDS), key=lambda e: e.name):
        found.setdefault(entry.name, entry)
    return list(found.values())


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
