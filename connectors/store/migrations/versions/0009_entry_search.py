"""What the work queue searches and the dashboard counts: each entry's verdict, when its invoice
was pulled and when it was entered, its findings' rule ids in `entry_findings`, and the indexes
that keep both fast over a large history.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

"""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_VERDICTS = ("bad_invoice", "manual_review", "ready_to_process")
_ENTRY_INDEXES = {
    "ix_process_scheduler_invoice_date_id": ["invoice_date", "id"],
    "ix_process_scheduler_total_id": ["total", "id"],
    "ix_process_scheduler_vendor_id_id": ["vendor_id", "id"],
    "ix_process_scheduler_updated_at_id": ["updated_at", "id"],
    "ix_process_scheduler_created_at_id": ["created_at", "id"],
    "ix_process_scheduler_verdict_created_at": ["verdict", "created_at"],
    "ix_process_scheduler_normalised_invoice_number": ["normalised_invoice_number"],
    "ix_process_scheduler_entered_at": ["entered_at"],
}
_CHUNK = 1000


def _timestamp() -> sa.types.TypeEngine[datetime]:
    """Naive UTC with microseconds (a frozen copy of the store's UtcTimestamp)."""
    return sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    with op.batch_alter_table("process_scheduler") as batch:
        batch.add_column(sa.Column("verdict", sa.String(32), nullable=True))
        batch.add_column(sa.Column("pulled_at", _timestamp(), nullable=True))
        batch.add_column(sa.Column("entered_at", _timestamp(), nullable=True))
    findings = op.create_table(
        "entry_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_entry_findings"),
        sa.UniqueConstraint("entry_id", "rule_id", name="uq_entry_findings_entry_rule"),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["process_scheduler.id"], name="fk_entry_findings_entry_id_process_scheduler"
        ),
    )
    _backfill_entries()
    _backfill_findings(findings)
    with op.batch_alter_table("process_scheduler") as batch:
        batch.alter_column("verdict", existing_type=sa.String(32), nullable=False)
        batch.create_check_constraint(op.f("ck_process_scheduler_verdict"), f"verdict IN {_VERDICTS!r}")
        for name, columns in _ENTRY_INDEXES.items():
            batch.create_index(name, columns)
    op.create_index("ix_entry_findings_rule_id_entry_id", "entry_findings", ["rule_id", "entry_id"])
    op.create_index(
        "ix_entry_events_to_status_occurred_at_entry_id", "entry_events", ["to_status", "occurred_at", "entry_id"]
    )


def _backfill_entries() -> None:
    """The verdict from each entry's creation event, the pull time from its inbox row, and when it
    was entered from its first event to entered."""
    entries = sa.table(
        "process_scheduler",
        *(sa.column(name) for name in ("id", "source", "source_invoice_id", "version", "status", "verdict")),
        sa.column("pulled_at"),
        sa.column("entered_at"),
    )
    events = sa.table(
        "entry_events", *(sa.column(name) for name in ("entry_id", "from_status", "to_status", "occurred_at"))
    )
    inbox = sa.table(
        "inbox", *(sa.column(name) for name in ("source", "source_invoice_id", "version", "entry_id", "pulled_at"))
    )
    created_as = (
        sa.select(sa.func.min(events.c.to_status))
        .where(events.c.entry_id == entries.c.id, events.c.from_status.is_(None))
        .scalar_subquery()
    )
    # by invoice key (the inbox's unique index) and the entry the row was judged into
    pulled = (
        sa.select(sa.func.min(inbox.c.pulled_at))
        .where(
            inbox.c.source == entries.c.source,
            inbox.c.source_invoice_id == entries.c.source_invoice_id,
            inbox.c.version == entries.c.version,
            inbox.c.entry_id == entries.c.id,
        )
        .scalar_subquery()
    )
    entered = (
        sa.select(sa.func.min(events.c.occurred_at))
        .where(events.c.entry_id == entries.c.id, events.c.to_status == "entered")
        .scalar_subquery()
    )
    op.execute(entries.update().values(verdict=created_as, pulled_at=pulled))
    op.execute(entries.update().where(entries.c.status == "entered").values(entered_at=entered))


def _backfill_findings(findings: sa.Table) -> None:
    """One row per distinct rule id of each entry's findings, read and written a chunk of entries
    at a time. An entry without a creation event (none should lack one) takes the verdict its
    findings' severities give, as the rules do: any hard one bad_invoice, any soft one manual_review."""
    entries = sa.table("process_scheduler", sa.column("id"), sa.column("findings", sa.JSON()), sa.column("verdict"))
    set_verdict = entries.update().where(entries.c.id == sa.bindparam("b_id")).values(verdict=sa.bindparam("b_verdict"))
    connection = op.get_bind()
    last_id = None
    while True:
        query = sa.select(entries.c.id, entries.c.findings, entries.c.verdict).order_by(entries.c.id).limit(_CHUNK)
        if last_id is not None:
            query = query.where(entries.c.id > last_id)
        chunk = connection.execute(query).all()
        if not chunk:
            return
        severities = {entry_id: _severities(documents) for entry_id, documents, _verdict in chunk}
        rows = [
            {"entry_id": entry_id, "rule_id": rule_id, "severity": severity}
            for entry_id, by_rule in severities.items()
            for rule_id, severity in sorted(by_rule.items())
        ]
        if rows:
            connection.execute(findings.insert(), rows)
        unjudged = [
            {"b_id": entry_id, "b_verdict": _verdict_of(severities[entry_id].values())}
            for entry_id, _documents, verdict in chunk
            if verdict is None
        ]
        if unjudged:
            connection.execute(set_verdict, unjudged)
        last_id = chunk[-1][0]


def _severities(documents: list[dict[str, Any]]) -> dict[str, str]:
    """Per rule id, the severity of its findings: hard when any of them is."""
    severities: dict[str, str] = {}
    for finding in documents:
        if severities.get(finding["rule_id"]) != "hard":
            severities[finding["rule_id"]] = finding["severity"]
    return severities


def _verdict_of(severities: Iterable[str]) -> str:
    found = set(severities)
    return "bad_invoice" if "hard" in found else "manual_review" if "soft" in found else "ready_to_process"


def downgrade() -> None:
    op.drop_index("ix_entry_events_to_status_occurred_at_entry_id", table_name="entry_events")
    op.drop_index("ix_entry_findings_rule_id_entry_id", table_name="entry_findings")
    op.drop_table("entry_findings")
    with op.batch_alter_table("process_scheduler") as batch:
        for name in _ENTRY_INDEXES:
            batch.drop_index(name)
        batch.drop_constraint(op.f("ck_process_scheduler_verdict"), type_="check")
        for column in ("entered_at", "pulled_at", "verdict"):
            batch.drop_column(column)
