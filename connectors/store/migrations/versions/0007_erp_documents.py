"""Every ERP document an entry was reported entered as (`erp_documents`), and the flag
`possible_double_entry` on an entry that two different documents were reported for.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp() -> sa.types.TypeEngine[datetime]:
    """Naive UTC with microseconds (a frozen copy of the store's UtcTimestamp)."""
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    with op.batch_alter_table("process_scheduler") as batch:
        batch.add_column(sa.Column("possible_double_entry", sa.Boolean(), nullable=False, server_default=sa.false()))
    documents = op.create_table(
        "erp_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("erp_document_id", sa.String(64), nullable=False),
        sa.Column("reported_by", sa.String(200), nullable=False),
        sa.Column("reported_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_erp_documents"),
        sa.UniqueConstraint("entry_id", "erp_document_id", name="uq_erp_documents_entry_document"),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["process_scheduler.id"], name="fk_erp_documents_entry_id_process_scheduler"
        ),
    )
    op.create_index("ix_erp_documents_entry_id", "erp_documents", ["entry_id"])
    # The documents entered so far, each reported by whoever moved its entry to entered.
    entries = sa.table("process_scheduler", sa.column("id"), sa.column("erp_document_id"), sa.column("status"))
    events = sa.table(
        "entry_events", sa.column("entry_id"), sa.column("to_status"), sa.column("actor"), sa.column("occurred_at")
    )
    entered = (
        sa.select(entries.c.id, entries.c.erp_document_id, events.c.actor, events.c.occurred_at)
        .join(events, events.c.entry_id == entries.c.id)
        .where(entries.c.status == "entered", events.c.to_status == "entered", entries.c.erp_document_id.is_not(None))
    )
    op.execute(documents.insert().from_select(["entry_id", "erp_document_id", "reported_by", "reported_at"], entered))


def downgrade() -> None:
    # The first document stays on the entry (erp_document_id); any second one is lost.
    op.drop_index("ix_erp_documents_entry_id", table_name="erp_documents")
    op.drop_table("erp_documents")
    with op.batch_alter_table("process_scheduler") as batch:
        batch.drop_column("possible_double_entry")
