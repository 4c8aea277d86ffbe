"""Documents (`documents`, `document_events`, `extraction_calls`) and vendor users (`users.vendor_id`,
the role `vendor`).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02

"""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the values the store knows today.
_STATUSES = ("attached", "extracted", "extracting", "failed", "needs_review", "queued", "submitted")
_KINDS = ("jpeg", "pdf", "png", "tiff", "xml")
_PROVIDERS = ("azure", "gemini", "openai")
_VENDOR_USER = "(role = 'vendor' AND vendor_id IS NOT NULL) OR (role <> 'vendor' AND vendor_id IS NULL)"


def _timestamp() -> sa.types.TypeEngine[datetime]:
    """Naive UTC with microseconds (a frozen copy of the store's UtcTimestamp)."""
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _money() -> sa.types.TypeEngine[Decimal]:
    # SQLite: a count of ten-thousandths (the store's MoneyType)
    return sa.Numeric(19, 4).with_variant(sa.BigInteger(), "sqlite")


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in sorted(values))})"


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("vendor_id", sa.String(64), nullable=True))
        batch.drop_constraint("ck_users_role", type_="check")
        batch.create_check_constraint("ck_users_role", _one_of("role", ["admin", "clerk", "vendor"]))
        batch.create_check_constraint("ck_users_vendor_id", _VENDOR_USER)

    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("dedupe_scope", sa.String(72), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("pages_done", sa.Integer(), nullable=False),
        sa.Column("vendor_id", sa.String(64), nullable=True),
        sa.Column("po_number", sa.String(64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("uploaded_by", sa.String(200), nullable=False),
        sa.Column("uploaded_at", _timestamp(), nullable=False),
        sa.Column("updated_at", _timestamp(), nullable=False),
        sa.Column("requested_engine", sa.String(16), nullable=True),
        sa.Column("engine", sa.String(16), nullable=True),
        sa.Column("extraction", sa.JSON(), nullable=True),
        sa.Column("corrections", sa.JSON(), nullable=False),
        sa.Column("cost", _money(), nullable=True),
        sa.Column("claim_token", sa.String(64), nullable=True),
        sa.Column("claimed_at", _timestamp(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("submitted_version", sa.Integer(), nullable=True),
        sa.Column("submitted_at", _timestamp(), nullable=True),
        sa.CheckConstraint(_one_of("status", _STATUSES), name="ck_documents_status"),
        sa.CheckConstraint(_one_of("kind", _KINDS), name="ck_documents_kind"),
        sa.CheckConstraint(_one_of("purpose", ["invoice", "supporting"]), name="ck_documents_purpose"),
        sa.ForeignKeyConstraint(["parent_id"], ["documents.id"], name="fk_documents_parent_id_documents"),
        sa.PrimaryKeyConstraint("id", name="pk_documents"),
        sa.UniqueConstraint("dedupe_scope", "sha256", name="uq_documents_dedupe_scope"),
    )
    op.create_index("ix_documents_status_id", "documents", ["status", "id"])
    op.create_index("ix_documents_vendor_id_id", "documents", ["vendor_id", "id"])
    op.create_index("ix_documents_parent_id", "documents", ["parent_id"])

    op.create_table(
        "document_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", _timestamp(), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=True),
        sa.Column("to_status", sa.String(16), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"], name="fk_document_events_document_id_documents"),
        sa.PrimaryKeyConstraint("id", name="pk_document_events"),
    )
    op.create_index("ix_document_events_document_id", "document_events", ["document_id"])

    op.create_table(
        "extraction_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", _timestamp(), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("cost", _money(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(_one_of("provider", _PROVIDERS), name="ck_extraction_calls_provider"),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name="fk_extraction_calls_document_id_documents"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_extraction_calls"),
    )
    op.create_index("ix_extraction_calls_document_id", "extraction_calls", ["document_id"])
    op.create_index("ix_extraction_calls_occurred_at", "extraction_calls", ["occurred_at"])


def downgrade() -> None:
    op.drop_table("extraction_calls")
    op.drop_table("document_events")
    op.drop_table("documents")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("ck_users_vendor_id", type_="check")
        batch.drop_constraint("ck_users_role", type_="check")
        batch.create_check_constraint("ck_users_role", _one_of("role", ["admin", "clerk"]))
        batch.drop_column("vendor_id")
