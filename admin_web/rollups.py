"""Daily counts kept beside the warning log, so the dashboard reads hundreds of rows, not the
millions of events a district's log holds (``bench/admin.py`` measures both).

Counts are added in the same transaction as the events they count, from the ids the INSERT
reports as new, so a retried or concurrent batch never counts an event twice. Every multi-row
upsert takes its rows in key order: two proxies posting the same days and platforms at once then
lock the rollup rows in the same order and queue instead of deadlocking (PostgreSQL aborted one
of them with "deadlock detected", an HTTP 500 to a proxy, before).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import delete, desc, func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .models import EventDay, UserDay

WARNED = ("shown", "blocked")
UPSERT = "unnest"  # PostgreSQL: "unnest" (one statement a table) or "rows"; the bench flips it


def count_in(db: Session, events: Iterable[dict[str, Any]]) -> None:
    """Add newly stored events (API rows: ``ts``, ``platform_id``, ``outcome``, ``user``)."""
    per_day: Counter[tuple[str, str, str]] = Counter()
    per_user: Counter[tuple[str, str]] = Counter()
    for event in events:
        day = event["ts"].date().isoformat()
        per_day[day, event["platform_id"] or "", event["outcome"]] += 1
        if event["user"] and event["outcome"] in WARNED:
            per_user[day, event["user"]] += 1
    if per_day:
        _add(db, EventDay, ["day", "platform_id", "outcome"], per_day)
    if per_user:
        _add(db, UserDay, ["day", "user"], per_user)


def _add(db: Session, model: Any, keys: list[str], counts: Counter[Any]) -> None:
    dialect = db.get_bind().dialect.name
    if dialect == "postgresql" and UPSERT == "unnest":
        return _add_postgresql(db, model.__tablename__, keys, counts)
    insert: Callable[..., Any] = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(model)
    statement = statement.on_conflict_do_update(
        index_elements=keys, set_={"count": model.count + statement.excluded.count}
    )
    rows = [{**dict(zip(keys, key, strict=True)), "count": n} for key, n in sorted(counts.items())]
    db.execute(statement, rows)


def _add_postgresql(db: Session, table: str, keys: list[str], counts: Counter[Any]) -> None:
    """One statement for the whole batch: the rows as arrays, unnested in key order (one
    round trip and no per-row statement for the driver to build)."""
    ordered = sorted(counts.items())
    columns = [*keys, "count"]
    arrays = {f"c{i}": [key[i] for key, _ in ordered] for i in range(len(keys))}
    arrays[f"c{len(keys)}"] = [n for _, n in ordered]
    names = ", ".join(f'"{c}"' for c in columns)
    conflict = ", ".join(f'"{k}"' for k in keys)  # quoted: "user" is a reserved word
    casts = ", ".join(
        f"CAST(:c{i} AS {'bigint' if c == 'count' else 'text'}[])" for i, c in enumerate(columns)
    )
    db.execute(
        text(
            f"INSERT INTO {table} ({names}) SELECT * FROM unnest({casts}) "
            f"ON CONFLICT ({conflict}) DO UPDATE SET count = {table}.count + excluded.count"
        ),
        arrays,
    )


def per_day(db: Session, since: str) -> list[tuple[str, str, int]]:
    """(day, platform, warnings) since ``since`` (YYYY-MM-DD), for the chart."""
    rows = db.execute(
        select(EventDay.day, EventDay.platform_id, func.sum(EventDay.count))
        .where(EventDay.day >= since, EventDay.outcome.in_(WARNED))
        .group_by(EventDay.day, EventDay.platform_id)
    ).all()
    return [(day, platform or "unclassified", int(n)) for day, platform, n in rows]


def top_platforms(db: Session, since: str, limit: int = 10) -> list[tuple[str, int]]:
    total = func.sum(EventDay.count).label("n")
    rows = db.execute(
        select(EventDay.platform_id, total)
        .where(EventDay.day >= since, EventDay.outcome.in_(WARNED))
        .group_by(EventDay.platform_id)
        .order_by(desc("n"))
        .limit(limit)
    ).all()
    return [(platform, int(n)) for platform, n in rows]


def outcomes(db: Session, since: str) -> dict[str, int]:
    rows = db.execute(
        select(EventDay.outcome, func.sum(EventDay.count))
        .where(EventDay.day >= since)
        .group_by(EventDay.outcome)
    ).all()
    return {outcome: int(n) for outcome, n in rows}


def repeat_users(db: Session, since: str, least: int = 3, limit: int = 10) -> list[tuple[str, int]]:
    total = func.sum(UserDay.count).label("n")
    rows = db.execute(
        select(UserDay.user, total)
        .where(UserDay.day >= since)
        .group_by(UserDay.user)
        .having(func.sum(UserDay.count) >= least)
        .order_by(desc("n"))
        .limit(limit)
    ).all()
    return [(user, int(n)) for user, n in rows]


def purge_before(db: Session, day: str) -> None:
    db.execute(delete(EventDay).where(EventDay.day < day))
    db.execute(delete(UserDay).where(UserDay.day < day))
