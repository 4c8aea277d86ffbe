"""Initial schema: inbox, intake_errors, pull_cursors, process_scheduler, entry_events, po_locks.

Revision ID: 0001
Revises:
Create Date: 2026-11-22

"""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the types in connectors/store/column_types.py (a migration must not change
# when the application code does).
STATUSES = ("bad_invoice", "dispatched", "entered", "manual_review", "ready_to_process", "rejected", "rpa_failed")


def _timestamp() -> sa.types.TypeEngine[datetime]:
    """Naive UTC with microseconds (MariaDB's DATETIME drops them unless asked)."""
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _money() -> sa.types.TypeEngine[Decimal]:
    """NUMERIC(19, 4); on SQLite, whose NUMERIC is a binary float, an integer of ten-thousandths."""
    return sa.Numeric(19, 4).with_variant(sa.BigInteger(), "sqlite")


def _invoice_key() -> list[sa.Column[Any]]:
    return [
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("source_invoice_id", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "process_scheduler",
        sa.Column("id", sa.Integer(), nullable=False),
        *_invoice_key(),
        sa.Column("vendor_id", sa.String(64), nullable=False),
        sa.Column("vendor_name", sa.String(200), nullable=False),
        sa.Column("invoice_number", sa.String(64), nullable=False),
        sa.Column("normalised_invoice_number", sa.String(64), nullable=False),
        sa.Column("invoice_date", sa.Date(), nullable=False),
        sa.Column("po_number", sa.String(64), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("total", _money(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("invoice", sa.JSON(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("rule_set_version", sa.String(64), nullable=False),
        sa.Column("flow_run_id", sa.String(64), nullable=True),
        sa.Column("erp_document_id", sa.String(64), nullable=True),
        sa.Column("created_at", _timestamp(), nullable=False),
        sa.Column("updated_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_process_scheduler"),
        sa.UniqueConstraint("source", "source_invoice_id", "version", name="uq_process_scheduler_invoice_key"),
        sa.CheckConstraint(
            "status IN (" + ", ".join(f"'{status}'" for status in STATUSES) + ")",
            name="ck_process_scheduler_status",
        ),
    )
    op.create_index("ix_process_scheduler_po_number", "process_scheduler", ["po_number"])
    op.create_index("ix_process_scheduler_status", "process_scheduler", ["status"])
    op.create_index(
        "ix_process_scheduler_vendor_invoice_number", "process_scheduler", ["vendor_id", "normalised_invoice_number"]
    )

    op.create_table(
        "entry_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(32), nullable=True),
        sa.Column("to_status", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("flow_run_id", sa.String(64), nullable=True),
        sa.Column("occurred_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_entry_events"),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["process_scheduler.id"], name="fk_entry_events_entry_id_process_scheduler"
        ),
    )
    op.create_index("ix_entry_events_entry_id", "entry_events", ["entry_id"])

    op.create_table(
        "po_locks",
        sa.Column("po_number", sa.String(64), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("locked_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("po_number", name="pk_po_locks"),
        sa.UniqueConstraint("entry_id", name="uq_po_locks_entry_id"),
        sa.ForeignKeyConstraint(["entry_id"], ["process_scheduler.id"], name="fk_po_locks_entry_id_process_scheduler"),
    )

    op.create_table(
        "inbox",
        sa.Column("id", sa.Integer(), nullable=False),
        *_invoice_key(),
        sa.Column("po_number", sa.String(64), nullable=False),
        sa.Column("vendor_id", sa.String(64), nullable=False),
        sa.Column("invoice", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("pulled_at", _timestamp(), nullable=False),
        sa.Column("judged_at", _timestamp(), nullable=True),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_inbox"),
        sa.UniqueConstraint("source", "source_invoice_id", "version", name="uq_inbox_invoice_key"),
        sa.CheckConstraint("state IN ('judged', 'waiting')", name="ck_inbox_state"),
        sa.ForeignKeyConstraint(["entry_id"], ["process_scheduler.id"], name="fk_inbox_entry_id_process_scheduler"),
    )
    op.create_index("ix_inbox_po_number", "inbox", ["po_number"])
    op.create_index("ix_inbox_state_pulled_at", "inbox", ["state", "pulled_at"])

    op.create_table(
        "intake_errors",
        sa.Column("id", sa.Integer(), nullable=False),
        *_invoice_key(),
        sa.Column("po_number", sa.String(64), nullable=True),
        sa.Column("vendor_id", sa.String(64), nullable=True),
        sa.Column("errors", sa.JSON(), nullable=False),
        sa.Column("first_seen_at", _timestamp(), nullable=False),
        sa.Column("last_seen_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_intake_errors"),
        sa.UniqueConstraint("source", "source_invoice_id", "version", name="uq_intake_errors_invoice_key"),
    )

    op.create_table(
        "pull_cursors",
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=False),
        sa.Column("updated_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("source", name="pk_pull_cursors"),
    )


def downgrade() -> None:
    # Dropping a table drops its indexes; referencing tables go first.
    for table in ("pull_cursors", "intake_errors", "inbox", "po_locks", "entry_events", "process_scheduler"):
        op.drop_table(table)
