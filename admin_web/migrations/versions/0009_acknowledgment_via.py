"""acknowledgments.via: how each acknowledgment was made (page, sso, proxy, extension)

Revision ID: 0009
Revises: 0008

Rows recorded before get "" (not known), never a guess.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("acknowledgments") as batch:
        batch.add_column(sa.Column("via", sa.String(length=20), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("acknowledgments") as batch:
        batch.drop_column("via")
