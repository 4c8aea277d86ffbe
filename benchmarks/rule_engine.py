"""Rule engine throughput: 10,000 invoices of 10 lines each, judged in one process.

The invoices are consistent with their POs (the common case: every rule runs to the end), with
every rule of the shipped config switched on. Verdicts are what the engine produces; the RPA
payloads, built on first use, are timed separately.
"""

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from domain import EnteredInvoice, EntryStatus, Invoice, InvoiceLine, POLine, POStatus, PurchaseOrder, Vendor
from rules.catalogue import load_rule_config
from rules.engine import RuleEngine

TODAY = date(2026, 11, 20)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class _Erp:
    purchase_orders: dict[str, PurchaseOrder]
    vendors: dict[str, Vendor]
    entered_invoices: dict[str, tuple[EnteredInvoice, ...]] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)


def _backlog(invoices: int, lines: int) -> tuple[list[Invoice], _Erp]:
    price = Decimal("12.3456")
    purchase_orders: dict[str, PurchaseOrder] = {}
    backlog = []
    for n in range(invoices):
        vendor_id = f"V{n % 200:04d}"
        po = PurchaseOrder(
            po_number=f"PO-{n:06d}",
            vendor_id=vendor_id,
            currency="USD",
            status=POStatus.OPEN,
            po_date=TODAY - timedelta(days=30),
            lines=tuple(
                POLine(
                    line_no=k,
                    part_number=f"HX-{k:03d}-B",
                    erp_item_id=f"ITM{k:05d}",
                    ordered_qty=Decimal(100),
                    received_qty=Decimal(100),
                    invoiced_qty=Decimal(10),
                    unit_price=price,
                )
                for k in range(1, lines + 1)
            ),
        )
        purchase_orders[po.po_number] = po
        # a different total for each invoice of a vendor: equal totals would be possible duplicates
        quantity = Decimal(1 + n // 200)
        line_total = (quantity * price).quantize(CENT)
        tax = (line_total * Decimal("0.08875")).quantize(CENT)
        invoice_lines = tuple(
            InvoiceLine(
                line_no=k,
                part_number=f"hx {k:03d} b",
                quantity=quantity,
                unit_price=price,
                line_total=line_total,
                tax_rate=Decimal("8.875"),
                tax_amount=tax,
            )
            for k in range(1, lines + 1)
        )
        backlog.append(
            Invoice(
                source="marketplace",
                source_invoice_id=str(n),
                vendor_id=vendor_id,
                invoice_number=f"INV-{n:06d}",
                invoice_date=TODAY - timedelta(days=3),
                due_date=TODAY + timedelta(days=27),
                currency="USD",
                po_number=po.po_number,
                lines=invoice_lines,
                subtotal=line_total * lines,
                tax_amount=tax * lines,
                total=(line_total + tax) * lines,
            )
        )
    vendors = {f"V{v:04d}": Vendor(vendor_id=f"V{v:04d}", name=f"Vendor {v}") for v in range(200)}
    return backlog, _Erp(purchase_orders, vendors)


def run(invoices: int = 10_000, lines: int = 10) -> dict[str, float | int]:
    backlog, erp = _backlog(invoices, lines)
    engine = RuleEngine(load_rule_config())
    started = time.perf_counter()
    judged = engine.judge_batch(backlog, erp, today=TODAY, judged_at=datetime.now(UTC))
    seconds = time.perf_counter() - started
    ready = sum(1 for j in judged if j.verdict.status is EntryStatus.READY_TO_PROCESS)
    if ready != invoices:
        raise AssertionError(f"benchmark backlog should be clean, {invoices - ready} invoices were not ready")
    started = time.perf_counter()
    payloads = [j.payload for j in judged]
    payload_seconds = time.perf_counter() - started
    assert all(payload is not None for payload in payloads)
    figures = {
        "invoices": invoices,
        "lines_per_invoice": lines,
        "rules": len(engine.rule_ids),
        "seconds": round(seconds, 3),
        "invoices_per_second": round(invoices / seconds),
        "payload_seconds": round(payload_seconds, 3),
        "with_payloads_per_second": round(invoices / (seconds + payload_seconds)),
    }
    print(
        f"rule engine: {invoices} invoices × {lines} lines, {figures['rules']} rules, one process: "
        f"{figures['seconds']} s = {figures['invoices_per_second']} invoices/s (target ≥ 5000); "
        f"building their RPA payloads adds {figures['payload_seconds']} s "
        f"({figures['with_payloads_per_second']} invoices/s with payloads)"
    )
    return figures


if __name__ == "__main__":
    run()
