"""A Sampro-like ERP schema for the demo and the tests.

The real ERP schema belongs to the customer: the gateway never uses these tables directly, only
the editable query files in `queries/`, which map whatever the customer has onto our column
contract. These tables exist so the demo, the tests and the benchmarks have an ERP to talk to,
and they deliberately use ERP-style codes (po_status 'O'/'C'/'X'/'H', is_active 'Y'/'N') that the
query files translate.
"""

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
)

metadata = MetaData()

AMOUNT = Numeric(19, 4)

vendor = Table(
    "vendor",
    metadata,
    Column("vendor_id", String(64), primary_key=True),
    Column("vendor_name", String(200), nullable=False),
    Column("currency_code", String(3), nullable=True),
    Column("is_active", String(1), nullable=False, default="Y"),
)

po_header = Table(
    "po_header",
    metadata,
    Column("po_number", String(64), primary_key=True),
    Column("vendor_id", String(64), ForeignKey("vendor.vendor_id"), nullable=False),
    Column("currency_code", String(3), nullable=False),
    # O = open, C = closed, X = cancelled, H = on hold
    Column("po_status", String(1), nullable=False),
    Column("po_date", Date, nullable=False),
)

po_line = Table(
    "po_line",
    metadata,
    Column("po_number", String(64), ForeignKey("po_header.po_number"), primary_key=True),
    Column("po_line_no", Integer, primary_key=True, autoincrement=False),
    Column("item_id", String(64), nullable=False),
    Column("part_number", String(64), nullable=False),
    Column("description", String(200), nullable=False, default=""),
    Column("uom", String(16), nullable=False),
    Column("qty_ordered", AMOUNT, nullable=False),
    # NULL when goods receipts are not tracked for the line
    Column("qty_received", AMOUNT, nullable=True),
    Column("qty_invoiced", AMOUNT, nullable=False, default=0),
    Column("unit_cost", AMOUNT, nullable=False),
)

ap_invoice = Table(
    "ap_invoice",
    metadata,
    Column("ap_doc_id", String(64), primary_key=True),
    Column("vendor_id", String(64), ForeignKey("vendor.vendor_id"), nullable=False),
    Column("vendor_invoice_no", String(64), nullable=False),
    Column("invoice_date", Date, nullable=False),
    Column("po_number", String(64), nullable=True),
    Column("currency_code", String(3), nullable=False),
    Column("invoice_total", AMOUNT, nullable=False),
    Column("entered_at", DateTime, nullable=False),
    Index("ix_ap_invoice_vendor_date", "vendor_id", "invoice_date"),
)
