"""devices: enrolled devices' names, identity signing keys, enrollment throttle

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tokens") as batch:
        batch.add_column(sa.Column("device", sa.String(length=200), nullable=True))
    op.create_table(
        "identity_keys",
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("private_key", sa.Text(), nullable=False),
        sa.Column("public_key", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("retired_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("kid"),
    )
    op.create_table(
        "enrollment_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_enrollment_failures_address_at", "enrollment_failures", ["address", "at"])


def downgrade() -> None:
    op.drop_index("ix_enrollment_failures_address_at", table_name="enrollment_failures")
    op.drop_table("enrollment_failures")
    op.drop_table("identity_keys")
    with op.batch_alter_table("tokens") as batch:
        batch.drop_column("device")
