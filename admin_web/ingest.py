"""Storing a proxy's batch of events once each, fast, while other proxies post at the same time.

On PostgreSQL the batch goes in with ``COPY`` into a per-connection temporary table and one
``INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING id``: no multi-row INSERT for the driver
and SQLAlchemy to build and parse (that took ~45 % of ingestion time), one round trip for the
rows, and the ids it names are the ones counted, so a retried or concurrent batch never counts
twice. Rows go in id order and rollups in key order, so concurrent batches lock rows in the same
order and queue instead of deadlocking. SQLite (one writer at a time) keeps the portable path.
``bench/admin.py --postgres`` measures both paths side by side (``METHOD``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from . import rollups
from .models import Event

METHOD = "copy"  # "copy" (PostgreSQL fast path) or "orm" (portable); the bench flips it
STAGING = "staffguard_incoming_events"


def store_events(db: Session, rows: list[dict[str, Any]]) -> int:
    """Store checked event rows once each, count them for the dashboard, commit; how many new."""
    unique = {row["id"]: row for row in rows}
    if db.get_bind().dialect.name == "postgresql" and METHOD == "copy":
        stored = _copy_in(db, [unique[key] for key in sorted(unique)])
    else:
        stored = _insert(db, unique)
    new = [row for key, row in sorted(unique.items()) if key in stored]
    if new:
        rollups.count_in(db, new)
    db.commit()
    return len(new)


def _insert(db: Session, unique: dict[str, dict[str, Any]]) -> set[str]:
    """The portable path: skip ids already stored, insert the rest in id order."""
    existing: set[str] = set()
    ids = sorted(unique)
    for start in range(0, len(ids), 500):
        existing |= set(db.scalars(select(Event.id).where(Event.id.in_(ids[start : start + 500]))))
    new = [unique[key] for key in ids if key not in existing]
    if not new:
        return set()
    dialect = db.get_bind().dialect.name
    insert: Callable[..., Any] = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Event).on_conflict_do_nothing(index_elements=["id"]).returning(Event.id)
    return set(db.scalars(statement, new))


def _copy_in(db: Session, rows: list[dict[str, Any]]) -> set[str]:
    """COPY the rows into a temporary table, then move the new ones into ``events``."""
    columns = [column.name for column in Event.__table__.columns]
    fill = {  # the model's defaults, as the ORM would apply them (received_at: once a batch)
        column.name: column.default.arg(None) if column.default.is_callable else column.default.arg
        for column in Event.__table__.columns
        if column.default is not None
    }
    raw: Any = db.connection().connection.driver_connection  # psycopg.Connection
    names = ", ".join(f'"{name}"' for name in columns)
    with raw.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {STAGING} "
            "(LIKE events INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        with cursor.copy(f"COPY {STAGING} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([row[name] if name in row else fill.get(name) for name in columns])
        cursor.execute(
            f"INSERT INTO events ({names}) SELECT {names} FROM {STAGING} ORDER BY id "
            "ON CONFLICT (id) DO NOTHING RETURNING id"
        )
        return {row[0] for row in cursor.fetchall()}  # the staging rows go at commit
