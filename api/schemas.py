"""What the API sends: response models of its own, so no database column or internal field leaks out.

The domain's `Invoice`, `Finding` and `RpaPayload` appear as they are: they are the public
vocabulary (the dry-run request body, the rule findings, the bot's published payload).
Money and quantities are JSON strings ("24.60"), never floats.
"""

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from domain import EntryStatus, Finding, Invoice, RpaPayload
from domain.money import Money

# ---------------------------------------------------------------------- errors


class FieldProblem(BaseModel):
    """One field the API could not accept, named by its path: "lines[2].quantity", "query.limit"."""

    field: str
    message: str
    value: str | None = Field(default=None, description="The rejected value, when there was one.")


class POLock(BaseModel):
    """Who holds a PO: the entry that is queued for or with the RPA bot."""

    po_number: str
    holding_entry_id: int | None = Field(description="None only if the holder let go while the refusal was reported.")


class EntryVerdict(BaseModel):
    """An invoice version's recorded verdict: its process entry, status and findings."""

    entry_id: int
    status: EntryStatus
    rule_set_version: str
    findings: list[Finding]


ErrorDetail = FieldProblem | POLock | EntryVerdict


class ErrorBody(BaseModel):
    code: str = Field(description='Stable, machine-readable: "po_locked", "invalid_invoice", "internal_error"...')
    message: str = Field(description="A sentence for people.")
    details: list[ErrorDetail] = Field(
        default_factory=list,
        description="Field problems (invalid_*, invoice_unreadable), the PO lock (po_locked), "
        "or the recorded verdict with its findings (manual_review, bad_invoice, rejected, po_not_found).",
    )


class ErrorResponse(BaseModel):
    """The shape of every error the API returns."""

    error: ErrorBody


# ---------------------------------------------------------------------- validation


class ValidationResponse(EntryVerdict):
    """A recorded verdict the RPA bot acts on, with the payload it receives."""

    payload: RpaPayload | None


class DryRunResponse(BaseModel):
    """What the rules say about an invoice; nothing is recorded."""

    status: EntryStatus
    rule_set_version: str
    findings: list[Finding]
    payload: RpaPayload | None = Field(description="What the RPA bot would receive; only when ready_to_process.")


# ---------------------------------------------------------------------- entries


class EntrySummary(BaseModel):
    """A process entry as the list shows it."""

    id: int
    status: EntryStatus
    source: str
    source_invoice_id: str
    version: int
    vendor_id: str
    vendor_name: str
    invoice_number: str
    invoice_date: date
    po_number: str
    currency: str
    total: Money
    rule_set_version: str
    erp_document_id: str | None = Field(description="The ERP document the bot created, once entered.")
    created_at: datetime
    updated_at: datetime


class EntryPage(BaseModel):
    items: list[EntrySummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class HistoryEvent(BaseModel):
    """One audited status change: who moved the entry, when, from where to where, and why."""

    actor: str
    occurred_at: datetime
    from_status: EntryStatus | None = Field(description="null for the entry's creation.")
    to_status: EntryStatus
    reason: str
    flow_run_id: str | None = Field(description="The Prefect flow run that made the change, if one did.")


class EntryDetail(EntrySummary):
    """A process entry with the invoice as judged, its findings, the bot's payload and its history."""

    invoice: Invoice
    findings: list[Finding]
    payload: RpaPayload | None = Field(description="Present once the invoice maps onto its PO (ready or in review).")
    history: list[HistoryEvent] = Field(description="Oldest first; the first event is the verdict.")


# ---------------------------------------------------------------------- health


class HealthResponse(BaseModel):
    status: Literal["ok", "unavailable"]
    checks: dict[str, str] = Field(
        description='Per database (marketplace, erp, process): "ok", or "unavailable (<error type>)".'
    )
