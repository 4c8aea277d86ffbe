"""One live version per invoice: version locks, the status 'superseded' (with the version that
replaced it), and inbox rows 'withdrawn' when a newer version came before they were judged.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

"""

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUSES = ["bad_invoice", "dispatched", "entered", "manual_review", "ready_to_process", "rejected", "rpa_failed"]
_HOLDING = ("dispatched", "entered", "manual_review", "ready_to_process", "rpa_failed")


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in sorted(values))})"


def _timestamp() -> sa.types.TypeEngine[datetime]:
    """Naive UTC with microseconds (a frozen copy of the store's UtcTimestamp)."""
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    with op.batch_alter_table("inbox") as batch:
        batch.drop_constraint("ck_inbox_state", type_="check")
        batch.create_check_constraint("ck_inbox_state", _one_of("state", ["failed", "judged", "waiting", "withdrawn"]))
        batch.create_index("ix_inbox_source_invoice_id", ["source_invoice_id"])
    with op.batch_alter_table("process_scheduler") as batch:
        batch.add_column(sa.Column("superseded_by_version", sa.Integer(), nullable=True))
        batch.create_index("ix_process_scheduler_source_invoice_id_version", ["source_invoice_id", "version"])
        batch.drop_constraint("ck_process_scheduler_status", type_="check")
        batch.create_check_constraint("ck_process_scheduler_status", _one_of("status", [*_STATUSES, "superseded"]))
    version_locks = op.create_table(
        "version_locks",
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("source_invoice_id", sa.String(64), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("locked_at", _timestamp(), nullable=False),
        sa.PrimaryKeyConstraint("source", "source_invoice_id", name="pk_version_locks"),
        sa.UniqueConstraint("entry_id", name="uq_version_locks_entry_id"),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["process_scheduler.id"], name="fk_version_locks_entry_id_process_scheduler"
        ),
    )
    _lock_the_versions_held_today(version_locks)


def _lock_the_versions_held_today(version_locks: sa.Table) -> None:
    """Each invoice's live or entered entry takes its version lock: the entered one if there is
    one, else the newest (before this revision two versions could both be live)."""
    entries = sa.table(
        "process_scheduler",
        *(sa.column(name) for name in ("id", "source", "source_invoice_id", "version", "status", "updated_at")),
    )
    connection = op.get_bind()
    # (source, source invoice id) → (entered?, version, entry id) of the entry that keeps it
    held: dict[tuple[str, str], tuple[bool, int, int]] = {}
    for entry_id, source, source_invoice_id, version, status in connection.execute(
        sa.select(entries.c.id, entries.c.source, entries.c.source_invoice_id, entries.c.version, entries.c.status)
        .where(entries.c.status.in_(_HOLDING))
        .order_by(entries.c.id)
    ):
        claim = (status == "entered", version, entry_id)
        held[(source, source_invoice_id)] = max(held.get((source, source_invoice_id), claim), claim)
    holders = sorted(entry_id for _entered, _version, entry_id in held.values())
    for start in range(0, len(holders), 1000):
        # locked since the entry last changed: copied by the database, so the types stay its own
        copied = sa.select(
            entries.c.source, entries.c.source_invoice_id, entries.c.id, entries.c.version, entries.c.updated_at
        ).where(entries.c.id.in_(holders[start : start + 1000]))
        connection.execute(
            version_locks.insert().from_select(
                ["source", "source_invoice_id", "entry_id", "version", "locked_at"], copied
            )
        )


def downgrade() -> None:
    # Before this revision there was no 'superseded': such an entry was simply no longer payable,
    # as a rejected one is; a withdrawn inbox row could not be judged.
    op.execute("UPDATE process_scheduler SET status = 'rejected' WHERE status = 'superseded'")
    op.execute("UPDATE inbox SET state = 'failed', error = 'withdrawn: a newer version came' WHERE state = 'withdrawn'")
    op.drop_table("version_locks")
    with op.batch_alter_table("process_scheduler") as batch:
        batch.drop_constraint("ck_process_scheduler_status", type_="check")
        batch.create_check_constraint("ck_process_scheduler_status", _one_of("status", _STATUSES))
        batch.drop_index("ix_process_scheduler_source_invoice_id_version")
        batch.drop_column("superseded_by_version")
    with op.batch_alter_table("inbox") as batch:
        batch.drop_index("ix_inbox_source_invoice_id")
        batch.drop_constraint("ck_inbox_state", type_="check")
        batch.create_check_constraint("ck_inbox_state", _one_of("state", ["failed", "judged", "waiting"]))
