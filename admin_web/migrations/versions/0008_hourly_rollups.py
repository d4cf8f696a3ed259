"""dashboard counts per UTC hour instead of per UTC day, so figures follow the district's days

Revision ID: 0008
Revises: 0006

The daily event counts were UTC days, which a district in America/Chicago does not live by. The
hourly table is counted again from the events table (the log the counts were taken from), on
SQLite and PostgreSQL alike: an hour's key is the first 13 characters of the stored time as
text on SQLite, ``to_char`` on PostgreSQL ("2026-11-30 06"). Down again, the hours are summed into
UTC days. ``user_days`` stays: repeat users read its whole UTC days and the log for the rest.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _create(name: str, period: str, width: int, keys: list[sa.Column[str]]) -> sa.Table:
    """A rollup table: a ``period`` key (hour or day), ``keys``, and a count. The hourly ones
    are ``WITHOUT ROWID`` on SQLite: a dashboard's range is then one scan of the key's b-tree,
    not a lookup per row."""
    return op.create_table(
        name,
        sa.Column(period, sa.String(length=width), nullable=False),
        *keys,
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(period, *(key.name for key in keys)),
        sqlite_with_rowid=period != "hour",
    )


def _platform_outcome() -> list[sa.Column[str]]:
    return [
        sa.Column("platform_id", sa.String(length=100), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
    ]


def _head(column: sa.ColumnClause[sa.Any], width: int) -> sa.ColumnElement[str]:
    """The first ``width`` characters of a time as text: its UTC hour (13) or day (10)."""
    return sa.func.substr(sa.cast(column, sa.String()), 1, width)


def _hour(ts: sa.ColumnClause[sa.Any]) -> sa.ColumnElement[str]:
    """A stored time's UTC hour key. SQLite keeps times as text already; PostgreSQL's own text
    form follows its DateStyle setting, so the key is spelled out there."""
    if op.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(ts, "YYYY-MM-DD HH24")
    return _head(ts, 13)


def upgrade() -> None:
    event_hours = _create("event_hours", "hour", 13, _platform_outcome())
    events = sa.table(
        "events",
        sa.column("ts", sa.DateTime()),
        sa.column("platform_id", sa.String()),
        sa.column("outcome", sa.String()),
    )
    hour = _hour(events.c.ts)
    platform = sa.func.coalesce(events.c.platform_id, "")
    op.execute(
        event_hours.insert().from_select(
            ["hour", "platform_id", "outcome", "count"],
            sa.select(hour, platform, events.c.outcome, sa.func.count()).group_by(
                hour, platform, events.c.outcome
            ),
        )
    )
    op.drop_table("event_days")


def downgrade() -> None:
    event_days = _create("event_days", "day", 10, _platform_outcome())
    hours = sa.table(
        "event_hours",
        sa.column("hour", sa.String()),
        sa.column("platform_id", sa.String()),
        sa.column("outcome", sa.String()),
        sa.column("count", sa.Integer()),
    )
    day = _head(hours.c.hour, 10)
    op.execute(
        event_days.insert().from_select(
            ["day", "platform_id", "outcome", "count"],
            sa.select(
                day, hours.c.platform_id, hours.c.outcome, sa.func.sum(hours.c["count"])
            ).group_by(day, hours.c.platform_id, hours.c.outcome),
        )
    )
    op.drop_table("event_hours")
