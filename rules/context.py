"""What a rule sees: one invoice with its PO, vendor, earlier invoices and what is in flight.

Built once per invoice (with the line matching computed once) and frozen, so every rule is a
pure function of it.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Protocol

from domain import EnteredInvoice, EntryStatus, Invoice, PurchaseOrder, Vendor
from rules.config import RuleConfig
from rules.matching import LineMatching, match_lines


class JudgedInvoiceFields(Protocol):
    """What a live entry is built from: an `Invoice`, or the store's summary of a recorded one."""

    @property
    def source(self) -> str: ...
    @property
    def source_invoice_id(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def vendor_id(self) -> str: ...
    @property
    def invoice_number(self) -> str: ...
    @property
    def normalised_invoice_number(self) -> str: ...
    @property
    def invoice_date(self) -> date: ...
    @property
    def currency(self) -> str: ...
    @property
    def total(self) -> Decimal: ...
    @property
    def po_number(self) -> str: ...


@dataclass(frozen=True)
class LiveEntry:
    """An invoice already judged and still live in process_scheduler (not rejected, not bad), or
    judged earlier in the same batch (no entry id yet: the batch is recorded in one transaction)."""

    entry_id: int | None
    source: str
    source_invoice_id: str
    version: int
    vendor_id: str
    invoice_number: str
    normalised_invoice_number: str
    invoice_date: date
    currency: str
    total: Decimal
    po_number: str
    status: EntryStatus

    @classmethod
    def of(cls, judged: "JudgedInvoiceFields", *, entry_id: int | None, status: EntryStatus) -> "LiveEntry":
        """The live entry of an invoice (or of an entry summary, which has the same fields)."""
        return cls(
            entry_id=entry_id,
            source=judged.source,
            source_invoice_id=judged.source_invoice_id,
            version=judged.version,
            vendor_id=judged.vendor_id,
            invoice_number=judged.invoice_number,
            normalised_invoice_number=judged.normalised_invoice_number,
            invoice_date=judged.invoice_date,
            currency=judged.currency,
            total=judged.total,
            po_number=judged.po_number,
            status=status,
        )

    @classmethod
    def judged_in_batch(cls, invoice: Invoice, status: EntryStatus) -> "LiveEntry":
        return cls.of(invoice, entry_id=None, status=status)

    @property
    def where(self) -> str:
        if self.entry_id is None:
            return f"invoice {self.source_invoice_id} of the same batch ({self.status.value})"
        return f"entry {self.entry_id} ({self.status.value})"


class ErpReference(Protocol):
    """The ERP data of a batch (connectors.erp.ErpSnapshot is one)."""

    @property
    def purchase_orders(self) -> Mapping[str, PurchaseOrder]: ...
    @property
    def vendors(self) -> Mapping[str, Vendor]: ...
    @property
    def entered_invoices(self) -> Mapping[str, Sequence[EnteredInvoice]]: ...
    @property
    def unreadable(self) -> Mapping[str, str]: ...


@dataclass(frozen=True)
class EarlierInvoice:
    """An earlier invoice of the same vendor, entered in the ERP or on its way there."""

    where: str
    invoice_number: str
    normalised_number: str
    invoice_date: date
    currency: str
    total: Decimal


@dataclass(frozen=True)
class InvoiceContext:
    invoice: Invoice
    config: RuleConfig  # already resolved for the invoice's vendor
    today: date
    po: PurchaseOrder | None = None
    po_unreadable: str | None = None
    vendor: Vendor | None = None
    # the same vendor's invoices already entered in the ERP, and live in process_scheduler
    entered_invoices: tuple[EnteredInvoice, ...] = ()
    live_entries: tuple[LiveEntry, ...] = ()
    # earlier versions of this very invoice that were entered in the ERP: this one corrects them
    entered_versions: tuple[LiveEntry, ...] = ()
    # quantity per PO line number in entries that are queued or with the bot (not yet in the ERP)
    in_flight_qty: Mapping[int, Decimal] = field(default_factory=dict)

    @cached_property
    def matching(self) -> LineMatching:
        return match_lines(self.invoice, self.po, self.in_flight_qty, self.config.uom_conversions)

    @cached_property
    def earlier_invoices(self) -> tuple[EarlierInvoice, ...]:
        entered = (
            EarlierInvoice(
                f"ERP document {d.erp_document_id}",
                d.invoice_number,
                d.normalised_invoice_number,
                d.invoice_date,
                d.currency,
                d.total,
            )
            for d in self.entered_invoices
        )
        live = (
            EarlierInvoice(e.where, e.invoice_number, e.normalised_invoice_number, e.invoice_date, e.currency, e.total)
            for e in self.live_entries
        )
        return (*entered, *live)

    @property
    def same_currency_as_po(self) -> bool:
        return self.po is not None and self.po.currency == self.invoice.currency


def build_context(
    invoice: Invoice,
    erp: ErpReference,
    config: RuleConfig,
    *,
    today: date,
    live_entries: Sequence[LiveEntry] = (),
    in_flight_qty: Mapping[int, Decimal] | None = None,
) -> InvoiceContext:
    """The context of one invoice from the batch's ERP data and its vendor's live entries."""
    own_key = (invoice.source, invoice.source_invoice_id)
    return InvoiceContext(
        invoice=invoice,
        config=config.for_vendor(invoice.vendor_id),
        today=today,
        po=erp.purchase_orders.get(invoice.po_number),
        po_unreadable=erp.unreadable.get(f"po:{invoice.po_number}"),
        vendor=erp.vendors.get(invoice.vendor_id),
        entered_invoices=tuple(erp.entered_invoices.get(invoice.vendor_id, ())),
        # an earlier version of this very invoice is not a duplicate of it, unless it was entered
        live_entries=tuple(e for e in live_entries if (e.source, e.source_invoice_id) != own_key),
        entered_versions=tuple(
            e
            for e in live_entries
            if (e.source, e.source_invoice_id) == own_key
            and e.status is EntryStatus.ENTERED
            and e.version < invoice.version
        ),
        in_flight_qty=in_flight_qty or {},
    )
