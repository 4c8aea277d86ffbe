"""The tables of uploaded documents: the documents, their audit trail, and each paid extraction call."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from connectors.store.column_types import MoneyType, UtcTimestamp
from connectors.store.tables import CODE, NAME, Base, one_of
from domain.documents import DocumentKind, DocumentStatus, Engine

INVOICE_FILE = "invoice"
SUPPORTING_FILE = "supporting"  # a delivery note or timesheet attached to an invoice file


class DocumentRow(Base):
    """One uploaded file: stored content-addressed, extracted by the extract-documents flow, reviewed,
    submitted into the inbox (source `upload`, source invoice id = this id)."""

    __tablename__ = "documents"
    __table_args__ = (
        # The same file uploaded twice (by AP, or by one vendor) is one document.
        UniqueConstraint("dedupe_scope", "sha256", name="uq_documents_dedupe_scope"),
        CheckConstraint(one_of("status", [s.value for s in DocumentStatus]), name="status"),
        CheckConstraint(one_of("kind", [k.value for k in DocumentKind]), name="kind"),
        CheckConstraint(one_of("purpose", [INVOICE_FILE, SUPPORTING_FILE]), name="purpose"),
        # The flow claims the oldest queued documents; the list pages by (filter, id) for each filter.
        Index("ix_documents_status_id", "status", "id"),
        Index("ix_documents_vendor_id_id", "vendor_id", "id"),
        Index("ix_documents_engine_id", "engine", "id"),
        Index("ix_documents_uploaded_by_id", "uploaded_by", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    # "ap" for AP staff's uploads, "vendor:<id>" for a vendor's: one vendor never learns of another's file
    dedupe_scope: Mapped[str] = mapped_column(String(CODE + 8))
    kind: Mapped[str] = mapped_column(String(8))
    file_name: Mapped[str] = mapped_column(String(NAME))
    size: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    # A corrected invoice: the document it replaces, and the first document of that invoice (whose id
    # is the invoice's source invoice id, so each replacement is a new version of the same invoice).
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    original_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    # why it failed, or why it needs a person
    status_reason: Mapped[str | None] = mapped_column(Text)
    pages: Mapped[int | None] = mapped_column(Integer)
    pages_done: Mapped[int] = mapped_column(Integer, default=0)
    vendor_id: Mapped[str | None] = mapped_column(String(CODE))
    po_number: Mapped[str | None] = mapped_column(String(CODE))  # as given at upload
    note: Mapped[str | None] = mapped_column(Text)
    uploaded_by: Mapped[str] = mapped_column(String(NAME))
    uploaded_at: Mapped[datetime] = mapped_column(UtcTimestamp())
    updated_at: Mapped[datetime] = mapped_column(UtcTimestamp())
    requested_engine: Mapped[str | None] = mapped_column(String(16))  # a person's re-extract choice
    engine: Mapped[str | None] = mapped_column(String(16))
    # domain.documents.Extraction as JSON: what the engine read, before any correction
    extraction: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    # a person's corrections, field path → value, applied over the extraction
    corrections: Mapped[dict[str, Any]] = mapped_column(JSON)
    cost: Mapped[Decimal | None] = mapped_column(MoneyType())
    # the extraction run that holds it while `extracting`, and since when (a crashed run's claim expires)
    claim_token: Mapped[str | None] = mapped_column(String(CODE))
    claimed_at: Mapped[datetime | None] = mapped_column(UtcTimestamp())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    submitted_version: Mapped[int | None] = mapped_column(Integer)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcTimestamp())


class DocumentEventRow(Base):
    """The audit trail of a document: every status change and every correction (who, when, old, new)."""

    __tablename__ = "document_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcTimestamp())
    actor: Mapped[str] = mapped_column(String(NAME))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))


class ExtractionCallRow(Base):
    """One call to a cloud or LLM engine, failed ones included: what extraction costs."""

    __tablename__ = "extraction_calls"
    __table_args__ = (CheckConstraint(one_of("provider", [e.value for e in Engine if e.is_paid]), name="provider"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UtcTimestamp(), index=True)
    provider: Mapped[str] = mapped_column(String(16))
    model: Mapped[str] = mapped_column(String(NAME))
    input_tokens: Mapped[int] = mapped_column(Integer)
    output_tokens: Mapped[int] = mapped_column(Integer)
    cost: Mapped[Decimal | None] = mapped_column(MoneyType())
    latency_ms: Mapped[int] = mapped_column(Integer)
    ok: Mapped[bool] = mapped_column(Boolean)
    error: Mapped[str | None] = mapped_column(Text)
