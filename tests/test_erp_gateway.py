"""The ERP gateway against real databases: SQLite, PostgreSQL, MariaDB through pyodbc."""

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from connectors.db import count_statements
from connectors.erp import ErpGateway, ErpQueryError, ErpSnapshot, load_queries
from connectors.erp.demo_schema import ap_invoice, metadata, po_header, po_line, vendor
from connectors.erp.gateway import po_number_spellings
from demo.factories import make_purchase_order
from domain import EnteredInvoice, POLine, POStatus, PurchaseOrder, Vendor

TODAY = date(2026, 11, 20)


def _po_lines(po_number: str, count: int) -> list[dict[str, object]]:
    return [
        {
            "po_number": po_number,
            "po_line_no": n,
            "item_id": f"ITM-{n:04d}",
            "part_number": f"HX-{n:03d}",
            "description": f"part {n}",
            "uom": "EA",
            "qty_ordered": Decimal("10"),
            "qty_received": Decimal("4.5") if n % 2 else None,
            "qty_invoiced": Decimal("2"),
            "unit_cost": Decimal("12.3456"),
        }
        for n in range(1, count + 1)
    ]


@pytest.fixture
def erp_engine(db_engine: sa.Engine) -> sa.Engine:
    metadata.create_all(db_engine)
    with db_engine.begin() as conn:
        conn.execute(
            vendor.insert(),
            [
                {"vendor_id": "V1", "vendor_name": "Acme Fasteners", "currency_code": "USD", "is_active": "Y"},
                {"vendor_id": "V2", "vendor_name": "Bolt & Co", "currency_code": "EUR", "is_active": "N"},
            ],
        )
        conn.execute(
            po_header.insert(),
            [
                {
                    "po_number": "PO-1",
                    "vendor_id": "V1",
                    "currency_code": "USD",
                    "po_status": "O",
                    "po_date": date(2026, 10, 1),
                },
                {
                    "po_number": "PO-2",
                    "vendor_id": "V2",
                    "currency_code": "EUR",
                    "po_status": "C",
                    "po_date": date(2026, 9, 1),
                },
                {
                    "po_number": "PO-3",
                    "vendor_id": "V1",
                    "currency_code": "USD",
                    "po_status": "X",
                    "po_date": date(2026, 9, 2),
                },
            ],
        )
        conn.execute(po_line.insert(), _po_lines("PO-1", 3) + _po_lines("PO-2", 1))
        conn.execute(
            ap_invoice.insert(),
            [
                {
                    "ap_doc_id": "AP-1",
                    "vendor_id": "V1",
                    "vendor_invoice_no": "INV-0007",
                    "invoice_date": date(2026, 10, 5),
                    "po_number": "PO-1",
                    "currency_code": "USD",
                    "invoice_total": Decimal("24.69"),
                    "entered_at": datetime(2026, 10, 6, 9),
                },
                {
                    "ap_doc_id": "AP-OLD",
                    "vendor_id": "V1",
                    "vendor_invoice_no": "INV-0001",
                    "invoice_date": date(2020, 1, 5),
                    "po_number": None,
                    "currency_code": "USD",
                    "invoice_total": Decimal("1.00"),
                    "entered_at": datetime(2020, 1, 6, 9),
                },
            ],
        )
    return db_engine


def test_snapshot_maps_the_erp_onto_the_domain(erp_engine: sa.Engine) -> None:
    gateway = ErpGateway(erp_engine)

    snapshot = gateway.fetch_snapshot(["PO-1", "PO-2", "PO-3", "PO-MISSING"], ["V1", "V9"], today=TODAY)

    assert snapshot.purchase_orders["PO-1"] == PurchaseOrder(
        po_number="PO-1",
        vendor_id="V1",
        currency="USD",
        status=POStatus.OPEN,
        po_date=date(2026, 10, 1),
        lines=tuple(
            POLine(
                line_no=n,
                part_number=f"HX-{n:03d}",
                erp_item_id=f"ITM-{n:04d}",
                description=f"part {n}",
                uom="EA",
                ordered_qty=Decimal("10"),
                received_qty=Decimal("4.5") if n % 2 else None,
                invoiced_qty=Decimal("2"),
                unit_price=Decimal("12.3456"),
            )
            for n in (1, 2, 3)
        ),
    )
    assert snapshot.purchase_orders["PO-2"].status is POStatus.CLOSED
    assert snapshot.purchase_orders["PO-3"].status is POStatus.CANCELLED
    assert snapshot.purchase_orders["PO-3"].lines == ()
    assert "PO-MISSING" not in snapshot.purchase_orders
    # the PO vendor V2 comes along although only V1 and V9 invoiced
    assert snapshot.vendors == {
        "V1": Vendor(vendor_id="V1", name="Acme Fasteners", currency="USD", active=True),
        "V2": Vendor(vendor_id="V2", name="Bolt & Co", currency="EUR", active=False),
    }
    # AP-OLD is older than the duplicate lookback
    assert snapshot.entered_invoices == {
        "V1": (
            EnteredInvoice(
                erp_document_id="AP-1",
                vendor_id="V1",
                invoice_number="INV-0007",
                invoice_date=date(2026, 10, 5),
                po_number="PO-1",
                currency="USD",
                total=Decimal("24.69"),
            ),
        )
    }
    assert snapshot.unreadable == {}
    unit_price = snapshot.purchase_orders["PO-1"].lines[0].unit_price
    assert isinstance(unit_price, Decimal) and unit_price == Decimal("12.3456")


