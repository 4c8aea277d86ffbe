"""How long the ERP gateway takes to load the POs a backlog of invoices references, and in how
many round trips (it must be a small constant per chunk of keys, not one per invoice)."""

import time
from datetime import date

import sqlalchemy as sa

from connectors.db import count_statements, create_engine_for
from connectors.erp import ErpGateway
from connectors.marketplace.schema import mp_invoice


def run(marketplace_url: str, erp_url: str, *, today: date, label: str) -> dict[str, float | int | str]:
    marketplace = create_engine_for(marketplace_url)
    with marketplace.connect() as conn:
        referenced = conn.execute(sa.select(mp_invoice.c.po_number, mp_invoice.c.vendor_id)).all()
    marketplace.dispose()
    po_numbers = {po for po, _ in referenced if po}
    vendor_ids = {vendor for _, vendor in referenced}

    erp = create_engine_for(erp_url)
    gateway = ErpGateway(erp)
    with erp.connect() as conn:  # open the pool first: connecting is not what is measured
        conn.execute(sa.text("SELECT 1"))
    with count_statements(erp) as count:
        started = time.perf_counter()
        snapshot = gateway.fetch_snapshot(po_numbers, vendor_ids, today=today)
        seconds = time.perf_counter() - started
    erp.dispose()
    figures: dict[str, float | int | str] = {
        "database": label,
        "invoices": len(referenced),
        "po_numbers": len(po_numbers),
        "purchase_orders_loaded": len(snapshot.purchase_orders),
        "po_lines_loaded": sum(len(po.lines) for po in snapshot.purchase_orders.values()),
        "entered_invoices_loaded": sum(len(v) for v in snapshot.entered_invoices.values()),
        "seconds": round(seconds, 3),
        "sql_round_trips": count.statements,
    }
    print(
        f"erp gateway [{label}]: {figures['purchase_orders_loaded']} POs / {figures['po_lines_loaded']} lines "
        f"for {figures['invoices']} invoices in {figures['seconds']} s, {figures['sql_round_trips']} SQL round trips"
    )
    return figures
