"""identity: token scopes and bound users, the reporter of each event, client sessions,
accounts that must choose a new password

Revision ID: 0006
Revises: 0005

Existing tokens become ``proxy`` tokens: until now every token could do what a proxy does.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tokens") as batch:
        batch.add_column(
            sa.Column("scope", sa.String(length=20), nullable=False, server_default="proxy")
        )
        batch.add_column(sa.Column("user", sa.String(length=200), nullable=True))
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("reporter", sa.String(length=200), nullable=True))
    op.create_table(
        "client_sessions",
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("user", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("reporter", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("client"),
    )
    op.create_index("ix_client_sessions_changed_at", "client_sessions", ["changed_at"])


def downgrade() -> None:
    op.drop_index("ix_client_sessions_changed_at", table_name="client_sessions")
    op.drop_table("client_sessions")
    with op.batch_alter_table("events") as batch:
        batch.drop_column("reporter")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("must_change_password")
    with op.batch_alter_table("tokens") as batch:
        batch.drop_column("user")
        batch.drop_column("scope")
