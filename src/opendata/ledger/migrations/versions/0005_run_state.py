"""Run state in the ledger: what each dataset carries between runs (watermark, the table on the portal,
the latest accepted delivery) and the drops the watcher announced, which lived in JSON files beside the
data. The files are imported at first use (ledger.repository.import_state_files), then renamed
``*.imported``.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dataset_carry",
        sa.Column("dataset", sa.String(200), primary_key=True),
        sa.Column("watermark", sa.JSON, nullable=True),
        sa.Column("current_table", sa.String(1000), nullable=True),
        sa.Column("accepted", sa.JSON, nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "announced_drops",
        sa.Column("dataset", sa.String(200), primary_key=True),
        sa.Column("markers", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("announced_drops")
    op.drop_table("dataset_carry")
