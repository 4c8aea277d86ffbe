"""A hash of each inbox row's vendor, so that several processes can judge disjoint vendors.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29

"""

import zlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _vendor_hash(vendor_id: str) -> int:
    """A frozen copy of connectors.store.partitions.vendor_hash."""
    return zlib.crc32(vendor_id.encode("utf-8")) % 2**16


def upgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.add_column(sa.Column("vendor_hash", sa.Integer(), nullable=True))
    inbox = sa.table("inbox", sa.column("id", sa.Integer()), sa.column("vendor_id", sa.String()), sa.column("vendor_hash", sa.Integer()))
    connection = op.get_bind()
    rows = connection.execute(sa.select(inbox.c.id, inbox.c.vendor_id)).all()
    if rows:
        connection.execute(
            inbox.update().where(inbox.c.id == sa.bindparam("row_id")).values(vendor_hash=sa.bindparam("hash")),
            [{"row_id": row_id, "hash": _vendor_hash(vendor_id)} for row_id, vendor_id in rows],
        )
    with op.batch_alter_table("inbox") as batch:
        batch.alter_column("vendor_hash", existing_type=sa.Integer(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.drop_column("vendor_hash")
