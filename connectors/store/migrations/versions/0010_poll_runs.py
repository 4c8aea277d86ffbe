"""Poll runs (`poll_runs`): each poll-marketplace run records its duration and counts when it
finishes, so that the API's metrics show the last one.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02

"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp() -> sa.types.TypeEngine[datetime]:
    """Naive UTC with microseconds (a frozen copy of the store's UtcTimestamp)."""
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


_COUNTS = ("pulled", "unreadable", "recorded", "failed", "waiting", "waiting_on_lock", "batches")


def upgrade() -> None:
    op.create_table(
        "poll_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flow_run_id", sa.String(64), nullable=True),
        sa.Column("finished_at", _timestamp(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in _COUNTS),
        sa.PrimaryKeyConstraint("id", name="pk_poll_runs"),
    )
    op.create_index("ix_poll_runs_finished_at", "poll_runs", ["finished_at"])


def downgrade() -> None:
    op.drop_index("ix_poll_runs_finished_at", table_name="poll_runs")
    op.drop_table("poll_runs")
