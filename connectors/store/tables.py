"""The service's own tables (ORM). Alembic migrations create them; `ProcessStore` is their only writer.

Portable across SQLite, PostgreSQL and MariaDB: timestamps are stored as naive UTC and read
as aware UTC (`UtcTimestamp`), money is exact (`MoneyType`), JSON columns hold pydantic
`model_dump(mode="json")` output.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from connectors.store.column_types import MoneyType, UtcTimestamp
from domain import INITIAL_STATUSES, EntryStatus

# Named constraints let Alembic (and SQLite's batch mode) find them again.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

CODE = 64  # the domain's `Code` length: ids, numbers, sources
NAME = 200

INBOX_WAITING = "waiting"
INBOX_JUDGED = "judged"
INBOX_FAILED = "failed"  # could not be judged; `error` says why
INBOX_WITHDRAWN = "withdrawn"  # a newer version of the invoice came: never judged

ROLES = ("admin", "clerk", "vendor")  # people; bots authenticate with API keys and have the role 'bot'
VENDOR_ROLE = "vendor"  # a vendor's own user, bound to one vendor id: its documents and invoices only

WEBHOOK_PENDING = "pending"
WEBHOOK_DELIVERED = "delivered"
WEBHOOK_FAILED = "failed"  # gave up after the configured number of attempts


def one_of(column: str, values: list[str]) -> str:
    quoted = ", ".join(f"'{value}'" for value in sorted(values))
    return f"{column} IN ({quoted})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # Every model maps a Table (DeclarativeBase types it as any FromClause).
    __table__: ClassVar[Table]


class InboxRow(Base):
    """A pulled marketplace invoice waiting to be judged (or judged, with its entry)."""

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("source", "source_invoice_id", "version", name="uq_inbox_invoice_key"),
        CheckConstraint(one_of("state", [INBOX_FAILED, INBOX_JUDGED, INBOX_WAITING, INBOX_WITHDRAWN]), name="state"),
        Index("ix_inbox_state_pulled_at", "state", "pulled_at"),
        # Earlier versions of a pulled invoice are found by its id.
        Index("ix_inbox_source_invoice_id", "source_invoice_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(CODE))
    source_invoice_id: Mapped[str] = mapped_column(String(CODE))
    version: Mapped[int] = mapped_column(Integer)
    po_number: Mapped[str] = mapped_column(String(CODE), index=True)
    vendor_id: Mapped[str] = mapped_column(String(CODE))
    # partitions.vendor_hash(vendor_id): partition i of n judges the rows where it is i modulo n
    vendor_hash: Mapped[int] = mapped_column(Integer)
    invoice: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))
    pulled_at: Mapped[datetime] = mapped_column(UtcTimestamp())
    judged_at: Mapped[datetime | None] = mapped_column(UtcTimestamp())
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("process_scheduler.id"))
    # why a 'failed' row could not be judged
    error: Mapped[str | None] = mapped_column(Text)


class IntakeErrorRow(Base):
    """A marketplace invoice that could not be read; seen again = same row, refreshed."""

    __tablename__ = "intake_errors"
    __table_args__ = (UniqueConstraint("source", "source_invoice_id", "version", name="uq_intake_errors_invoice_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(CODE))
    source_invoice_id: Mapped[str] = mapped_column(String(CODE))
    version: Mapped[int] = mapped_column(Integer)
    po_number: Mapped[str | None] = mapped_column(String(CODE))
    vendor_id: Mapped[str | None] = mapped_column(String(CODE))
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    first_seen_at: Mapped[datetime] = mapped_column(UtcTimestamp())
    last_seen_at: Mapped[datetime] = mapped_column(UtcTimestamp())


class PullCursorRow(Base):
    """Where the last pull of a source stopped; the cursor text belongs to that source's connector."""

    __tablename__ = "pull_cursors"

    source: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    cursor: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcTimestamp())


