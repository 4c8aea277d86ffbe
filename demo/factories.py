"""Deterministic builders of domain objects for tests: pass only what the test is about.

Defaults describe one clean invoice that matches its purchase order exactly, so a verdict of
ready_to_process is the natural outcome; override fields to make it interesting. Amounts that
follow from others (line totals, subtotal, tax, total) are computed unless overridden.
"""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from domain import (
    EntryStatus,
    Finding,
    Invoice,
    InvoiceLine,
    POLine,
    POStatus,
    PurchaseOrder,
    RpaPayload,
    RpaPayloadLine,
    Severity,
    Verdict,
    normalise_part_number,
)

RULE_SET_VERSION = "test-1"
JUDGED_AT = datetime(2024, 3, 2, 9, 0, tzinfo=UTC)


def make_line(line_no: int = 1, **overrides: Any) -> InvoiceLine:
    """Invoice line `line_no`: 10 × PART-00n at 12.50; line_total = quantity × unit_price unless given."""
    fields: dict[str, Any] = {
        "line_no": line_no,
        "part_number": f"PART-{line_no:03d}",
        "description": f"Part number {line_no}",
        "quantity": Decimal("10"),
        "uom": "EA",
        "unit_price": Decimal("12.50"),
    }
    fields.update(overrides)
    fields.setdefault("line_total", fields["quantity"] * fields["unit_price"])
    return InvoiceLine(**fields)


def make_invoice(**overrides: Any) -> Invoice:
    """Marketplace invoice 1001 v1 of vendor V001 for PO-1001, two lines, no tax or charges."""
    fields: dict[str, Any] = {
        "source": "marketplace",
        "source_invoice_id": "1001",
        "version": 1,
        "vendor_id": "V001",
        "vendor_name": "Acme Industrial Supply",
        "invoice_number": "INV-1001",
        "invoice_date": date(2024, 3, 1),
        "due_date": date(2024, 3, 31),
        "currency": "USD",
        "po_number": "PO-1001",
        "lines": (make_line(1), make_line(2, quantity=Decimal("3"), unit_price=Decimal("99.99"))),
        "charges": (),
    }
    fields.update(overrides)
    lines, charges = fields["lines"], fields["charges"]
    fields.setdefault("subtotal", sum((line.line_total for line in lines), Decimal(0)))
    fields.setdefault("tax_amount", sum((line.tax_amount or Decimal(0) for line in lines), Decimal(0)))
    fields.setdefault(
        "total", fields["subtotal"] + fields["tax_amount"] + sum((charge.amount for charge in charges), Decimal(0))
    )
    return Invoice(**fields)


def invoice_for(number: int, **overrides: object) -> Invoice:
    """Invoice `number` (its own id and invoice number); on PO-1001 unless told otherwise."""
    return make_invoice(source_invoice_id=str(number), invoice_number=f"INV-{number}", **overrides)


def make_purchase_order(invoice: Invoice | None = None, **overrides: Any) -> PurchaseOrder:
    """An open PO matching `invoice` (default: make_invoice()): same vendor, currency, parts, prices and quantities."""
    invoice = invoice or make_invoice()
    fields: dict[str, Any] = {
        "po_number": invoice.po_number,
        "vendor_id": invoice.vendor_id,
        "currency": invoice.currency,
        "status": POStatus.OPEN,
        "po_date": invoice.invoice_date - timedelta(days=30),
        "lines": tuple(
            POLine(
                line_no=line.line_no,
                part_number=line.part_number,
                erp_item_id=f"ITEM-{line.normalised_part_number}",
                description=line.description,
                uom=line.uom,
                ordered_qty=abs(line.quantity),
                unit_price=line.unit_price,
            )
            for line in invoice.lines
        ),
    }
    fields.update(overrides)
    return PurchaseOrder(**fields)


def make_payload(
    invoice: Invoice | None = None,
    purchase_order: PurchaseOrder | None = None,
    *,
    rule_set_version: str = RULE_SET_VERSION,
    judged_at: datetime = JUDGED_AT,
) -> RpaPayload:
    """What the bot would key in for `invoice`, each line matched to the PO line with the same part number."""
    invoice = invoice or make_invoice()
    purchase_order = purchase_order or make_purchase_order(invoice)
    po_lines = {line.normalised_part_number: line for line in purchase_order.lines}
    return RpaPayload(
        source=invoice.source,
        source_invoice_id=invoice.source_invoice_id,
        version=invoice.version,
        vendor_id=invoice.vendor_id,
        vendor_name=invoice.vendor_name,
        po_number=invoice.po_number,
        invoice_number=invoice.invoice_number,
        invoice_date=invoice.invoice_date,
        due_date=invoice.due_date,
        currency=invoice.currency,
        lines=tuple(_payload_line(line, po_lines[normalise_part_number(line.part_number)]) for line in invoice.lines),
        charges=invoice.charges,
        subtotal=invoice.subtotal,
        tax_amount=invoice.tax_amount,
        total=invoice.total,
        rule_set_version=rule_set_version,
        judged_at=judged_at,
    )


def _payload_line(line: InvoiceLine, po_line: POLine) -> RpaPayloadLine:
    return RpaPayloadLine(
        invoice_line_no=line.line_no,
        po_line_no=po_line.line_no,
        erp_item_id=po_line.erp_item_id,
        part_number=line.part_number,
        description=line.description,
        quantity=line.quantity,
        uom=line.uom,
        unit_price=line.unit_price,
        amount=line.line_total,
        tax_amount=line.tax_amount,
    )


def make_finding(severity: Severity | str = Severity.SOFT, **overrides: Any) -> Finding:
    """A unit-price mismatch on line 1 (soft) or an unknown PO (hard)."""
    severity = Severity(severity)
    fields: dict[str, Any] = (
        {
            "rule_id": "price.unit_price",
            "message": "Line 1 is invoiced at 12.60 but the PO price is 12.50.",
            "invoice_line_no": 1,
            "po_line_no": 1,
            "expected": "12.50",
            "actual": "12.60",
        }
        if severity is Severity.SOFT
        else {"rule_id": "po.exists", "message": "PO PO-1001 does not exist in the ERP.", "actual": "PO-1001"}
    )
    fields.update(overrides)
    return Finding(severity=severity, **fields)


_DEFAULT_FINDINGS = {
    EntryStatus.READY_TO_PROCESS: (),
    EntryStatus.MANUAL_REVIEW: (Severity.SOFT,),
    EntryStatus.BAD_INVOICE: (Severity.HARD,),
}


def make_verdict(
    status: EntryStatus | str = EntryStatus.READY_TO_PROCESS,
    findings: tuple[Finding, ...] | None = None,
    *,
    rule_set_version: str = RULE_SET_VERSION,
) -> Verdict:
    """A verdict of `status` (one of the initial statuses) with one fitting finding unless `findings` is given."""
    status = EntryStatus(status)
    if findings is None:
        findings = tuple(make_finding(severity) for severity in _DEFAULT_FINDINGS.get(status, ()))
    return Verdict(status=status, findings=findings, rule_set_version=rule_set_version)
