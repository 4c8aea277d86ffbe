"""What the process store returns: plain, frozen models detached from the database."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from domain import EntryStatus, Finding, Invoice, InvoiceKey, RpaPayload, Verdict
from domain.money import Money


class _ReadModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PullRecord(_ReadModel):
    """What one `record_pull` did."""

    new_invoices: int
    already_known: int
    errors_recorded: int


class InboxItem(_ReadModel):
    """A pulled invoice waiting to be judged."""

    id: int
    invoice: Invoice
    pulled_at: datetime


class EntrySummary(_ReadModel):
    """An entry as lists show it: its columns without the invoice, payload and findings documents.

    Timestamps are timezone-aware UTC.
    """

    id: int
    source: str
    source_invoice_id: str
    version: int
    vendor_id: str
    vendor_name: str
    invoice_number: str
    normalised_invoice_number: str
    invoice_date: date
    po_number: str
    currency: str
    total: Money
    status: EntryStatus
    rule_set_version: str
    erp_document_id: str | None
    created_at: datetime
    updated_at: datetime

    @property
    def key(self) -> InvoiceKey:
        return InvoiceKey(source=self.source, source_invoice_id=self.source_invoice_id, version=self.version)


class Entry(EntrySummary):
    """A process_scheduler row in full: one judged invoice version, its verdict and payload."""

    invoice: Invoice
    payload: RpaPayload | None
    findings: tuple[Finding, ...]
    flow_run_id: str | None
    dispatched_to: str | None  # the bot (or mailbox) a dispatched entry is with
    failure_reason: str | None  # why the bot failed, while rpa_failed


class EntryPage(_ReadModel):
    """One page of entries, newest first; `next_before_id` continues the listing (None: last page)."""

    entries: tuple[EntrySummary, ...]
    next_before_id: int | None


class EntryEvent(_ReadModel):
    """One audited status change; `from_status` is None for the creation event."""

    id: int
    entry_id: int
    from_status: EntryStatus | None
    to_status: EntryStatus
    actor: str
    reason: str
    flow_run_id: str | None
    occurred_at: datetime


class JudgedInvoice(Protocol):
    """An invoice with its verdict and payload, as the rule engine returns it (rules.engine.Judgement)."""

    @property
    def invoice(self) -> Invoice: ...
    @property
    def verdict(self) -> Verdict: ...
    @property
    def payload(self) -> RpaPayload | None: ...


@dataclass(frozen=True)
class BatchRecord:
    """What one `record_verdicts` did with each invoice version of the batch."""

    recorded: dict[InvoiceKey, int]  # → its new entry id
    already_judged: tuple[InvoiceKey, ...]  # recorded by another writer meanwhile
    waiting_on_lock: tuple[InvoiceKey, ...]  # its PO was locked meanwhile: still waiting in the inbox
    failed: dict[InvoiceKey, str]  # could not be recorded (→ inbox 'failed' with the reason)
    # its vendor got an entry with the same number or total while it was judged: still waiting, judged again
    judged_again: tuple[InvoiceKey, ...] = ()


class InboxCounts(_ReadModel):
    waiting: int
    waiting_on_lock: int  # of the waiting ones, those whose PO is locked
    failed: int


class WebhookDelivery(_ReadModel):
    """One event on its way to one receiver, with what its attempts so far gave."""

    id: int
    event_id: str
    event_type: str
    entry_id: int
    url: str
    body: str
    state: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: datetime | None
