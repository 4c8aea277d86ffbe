"""Property tests: an invoice built consistently from its PO is always ready; any one
perturbation is caught by exactly the rule meant to catch it, and by nothing else."""

from collections.abc import Callable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from domain import EntryStatus, Invoice, InvoiceLine, POLine, POStatus, PurchaseOrder, Vendor
from rules.context import InvoiceContext
from rules.engine import RuleEngine
from tests.rule_contexts import BASE_CONFIG, TODAY

ENGINE = RuleEngine(BASE_CONFIG)
CENT = Decimal("0.01")
TAX_RATES = [Decimal("0"), Decimal("5"), Decimal("7.25"), Decimal("8.875"), Decimal("20")]


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@st.composite
def purchase_orders(draw: st.DrawFn) -> PurchaseOrder:
    count = draw(st.integers(1, 10))
    lines = []
    for n in range(1, count + 1):
        ordered = Decimal(draw(st.integers(1, 1000)))
        lines.append(
            POLine(
                line_no=n,
                part_number=f"HX-{n:03d}-{draw(st.sampled_from('ABC'))}",
                erp_item_id=f"ITM{n:05d}",
                uom="EA",
                ordered_qty=ordered,
                invoiced_qty=Decimal(draw(st.integers(0, int(ordered) - 1))),
                # prices with 2 to 4 decimals, at least 0.02 so a cent less is still a price
                unit_price=Decimal(draw(st.integers(200, 500_000))).scaleb(-draw(st.sampled_from([2, 3, 4]))),
            )
        )
    po_date = TODAY - timedelta(days=draw(st.integers(1, 300)))
    return PurchaseOrder(
        po_number="PO-77", vendor_id="V1", currency="USD", status=POStatus.OPEN, po_date=po_date, lines=tuple(lines)
    )


def invoice_line(
    line_no: int, part_number: str, quantity: Decimal, unit_price: Decimal, tax_rate: Decimal
) -> InvoiceLine:
    line_total = cents(quantity * unit_price)
    return InvoiceLine(
        line_no=line_no,
        part_number=part_number,
        quantity=quantity,
        unit_price=unit_price,
        line_total=line_total,
        tax_rate=tax_rate,
        tax_amount=cents(line_total * tax_rate / 100),
    )


def invoice_from(lines: list[InvoiceLine], invoice_date: date, **header: object) -> Invoice:
    subtotal = sum((line.line_total for line in lines), Decimal(0))
    tax = Decimal(0)
    for line in lines:
        assert line.tax_amount is not None  # invoice_line() states every line's tax
        tax += line.tax_amount
    fields = {
        "source": "mp",
        "source_invoice_id": "1",
        "vendor_id": "V1",
        "invoice_number": "INV-1",
        "invoice_date": invoice_date,
        "currency": "USD",
        "po_number": "PO-77",
        "lines": tuple(lines),
        "subtotal": subtotal,
        "tax_amount": tax,
        "total": subtotal + tax,
    }
    return Invoice(**(fields | header))


@st.composite
def consistent_cases(draw: st.DrawFn) -> tuple[PurchaseOrder, list[InvoiceLine], date]:
    po = draw(purchase_orders())
    billed = draw(
        st.lists(st.sampled_from(po.lines), min_size=1, max_size=len(po.lines), unique_by=lambda line: line.line_no)
    )
    rate = draw(st.sampled_from(TAX_RATES))
    # each billed line takes exactly what is still open, so one unit more is over-billing
    lines = [
        invoice_line(n, po_line.part_number, po_line.open_qty, po_line.unit_price, rate)
        for n, po_line in enumerate(billed, 1)
    ]
    invoice_date = po.po_date + timedelta(days=draw(st.integers(0, (TODAY - po.po_date).days)))
    return po, lines, invoice_date


def judge(po: PurchaseOrder, invoice: Invoice) -> tuple[EntryStatus, set[str]]:
    vendors = {"V1": Vendor(vendor_id="V1", name="Acme"), "V2": Vendor(vendor_id="V2", name="Other Co")}
    ctx = InvoiceContext(invoice=invoice, config=BASE_CONFIG, today=TODAY, po=po, vendor=vendors.get(invoice.vendor_id))
    verdict = ENGINE.judge(ctx).verdict
    return verdict.status, {f.rule_id for f in verdict.findings}


@settings(max_examples=200, deadline=None)
@given(consistent_cases())
def test_an_invoice_consistent_with_its_po_is_ready(case: tuple[PurchaseOrder, list[InvoiceLine], date]) -> None:
    po, lines, invoice_date = case
    assert judge(po, invoice_from(lines, invoice_date)) == (EntryStatus.READY_TO_PROCESS, set())


