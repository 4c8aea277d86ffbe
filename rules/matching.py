"""Invoice line ↔ PO line matching, done once per invoice for every line rule.

- Lines match by normalised part number (case, spaces and dashes ignored).
- Quantities are compared in the PO line's unit: an invoice in BOX against a PO in EA needs a
  configured conversion (1 BOX = 12 EA); without one the line is reported, not guessed.
- Several invoice lines against one PO line add up; a part on several PO lines is allocated
  to them in line order by what is still open on each, the rest to the last one (where the
  over-billing rule then sees it).
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple, Protocol

from domain import Invoice, InvoiceLine, POLine, PurchaseOrder, normalise_part_number
from domain.money import ZERO

ONE = Decimal("1")


class Allocation(NamedTuple):  # a tuple: built ten times per invoice, it has to be cheap
    """Part of an invoice line billed against one PO line."""

    invoice_line_no: int
    po_line: POLine
    # PO units per invoice unit (1 when both use the same unit)
    factor: Decimal
    qty_in_po_uom: Decimal

    @property
    def qty_in_invoice_uom(self) -> Decimal:
        return self.qty_in_po_uom / self.factor


@dataclass(frozen=True)
class UnknownConversion:
    invoice_line_no: int
    po_line_no: int
    invoice_uom: str
    po_uom: str


@dataclass(frozen=True)
class LineMatching:
    allocations: tuple[Allocation, ...] = ()
    # invoice lines whose part is on no PO line
    unmatched: tuple[InvoiceLine, ...] = ()
    unknown_conversions: tuple[UnknownConversion, ...] = ()
    # (PO line, total billed on it by this invoice in the PO line's unit, first invoice line billing it),
    # in the order the invoice first bills them
    billed_po_lines: tuple[tuple[POLine, Decimal, int], ...] = ()


class UomConversionLike(Protocol):
    """What matching reads of a configured conversion (rules.config.UomConversion)."""

    @property
    def from_uom(self) -> str: ...
    @property
    def to_uom(self) -> str: ...
    @property
    def factor(self) -> Decimal: ...
    @property
    def part_number(self) -> str | None: ...


def conversion_factor(
    part_number: str, invoice_uom: str, po_uom: str, conversions: Sequence[UomConversionLike]
) -> Decimal | None:
    """PO units per invoice unit, or None when no configured conversion links the two units."""
    if invoice_uom == po_uom:
        return ONE
    candidates = sorted(conversions, key=lambda c: c.part_number is None)  # part-specific ones first
    for conversion in candidates:
        if conversion.part_number is not None and normalise_part_number(conversion.part_number) != part_number:
            continue
        if (conversion.from_uom.upper(), conversion.to_uom.upper()) == (invoice_uom, po_uom):
            return conversion.factor
        if (conversion.from_uom.upper(), conversion.to_uom.upper()) == (po_uom, invoice_uom):
            return 1 / conversion.factor
    return None


def match_lines(
    invoice: Invoice,
    po: PurchaseOrder | None,
    in_flight_qty: Mapping[int, Decimal],
    conversions: Sequence[UomConversionLike],
) -> LineMatching:
    if po is None:
        return LineMatching()
    po_lines_by_part: dict[str, list[POLine]] = defaultdict(list)
    for po_line in po.lines:
        po_lines_by_part[po_line.normalised_part_number].append(po_line)

    billed: dict[int, Decimal] = {}
    first_billed_by: dict[int, tuple[POLine, int]] = {}
    allocations: list[Allocation] = []
    unmatched: list[InvoiceLine] = []
    unknown: list[UnknownConversion] = []
    for line in invoice.lines:
        candidates = po_lines_by_part.get(line.normalised_part_number)
        if not candidates:
            unmatched.append(line)
            continue
        factor = (
            ONE
            if line.uom == candidates[0].uom
            else conversion_factor(line.normalised_part_number, line.uom, candidates[0].uom, conversions)
        )
        if factor is None:
            unknown.append(UnknownConversion(line.line_no, candidates[0].line_no, line.uom, candidates[0].uom))
            continue
        quantity = line.quantity if factor is ONE else line.quantity * factor
        shares = (
            [(candidates[0], quantity)]
            if len(candidates) == 1
            else _allocate(quantity, candidates, billed, in_flight_qty)
        )
        for po_line, qty in shares:
            billed[po_line.line_no] = billed.get(po_line.line_no, ZERO) + qty
            first_billed_by.setdefault(po_line.line_no, (po_line, line.line_no))
            allocations.append(Allocation(line.line_no, po_line, factor, qty))
    billed_po_lines = tuple((po_line, billed[n], first) for n, (po_line, first) in first_billed_by.items())
    return LineMatching(tuple(allocations), tuple(unmatched), tuple(unknown), billed_po_lines)


def _allocate(
    quantity: Decimal,
    candidates: list[POLine],
    billed: Mapping[int, Decimal],
    in_flight_qty: Mapping[int, Decimal],
) -> list[tuple[POLine, Decimal]]:
    # Credit notes (negative) and single-line parts need no split.
    if len(candidates) == 1 or quantity <= 0:
        return [(candidates[0], quantity)]
    shares: list[tuple[POLine, Decimal]] = []
    remaining = quantity
    for po_line in candidates[:-1]:
        still_open = po_line.open_qty - in_flight_qty.get(po_line.line_no, ZERO) - billed.get(po_line.line_no, ZERO)
        share = min(remaining, max(still_open, ZERO))
        if share > 0:
            shares.append((po_line, share))
            remaining -= share
        if remaining == 0:
            return shares
    shares.append((candidates[-1], remaining))
    return shares
