"""How fast the admin site takes in events, and how fast its warning log answers on a big log.

    .venv/bin/python bench/admin.py                # 1,000,000 events in SQLite
    .venv/bin/python bench/admin.py --events 100000 --ingest 20000   # a quicker look
    .venv/bin/python bench/admin.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/test

``--postgres URL`` measures ingestion into PostgreSQL instead (in a fresh schema, dropped after):
1, 4 and 16 proxies posting at once over HTTP, each posting the same days and platforms, for
each storing path (``admin_web/ingest.py``: events by COPY or by the portable ORM INSERT;
``rollups.py``: counts in one unnest upsert or row by row), alternating
rounds; it prints events/s and the count of HTTP 5xx per case (median and spread of rounds).

Ingestion goes through the real API over HTTP (waitress, a bearer token, batches of 500), as a
proxy sends it. The log pages are then timed over HTTP too, signed in as an auditor, after the
database was filled to ``--events`` rows (bulk-inserted beside the API, which would take
minutes). Aim: the first page and a filtered page of the log under 200 ms.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PLATFORMS = [
    ("instagram", "www.instagram.com", "/direct/inbox/"),
    ("tiktok", "www.tiktok.com", "/@someone/video/1"),
    ("facebook", "www.facebook.com", "/groups/1/"),
    ("x", "x.com", "/messages/1-2"),
    ("snapchat", "web.snapchat.com", "/"),
    ("reddit", "www.reddit.com", "/r/teachers/comments/1/"),
    ("discord", "discord.com", "/channels/1/2"),
    ("youtube", "www.youtube.com", "/watch"),
]
OUTCOMES = ["shown", "shown", "continued", "went_back", "blocked"]
ACTIVITIES = ["browse", "browse", "comment", "direct_message", "signup"]
USERS = [f"teacher{n}@usd999.org" for n in range(2000)]
PASSWORD = "bench password 123"


def events(count: int, days: int, seed: int = 1) -> Iterator[dict[str, str]]:
    """Synthetic warnings spread over the last ``days`` days."""
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    for _ in range(count):
        platform, host, path = rng.choice(PLATFORMS)
        ts = now - dt.timedelta(seconds=rng.randrange(days * 86400))
        outcome = rng.choice(OUTCOMES)
        yield {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "ts": ts.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "source": rng.choice(("proxy", "extension")),
            "user": rng.choice(USERS),
            "client": f"10.1.{rng.randrange(8)}.{rng.randrange(250)}",
            "url": f"https://{host}{path}",
            "host": host,
            "platform_id": platform,
            "category": "social_media",
            "activity": rng.choice(ACTIVITIES),
            "action": "block" if outcome == "blocked" else "warn",
            "outcome": outcome,
            "justification": "class project" if outcome == "continued" else "",
            "reason": "This platform is not board-approved for district work.",
            "policy_ref": "IIBGC: Employee Use of Social Media",
        }


class Site:
    """The admin site served by waitress on a free local port, in this process."""

    def __init__(self, database_url: str, threads: int = 4) -> None:
        from waitress.server import create_server

        from admin_web.app import create_app
        from admin_web.auth import add_user, create_token
        from admin_web.db import get_db

        self.app = create_app(
            {"DATABASE_URL": database_url, "SESSION_COOKIE_SECURE": False, "SECRET_KEY": "bench"}
        )
        with self.app.app_context():
            add_user("auditor@usd999.org", "auditor", PASSWORD)
            self.token = create_token("bench-proxy")
            get_db().commit()
        self.server = create_server(self.app, host="127.0.0.1", port=0, threads=threads)
        self.port = self.server.effective_port  # type: ignore[union-attr]
        threading.Thread(target=self.server.run, daemon=True).start()  # ends with the bench
        self.cookie = ""

    def set_zone(self, zone: str) -> None:
        """The district's ``time_zone`` setting, as the settings page saves it."""
        from admin_web.db import get_db
        from admin_web.models import Setting
        from admin_web.versions import commit_change

        with self.app.app_context():
            db = get_db()
            db.merge(Setting(key="time_zone", value=zone))
            db.flush()
            commit_change(db, "bench", "settings", "settings", None, {"time_zone": zone})

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes, http.client.HTTPResponse]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        connection.request(method, path, body, {"Cookie": self.cookie, **(headers or {})})
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, data, response

    def login(self) -> None:
        _status, body, response = self.request("GET", "/login")
        marker = b'name="csrf_token" value="'
        start = body.index(marker) + len(marker)
        csrf = body[start : body.index(b'"', start)].decode()
        self.cookie = f"session={_cookie(response, 'session')}"
        form = urllib.parse.urlencode(
            {"name": "auditor@usd999.org", "password": PASSWORD, "csrf_token": csrf}
        )
        status, _body, response = self.request(
            "POST", "/login", form.encode(), {"Content-Type": "application/x-www-form-urlencoded"}
        )
        if status != 302:
            raise SystemExit(f"bench: sign-in failed with HTTP {status}")
        self.cookie = f"session={_cookie(response, 'session')}"


