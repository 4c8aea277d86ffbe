"""Builders of rule contexts for rule tests: a clean invoice, its matching PO, and one change."""

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from demo.factories import make_invoice, make_purchase_order
from domain import EnteredInvoice, EntryStatus, Finding, Invoice, PurchaseOrder, Vendor
from rules.catalogue import REGISTRY
from rules.config import RuleConfig
from rules.context import InvoiceContext, LiveEntry

TODAY = date(2024, 3, 5)
BASE_CONFIG = RuleConfig(rule_set_version="test-1")


def make_context(
    invoice: Invoice | None = None,
    po: PurchaseOrder | Literal["matching"] | None = "matching",
    *,
    config: RuleConfig = BASE_CONFIG,
    **fields: Any,
) -> InvoiceContext:
    """A context for `invoice` (default make_invoice()) with its matching open PO and vendor record."""
    invoice = invoice or make_invoice()
    fields.setdefault("vendor", Vendor(vendor_id=invoice.vendor_id, name="Acme Industrial Supply", currency="USD"))
    return InvoiceContext(
        invoice=invoice,
        config=config.for_vendor(invoice.vendor_id),
        today=TODAY,
        po=make_purchase_order(invoice) if po == "matching" else po,
        **fields,
    )


def findings(rule_id: str, ctx: InvoiceContext) -> list[Finding]:
    return REGISTRY[rule_id].findings(ctx)


def make_entered(**overrides: Any) -> EnteredInvoice:
    fields: dict[str, Any] = {
        "erp_document_id": "AP-77",
        "vendor_id": "V001",
        "invoice_number": "INV-0999",
        "invoice_date": date(2024, 2, 1),
        "po_number": "PO-1001",
        "currency": "USD",
        "total": Decimal("1.00"),
    }
    return EnteredInvoice(**(fields | overrides))


def make_live_entry(**overrides: Any) -> LiveEntry:
    fields: dict[str, Any] = {
        "entry_id": 42,
        "source": "marketplace",
        "source_invoice_id": "555",
        "version": 1,
        "vendor_id": "V001",
        "invoice_number": "INV-0555",
        "normalised_invoice_number": "INV555",
        "invoice_date": date(2024, 2, 20),
        "currency": "USD",
        "total": Decimal("1.00"),
        "po_number": "PO-1001",
        "status": EntryStatus.MANUAL_REVIEW,
    }
    return LiveEntry(**(fields | overrides))
