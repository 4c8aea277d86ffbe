"""Marketplace invoices as vendors upload them, written straight into the marketplace tables."""

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from connectors.marketplace.schema import mp_invoice, mp_invoice_charge, mp_invoice_line

T0 = datetime(2026, 11, 20, 8, 0, 0)


def add_invoice(
    engine: sa.Engine,
    invoice_id: int,
    *,
    updated_at: datetime,
    lines: list[dict[str, Any]] | None = None,
    charges: list[dict[str, Any]] | None = None,
    **header: Any,
) -> None:
    """One marketplace invoice as a vendor would upload it: amounts as text."""
    row = {
        "invoice_id": invoice_id,
        "version": 1,
        "vendor_id": "V1",
        "vendor_name": "Acme Fasteners",
        "invoice_number": f"INV-{invoice_id:05d}",
        "invoice_date": date(2026, 11, 2),
        "due_date": date(2026, 12, 2),
        "currency": "USD",
        "po_number": "PO-1",
        "subtotal": "24.60",
        "tax_amount": "0",
        "total_amount": "24.60",
        "updated_at": updated_at,
        **header,
    }
    if lines is None:
        lines = [
            {"line_no": 1, "part_number": "HX-001", "quantity": "2", "unit_price": "10.00", "line_total": "20.00"},
            {"line_no": 2, "part_number": "HX-002", "quantity": "0.5", "unit_price": "9.20", "line_total": "4.60"},
        ]
    with engine.begin() as conn:
        if conn.execute(sa.select(mp_invoice.c.invoice_id).where(mp_invoice.c.invoice_id == invoice_id)).first():
            conn.execute(mp_invoice_line.delete().where(mp_invoice_line.c.invoice_id == invoice_id))
            conn.execute(mp_invoice_charge.delete().where(mp_invoice_charge.c.invoice_id == invoice_id))
            conn.execute(mp_invoice.update().where(mp_invoice.c.invoice_id == invoice_id).values(**row))
        else:
            conn.execute(mp_invoice.insert(), [row])
        conn.execute(
            mp_invoice_line.insert(),
            [{"invoice_id": invoice_id, "description": "", "uom": "EA", **line} for line in lines],
        )
        if charges:
            conn.execute(
                mp_invoice_charge.insert(),
                [{"invoice_id": invoice_id, "charge_no": n, "description": "", **c} for n, c in enumerate(charges, 1)],
            )
