"""The dashboard benchmark's ERP (vendors with names, a few busy and many quiet, and their open POs)
and the documents of its entries: an invoice of 1 to 5 lines billing lines of its PO at the PO's
prices, and the findings of its verdict, of the rules whose findings the entry page marks."""

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from connectors.erp import demo_schema as erp
from demo.catalogue import Vendor, make_items, make_vendors
from domain import EntryStatus, Finding, Invoice, InvoiceLine, POLine, POStatus, PurchaseOrder, Severity
from rules.catalogue import REGISTRY
from rules.fields import FIELDS_CONCERNED, LINE

SOURCE = "marketplace"
# How often each rule's findings come up; a rule not named here now and then.
_COMMON_RULES = {
    "price.unit_mismatch": 30,
    "qty.over_open": 15,
    "qty.over_received": 10,
    "duplicate.possible": 8,
    "line.total_mismatch": 5,
    "charge.not_allowed": 5,
    "duplicate.exact": 30,
    "po.not_found": 25,
    "po.not_open": 15,
    "line.part_not_on_po": 15,
}
_RULE_IDS = {
    severity: tuple(rule_id for rule_id in FIELDS_CONCERNED if REGISTRY[rule_id].severity is severity)
    for severity in Severity
}


@dataclass(frozen=True)
class Order:
    """A PO in the ERP, its vendor, and the quantities each of its lines' parts is sold in."""

    vendor: Vendor
    purchase_order: PurchaseOrder
    qty_steps: dict[int, Decimal]


def purchase_orders(vendors: int, count: int, now: datetime, rng: random.Random) -> list[Order]:
    """`count` open POs of `vendors` vendors, each vendor's at least once, the rest going to a few
    busy vendors and many quiet ones (Zipf)."""
    masters = make_vendors(vendors, make_items(vendors * 3, rng), rng)
    weights = [1 / (rank + 1) ** 0.9 for rank in range(vendors)]
    owners = list(range(vendors)) + rng.choices(range(vendors), weights, k=count - vendors)
    orders = []
    for number, owner in enumerate(owners):
        vendor = masters[owner]
        items = rng.sample(vendor.items, k=min(len(vendor.items), rng.randint(3, 8)))
        lines = tuple(
            POLine(
                line_no=line_no,
                part_number=item.part_number,
                erp_item_id=item.item_id,
                description=item.description,
                uom=item.uom,
                ordered_qty=item.qty_step * rng.randint(50, 400),
                unit_price=item.list_price,
            )
            for line_no, item in enumerate(items, start=1)
        )
        purchase_order = PurchaseOrder(
            po_number=f"PO-{200_001 + number}",
            vendor_id=vendor.vendor_id,
            currency=vendor.currency,
            status=POStatus.OPEN,
            po_date=(now - timedelta(days=rng.randint(100, 200))).date(),
            lines=lines,
        )
        steps = {line.line_no: item.qty_step for line, item in zip(lines, items, strict=True)}
        orders.append(Order(vendor, purchase_order, steps))
    return orders


def write_erp(erp_url: str, orders: list[Order]) -> None:
    """The ERP's tables (created) with these POs and their vendors."""
    vendors = {order.vendor.vendor_id: order.vendor for order in orders}
    engine = sa.create_engine(erp_url)
    try:
        erp.metadata.create_all(engine)
        with engine.begin() as connection:
            connection.execute(
                erp.vendor.insert(),
                [
                    {"vendor_id": v.vendor_id, "vendor_name": v.name, "currency_code": v.currency,
                     "is_active": "Y" if v.active else "N"}
                    for v in vendors.values()
                ],
            )  # fmt: skip
            connection.execute(
                erp.po_header.insert(),
                [
                    {"po_number": o.purchase_order.po_number, "vendor_id": o.vendor.vendor_id,
                     "currency_code": o.vendor.currency, "po_status": "O", "po_date": o.purchase_order.po_date}
                    for o in orders
                ],
            )  # fmt: skip
            connection.execute(
                erp.po_line.insert(),
                [
                    {"po_number": o.purchase_order.po_number, "po_line_no": line.line_no, "item_id": line.erp_item_id,
                     "part_number": line.part_number, "description": line.description, "uom": line.uom,
                     "qty_ordered": line.ordered_qty, "qty_received": None, "qty_invoiced": Decimal(0),
                     "unit_cost": line.unit_price}
                    for o in orders
                    for line in o.purchase_order.lines
                ],
            )  # fmt: skip
    finally:
        engine.dispose()


