"""The newest value of each delivery's date column: content currency beside the refresh.

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
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("content_newest", sa.Date, nullable=True))
    with op.batch_alter_table("datasets") as batch:
        batch.add_column(sa.Column("content_newest", sa.Date, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("datasets") as batch:
        batch.drop_column("content_newest")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("content_newest")
