"""dashboard rollups: events per day, platform and outcome; warnings per user and day

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    event_days = op.create_table(
        "event_days",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("platform_id", sa.String(length=100), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "platform_id", "outcome"),
    )
    user_days = op.create_table(
        "user_days",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("user", sa.String(length=200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "user"),
    )
    # Count the log an older version stored into the new tables, once.
    events = sa.table(
        "events",
        sa.column("ts", sa.DateTime()),
        sa.column("platform_id", sa.String()),
        sa.column("outcome", sa.String()),
        sa.column("user", sa.String()),
    )
    day = sa.func.substr(sa.cast(events.c.ts, sa.String()), 1, 10)
    platform = sa.func.coalesce(events.c.platform_id, "")
    op.execute(
        event_days.insert().from_select(
            ["day", "platform_id", "outcome", "count"],
            sa.select(day, platform, events.c.outcome, sa.func.count()).group_by(
                day, platform, events.c.outcome
            ),
        )
    )
    op.execute(
        user_days.insert().from_select(
            ["day", "user", "count"],
            sa.select(day, events.c.user, sa.func.count())
            .where(events.c.user.is_not(None), events.c.outcome.in_(("shown", "blocked")))
            .group_by(day, events.c.user),
        )
    )


def downgrade() -> None:
    op.drop_table("user_days")
    op.drop_table("event_days")
