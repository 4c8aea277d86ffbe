"""What the document routes take and answer (never raw rows)."""

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, Field

from connectors.store import Entry
from connectors.store.document_reads import DocumentEvent, DocumentRecord
from domain import EntryStatus, Finding
from domain.documents import (
    CHARGE_FIELDS,
    HEADER_FIELDS,
    LINE_FIELDS,
    Box,
    CheckResult,
    DocumentKind,
    DocumentStatus,
    Engine,
    ExtractedField,
    ProviderCall,
)


class FieldView(BaseModel):
    value: str | None
    confidence: float = Field(description="0 to 1; a person's correction is 1.")
    box: Box | None = Field(description="Where on which page it was read (fractions of the page, from the top left).")
    corrected: bool = Field(description="A person set this value.")


class DocumentSummary(BaseModel):
    id: int
    file_name: str
    kind: DocumentKind
    status: DocumentStatus
    status_reason: str | None
    purpose: Literal["invoice", "supporting"]
    engine: Engine | None
    pages: int | None
    low_confidence_fields: int
    vendor_id: str | None
    uploaded_by: str
    uploaded_at: datetime
    cost: Decimal | None

    @classmethod
    def of(cls, document: DocumentRecord, threshold: float) -> "DocumentSummary":
        reviewed = document.reviewed_extraction
        return cls(
            id=document.id,
            file_name=document.file_name,
            kind=document.kind,
            status=document.status,
            status_reason=document.status_reason,
            purpose="supporting" if document.purpose == "supporting" else "invoice",
            engine=reviewed.engine if reviewed else None,
            pages=document.pages,
            low_confidence_fields=len(reviewed.low_confidence(threshold)) if reviewed else 0,
            vendor_id=document.vendor_id,
            uploaded_by=document.uploaded_by,
            uploaded_at=document.uploaded_at,
            cost=document.cost,
        )


class UploadedDocument(DocumentSummary):
    created: bool = Field(description="False: the same file was uploaded before; this is that document.")


class UploadResponse(BaseModel):
    documents: list[UploadedDocument]


class DocumentPage(BaseModel):
    items: list[DocumentSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last one.")


class InvoiceOfDocument(BaseModel):
    """The invoice a submitted document became, and what the rules said of it."""

    source: str
    source_invoice_id: str
    version: int
    entry_id: int | None = Field(description="Null until the invoice is judged (the next poll, or validate).")
    status: EntryStatus | None
    findings: list[Finding]


class DocumentEventView(BaseModel):
    """One audited change: a status change, or a person's corrections (details: path → old, new)."""

    occurred_at: datetime
    actor: str
    action: str
    from_status: DocumentStatus | None
    to_status: DocumentStatus | None
    details: dict[str, Any] | None


class DocumentDetail(DocumentSummary):
    engine_reason: str | None
    pages_done: int
    po_number: str | None = Field(description="As given at upload.")
    note: str | None
    parent_id: int | None
    replaces_id: int | None = Field(description="The document this one replaces (a corrected invoice).")
    supporting_ids: list[int]
    fields: dict[str, FieldView]
    lines: list[dict[str, FieldView]]
    charges: list[dict[str, FieldView]] = Field(description="Extra charges among the totals: description, amount.")
    checks: list[CheckResult]
    timings_ms: dict[str, float]
    calls: list[ProviderCall]
    notes: list[str]
    submitted_version: int | None
    invoice: InvoiceOfDocument | None
    history: list[DocumentEventView] | None = Field(description="Who did what, when (AP staff only).")

    @classmethod
    def of_document(
        cls,
        document: DocumentRecord,
        threshold: float,
        *,
        supporting: list[DocumentRecord],
        entry: Entry | None,
        history: list[DocumentEvent] | None,
    ) -> "DocumentDetail":
        reviewed = document.reviewed_extraction
        corrected = set(document.corrections)
        fields = {}
        lines: list[dict[str, FieldView]] = []
        charges: list[dict[str, FieldView]] = []
        if reviewed is not None:
            fields = {name: _view(reviewed.field(name), name in corrected) for name in HEADER_FIELDS}
            lines = [
                {name: _view(line.field(name), f"lines[{i}].{name}" in corrected) for name in LINE_FIELDS}
                for i, line in enumerate(reviewed.lines)
            ]
            charges = [
                {name: _view(charge.field(name), f"charges[{i}].{name}" in corrected) for name in CHARGE_FIELDS}
                for i, charge in enumerate(reviewed.charges)
            ]
        invoice = None
        if document.submitted_version is not None:
            invoice = InvoiceOfDocument(
                source="upload",
                source_invoice_id=str(document.invoice_document_id),
                version=document.submitted_version,
                entry_id=entry.id if entry else None,
                status=entry.status if entry else None,
                findings=list(entry.findings) if entry else [],
            )
        summary = DocumentSummary.of(document, threshold).model_dump()
        return cls(
            **summary,
            engine_reason=reviewed.engine_reason if reviewed else None,
            pages_done=document.pages_done,
            po_number=document.po_number,
            note=document.note,
            parent_id=document.parent_id,
            replaces_id=document.replaces_id,
            supporting_ids=[each.id for each in supporting],
            fields=fields,
            lines=lines,
            charges=charges,
            checks=list(reviewed.checks) if reviewed else [],
            timings_ms=dict(reviewed.timings_ms) if reviewed else {},
            calls=list(reviewed.calls) if reviewed else [],
            notes=list(reviewed.notes) if reviewed else [],
            submitted_version=document.submitted_version,
            invoice=invoice,
            history=None if history is None else [_event(event) for event in history],
        )


def _view(found: ExtractedField, corrected: bool) -> FieldView:
    return FieldView(value=found.value, confidence=found.confidence, box=found.box, corrected=corrected)


def _event(event: DocumentEvent) -> DocumentEventView:
    return DocumentEventView.model_validate(event, from_attributes=True)


class ReextractRequest(BaseModel):
    engine: Engine | None = Field(default=None, description="Null: chosen automatically, as at upload.")


class FieldCorrections(BaseModel):
    fields: dict[str, str | None] = Field(
        min_length=1,
        max_length=2000,
        description="Field path → the right value (null clears it): `total`, `issue_date` (YYYY-MM-DD), "
        "`lines[0].unit_price`; amounts as decimal strings.",
    )


class SubmitResponse(BaseModel):
    document: DocumentDetail
    message: str
