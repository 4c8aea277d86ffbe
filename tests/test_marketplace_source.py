"""The marketplace pull against real databases: paging, the cursor, garbled rows."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from connectors.db import count_statements
from connectors.marketplace import MarketplaceCursor, MarketplaceSource, PulledPage
from connectors.marketplace.schema import metadata
from domain import Charge, ChargeKind, FieldError, IntakeError, Invoice, InvoiceLine
from tests.marketplace_rows import T0, add_invoice


@pytest.fixture
def marketplace(db_engine: sa.Engine) -> sa.Engine:
    metadata.create_all(db_engine)
    return db_engine


def pull_all(source: MarketplaceSource, since: MarketplaceCursor | None) -> list[PulledPage]:
    return list(source.pull(since))


def test_an_invoice_is_read_with_exact_amounts(marketplace: sa.Engine) -> None:
    add_invoice(
        marketplace,
        1,
        updated_at=T0,
        subtotal="24.60",
        total_amount="30.10",
        charges=[{"charge_type": "Freight", "amount": "5.50"}, {"charge_type": "fuel levy", "amount": "0"}],
    )

    [page] = pull_all(MarketplaceSource(marketplace, source_name="mp"), None)

    assert page.errors == ()
    assert page.invoices == (
        Invoice(
            source="mp",
            source_invoice_id="1",
            version=1,
            vendor_id="V1",
            vendor_name="Acme Fasteners",
            invoice_number="INV-00001",
            invoice_date=date(2026, 11, 2),
            due_date=date(2026, 12, 2),
            currency="USD",
            po_number="PO-1",
            lines=(
                InvoiceLine(
                    line_no=1,
                    part_number="HX-001",
                    quantity=Decimal("2"),
                    uom="EA",
                    unit_price=Decimal("10.00"),
                    line_total=Decimal("20.00"),
                ),
                InvoiceLine(
                    line_no=2,
                    part_number="HX-002",
                    quantity=Decimal("0.5"),
                    uom="EA",
                    unit_price=Decimal("9.20"),
                    line_total=Decimal("4.60"),
                ),
            ),
            charges=(
                Charge(kind=ChargeKind.FREIGHT, amount=Decimal("5.50")),
                Charge(kind=ChargeKind.OTHER, amount=Decimal("0"), description="fuel levy"),
            ),
            subtotal=Decimal("24.60"),
            tax_amount=Decimal("0"),
            total=Decimal("30.10"),
        ),
    )
    assert page.cursor == MarketplaceCursor(updated_at=T0, invoice_id=1)


def test_pages_cost_three_queries_each_and_cover_every_invoice(marketplace: sa.Engine) -> None:
    for n in range(1, 26):
        add_invoice(marketplace, n, updated_at=T0 + timedelta(seconds=n // 2))  # ties on updated_at too
    source = MarketplaceSource(marketplace, page_size=10)

    with count_statements(marketplace) as count:
        pages = pull_all(source, None)

    assert [len(p.invoices) for p in pages] == [10, 10, 5]
    assert sorted(int(i.source_invoice_id) for p in pages for i in p.invoices) == list(range(1, 26))
    assert count.statements == 3 * 3
    assert pages[-1].cursor == MarketplaceCursor(updated_at=T0 + timedelta(seconds=12), invoice_id=25)


def test_garbled_rows_become_intake_errors_and_the_rest_of_the_page_is_read(marketplace: sa.Engine) -> None:
    add_invoice(marketplace, 1, updated_at=T0)
    add_invoice(marketplace, 2, updated_at=T0, po_number=None)
    add_invoice(
        marketplace,
        3,
        updated_at=T0,
        lines=[
            {"line_no": 1, "part_number": "HX-001", "quantity": "2", "unit_price": "10.00", "line_total": "20.00"},
            {"line_no": 7, "part_number": "HX-002", "quantity": "twelve", "unit_price": "-9.20", "line_total": "4.60"},
        ],
    )
    add_invoice(marketplace, 4, updated_at=T0, currency="US$", total_amount="n/a")
    add_invoice(marketplace, 5, updated_at=T0)

    [page] = pull_all(MarketplaceSource(marketplace, source_name="mp"), None)

    assert [i.source_invoice_id for i in page.invoices] == ["1", "5"]
    assert page.errors == (
        IntakeError(
            source="mp",
            source_invoice_id="2",
            version=1,
            po_number=None,
            vendor_id="V1",
            errors=(FieldError(field="po_number", message="is required"),),
        ),
        IntakeError(
            source="mp",
            source_invoice_id="3",
            version=1,
            po_number="PO-1",
            vendor_id="V1",
            errors=(
                FieldError(field="lines[7].quantity", message="Input should be a valid decimal", value="twelve"),
                FieldError(
                    field="lines[7].unit_price", message="Input should be greater than or equal to 0", value="-9.20"
                ),
            ),
        ),
        IntakeError(
            source="mp",
            source_invoice_id="4",
            version=1,
            po_number="PO-1",
            vendor_id="V1",
            errors=(
                FieldError(
                    field="currency",
                    message="Value error, must be a three-letter ISO 4217 currency code such as USD",
                    value="US$",
                ),
                FieldError(field="total", message="Input should be a valid decimal", value="n/a"),
            ),
        ),
    )
    assert page.errors[1].reason == (
        "lines[7].quantity: Input should be a valid decimal; lines[7].unit_price: Input should be greater than or equal to 0"
    )


def test_a_row_committed_late_with_an_earlier_timestamp_is_still_pulled(marketplace: sa.Engine) -> None:
    source = MarketplaceSource(marketplace, lookback=timedelta(minutes=5))
    add_invoice(marketplace, 2, updated_at=T0 + timedelta(seconds=30))
    [first] = pull_all(source, None)
    # Invoice 1's transaction started before invoice 2's but committed after the first pull.
    add_invoice(marketplace, 1, updated_at=T0 + timedelta(seconds=10))

    [second] = pull_all(source, first.cursor)

    assert {i.source_invoice_id for i in second.invoices} == {"1", "2"}  # 2 again: the store ignores it
    assert second.cursor == first.cursor  # the cursor never moves back


def test_nothing_new_means_no_page_beyond_the_lookback_window(marketplace: sa.Engine) -> None:
    source = MarketplaceSource(marketplace, lookback=timedelta(0))
    add_invoice(marketplace, 1, updated_at=T0)
    [first] = pull_all(source, None)

    again = pull_all(source, first.cursor)

    assert [i.source_invoice_id for p in again for i in p.invoices] == ["1"]  # the cursor row itself (ties are re-read)
    add_invoice(marketplace, 2, updated_at=T0 + timedelta(hours=1))
    later = pull_all(
        MarketplaceSource(marketplace, lookback=timedelta(0)),
        MarketplaceCursor(updated_at=T0 + timedelta(minutes=1), invoice_id=0),
    )
    assert [i.source_invoice_id for p in later for i in p.invoices] == ["2"]


def test_a_corrected_invoice_comes_back_as_its_new_version(marketplace: sa.Engine) -> None:
    source = MarketplaceSource(marketplace)
    add_invoice(marketplace, 1, updated_at=T0, total_amount="99.99")
    [first] = pull_all(source, None)

    add_invoice(marketplace, 1, updated_at=T0 + timedelta(days=1), version=2, total_amount="24.60")
    [second] = pull_all(source, first.cursor)

    assert [(i.version, i.total) for i in second.invoices] == [(2, Decimal("24.60"))]


def test_one_invoice_is_fetched_by_its_id(marketplace: sa.Engine) -> None:
    source = MarketplaceSource(marketplace, source_name="mp")
    add_invoice(marketplace, 7, updated_at=T0)
    add_invoice(marketplace, 8, updated_at=T0, po_number=None)

    found = source.fetch_invoice("7")
    garbled = source.fetch_invoice("8")

    assert isinstance(found, Invoice) and found.key.source_invoice_id == "7" and len(found.lines) == 2
    assert isinstance(garbled, IntakeError) and garbled.errors == (
        FieldError(field="po_number", message="is required"),
    )
    assert source.fetch_invoice("9") is None
    assert source.fetch_invoice("not-a-number") is None
