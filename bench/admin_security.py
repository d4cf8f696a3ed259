"""What hostile input costs the admin site and the list loader now (issue 14), in figures.

    .venv/bin/python bench/admin_security.py

- sign-in timing: a wrong password for an existing account against an unknown account
  (median of ``--rounds`` tries each, through the Flask app on SQLite): the two should match,
  since an unknown name is checked against a dummy hash;
- billion laughs (9^9 expanded values in a platform's rules) and nesting 100,000 deep in
  ``settings.actions``: time to refuse and the peak memory of a fresh process that does only
  that (before the fix: 3.6+ GB and 50 s; 60 s then RecursionError);
- a flood of 100 anonymous permission requests from one address: how many were stored.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LAUGHS = (
    "platforms:\n  - id: lol\n    name: Lol\n    category: social_media\n"
    "    domains: [lol.example]\n    note:\n"
    "      - &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    + "".join(f"      - &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]\n" for n in range(1, 9))
    + "    rules:\n      - activity: comment\n        paths: *a8\n"
)
DEEP = "settings:\n  actions: " + "[" * 100_000 + "]" * 100_000 + "\n"
REFUSE = """
import resource, sys, time
sys.path.insert(0, {root!r})
from policy_lists import PolicyError, read_text
text = open({path!r}).read()
started = time.perf_counter()
try:
    read_text("bench.yaml", text)
    outcome = "ACCEPTED"
except PolicyError as error:
    outcome = str(error).splitlines()[0]
took = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{{took * 1000:.1f}} ms, peak RSS {{peak:.0f}} MB: {{outcome}}")
"""


def refuse_in_fresh_process(name: str, text: str, folder: Path) -> None:
    path = folder / f"{name}.yaml"
    path.write_text(text)
    code = REFUSE.format(root=str(ROOT), path=str(path))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    print(f"{name:14} ({len(text):,} bytes): {done.stdout.strip() or done.stderr[-300:]}")


def sign_in_timing(rounds: int, folder: Path) -> None:
    os.environ["STAFFGUARD_INSTANCE"] = str(folder / "instance")
    from admin_web.app import create_app
    from admin_web.auth import add_user
    from admin_web.db import get_db

    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
            "WTF_CSRF_ENABLED": False,
            "LOGIN_ATTEMPTS": 10**6,
        }
    )
    with app.app_context():
        add_user("known@usd999.org", "auditor", "bench password 123")
        get_db().commit()
    client = app.test_client()

    def attempt_ms(name: str, n: int) -> float:
        started = time.perf_counter()
        answer = client.post(
            "/login",
            data={"name": name, "password": "wrong password"},
            environ_base={"REMOTE_ADDR": f"10.0.{n // 250}.{n % 250}"},
        )
        assert answer.status_code == 401, answer.status_code
        return (time.perf_counter() - started) * 1000

    attempt_ms("warm@usd999.org", 0)
    known, unknown = [], []
    for n in range(rounds):  # interleaved, so load on the machine falls on both alike
        known.append(attempt_ms("known@usd999.org", n))
        unknown.append(attempt_ms("nobody@usd999.org", n))
    k, u = statistics.median(known), statistics.median(unknown)
    print(
        f"sign-in, wrong password: existing account {k:.1f} ms, unknown account {u:.1f} ms "
        f"(medians of {rounds} interleaved tries; difference {abs(k - u):.1f} ms)"
    )

    flood = app.test_client()
    stored = 0
    started = time.perf_counter()
    for n in range(100):
        answer = flood.post(
            "/requests/new",
            data={
                "requester": "x@usd999.org",
                "platform_id": "tiktok",
                "purpose": "p",
                "audience": "a",
                "account_name": f"flood{n}",
            },
            environ_base={"REMOTE_ADDR": "10.66.0.1"},
        )
        stored += answer.status_code == 302
    took = time.perf_counter() - started
    print(f"100 permission requests from one address in {took:.2f} s: {stored} stored")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        refuse_in_fresh_process("billion-laughs", LAUGHS, folder)
        refuse_in_fresh_process("deep-nesting", DEEP, folder)
        refuse_in_fresh_process("baseline", "settings: {continue_minutes: 5}\n", folder)
        sign_in_timing(args.rounds, folder)
    print(
        f"(bench process peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB)"
    )


if __name__ == "__main__":
    main()
