"""The run ledger: runs, dataset standing, KPI snapshots, reminders sent.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(250), nullable=False),
        sa.Column("dataset", sa.String(200), nullable=False, index=True),
        sa.Column("city", sa.String(64), nullable=False),
        sa.Column("agency", sa.String(64), nullable=False, index=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("sha256", sa.String(64)),
        sa.Column("original_name", sa.String(500)),
        sa.Column("overall", sa.Float),
        sa.Column("scores", sa.JSON),
        sa.Column("warnings", sa.Integer),
        sa.Column("url", sa.String(500)),
        sa.Column("receipt", sa.String(1000)),
        sa.Column("error", sa.Text),
    )
    op.create_table(
        "datasets",
        sa.Column("dataset", sa.String(200), primary_key=True),
        sa.Column("city", sa.String(64), nullable=False),
        sa.Column("agency", sa.String(64), nullable=False, index=True),
        sa.Column("published", sa.Boolean, nullable=False),
        sa.Column("url", sa.String(500)),
        sa.Column("last_refreshed_at", sa.DateTime(timezone=True)),
        sa.Column("last_run_at", sa.DateTime(timezone=True)),
        sa.Column("last_outcome", sa.String(32)),
        sa.Column("overall", sa.Float),
        sa.Column("scores", sa.JSON),
        sa.Column("receipt", sa.String(1000)),
    )
    op.create_table(
        "kpi_snapshots",
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("agency", sa.String(64), primary_key=True),
        sa.Column("city", sa.String(64), nullable=False),
        sa.Column("published", sa.Integer, nullable=False),
        sa.Column("high_quality", sa.Integer, nullable=False),
        sa.Column("fresh", sa.Integer, nullable=False),
        sa.Column("good", sa.Integer, nullable=False),
        sa.Column("meets", sa.Boolean, nullable=False),
    )
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("marker", sa.String(64), nullable=False),
        sa.Column("recipients", sa.Text, nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("kind", "subject", "marker", name="uq_reminder_once"),
    )


def downgrade() -> None:
    for table in ("reminders", "kpi_snapshots", "datasets", "runs"):
        op.drop_table(table)
