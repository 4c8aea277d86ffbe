"""What the process store returns: plain, frozen models detached from the database, and how they are read from rows."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, Self

from pydantic import BaseModel, ConfigDict, Field

from connectors.store.column_types import MONEY_QUANTUM
from connectors.store.tables import EntryRow
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


class EntryHeader(_ReadModel):
    """What anyone may see of a process entry: which invoice version, for whom, its status.

    The API's entry schemas are this shape; timestamps are timezone-aware UTC.
    """

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
    possible_double_entry: bool = Field(
        description="Another ERP document was reported for it after it was entered: check the ERP for a second "
        "posting (erp_documents on the entry lists them)."
    )
    created_at: datetime
    updated_at: datetime


class EntrySummary(EntryHeader):
    """An entry as lists show it: its columns without the invoice, payload and findings documents."""

    normalised_invoice_number: str

    @property
    def key(self) -> InvoiceKey:
        return InvoiceKey(source=self.source, source_invoice_id=self.source_invoice_id, version=self.version)

    @classmethod
    def from_columns(cls, columns: Mapping[Any, Any]) -> Self:
        return cls.model_validate({**columns, "total": columns["total"].quantize(MONEY_QUANTUM)})


class Entry(EntrySummary):
    """A process_scheduler row in full: one judged invoice version, its verdict and payload."""

    invoice: Invoice
    payload: RpaPayload | None
    findings: tuple[Finding, ...]
    flow_run_id: str | None
    dispatched_to: str | None  # the bot (or mailbox) a dispatched entry is with
    failure_reason: str | None  # why the bot failed, while rpa_failed
    superseded_by_version: int | None  # the version of the invoice that replaced it, once superseded

    @classmethod
    def from_row(cls, row: EntryRow) -> Self:
        return cls(
            id=row.id,
            source=row.source,
            source_invoice_id=row.source_invoice_id,
            version=row.version,
            vendor_id=row.vendor_id,
            vendor_name=row.vendor_name,
            invoice_number=row.invoice_number,
            normalised_invoice_number=row.normalised_invoice_number,
            invoice_date=row.invoice_date,
            po_number=row.po_number,
            currency=row.currency,
            total=row.total.quantize(MONEY_QUANTUM),  # as the database returns it: 4 decimals
            status=EntryStatus(row.status),
            invoice=Invoice.model_validate(row.invoice),
            payload=None if row.payload is None else RpaPayload.model_validate(row.payload),
            findings=tuple(Finding.model_validate(finding) for finding in row.findings),
            rule_set_version=row.rule_set_version,
            flow_run_id=row.flow_run_id,
            erp_document_id=row.erp_document_id,
            possible_double_entry=row.possible_double_entry,
            dispatched_to=row.dispatched_to,
            failure_reason=row.failure_reason,
            superseded_by_version=row.superseded_by_version,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class QueueEntry(EntrySummary):
    """An entry as the work queue lists it: its summary, the verdict it was judged with, why the
    bot failed on it (while rpa_failed), and when its invoice was pulled and entered."""

    verdict: EntryStatus
    failure_reason: str | None
    pulled_at: datetime | None
    entered_at: datetime | None


class SearchPage(_ReadModel):
    """One page of the work queue; `next_cursor` continues it (None: the last page)."""

    entries: tuple[QueueEntry, ...]
    next_cursor: str | None


class ErpDocument(_ReadModel):
    """An ERP document an entry was reported entered as, and by whom (a bot, or housekeeping's look-up)."""

    erp_document_id: str
    reported_by: str
    reported_at: datetime


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
    # its vendor got an entry with the same number or total while it was judged, or another version of
    # it became live: still waiting, judged again
    judged_again: tuple[InvoiceKey, ...] = ()
    withdrawn: tuple[InvoiceKey, ...] = ()  # a newer version of it is known: never judged
    waiting_on_version: tuple[InvoiceKey, ...] = ()  # an earlier version is with the bot: waits for its callback


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


class PollRun(_ReadModel):
    """A poll-marketplace run that finished: how long it took and what it did."""

    flow_run_id: str | None
    finished_at: datetime
    duration_ms: int
    pulled: int  # new invoice versions taken into the inbox
    unreadable: int  # marketplace rows that could not be read
    recorded: int  # entries recorded
    failed: int  # inbox rows that could not be recorded
    waiting: int  # left in the inbox when it finished (locked POs included)
    waiting_on_lock: int  # of those, waiting for a locked PO
    batches: int


class MetricsSnapshot(_ReadModel):
    """Counts of the process database at one moment, read in one transaction, for the service's metrics."""

    entries_by_status: dict[EntryStatus, int]  # every status, 0 included
    judged_by_verdict: dict[EntryStatus, int]  # entries created per initial status, ever (their creation events)
    bot_callbacks: dict[EntryStatus, int]  # entries bots moved to entered or rpa_failed, ever
    possible_double_entries: int
    inbox: InboxCounts
    webhook_deliveries: dict[str, int]  # per state, 0 included
    last_poll: PollRun | None
