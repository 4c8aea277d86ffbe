"""Failed sign-ins per username and per client address, with the lockout they earned, shared by
every API worker process.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp() -> sa.types.TypeEngine[datetime]:
    """Naive UTC with microseconds (a frozen copy of the store's UtcTimestamp)."""
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.create_table(
        "sign_in_failures",
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", _timestamp(), nullable=False),
        sa.Column("locked_until", _timestamp(), nullable=True),
        sa.PrimaryKeyConstraint("kind", "subject", name="pk_sign_in_failures"),
        sa.CheckConstraint("kind IN ('address', 'username')", name="ck_sign_in_failures_kind"),
    )
    op.create_index("ix_sign_in_failures_last_failure_at", "sign_in_failures", ["last_failure_at"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_failures_last_failure_at", table_name="sign_in_failures")
    op.drop_table("sign_in_failures")
