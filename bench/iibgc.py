"""How long the IIBGC features take: filling the demo district, building the board report and
the training completion on it, and looking at an LMS request body for social media links.

    .venv/bin/python bench/iibgc.py
    .venv/bin/python bench/iibgc.py --repeat 50
    .venv/bin/python bench/iibgc.py --events 1000000 --repeat 3   # the report on a big log

SQLite in a temporary folder, the shipped lists. Prints one line per figure (median of
``--repeat`` runs); the report is built for the whole semester (120 days) and the previous one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def median_ms(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _bulk_events(db: Any, n: int) -> None:
    """Events beside the API (which would take minutes): the report's activity figures scan
    the log, the rest reads the daily counts."""
    import random
    import uuid

    from sqlalchemy import insert

    from admin_web.models import Event

    rng, now, rows = random.Random(13), dt.datetime.now(), []
    for _ in range(n):
        ts = now - dt.timedelta(seconds=rng.randint(0, 240 * 86400))
        rows.append(
            {
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "ts": ts,
                "source": "proxy",
                "user": f"u{rng.randint(1, 240)}@usd999.org",
                "client": "10.1.2.3",
                "url": "https://www.tiktok.com/",
                "host": "www.tiktok.com",
                "platform_id": "tiktok",
                "category": "social_media",
                "activity": rng.choice(("browse", "comment", "direct_message")),
                "action": "warn",
                "outcome": rng.choice(("shown", "continued", "went_back")),
                "justification": "",
                "reason": "",
                "policy_ref": "",
                "received_at": now,
            }
        )
        if len(rows) == 50_000:
            db.execute(insert(Event), rows)
            rows = []
    if rows:
        db.execute(insert(Event), rows)
    db.commit()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--events", type=int, default=0, help="bulk-add this many events first")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="staffguard-bench-"))
    os.environ["STAFFGUARD_INSTANCE"] = str(folder)
    from admin_web import demo, staff
    from admin_web.app import create_app
    from admin_web.db import get_db
    from admin_web.report import report_data
    from policy_lists import load_policy
    from policy_lists.lms import MAX_BODY, required_platforms

    app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}"})
    today = dt.date.today()
    with app.app_context():
        db = get_db()
        start = time.perf_counter()
        counts = demo.fill(db, today)
        print(f"demo fill: {(time.perf_counter() - start):.2f} s for {json.dumps(counts)}")
        if args.events:
            _bulk_events(db, args.events)
            print(f"added {args.events} events over 240 days (bulk insert, no daily counts)")
        semester = today - dt.timedelta(days=119)
        ms = median_ms(lambda: report_data(db, semester, today), args.repeat)
        print(f"board report data, 120 days vs the 120 before: {ms:.1f} ms (median)")
        period = staff.current_period(db)
        ms = median_ms(lambda: staff.people(db, period), args.repeat)
        print(f"training completion for {counts['staff']} staff: {ms:.1f} ms (median)")
    policy = load_policy()
    url = "https://usd999.instructure.com/api/v1/courses/1/assignments"
    links = " ".join(f"https://site{i}.example/page" for i in range(60))
    body = json.dumps({"assignment": {"description": ("x" * 900 + " ") * 60 + links}})[:MAX_BODY]
    ms = median_ms(lambda: required_platforms(policy, url, body=body), args.repeat * 10)
    print(f"LMS body look ({len(body)} bytes, 60 links): {ms:.2f} ms (median)")
    small = json.dumps({"assignment": {"description": "Post it on https://www.tiktok.com/@lhs"}})
    ms = median_ms(lambda: required_platforms(policy, url, body=small), args.repeat * 10)
    print(f"LMS body look (small, 1 link): {ms:.3f} ms (median)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
