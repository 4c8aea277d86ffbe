"""A vendor's own invoices, from the marketplace and from uploads, as the vendor may see them: in
vendor words (services.vendor_words), never another vendor's, never AP's internals.

Another vendor's invoice is not found, exactly as one that does not exist (EntryNotFoundError):
an answer must not tell a vendor which ids are someone else's.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from connectors.store import ProcessStore
from connectors.store.entry_filter import EntryFilter
from connectors.store.errors import EntryNotFoundError
from connectors.store.read_models import Entry, EntrySummary
from domain import EntryStatus, Invoice
from services.document_submission import UPLOAD_SOURCE
from services.vendor_words import (
    Stage,
    StatusChange,
    VendorEvent,
    VendorFinding,
    vendor_findings,
    vendor_history,
)

MARKETPLACE_CORRECTION = "Correct it on the marketplace; it comes back as a new version, which is checked again."
UPLOAD_CORRECTION = "Upload a corrected version below; it replaces this one and is checked again."


@dataclass(frozen=True)
class VendorInvoiceRow:
    """One invoice version in the vendor's list."""

    entry_id: int
    invoice_number: str
    po_number: str
    invoice_date: date
    total: Decimal
    currency: str
    source: str
    version: int
    status: EntryStatus
    newest_version: int  # above `version`: a newer version of the invoice was sent since

    @property
    def stage(self) -> Stage:
        return Stage.of(self.status)

    @property
    def status_words(self) -> str:
        return self.stage.words

    @property
    def is_latest(self) -> bool:
        return self.version >= self.newest_version


@dataclass(frozen=True)
class VendorInvoicePage:
    rows: list[VendorInvoiceRow]
    next_cursor: str | None
    counts: dict[Stage, int]


@dataclass(frozen=True)
class VendorInvoice:
    """One invoice version in full, for its vendor."""

    row: VendorInvoiceRow
    invoice: Invoice
    findings: list[VendorFinding]
    history: list[VendorEvent]
    document_id: int | None  # the uploaded document this version was read from
    judged_at: datetime

    @property
    def how_to_correct(self) -> str:
        return UPLOAD_CORRECTION if self.row.source == UPLOAD_SOURCE else MARKETPLACE_CORRECTION


def invoice_page(
    store: ProcessStore, vendor_id: str, *, stage: Stage | None, limit: int, after: str | None
) -> VendorInvoicePage:
    """The vendor's invoices, newest first, a page at a time (keyset, as the work queue pages)."""
    statuses = stage.statuses if stage is not None else None
    found = store.entry_search.search(EntryFilter(vendor_id=vendor_id, status_in=statuses), limit=limit, after=after)
    newest = store.entries.newest_versions(entry.key for entry in found.entries)
    counted = store.entry_search.status_counts(EntryFilter(vendor_id=vendor_id))
    counts = {each: sum(counted[status] for status in each.statuses) for each in Stage}
    return VendorInvoicePage(
        rows=[
            _row(entry, newest.get((entry.source, entry.source_invoice_id), entry.version)) for entry in found.entries
        ],
        next_cursor=found.next_cursor,
        counts=counts,
    )


def invoice_of_vendor(store: ProcessStore, vendor_id: str, entry_id: int) -> VendorInvoice:
    """The vendor's invoice version `entry_id`; EntryNotFoundError when there is none or it is another's."""
    entry = store.entries.get(entry_id)
    if entry.vendor_id != vendor_id:
        raise EntryNotFoundError(entry_id)  # another vendor's: as if it did not exist
    newest = store.entries.newest_versions([entry.key]).get((entry.source, entry.source_invoice_id), entry.version)
    changes = [
        StatusChange(event.to_status, event.from_status, event.occurred_at) for event in store.entries.history(entry_id)
    ]
    return VendorInvoice(
        row=_row(entry, newest),
        invoice=entry.invoice,
        findings=vendor_findings(entry.findings, entry.po_number),
        history=vendor_history(changes),
        document_id=_document_of(store, entry, vendor_id),
        judged_at=entry.created_at,
    )


def _row(entry: EntrySummary, newest_version: int) -> VendorInvoiceRow:
    return VendorInvoiceRow(
        entry_id=entry.id,
        invoice_number=entry.invoice_number,
        po_number=entry.po_number,
        invoice_date=entry.invoice_date,
        total=entry.total,
        currency=entry.currency,
        source=entry.source,
        version=entry.version,
        status=entry.status,
        newest_version=max(newest_version, entry.version),
    )


def _document_of(store: ProcessStore, entry: Entry, vendor_id: str) -> int | None:
    """The vendor's uploaded document an upload's version was read from: the one submitted as that
    version, else the invoice's first document (a document submitted again holds its newest version only)."""
    if entry.source != UPLOAD_SOURCE or not entry.source_invoice_id.isdigit():
        return None
    documents = [
        each
        for each in store.documents.invoice_documents(int(entry.source_invoice_id))
        if each.vendor_id == vendor_id  # an upload by AP that named no vendor is AP's document
    ]
    submitted = [each.id for each in documents if each.submitted_version == entry.version]
    return submitted[0] if submitted else (documents[0].id if documents else None)
