"""server-side session ends (per-user generation, disabled accounts), a per-address rate limit
for permission requests, and the proxies' health reports

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as users:
        users.add_column(
            sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        users.add_column(
            sa.Column("session_generation", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("permission_requests") as requests:
        requests.add_column(sa.Column("address", sa.String(length=64), nullable=True))
    op.create_index(
        "ix_permission_requests_address_created",
        "permission_requests",
        ["address", "created_at"],
    )
    op.create_index("ix_login_failures_name_address", "login_failures", ["name", "address"])
    op.create_table(
        "proxy_status",
        sa.Column("reporter", sa.String(length=200), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("policy_version", sa.String(length=64), nullable=False),
        sa.Column("spool_backlog", sa.BigInteger(), nullable=False),
        sa.Column("log_failures", sa.BigInteger(), nullable=False),
        sa.Column("last_failure", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("reporter"),
    )


def downgrade() -> None:
    op.drop_table("proxy_status")
    op.drop_index("ix_login_failures_name_address", "login_failures")
    op.drop_index("ix_permission_requests_address_created", "permission_requests")
    with op.batch_alter_table("permission_requests") as requests:
        requests.drop_column("address")
    with op.batch_alter_table("users") as users:
        users.drop_column("session_generation")
        users.drop_column("disabled")
