"""proxy health: how many identity keys each proxy knows and when it last fetched them

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("proxy_status") as batch:
        batch.add_column(sa.Column("identity_keys", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("identity_keys_fetched_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("proxy_status") as batch:
        batch.drop_column("identity_keys_fetched_at")
        batch.drop_column("identity_keys")
