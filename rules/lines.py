"""Line by line against the PO: part, unit of measure, unit price, quantities, line arithmetic."""

from collections.abc import Iterator
from decimal import Decimal

from domain import POLine, Severity
from domain.money import ZERO, money_text, round_to_cents
from rules.config import PriceTolerance
from rules.context import InvoiceContext
from rules.registry import Breach, rule


def _qty(value: Decimal) -> str:
    """A quantity as a clerk writes it: 10, 2.5 (the ERP's 10.0000 is noise)."""
    return format(value.normalize(), "f")


@rule("line.negative_on_invoice", Severity.SOFT, "A line of an invoice takes something back")
def negative_line_on_invoice(ctx: InvoiceContext) -> Iterator[Breach]:
    """A return netted into a bill would lower what the ERP holds as invoiced behind AP's back."""
    if ctx.invoice.is_credit_note:
        return  # a credit note takes back on every line: credit_note.review has AP match it
    for line in ctx.invoice.lines:
        if line.quantity < 0 or line.line_total < 0:
            yield Breach(
                f"Line {line.line_no} ({line.part_number}) takes back {_qty(-line.quantity)} {line.uom} "
                f"({money_text(line.line_total)} {ctx.invoice.currency}) on an invoice that bills: a return netted "
                "into a bill lowers what the ERP holds as invoiced, so AP books it as a credit note.",
                invoice_line_no=line.line_no,
                expected="a quantity and an amount above zero",
                actual=f"{_qty(line.quantity)} {line.uom}, {money_text(line.line_total)}",
            )


@rule("line.part_not_on_po", Severity.HARD, "A part on the invoice is not on the PO")
def part_not_on_po(ctx: InvoiceContext) -> Iterator[Breach]:
    for line in ctx.matching.unmatched:
        yield Breach(
            f"Line {line.line_no}: part {line.part_number} is not on PO {ctx.invoice.po_number}.",
            invoice_line_no=line.line_no,
            expected="a part number on the PO",
            actual=line.part_number,
        )


@rule("uom.unknown_conversion", Severity.SOFT, "The invoice unit differs from the PO unit with no known conversion")
def unknown_conversion(ctx: InvoiceContext) -> Iterator[Breach]:
    for unknown in ctx.matching.unknown_conversions:
        yield Breach(
            f"Line {unknown.invoice_line_no} is billed in {unknown.invoice_uom} but PO line {unknown.po_line_no} "
            f"orders in {unknown.po_uom}, and no conversion between them is configured.",
            invoice_line_no=unknown.invoice_line_no,
            po_line_no=unknown.po_line_no,
            expected=unknown.po_uom,
            actual=unknown.invoice_uom,
        )


def price_within_tolerance(actual: Decimal, expected: Decimal, tolerance: PriceTolerance) -> bool:
    variance = actual - expected
    if variance == 0:
        return True
    absolute_limit, percent_limit = (
        (tolerance.upper_absolute, tolerance.upper_percent)
        if variance > 0
        else (tolerance.lower_absolute, tolerance.lower_percent)
    )
    if absolute_limit is not None and abs(variance) > absolute_limit:
        return False
    return percent_limit is None or (expected != 0 and abs(variance) * 100 <= percent_limit * expected)


@rule("price.unit_mismatch", Severity.SOFT, "The unit price differs from the PO price")
def unit_price_mismatch(ctx: InvoiceContext) -> Iterator[Breach]:
    if not ctx.same_currency_as_po:
        return  # prices in another currency cannot be compared; currency.mismatch says so
    lines = {line.line_no: line for line in ctx.invoice.lines}
    seen: set[tuple[int, int]] = set()
    for allocation in ctx.matching.allocations:
        line, po_line = lines[allocation.invoice_line_no], allocation.po_line
        if (line.line_no, po_line.line_no) in seen:
            continue
        seen.add((line.line_no, po_line.line_no))
        expected = po_line.unit_price * allocation.factor
        if line.unit_price != expected and not price_within_tolerance(
            line.unit_price, expected, ctx.config.price_tolerance
        ):
            per = f" per {line.uom}" if allocation.factor != 1 else ""
            yield Breach(
                f"Line {line.line_no} ({line.part_number}): unit price {money_text(line.unit_price)} {ctx.invoice.currency}{per} "
                f"differs from the PO price {money_text(expected)} (PO line {po_line.line_no}).",
                invoice_line_no=line.line_no,
                po_line_no=po_line.line_no,
                expected=money_text(expected),
                actual=money_text(line.unit_price),
            )