class EntryRow(Base):
    """process_scheduler: one judged invoice version, its verdict, payload and status."""

    __tablename__ = "process_scheduler"
    __table_args__ = (
        UniqueConstraint("source", "source_invoice_id", "version", name="uq_process_scheduler_invoice_key"),
        CheckConstraint(one_of("status", [status.value for status in EntryStatus]), name="status"),
        CheckConstraint(one_of("verdict", [status.value for status in INITIAL_STATUSES]), name="verdict"),
        # The "already live" duplicate check looks entries up by vendor and normalised number.
        Index("ix_process_scheduler_vendor_invoice_number", "vendor_id", "normalised_invoice_number"),
        # The bot's claim takes the entry ready the longest.
        Index("ix_process_scheduler_status_updated_at", "status", "updated_at", "id"),
        # A batch looks up the newest version known of each of its invoices.
        Index("ix_process_scheduler_source_invoice_id_version", "source_invoice_id", "version"),
        # The work queue pages by (sort key, id) without OFFSET (entry_search); the dashboard's
        # figures count entries judged or entered in a period (kpis).
        Index("ix_process_scheduler_invoice_date_id", "invoice_date", "id"),
        Index("ix_process_scheduler_total_id", "total", "id"),
        Index("ix_process_scheduler_vendor_id_id", "vendor_id", "id"),
        Index("ix_process_scheduler_updated_at_id", "updated_at", "id"),
        Index("ix_process_scheduler_created_at_id", "created_at", "id"),
        Index("ix_process_scheduler_verdict_created_at", "verdict", "created_at"),
        Index("ix_process_scheduler_normalised_invoice_number", "normalised_invoice_number"),
        Index("ix_process_scheduler_entered_at", "entered_at"),
        # The dashboard counts each poll run's entries by status.
        Index("ix_process_scheduler_flow_run_id_status", "flow_run_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(CODE))
    source_invoice_id: Mapped[str] = mapped_column(String(CODE))
    version: Mapped[int] = mapped_column(Integer)
    vendor_id: Mapped[str] = mapped_column(String(CODE))
    vendor_name: Mapped[str] = mapped_column(String(NAME))
    invoice_number: Mapped[str] = mapped_column(String(CODE))
    normalised_invoice_number: Mapped[str] = mapped_column(String(CODE))
    invoice_date: Mapped[date] = mapped_column(Date)
    po_number: Mapped[str] = mapped_column(String(CODE), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[Decimal] = mapped_column(MoneyType())
    status: Mapped[str] = mapped_column(String(32), index=True)
    # the status the rules gave it when it was judged (ready_to_process, manual_review or bad_invoice)
    verdict: Mapped[str] = mapped_column(String(32))
    # The invoice as judged, so AP sees what the findings are about (the inbox may not have it).
    invoice: Mapped[dict[str, Any]] = mapped_column(JSON)
    # None_as_null: an absent payload is SQL NULL, not the JSON literal null.
    payload: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    rule_set_version: Mapped[str] = mapped_column(String(CODE))
    flow_run_id: Mapped[str | None] = mapped_column(String(CODE))
    # the first ERP document the invoice was entered as; every one reported is in erp_documents
    erp_document_id: Mapped[str | None] = mapped_column(String(CODE))
    # two different ERP documents were reported for it: AP checks whether it was paid twice
    possible_double_entry: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # who holds a dispatched entry: the bot that claimed it, or the mailbox it was mailed to
    dispatched_to: Mapped[str | None] = mapped_column(String(NAME))
    # why the bot failed (rpa_failed), so a clerk deciding on it and a repeated callback see it
    failure_reason: Mapped[str | None] = mapped_column(Text)
    # the version of the same invoice that replaced this one (superseded)
    superseded_by_version: Mapped[int | None] = mapped_column(Integer)
    # when its invoice was pulled into the inbox (None for an invoice validated through the API only)
    pulled_at: Mapped[datetime | None] = mapped_column(UtcTimestamp())
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp())
    updated_at: Mapped[datetime] = mapped_column(UtcTimestamp())
    # when it became entered (in the ERP): entered_at - pulled_at is the time an invoice took end to end
    entered_at: Mapped[datetime | None] = mapped_column(UtcTimestamp())


class EntryFindingRow(Base):
    """One row per distinct rule id among an entry's findings, so the queue and the dashboard find
    entries by rule without reading the findings documents."""

    __tablename__ = "entry_findings"
    __table_args__ = (
        UniqueConstraint("entry_id", "rule_id", name="uq_entry_findings_entry_rule"),
        Index("ix_entry_findings_rule_id_entry_id", "rule_id", "entry_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("process_scheduler.id"))
    rule_id: Mapped[str] = mapped_column(String(CODE))
    severity: Mapped[str] = mapped_column(String(16))  # hard when any of the rule's findings is


class EntryEventRow(Base):
    """The audit trail: one row per status change of an entry (from_status NULL at creation)."""

    __tablename__ = "entry_events"
    # Entries that reached a status in a period (the queue's filter, the dashboard's figures).
    __table_args__ = (Index("ix_entry_events_to_status_occurred_at_entry_id", "to_status", "occurred_at", "entry_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("process_scheduler.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(NAME))
    reason: Mapped[str] = mapped_column(Text)
    flow_run_id: Mapped[str | None] = mapped_column(String(CODE))
    occurred_at: Mapped[datetime] = mapped_column(UtcTimestamp())


class ErpDocumentRow(Base):
    """An ERP document an entry was reported entered as. One normally; a second one means the
    invoice may have been keyed twice (a late callback, a housekeeping look-up and a bot), and
    both are kept for AP."""

    __tablename__ = "erp_documents"
    __table_args__ = (UniqueConstraint("entry_id", "erp_document_id", name="uq_erp_documents_entry_document"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("process_scheduler.id"), index=True)
    erp_document_id: Mapped[str] = mapped_column(String(CODE))
    reported_by: Mapped[str] = mapped_column(String(NAME))
    reported_at: Mapped[datetime] = mapped_column(UtcTimestamp())


class POLockRow(Base):
    """A PO is locked exactly while this row exists; the primary key lets only one entry hold it."""

    __tablename__ = "po_locks"

    po_number: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("process_scheduler.id"), unique=True)
    locked_at: Mapped[datetime] = mapped_column(UtcTimestamp())


class VersionLockRow(Base):
    """The one version of an invoice that is live or entered: its primary key (source, source
    invoice id) lets only one entry hold it, as `po_locks` does for a PO."""

    __tablename__ = "version_locks"

    source: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    source_invoice_id: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("process_scheduler.id"), unique=True)
    version: Mapped[int] = mapped_column(Integer)
    locked_at: Mapped[datetime] = mapped_column(UtcTimestamp())


class VendorLockRow(Base):
    """One row per vendor that has had entries recorded. A transaction recording entries locks its
    vendors' rows first (SELECT ... FOR UPDATE, in vendor order), so recorders of one vendor take
    turns and each sees the entries the one before it committed: the duplicate re-check before
    writing cannot be raced, as the PO lock cannot."""

    __tablename__ = "vendor_locks"

    vendor_id: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp())


class UserRow(Base):
    """An AP person who signs in: a clerk reviews entries, an admin also manages users and API keys."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(one_of("role", list(ROLES)), name="role"),
        CheckConstraint(
            f"(role = '{VENDOR_ROLE}' AND vendor_id IS NOT NULL) OR (role <> '{VENDOR_ROLE}' AND vendor_id IS NULL)",
            name="vendor_id",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(CODE), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    vendor_id: Mapped[str | None] = mapped_column(String(CODE))  # a vendor user's vendor; None for AP staff
    password_hash: Mapped[str] = mapped_column(String(NAME))  # argon2id, with its parameters and salt
    is_active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp())
    updated_at: Mapped[datetime] = mapped_column(UtcTimestamp())


class UserTokenRow(Base):
    """A signed-in session: the cookie or bearer token given at login, kept only as its SHA-256."""

    __tablename__ = "user_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp())
    expires_at: Mapped[datetime] = mapped_column(UtcTimestamp())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcTimestamp())


class ApiKeyRow(Base):
    """A bot's API key: shown once when created, kept only as its SHA-256; `name` goes in the audit trail."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(CODE), unique=True)
    # the key's public first part, to find its row without comparing every hash
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp())
    created_by: Mapped[str] = mapped_column(String(NAME))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcTimestamp())


SIGN_IN_SUBJECTS = ("address", "username")  # what failed sign-ins are counted per


class SignInFailureRow(Base):
    """Failed sign-ins of one username or one client address, shared by every API worker process:
    after a few, each further failure locks the subject out for longer (services.sign_in)."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (CheckConstraint(one_of("kind", list(SIGN_IN_SUBJECTS)), name="kind"),)

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    subject: Mapped[str] = mapped_column(String(CODE), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failure_at: Mapped[datetime] = mapped_column(UtcTimestamp(), index=True)
    locked_until: Mapped[datetime | None] = mapped_column(UtcTimestamp())


class WebhookDeliveryRow(Base):
    """The outbox: one row per event and receiver, written with the status change it reports and
    sent afterwards, so a receiver that is down never holds up (nor loses) a status change."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint(one_of("state", [WEBHOOK_DELIVERED, WEBHOOK_FAILED, WEBHOOK_PENDING]), name="state"),
        Index("ix_webhook_deliveries_state_next_attempt_at", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36))  # one event sent to several receivers has one id
    event_type: Mapped[str] = mapped_column(String(CODE))
    entry_id: Mapped[int] = mapped_column(ForeignKey("process_scheduler.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)  # the exact bytes signed and sent
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcTimestamp())
    created_at: Mapped[datetime] = mapped_column(UtcTimestamp())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcTimestamp())


class PollRunRow(Base):
    """One poll-marketplace run that finished, with its counts: the poll runs in a Prefect flow's
    process, and the API's metrics read its last run from here."""

    __tablename__ = "poll_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flow_run_id: Mapped[str | None] = mapped_column(String(CODE))
    finished_at: Mapped[datetime] = mapped_column(UtcTimestamp(), index=True)
    duration_ms: Mapped[int] = mapped_column(Integer)
    pulled: Mapped[int] = mapped_column(Integer)
    unreadable: Mapped[int] = mapped_column(Integer)
    recorded: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)
    waiting: Mapped[int] = mapped_column(Integer)
    waiting_on_lock: Mapped[int] = mapped_column(Integer)
    batches: Mapped[int] = mapped_column(Integer)