def invoice_on(order: Order, invoice_id: int, judged_on: date, rng: random.Random) -> Invoice:
    """Marketplace invoice `invoice_id` (version 1) billing 1 to 5 lines of the PO at its prices,
    dated up to 12 days before it was judged, numbered as its vendor numbers invoices."""
    vendor, po_lines = order.vendor, order.purchase_order.lines
    billed = rng.sample(po_lines, k=min(len(po_lines), rng.choices((1, 2, 3, 4, 5), (25, 25, 20, 15, 15))[0]))
    lines = []
    for line_no, po_line in enumerate(billed, start=1):
        quantity = order.qty_steps[po_line.line_no] * rng.randint(1, 24)
        lines.append(
            InvoiceLine(
                line_no=line_no,
                part_number=po_line.part_number,
                description=po_line.description,
                quantity=quantity,
                uom=po_line.uom,
                unit_price=po_line.unit_price,
                line_total=quantity * po_line.unit_price,
            )
        )
    subtotal = sum((line.line_total for line in lines), Decimal(0))
    invoice_date = judged_on - timedelta(days=rng.randint(0, 12))
    return Invoice(
        source=SOURCE,
        source_invoice_id=str(invoice_id),
        vendor_id=vendor.vendor_id,
        vendor_name=vendor.name,
        invoice_number=vendor.take_invoice_number(),
        invoice_date=invoice_date,
        due_date=invoice_date + timedelta(days=vendor.terms_days),
        currency=vendor.currency,
        po_number=order.purchase_order.po_number,
        lines=tuple(lines),
        subtotal=subtotal,
        total=subtotal,
    )


def findings_for(verdict: EntryStatus, invoice: Invoice, order: Order, rng: random.Random) -> list[Finding]:
    """None for a ready verdict; one to three soft findings for manual review; a hard one and up to
    two soft for a bad invoice."""
    if verdict is EntryStatus.READY_TO_PROCESS:
        return []
    soft = rng.randint(1, 3) if verdict is EntryStatus.MANUAL_REVIEW else rng.randint(0, 2)
    hard = 1 if verdict is EntryStatus.BAD_INVOICE else 0
    findings = []
    for rule_id in _some_rules(Severity.HARD, hard, rng) + _some_rules(Severity.SOFT, soft, rng):
        rule = REGISTRY[rule_id]
        if not any(kind == LINE for kind, _ in FIELDS_CONCERNED[rule_id]):
            findings.append(Finding(rule_id=rule_id, severity=rule.severity, message=f"{rule.title}."))
            continue
        line = rng.choice(invoice.lines)
        po_line = next(p for p in order.purchase_order.lines if p.part_number == line.part_number)
        findings.append(
            Finding(
                rule_id=rule_id,
                severity=rule.severity,
                message=f"Line {line.line_no} ({line.part_number}): {rule.title}.",
                invoice_line_no=line.line_no,
                po_line_no=po_line.line_no,
                expected=str(po_line.unit_price),
                actual=str(line.unit_price),
            )
        )
    return findings


def _some_rules(severity: Severity, count: int, rng: random.Random) -> list[str]:
    ids = _RULE_IDS[severity]
    weights = [_COMMON_RULES.get(rule_id, 2) for rule_id in ids]
    chosen: list[str] = []
    while len(chosen) < count:
        rule_id = rng.choices(ids, weights)[0]
        if rule_id not in chosen:
            chosen.append(rule_id)
    return chosen