def _billed_po_lines(ctx: InvoiceContext) -> Iterator[tuple[POLine, Decimal, Decimal, int]]:
    """(PO line, billed by this invoice, already invoiced or in flight, first invoice line) per PO line billed."""
    in_flight = ctx.in_flight_qty
    for po_line, billed, first_invoice_line in ctx.matching.billed_po_lines:
        earlier = (
            po_line.invoiced_qty + in_flight[po_line.line_no] if po_line.line_no in in_flight else po_line.invoiced_qty
        )
        yield po_line, billed, earlier, first_invoice_line


@rule("qty.over_open", Severity.SOFT, "More is billed than is still open on the PO line")
def quantity_over_open(ctx: InvoiceContext) -> Iterator[Breach]:
    allowance = ctx.config.quantity.over_billing_allowance_percent
    for po_line, billed, earlier, first_invoice_line in _billed_po_lines(ctx):
        limit = po_line.ordered_qty * (100 + allowance) / 100 if allowance else po_line.ordered_qty
        if earlier + billed > limit:
            still_open = max(limit - earlier, ZERO)
            yield Breach(
                f"PO line {po_line.line_no} ({po_line.part_number}): this invoice bills {_qty(billed)} {po_line.uom} "
                f"but only {_qty(still_open)} are still open (ordered {_qty(po_line.ordered_qty)}, "
                f"already invoiced or queued {_qty(earlier)}).",
                invoice_line_no=first_invoice_line,
                po_line_no=po_line.line_no,
                expected=_qty(still_open),
                actual=_qty(billed),
            )


@rule("qty.over_received", Severity.SOFT, "More is billed than was received (three-way match)")
def quantity_over_received(ctx: InvoiceContext) -> Iterator[Breach]:
    if not ctx.config.quantity.check_received:
        return
    for po_line, billed, earlier, first_invoice_line in _billed_po_lines(ctx):
        if po_line.received_qty is None:
            continue  # receipts are not tracked for this line: two-way match only
        if earlier + billed > po_line.received_qty:
            receivable = max(po_line.received_qty - earlier, ZERO)
            yield Breach(
                f"PO line {po_line.line_no} ({po_line.part_number}): this invoice bills {_qty(billed)} {po_line.uom} "
                f"but only {_qty(receivable)} have been received and not yet invoiced "
                f"(received {_qty(po_line.received_qty)}, already invoiced or queued {_qty(earlier)}).",
                invoice_line_no=first_invoice_line,
                po_line_no=po_line.line_no,
                expected=_qty(receivable),
                actual=_qty(billed),
            )


@rule("line.total_mismatch", Severity.SOFT, "Quantity × unit price differs from the line total")
def line_total_mismatch(ctx: InvoiceContext) -> Iterator[Breach]:
    tolerance = ctx.config.rounding_tolerance
    for line in ctx.invoice.lines:
        exact = line.quantity * line.unit_price
        if line.line_total == exact:
            continue
        rounded = round_to_cents(exact)
        if line.line_total == rounded or abs(line.line_total - exact) <= tolerance:
            continue
        yield Breach(
            f"Line {line.line_no} ({line.part_number}): {_qty(line.quantity)} × {line.unit_price} = {rounded}, "
            f"but the line total is {line.line_total}.",
            invoice_line_no=line.line_no,
            expected=rounded,
            actual=line.line_total,
        )