def _perturb_line(lines: list[InvoiceLine], index: int, **changes: Any) -> list[InvoiceLine]:
    line = lines[index]
    fields: dict[str, Any] = {
        "part_number": line.part_number,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "tax_rate": line.tax_rate,
    } | changes
    return [*lines[:index], invoice_line(line.line_no, **fields), *lines[index + 1 :]]


@settings(max_examples=300, deadline=None)
@given(consistent_cases(), st.data())
def test_a_single_perturbation_is_caught_by_its_rule_and_nothing_else(
    case: tuple[PurchaseOrder, list[InvoiceLine], date], data: st.DataObject
) -> None:
    po, lines, invoice_date = case
    index = data.draw(st.integers(0, len(lines) - 1))
    line = lines[index]
    perturbation = data.draw(
        st.sampled_from(
            [
                "price_up",
                "price_down",
                "quantity_plus_one",
                "unknown_part",
                "other_vendor",
                "other_currency",
                "total_off",
            ]
        )
    )
    perturbed: dict[str, Callable[[], tuple[Invoice, str]]] = {
        "price_up": lambda: (
            invoice_from(_perturb_line(lines, index, unit_price=line.unit_price + CENT), invoice_date),
            "price.unit_mismatch",
        ),
        "price_down": lambda: (
            invoice_from(_perturb_line(lines, index, unit_price=line.unit_price - CENT), invoice_date),
            "price.unit_mismatch",
        ),
        "quantity_plus_one": lambda: (
            invoice_from(_perturb_line(lines, index, quantity=line.quantity + 1), invoice_date),
            "qty.over_open",
        ),
        "unknown_part": lambda: (
            invoice_from(_perturb_line(lines, index, part_number="ZZ-NOT-ON-PO"), invoice_date),
            "line.part_not_on_po",
        ),
        "other_vendor": lambda: (invoice_from(lines, invoice_date, vendor_id="V2"), "vendor.mismatch"),
        "other_currency": lambda: (invoice_from(lines, invoice_date, currency="EUR"), "currency.mismatch"),
        "total_off": lambda: (
            invoice_from(lines, invoice_date).model_copy(
                update={"total": invoice_from(lines, invoice_date).total + CENT}
            ),
            "amount.total_mismatch",
        ),
    }
    invoice, expected = perturbed[perturbation]()

    status, fired = judge(po, invoice)

    assert fired == {expected}
    assert status is (
        EntryStatus.BAD_INVOICE
        if expected in {"line.part_not_on_po", "vendor.mismatch", "currency.mismatch"}
        else EntryStatus.MANUAL_REVIEW
    )


def test_money_is_exact_no_float_on_the_path() -> None:
    po = PurchaseOrder(
        po_number="PO-77",
        vendor_id="V1",
        currency="USD",
        status=POStatus.OPEN,
        po_date=TODAY - timedelta(days=5),
        lines=(
            POLine(line_no=1, part_number="A", erp_item_id="I1", ordered_qty=Decimal("3"), unit_price=Decimal("0.1")),
            POLine(line_no=2, part_number="B", erp_item_id="I2", ordered_qty=Decimal("1"), unit_price=Decimal("0.2")),
        ),
    )
    # 3 × 0.1 + 0.2 = 0.5 exactly; in binary floats 0.1 + 0.2 is 0.30000000000000004
    lines = [
        InvoiceLine(
            line_no=1, part_number="A", quantity=Decimal("3"), unit_price=Decimal("0.1"), line_total=Decimal("0.3")
        ),
        InvoiceLine(
            line_no=2, part_number="B", quantity=Decimal("1"), unit_price=Decimal("0.2"), line_total=Decimal("0.2")
        ),
    ]
    invoice = Invoice(
        source="mp",
        source_invoice_id="1",
        vendor_id="V1",
        invoice_number="INV-1",
        invoice_date=TODAY,
        currency="USD",
        po_number="PO-77",
        lines=tuple(lines),
        subtotal=Decimal("0.5"),
        total=Decimal("0.5"),
    )
    ctx = InvoiceContext(
        invoice=invoice, config=BASE_CONFIG, today=TODAY, po=po, vendor=Vendor(vendor_id="V1", name="Acme")
    )

    judged = ENGINE.judge(ctx)

    assert judged.verdict.findings == ()
    assert judged.payload is not None
    amounts = [judged.payload.total, *(line.amount for line in judged.payload.lines)]
    assert all(type(amount) is Decimal for amount in amounts)
    assert sum(amounts[1:], Decimal(0)) == Decimal("0.5")
