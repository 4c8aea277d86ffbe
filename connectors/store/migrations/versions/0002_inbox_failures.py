"""Inbox rows that cannot be judged: state 'failed' with the reason, instead of stopping a batch.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Batch mode: SQLite rebuilds the table to change a CHECK constraint; the others ALTER it.
    with op.batch_alter_table("inbox") as batch:
        batch.add_column(sa.Column("error", sa.Text(), nullable=True))
        batch.drop_constraint("ck_inbox_state", type_="check")
        batch.create_check_constraint("ck_inbox_state", "state IN ('failed', 'judged', 'waiting')")


def downgrade() -> None:
    # Failed rows go back to waiting: the next run tries them again, as before this revision.
    op.execute("UPDATE inbox SET state = 'waiting' WHERE state = 'failed'")
    with op.batch_alter_table("inbox") as batch:
        batch.drop_constraint("ck_inbox_state", type_="check")
        batch.create_check_constraint("ck_inbox_state", "state IN ('judged', 'waiting')")
        batch.drop_column("error")