def test_a_snapshot_costs_four_round_trips_per_chunk_of_keys(erp_engine: sa.Engine) -> None:
    po_numbers = [f"PO-{n}" for n in range(1, 1001)]

    with count_statements(erp_engine) as one_chunk:
        ErpGateway(erp_engine).fetch_snapshot(po_numbers, ["V1"], today=TODAY)
    with count_statements(erp_engine) as three_chunks:
        ErpGateway(erp_engine, in_list_size=400).fetch_snapshot(po_numbers, ["V1"], today=TODAY)

    assert one_chunk.statements == 4
    # 1000 POs in chunks of 400: three header and three line queries; two vendors fit one chunk
    assert three_chunks.statements == 3 + 3 + 1 + 1


def test_an_unreadable_erp_row_is_reported_and_the_rest_is_read(erp_engine: sa.Engine) -> None:
    with erp_engine.begin() as conn:
        conn.execute(sa.update(po_line).where(po_line.c.po_number == "PO-2").values(qty_ordered=Decimal("-5")))

    snapshot = ErpGateway(erp_engine).fetch_snapshot(["PO-1", "PO-2"], ["V1"], today=TODAY)

    assert set(snapshot.purchase_orders) == {"PO-1"}
    assert snapshot.unreadable.keys() == {"po:PO-2"}
    assert snapshot.unreadable["po:PO-2"] == (
        "ERP purchase order PO-2 is unreadable: line 1 ordered_qty: Input should be greater than or equal to 0"
    )


def test_an_edited_query_file_replaces_the_shipped_one(erp_engine: sa.Engine, tmp_path: Path) -> None:
    # The customer's ERP keeps vendor names elsewhere: IT edits a copy of vendors.sql.
    (tmp_path / "vendors.sql").write_text(
        "SELECT v.vendor_id AS vendor_id, UPPER(v.vendor_name) AS name, v.currency_code AS currency, 1 AS active\n"
        "FROM vendor v WHERE v.vendor_id IN :vendor_ids\n"
    )
    gateway = ErpGateway(erp_engine, load_queries(tmp_path))

    vendors, _ = gateway.fetch_vendors(["V2"])

    assert vendors["V2"].name == "BOLT & CO"
    assert vendors["V2"].active is True


def test_a_query_breaking_the_column_contract_is_named(erp_engine: sa.Engine, tmp_path: Path) -> None:
    (tmp_path / "vendors.sql").write_text(
        "SELECT v.vendor_id AS vendor_id FROM vendor v WHERE v.vendor_id IN :vendor_ids"
    )
    gateway = ErpGateway(erp_engine, load_queries(tmp_path))

    with pytest.raises(ErpQueryError, match=r"vendors\.sql returned no column\(s\) name, currency, active"):
        gateway.fetch_vendors(["V1"])


def test_a_query_file_without_its_parameter_is_refused(tmp_path: Path) -> None:
    (tmp_path / "entered_invoices.sql").write_text("SELECT * FROM ap_invoice WHERE vendor_id IN :vendor_ids")

    with pytest.raises(ErpQueryError, match=r"entered_invoices\.sql must use the parameter :since"):
        load_queries(tmp_path)


def test_a_po_number_resolves_to_the_erps_spelling_unless_two_pos_differ_only_in_case() -> None:
    one = ErpSnapshot(purchase_orders={"PO-7": make_purchase_order(po_number="PO-7")}, vendors={}, entered_invoices={})
    assert [one.po_number_as_in_erp(written) for written in ("PO-7", " po-7 ", "Po-7", "PO-8")] == [
        "PO-7", "PO-7", "PO-7", "PO-8",
    ]  # fmt: skip
    unreadable = ErpSnapshot(purchase_orders={}, vendors={}, entered_invoices={}, unreadable={"po:PO-9": "no lines"})
    assert unreadable.po_number_as_in_erp("po-9") == "PO-9"
    two = ErpSnapshot(
        purchase_orders={n: make_purchase_order(po_number=n) for n in ("PO-7", "po-7")}, vendors={}, entered_invoices={}
    )
    assert two.po_number_as_in_erp("Po-7") == "Po-7"  # which one is meant is not for us to guess
    assert po_number_spellings([" po-7 "]) == {" po-7 ", "po-7", "PO-7"}
