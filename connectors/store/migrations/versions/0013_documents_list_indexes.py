"""Indexes on documents (engine, id) and (uploaded_by, id): the documents page filters by engine or
by uploader and pages newest first by id, without reading the whole table.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02

"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_documents_engine_id", "documents", ["engine", "id"])
    op.create_index("ix_documents_uploaded_by_id", "documents", ["uploaded_by", "id"])


def downgrade() -> None:
    op.drop_index("ix_documents_uploaded_by_id", table_name="documents")
    op.drop_index("ix_documents_engine_id", table_name="documents")
