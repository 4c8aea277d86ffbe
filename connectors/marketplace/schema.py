"""The marketplace database as this service reads it (and as the demo data creates it).

The marketplace stores what vendors upload verbatim: amounts and quantities are text columns,
which is why a pull validates every row and records the garbled ones instead of trusting them.
A vendor who corrects an invoice bumps `version` and `updated_at` and replaces its lines.
"""

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
)

metadata = MetaData()

mp_invoice = Table(
    "mp_invoice",
    metadata,
    Column("invoice_id", Integer, primary_key=True, autoincrement=False),
    Column("version", Integer, nullable=False, default=1),
    Column("vendor_id", String(64), nullable=False),
    Column("vendor_name", String(200), nullable=False, default=""),
    Column("invoice_number", String(64), nullable=False),
    Column("invoice_date", Date, nullable=True),
    Column("due_date", Date, nullable=True),
    Column("currency", String(8), nullable=True),
    Column("po_number", String(64), nullable=True),
    Column("subtotal", String(40), nullable=True),
    Column("tax_amount", String(40), nullable=True),
    Column("total_amount", String(40), nullable=True),
    # Set by the marketplace on every insert and change (UTC, naive).
    Column("updated_at", DateTime, nullable=False),
    Index("ix_mp_invoice_updated", "updated_at", "invoice_id"),
)

mp_invoice_line = Table(
    "mp_invoice_line",
    metadata,
    Column("invoice_id", Integer, ForeignKey("mp_invoice.invoice_id"), primary_key=True),
    Column("line_no", Integer, primary_key=True, autoincrement=False),
    Column("part_number", String(64), nullable=True),
    Column("description", String(200), nullable=False, default=""),
    Column("quantity", String(40), nullable=True),
    Column("uom", String(16), nullable=True),
    Column("unit_price", String(40), nullable=True),
    Column("line_total", String(40), nullable=True),
    Column("tax_rate", String(40), nullable=True),
    Column("tax_amount", String(40), nullable=True),
)

mp_invoice_charge = Table(
    "mp_invoice_charge",
    metadata,
    Column("invoice_id", Integer, ForeignKey("mp_invoice.invoice_id"), primary_key=True),
    Column("charge_no", Integer, primary_key=True, autoincrement=False),
    Column("charge_type", String(32), nullable=False),
    Column("description", String(200), nullable=False, default=""),
    Column("amount", String(40), nullable=True),
)
