"""A document may replace an earlier one of the same vendor (a corrected invoice): `documents.replaces_id`
names the document it replaces, `documents.original_id` the first document of that invoice, whose id
is the invoice's source invoice id (NULL: the document is its invoice's first).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        batch.add_column(sa.Column("replaces_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("original_id", sa.Integer(), nullable=True))
        # The indexes first: MariaDB's foreign keys then use them rather than make their own.
        batch.create_index("ix_documents_replaces_id", ["replaces_id"])
        batch.create_index("ix_documents_original_id", ["original_id"])
        batch.create_foreign_key("fk_documents_replaces_id_documents", "documents", ["replaces_id"], ["id"])
        batch.create_foreign_key("fk_documents_original_id_documents", "documents", ["original_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("documents") as batch:
        # The foreign keys first: MariaDB keeps an index a foreign key needs.
        batch.drop_constraint("fk_documents_original_id_documents", type_="foreignkey")
        batch.drop_constraint("fk_documents_replaces_id_documents", type_="foreignkey")
        batch.drop_index("ix_documents_original_id")
        batch.drop_index("ix_documents_replaces_id")
        batch.drop_column("original_id")
        batch.drop_column("replaces_id")