def _cookie(response: http.client.HTTPResponse, name: str) -> str:
    for header in response.headers.get_all("Set-Cookie") or []:
        if header.startswith(name + "="):
            return header.split(";", 1)[0].split("=", 1)[1]
    raise SystemExit(f"bench: no {name} cookie")


def ingest(site: Site, count: int, batch: int = 500) -> float:
    """Events per second through POST /api/v1/events, batches of ``batch``."""
    stream = list(events(count, days=30, seed=7))
    headers = {"Authorization": f"Bearer {site.token}", "Content-Type": "application/json"}
    bodies = [json.dumps(stream[i : i + batch]).encode() for i in range(0, count, batch)]
    started = time.perf_counter()
    for body in bodies:
        status, answer, _ = site.request("POST", "/api/v1/events", body, headers)
        if status != 200:
            raise SystemExit(f"bench: ingestion failed: HTTP {status} {answer[:200]!r}")
    return count / (time.perf_counter() - started)


# storing path -> (events: admin_web.ingest.METHOD, rollups: admin_web.rollups.UPSERT)
METHODS = {"copy": ("copy", "unnest"), "copy+rows": ("copy", "rows"), "orm+rows": ("orm", "rows")}


def ingest_concurrently(site: Site, posters: int, count: int, seed: int) -> tuple[float, int]:
    """Events/s with ``posters`` proxies posting batches of 500 at once, and their HTTP 5xx."""
    stream = list(events(count, days=30, seed=seed))
    headers = {"Authorization": f"Bearer {site.token}", "Content-Type": "application/json"}
    bodies = [json.dumps(stream[i : i + 500]).encode() for i in range(0, count, 500)]
    failures: list[str] = []

    def poster(mine: list[bytes]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", site.port, timeout=300)
        for body in mine:
            connection.request("POST", "/api/v1/events", body, headers)
            response = connection.getresponse()
            answer = response.read()
            if response.status != 200:
                failures.append(f"HTTP {response.status} {answer[:120]!r}")
        connection.close()

    threads = [threading.Thread(target=poster, args=(bodies[n::posters],)) for n in range(posters)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return count / (time.perf_counter() - started), len(failures)


def postgres_case(url: str, count: int, rounds: int, posters: list[int]) -> None:
    """Concurrent ingestion into PostgreSQL, per storing path and number of posters."""
    import logging

    import sqlalchemy

    from admin_web import ingest as storing
    from admin_web import rollups

    logging.getLogger("waitress.queue").setLevel(logging.ERROR)  # 16 posters queue, by design

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(f"CREATE SCHEMA {schema}"))
    try:
        site = Site(f"{url}?options=-csearch_path%3D{schema}", threads=8)  # as `staffguard web`
        results: dict[tuple[str, int], list[tuple[float, int]]] = {}
        seed = 100
        for round_ in range(rounds):
            methods = list(METHODS) if round_ % 2 == 0 else list(METHODS)[::-1]
            for method in methods:
                for n in posters if round_ % 2 == 0 else posters[::-1]:
                    storing.METHOD, rollups.UPSERT = METHODS[method]
                    seed += 1
                    results.setdefault((method, n), []).append(
                        ingest_concurrently(site, n, count, seed)
                    )
        print(f"PostgreSQL ingestion, {count:,} events a case, batches of 500, {rounds} rounds")
        for (method, n), runs in sorted(results.items()):
            rates = [rate for rate, _ in runs]
            errors = sum(failed for _, failed in runs)
            print(
                f"  {method:9} {n:3} posters: {statistics.median(rates):8,.0f} events/s"
                f"  (min {min(rates):,.0f}, max {max(rates):,.0f})  HTTP 5xx: {errors}"
            )
    finally:
        with engine.begin() as connection:
            connection.execute(sqlalchemy.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


def fill(path: Path, count: int) -> None:
    """Bulk-insert synthetic events straight into the SQLite file (the API would take minutes)."""
    columns = (
        "id", "ts", "source", "user", "client", "url", "host", "platform_id", "category",
        "activity", "action", "outcome", "justification", "reason", "policy_ref", "received_at",
    )  # fmt: skip
    sql = f"INSERT INTO events ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    connection = sqlite3.connect(path)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    rows = []
    for event in events(count, days=90, seed=11):
        ts = dt.datetime.fromisoformat(event["ts"].replace("Z", "+00:00"))
        event["ts"] = ts.replace(tzinfo=None).isoformat(sep=" ") + ".000000"
        rows.append((*(event[c] for c in columns[:-1]), now))
        if len(rows) == 50_000:
            connection.executemany(sql, rows)
            rows.clear()
    connection.executemany(sql, rows)
    # The dashboard's hourly counts, as the API keeps them (recounted whole: simpler here).
    connection.execute("DELETE FROM event_hours")
    connection.execute(
        "INSERT INTO event_hours SELECT substr(ts, 1, 13), coalesce(platform_id, ''), outcome,"
        " count(*) FROM events GROUP BY 1, 2, 3"
    )
    connection.execute("DELETE FROM user_days")
    connection.execute(
        "INSERT INTO user_days SELECT substr(ts, 1, 10), user, count(*) FROM events"
        " WHERE user IS NOT NULL AND outcome IN ('shown', 'blocked') GROUP BY 1, 2"
    )
    connection.commit()
    connection.execute("ANALYZE")
    connection.close()


def timed(site: Site, path: str, runs: int = 7) -> tuple[float, int]:
    """Median wall time of GET ``path`` in ms (after one warm-up), and the page size."""
    status, body, _ = site.request("GET", path)
    if status != 200:
        raise SystemExit(f"bench: GET {path} answered HTTP {status}")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        site.request("GET", path)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), len(body)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="rows in the log")
    parser.add_argument("--ingest", type=int, default=50_000, help="events sent through the API")
    parser.add_argument("--postgres", metavar="URL", help="concurrent ingestion into PostgreSQL")
    parser.add_argument("--posters", default="1,4,16", help="concurrent posters (--postgres)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (--postgres)")
    args = parser.parse_args()
    if args.postgres:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["STAFFGUARD_INSTANCE"] = tmp
            posters = [int(n) for n in args.posters.split(",")]
            postgres_case(args.postgres, min(args.ingest, 20_000), args.rounds, posters)
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["STAFFGUARD_INSTANCE"] = tmp
        path = Path(tmp) / "bench.sqlite3"
        site = Site(f"sqlite:///{path}")

        rate = ingest(site, args.ingest)
        print(f"ingestion: {rate:,.0f} events/s ({args.ingest:,} events, batches of 500, HTTP)")
        started = time.perf_counter()
        fill(path, args.events - args.ingest)
        print(f"filled the log to {args.events:,} events in {time.perf_counter() - started:.0f} s")

        site.login()
        week_ago = (dt.date.today() - dt.timedelta(days=7)).isoformat()
        _status, body, _response = site.request("GET", "/log")
        marker = body.index(b'rel="next"')
        next_path = body[body.rindex(b'href="', 0, marker) + 6 : marker - 2].decode()
        pages = [
            ("first page", "/log"),
            ("second page (keyset)", next_path.replace("&amp;", "&")),
            ("filtered: one user", f"/log?user={USERS[42]}"),
            ("filtered: platform + outcome", "/log?platform=tiktok&outcome=continued"),
            ("filtered: last 7 days + activity", f"/log?from={week_ago}&activity=signup"),
            ("filtered: rare match (no rows)", "/log?user=nobody@usd999.org"),
            ("filtered: part of a user name", "/log?user=" + USERS[42][:5]),
            ("filtered: client prefix", "/log?client=10.1."),
            ("filtered: rare part (no rows)", "/log?user=nobody"),
            ("dashboard (30 days)", "/"),
        ]
        for label, page in pages:
            ms, size = timed(site, page)
            mark = "" if ms < 200 else "  (over the 200 ms aim)"
            print(f"{label:34} {ms:8.1f} ms  {size / 1024:6.1f} KiB{mark}")
        # Days in a zone whose midnight is not UTC's: repeat users then count the range's two
        # partial UTC days from the log (admin_web/rollups.py).
        site.set_zone("America/Chicago")
        for label, page in [("dashboard (30 days, Chicago days)", "/")]:
            ms, size = timed(site, page)
            mark = "" if ms < 200 else "  (over the 200 ms aim)"
            print(f"{label:34} {ms:8.1f} ms  {size / 1024:6.1f} KiB{mark}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
