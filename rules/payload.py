"""The RPA payload: everything the bot keys into the ERP for one invoice, looked up in advance."""

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from domain import InvoiceLine, RpaPayload, RpaPayloadLine
from domain.money import CENT
from rules.context import InvoiceContext
from rules.matching import Allocation

QUANTITY_QUANTUM = Decimal("0.0001")


def _split(total: Decimal, shares: list[Decimal], whole: Decimal, quantum: Decimal = CENT) -> list[Decimal]:
    """`total` split in proportion to `shares` of `whole`, rounded to `quantum`, the rounding left on the last part."""
    parts = [(total * share / whole).quantize(quantum, rounding=ROUND_HALF_UP) for share in shares[:-1]]
    return [*parts, total - sum(parts, Decimal(0))]


def _payload_lines(line: InvoiceLine, allocations: list[Allocation]) -> list[RpaPayloadLine]:
    taxes: list[Decimal | None]
    if len(allocations) == 1:
        quantities, amounts, taxes = [line.quantity], [line.line_total], [line.tax_amount]
    else:  # one payload line per PO line the invoice line was spread over
        shares = [a.qty_in_invoice_uom for a in allocations]
        quantities = _split(line.quantity, shares, line.quantity, QUANTITY_QUANTUM)
        amounts = _split(line.line_total, shares, line.quantity)
        taxes = [None] * len(shares) if line.tax_amount is None else [*_split(line.tax_amount, shares, line.quantity)]
    return [
        RpaPayloadLine(
            invoice_line_no=line.line_no,
            po_line_no=allocation.po_line.line_no,
            erp_item_id=allocation.po_line.erp_item_id,
            part_number=allocation.po_line.part_number,
            description=line.description or allocation.po_line.description,
            quantity=quantity,
            uom=line.uom,
            unit_price=line.unit_price,
            amount=amount,
            tax_amount=tax,
        )
        for allocation, quantity, amount, tax in zip(allocations, quantities, amounts, taxes, strict=True)
    ]


def build_payload(ctx: InvoiceContext, *, rule_set_version: str, judged_at: datetime) -> RpaPayload | None:
    """The payload, or None when some line has no PO line to be keyed against."""
    matching = ctx.matching
    if ctx.po is None or matching.unmatched or matching.unknown_conversions:
        return None
    by_line: dict[int, list[Allocation]] = {}
    for allocation in matching.allocations:
        by_line.setdefault(allocation.invoice_line_no, []).append(allocation)
    invoice = ctx.invoice
    return RpaPayload(
        source=invoice.source,
        source_invoice_id=invoice.source_invoice_id,
        version=invoice.version,
        vendor_id=invoice.vendor_id,
        vendor_name=ctx.vendor.name if ctx.vendor else invoice.vendor_name,
        po_number=invoice.po_number,
        invoice_number=invoice.invoice_number,
        invoice_date=invoice.invoice_date,
        due_date=invoice.due_date,
        currency=invoice.currency,
        lines=tuple(p for line in invoice.lines for p in _payload_lines(line, by_line[line.line_no])),
        charges=invoice.charges,
        subtotal=invoice.subtotal,
        tax_amount=invoice.tax_amount,
        total=invoice.total,
        rule_set_version=rule_set_version,
        judged_at=judged_at,
    )
