"""What one demo invoice says, and the exact extraction a perfect engine would return for it (its truth).

A `DemoInvoice` holds the printed amounts themselves, not only the inputs they come from, so that an
invoice built from the demo marketplace can carry its planted error (a line total or a total off by a
few cents) onto paper. `priced` builds a correct one from lines alone.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from domain.documents import HEADER_FIELDS, LINE_FIELDS
from domain.money import ZERO
from domain.money import round_to_cents as cents

Truth = dict[str, Any]


@dataclass(frozen=True, slots=True)
class DemoLine:
    description: str
    part_number: str | None
    quantity: Decimal  # printed with its own decimals: Decimal("2.5") prints as 2.5, 2,5...
    unit: str
    unit_price: Decimal
    line_total: Decimal
    tax_rate: Decimal  # percent


@dataclass(frozen=True, slots=True)
class Charge:
    """A charge printed among the totals (freight, handling): in the total, not in the subtotal."""

    description: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Party:
    name: str
    address: tuple[str, ...]
    country: str  # ISO 3166 alpha-2
    vat_id: str | None = None


@dataclass(frozen=True, slots=True)
class DemoInvoice:
    number: str
    issue_date: date
    due_date: date | None
    currency: str
    seller: Party
    buyer: Party
    po_number: str | None
    lines: tuple[DemoLine, ...]
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal
    charges: tuple[Charge, ...] = ()
    iban: str | None = None
    note: str | None = field(default=None)

    def tax_breakdown(self) -> list[tuple[Decimal, Decimal, Decimal]]:
        """(rate, taxable base, tax) per rate, highest rate first, each tax rounded once on its base."""
        bases: dict[Decimal, Decimal] = {}
        for line in self.lines:
            bases[line.tax_rate] = bases.get(line.tax_rate, ZERO) + line.line_total
        return [(rate, base, tax_on(base, rate)) for rate, base in sorted(bases.items(), reverse=True)]


def tax_on(base: Decimal, rate: Decimal) -> Decimal:
    return cents(base * rate / 100)


def line(
    description: str, part_number: str | None, quantity: Decimal, unit: str, unit_price: Decimal, tax_rate: Decimal
) -> DemoLine:
    """A line whose total is quantity × price rounded half-up to the cent."""
    return DemoLine(description, part_number, quantity, unit, unit_price, cents(quantity * unit_price), tax_rate)


def priced(
    *,
    number: str,
    issue_date: date,
    due_date: date | None,
    currency: str,
    seller: Party,
    buyer: Party,
    po_number: str | None,
    lines: Sequence[DemoLine],
    charges: Sequence[Charge] = (),
    iban: str | None = None,
) -> DemoInvoice:
    """An invoice whose sums are right: tax rounded once per rate, as EN 16931 computes it."""
    draft = DemoInvoice(
        number, issue_date, due_date, currency, seller, buyer, po_number, tuple(lines), ZERO, ZERO, ZERO
    )
    subtotal = sum((line.line_total for line in lines), ZERO)
    tax = sum((tax for _, _, tax in draft.tax_breakdown()), ZERO)
    extra = sum((charge.amount for charge in charges), ZERO)
    return DemoInvoice(
        number,
        issue_date,
        due_date,
        currency,
        seller,
        buyer,
        po_number,
        tuple(lines),
        subtotal,
        tax,
        subtotal + tax + extra,
        tuple(charges),
        iban,
    )


def truth_of(invoice: DemoInvoice) -> Truth:
    """The extraction a perfect engine returns, in the `make extract` shape: ISO dates, exact decimal strings."""
    return {
        "invoice_number": invoice.number,
        "issue_date": invoice.issue_date.isoformat(),
        "due_date": invoice.due_date.isoformat() if invoice.due_date else None,
        "currency": invoice.currency,
        "seller": {"name": invoice.seller.name, "vat_id": invoice.seller.vat_id},
        "buyer": {"name": invoice.buyer.name},
        "po_number": invoice.po_number,
        "subtotal": plain(invoice.subtotal),
        "tax_total": plain(invoice.tax_total),
        "total": plain(invoice.total),
        "lines": [
            {
                "description": line.description,
                "part_number": line.part_number,
                "quantity": plain(line.quantity),
                "unit": line.unit,
                "unit_price": plain(line.unit_price),
                "line_total": plain(line.line_total),
            }
            for line in invoice.lines
        ],
    }


def truth_fields(truth: Truth) -> dict[str, str | None]:
    """The truth's header flattened to the names of `domain.documents.HEADER_FIELDS`."""
    flat = {
        "seller_name": truth["seller"]["name"],
        "seller_vat_id": truth["seller"]["vat_id"],
        "buyer_name": truth["buyer"]["name"],
    }
    return {name: flat[name] if name in flat else truth[name] for name in HEADER_FIELDS}


def truth_lines(truth: Truth) -> list[dict[str, str | None]]:
    """The truth's lines keyed by `domain.documents.LINE_FIELDS`."""
    return [{name: line[name] for name in LINE_FIELDS} for line in truth["lines"]]


def plain(amount: Decimal) -> str:
    """An exact decimal string with the decimals the amount carries, never in exponent form."""
    return format(amount, "f")
