"""An index on process_scheduler (flow_run_id, status): the dashboard counts a poll run's entries by
status (EntryQueries.entries_by_run) without reading the whole table, which costs ~0.5 s at
500,000 entries on SQLite and grows with them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01

"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_process_scheduler_flow_run_id_status", "process_scheduler", ["flow_run_id", "status"])


def downgrade() -> None:
    op.drop_index("ix_process_scheduler_flow_run_id_status", table_name="process_scheduler")
