"""Several proxies posting overlapping days and platforms at once into PostgreSQL, over HTTP.

Before the rollup rows were upserted in key order, PostgreSQL aborted such batches with
"deadlock detected" (HTTP 500s to the proxies). Every event must be stored once, every batch
answered 200, and the dashboard's counts must equal a recount of the log.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import random
import threading
import uuid

import pytest
import sqlalchemy
from admin_harness import make_app
from waitress.server import create_server

from admin_web import ingest, rollups
from admin_web.auth import create_token
from admin_web.db import get_db

pytestmark = pytest.mark.postgres
POSTERS = 8
BATCHES = 5
PLATFORMS = ["tiktok", "instagram", "facebook", "x", "reddit", None]
OUTCOMES = ["shown", "continued", "went_back", "blocked"]


def batch(rng: random.Random, size: int) -> list[dict[str, str | None]]:
    today = dt.datetime.now(dt.UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    rows = []
    for _ in range(size):
        outcome = rng.choice(OUTCOMES)
        ts = today - dt.timedelta(days=rng.randrange(3), minutes=rng.randrange(600))
        rows.append(
            {
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "ts": ts.isoformat().replace("+00:00", "Z"),
                "source": "proxy",
                "user": f"teacher{rng.randrange(20)}@usd999.org",
                "client": "10.1.2.3",
                "url": "https://www.tiktok.com/@a/video/1?q=secret",
                "host": "www.tiktok.com",
                "platform_id": rng.choice(PLATFORMS),
                "category": "social_media",
                "activity": "browse",
                "action": "block" if outcome == "blocked" else "warn",
                "outcome": outcome,
            }
        )
    return rows


@pytest.mark.parametrize(("method", "upsert"), [("copy", "unnest"), ("orm", "rows")])
def test_concurrent_posters_store_each_event_once_and_count_it_once(
    postgres_schema: str, tmp_path, monkeypatch, method: str, upsert: str
) -> None:
    monkeypatch.setattr(ingest, "METHOD", method)
    monkeypatch.setattr(rollups, "UPSERT", upsert)
    app = make_app(postgres_schema, tmp_path)
    with app.app_context():
        token = create_token("proxy-1")
        get_db().commit()
    server = create_server(app, host="127.0.0.1", port=0, threads=8)
    threading.Thread(target=server.run, daemon=True).start()
    port = server.effective_port
    rng = random.Random(16)
    batches = [batch(rng, 200) for _ in range(POSTERS * BATCHES)]
    # Each poster also re-sends a batch another poster sends: a retry racing the original.
    plans = [[*batches[n::POSTERS], batches[(n + 1) % POSTERS]] for n in range(POSTERS)]
    answers: list[tuple[int, dict]] = []

    def poster(plan: list[list[dict[str, str | None]]]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for rows in plan:
            connection.request(
                "POST",
                "/api/v1/events",
                json.dumps(rows),
                {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            response = connection.getresponse()
            body = response.read()
            answers.append((response.status, json.loads(body) if response.status == 200 else {}))
        connection.close()

    threads = [threading.Thread(target=poster, args=(plan,)) for plan in plans]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.close()

    assert len(answers) == sum(len(plan) for plan in plans), "every poster got every answer"
    assert [status for status, _ in answers if status != 200] == []
    sent = {row["id"] for rows in batches for row in rows}
    assert sum(answer["accepted"] for _, answer in answers) == len(sent)
    engine = sqlalchemy.create_engine(postgres_schema)
    with engine.connect() as connection:
        stored = connection.execute(sqlalchemy.text("SELECT id, url FROM events")).all()
        assert sorted(row.id for row in stored) == sorted(sent)
        assert {row.url for row in stored} == {"https://www.tiktok.com/@a/video/1"}
        recount = connection.execute(
            sqlalchemy.text(
                "SELECT to_char(ts, 'YYYY-MM-DD HH24'), coalesce(platform_id, ''), outcome,"
                " count(*) FROM events GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
            )
        ).all()
        rollup = connection.execute(
            sqlalchemy.text(
                "SELECT hour, platform_id, outcome, count FROM event_hours ORDER BY 1, 2, 3"
            )
        ).all()
        assert [tuple(row) for row in rollup] == [tuple(row) for row in recount]
        users = connection.execute(
            sqlalchemy.text(
                "SELECT to_char(ts, 'YYYY-MM-DD'), \"user\", count(*) FROM events"
                " WHERE outcome IN ('shown', 'blocked') GROUP BY 1, 2 ORDER BY 1, 2"
            )
        ).all()
        user_rollup = connection.execute(
            sqlalchemy.text('SELECT day, "user", count FROM user_days ORDER BY 1, 2')
        ).all()
        assert [tuple(row) for row in user_rollup] == [tuple(row) for row in users]
    engine.dispose()
