"""Vendor locks: recorders of one vendor's entries take turns, so the duplicate re-check holds
under concurrency (two poll runs, a poll and the validation API).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29

"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp() -> sa.types.TypeEngine[datetime]:
    """Naive UTC with microseconds (a frozen copy of the store's UtcTimestamp)."""
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "vendor_locks",
        sa.Column("vendor_id", sa.String(64), nullable=False),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("vendor_id", name="pk_vendor_locks"),
    )


def downgrade() -> None:
    op.drop_table("vendor_locks")
