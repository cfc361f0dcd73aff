"""What the portal should show of each dataset: the published content's sha256, its row count and the
archived delivery it came from, so `opendata reconcile` can hold the portal to the ledger.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("content_sha256", sa.String(64), nullable=True))
        batch.add_column(sa.Column("rows", sa.Integer, nullable=True))
    with op.batch_alter_table("datasets") as batch:
        batch.add_column(sa.Column("content_sha256", sa.String(64), nullable=True))
        batch.add_column(sa.Column("rows", sa.Integer, nullable=True))
        batch.add_column(sa.Column("archive_sha256", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.drop_column("archive_sha256")
        batch.drop_column("rows")
        batch.drop_column("content_sha256")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("rows")
        batch.drop_column("content_sha256")
