"""Counts kept beside the warning log, so the dashboard and the board report read thousands of
rows, not the millions of events a district's log holds (``bench/admin.py`` measures both):
events per UTC hour, platform and outcome (``event_hours``), and warnings per user and UTC day
(``user_days``, for "repeat users", see ``repeat_users``).

Events are counted per UTC hour (``hour``: ``"2026-11-30 06"``), not per day: which hours make
up a district's day depends on its ``time_zone`` setting, which may change, and on daylight
saving time. A query takes a range of the district's days, turns it into UTC hours (``span``)
and, for per-day figures, files each hour under the local day it begins in (``per_day``).
Every zone whose offset is a whole number of hours (all of the US, DST included) gets exact
days. In a zone with a half or quarter hour offset (Asia/Kolkata, America/St_Johns) a day's
figures run from the first whole UTC hour after local midnight, e.g. 00:30 to 00:30
(``shifted_day_start`` says so on the dashboard); the warning log itself filters exact days.

Counts are added in the same transaction as the events they count, from the ids the INSERT
reports as new, so a retried or concurrent batch never counts an event twice. Every multi-row
upsert takes its rows in key order: two proxies posting the same hours and platforms at once
then lock the rollup rows in the same order and queue instead of deadlocking (PostgreSQL
aborted one of them with "deadlock detected", an HTTP 500 to a proxy, before).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from sqlalchemy import delete, desc, func, select, text, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from . import timefmt
from .models import Event, EventHour, UserDay

WARNED = ("shown", "blocked")
UPSERT = "unnest"  # PostgreSQL: "unnest" (one statement a table) or "rows"; the bench flips it
LAST_HOUR = dt.datetime.max.replace(minute=0, second=0, microsecond=0)  # where ranges clamp


def hour_key(moment: dt.datetime) -> str:
    """The key of the UTC hour holding a naive UTC time: ``2026-11-30 06`` (built from
    ``isoformat``: ``strftime("%Y")`` does not pad years before 1000, the database does)."""
    return f"{moment.date().isoformat()} {moment.hour:02d}"


def span(first: dt.date, last: dt.date, zone: str) -> tuple[dt.datetime, dt.datetime]:
    """The UTC hours [start, end) holding the district days ``first`` to ``last``, as naive
    UTC times on whole hours. Events stored from ``start`` until ``end`` are the ones the
    rollups count for those days, so the board report counts the log between the same two."""
    if last == dt.date.max:
        return _first_hour(first, zone), LAST_HOUR
    return _first_hour(first, zone), _first_hour(last + dt.timedelta(days=1), zone)


def _first_hour(day: dt.date, zone: str) -> dt.datetime:
    """The first whole UTC hour that begins on ``day`` in the zone (the calendar's ends clamp)."""
    try:
        start = timefmt.day_start(day, zone)
    except OverflowError:
        return dt.datetime.min if day.year == 1 else LAST_HOUR
    whole = start.replace(minute=0, second=0, microsecond=0)
    return whole if whole == start else whole + dt.timedelta(hours=1)


@lru_cache(maxsize=65536)
def local_day(hour: str, zone: str) -> str:
    """The district day (YYYY-MM-DD) an hour key begins in."""
    start = dt.datetime.fromisoformat(f"{hour}:00").replace(tzinfo=dt.UTC)
    return start.astimezone(timefmt.zone(zone)).date().isoformat()


def shifted_day_start(zone: str, moment: dt.datetime) -> str | None:
    """When a day's figures begin in a zone whose offset is not whole hours ("00:30"), else
    None: the hourly counts cannot split the hour that holds local midnight."""
    offset = timefmt.local(moment, zone).utcoffset() or dt.timedelta()
    minutes = int(offset.total_seconds() // 60) % 60
    return f"00:{minutes:02d}" if minutes else None


def count_in(db: Session, events: Iterable[dict[str, Any]]) -> None:
    """Add newly stored events (API rows: ``ts``, ``platform_id``, ``outcome``, ``user``)."""
    per_hour: Counter[tuple[str, str, str]] = Counter()
    per_user: Counter[tuple[str, str]] = Counter()
    for event in events:
        per_hour[hour_key(event["ts"]), event["platform_id"] or "", event["outcome"]] += 1
        if event["user"] and event["outcome"] in WARNED:
            per_user[event["ts"].date().isoformat(), event["user"]] += 1
    if per_hour:
        _add(db, EventHour, ["hour", "platform_id", "outcome"], per_hour)
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


def _within(column: Any, first: dt.date, last: dt.date, zone: str) -> tuple[Any, Any]:
    start, end = span(first, last, zone)
    return column >= hour_key(start), column < hour_key(end)


def per_day(db: Session, first: dt.date, last: dt.date, zone: str) -> list[tuple[str, str, int]]:
    """(district day, platform, warnings) for the days ``first`` to ``last``, for the chart."""
    rows = db.execute(
        select(EventHour.hour, EventHour.platform_id, func.sum(EventHour.count))
        .where(*_within(EventHour.hour, first, last, zone), EventHour.outcome.in_(WARNED))
        .group_by(EventHour.hour, EventHour.platform_id)
    ).all()
    days: Counter[tuple[str, str]] = Counter()
    for hour, platform, n in rows:
        days[local_day(hour, zone), platform or "unclassified"] += int(n)
    return [(day, platform, n) for (day, platform), n in sorted(days.items())]


def per_platform(db: Session, first: dt.date, last: dt.date, zone: str) -> dict[str, int]:
    """Warnings (shown or blocked) per platform id ('' unclassified) in the days, most first."""
    total = func.sum(EventHour.count).label("n")
    rows = db.execute(
        select(EventHour.platform_id, total)
        .where(*_within(EventHour.hour, first, last, zone), EventHour.outcome.in_(WARNED))
        .group_by(EventHour.platform_id)
        .order_by(desc("n"), EventHour.platform_id)
    ).all()
    return {platform: int(n) for platform, n in rows}


def top_platforms(
    db: Session, first: dt.date, last: dt.date, zone: str, limit: int = 10
) -> list[tuple[str, int]]:
    return list(per_platform(db, first, last, zone).items())[:limit]


def outcomes(db: Session, first: dt.date, last: dt.date, zone: str) -> dict[str, int]:
    rows = db.execute(
        select(EventHour.outcome, func.sum(EventHour.count))
        .where(*_within(EventHour.hour, first, last, zone))
        .group_by(EventHour.outcome)
    ).all()
    return {outcome: int(n) for outcome, n in rows}


def repeat_users(
    db: Session, first: dt.date, last: dt.date, zone: str, least: int = 3, limit: int = 10
) -> list[tuple[str, int]]:
    """Users warned at least ``least`` times in the days: their counts for the whole UTC days
    inside the range from ``user_days``, for the hours before the first and after the last
    UTC midnight from the log itself (a day or less of events at each end, on an index).
    Hourly counts per user would be almost one row per warning: too many to sum quickly."""
    start, end = span(first, last, zone)
    whole_from, whole_to = _whole_days(start, end)
    parts: list[Any] = []
    edges = [(start, end)]
    if whole_from < whole_to:
        parts.append(
            select(UserDay.user, UserDay.count).where(
                UserDay.day >= whole_from.date().isoformat(),
                UserDay.day < whole_to.date().isoformat(),
            )
        )
        edges = [(start, whole_from), (whole_to, end)]
    for since, until in edges:
        if since < until:
            # Grouped by coalesce(user, ''), not user: SQLite then reads the (outcome, ts)
            # index for the hours instead of skip-scanning every user's (user, ts) entries.
            user = func.coalesce(Event.user, "")
            parts.append(
                select(user.label("user"), func.count().label("count"))
                .where(Event.ts >= since, Event.ts < until, Event.outcome.in_(WARNED))
                .group_by(user)
            )
    counts = union_all(*parts).subquery()
    total = func.sum(counts.c.count).label("n")
    rows = db.execute(
        select(counts.c.user, total)
        .where(counts.c.user != "")
        .group_by(counts.c.user)
        .having(func.sum(counts.c.count) >= least)
        .order_by(desc("n"), counts.c.user)
        .limit(limit)
    ).all()
    return [(user, int(n)) for user, n in rows]


def _whole_days(start: dt.datetime, end: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The first UTC midnight at or after ``start`` and the last at or before ``end``: the
    UTC days between them are whole inside the range (none when the first is not earlier)."""
    first = dt.datetime.combine(start.date(), dt.time())
    if first < start:
        first = start if start.date() == dt.date.max else first + dt.timedelta(days=1)
    return first, dt.datetime.combine(end.date(), dt.time())


def purge_before(db: Session, moment: dt.datetime) -> None:
    """Drop the counts of the hours (and users' UTC days) that ended before ``moment``."""
    db.execute(delete(EventHour).where(EventHour.hour < hour_key(moment)))
    db.execute(delete(UserDay).where(UserDay.day < moment.date().isoformat()))
