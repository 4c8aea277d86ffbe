"""The demo data as table rows: ERP rows with exact Decimals, marketplace rows as the text vendors typed."""

import random
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from connectors.erp.demo_schema import ap_invoice, po_header, po_line, vendor
from connectors.marketplace.schema import mp_invoice, mp_invoice_charge, mp_invoice_line
from demo.catalogue import Item, WritingStyle
from demo.erp import DemoErp, PoLine, PurchaseOrder
from demo.invoices import Charge, DraftInvoice, DraftLine

Rows = dict[sa.Table, list[dict[str, Any]]]


def number_purchase_orders(erp: DemoErp, rng: random.Random) -> None:
    """PO numbers rise with the PO date, as an ERP number range does; unknown ones lie beyond the last issued."""
    number = 104000 + rng.randint(0, 999)
    for po in sorted(erp.pos, key=lambda po: po.po_date):  # stable: same-day POs keep their creation order
        number += rng.randint(1, 3)
        po.number = f"PO{number}"
    for po in erp.unknown_pos:
        number += rng.randint(50, 400)
        po.number = f"PO{number}"


def erp_rows(erp: DemoErp) -> Rows:
    pos = sorted(erp.pos, key=lambda po: po.number)
    return {
        vendor: [
            {
                "vendor_id": v.vendor_id,
                "vendor_name": v.name,
                "currency_code": v.currency,
                "is_active": "Y" if v.active else "N",
            }
            for v in erp.vendors
        ],
        po_header: [
            {
                "po_number": po.number,
                "vendor_id": po.vendor.vendor_id,
                "currency_code": po.currency,
                "po_status": po.status,
                "po_date": po.po_date,
            }
            for po in pos
        ],
        po_line: [_po_line_row(po, line) for po in pos for line in po.lines],
        ap_invoice: [
            {
                "ap_doc_id": ap.doc_id,
                "vendor_id": ap.vendor.vendor_id,
                "vendor_invoice_no": ap.number,
                "invoice_date": ap.invoice_date,
                "po_number": ap.po.number,
                "currency_code": ap.po.currency,
                "invoice_total": ap.total,
                "entered_at": ap.entered_at,
            }
            for ap in erp.ap_invoices
        ],
    }


def _po_line_row(po: PurchaseOrder, line: PoLine) -> dict[str, Any]:
    return {
        "po_number": po.number,
        "po_line_no": line.line_no,
        "item_id": line.item.item_id,
        "part_number": line.item.part_number,
        "description": line.item.description,
        "uom": line.item.uom,
        "qty_ordered": line.qty_ordered,
        "qty_received": line.qty_received,
        "qty_invoiced": line.qty_invoiced,
        "unit_cost": line.unit_cost,
    }


def marketplace_rows(drafts: list[DraftInvoice]) -> Rows:
    rows: Rows = {mp_invoice: [], mp_invoice_line: [], mp_invoice_charge: []}
    for draft in drafts:
        rows[mp_invoice].append(_invoice_row(draft))
        rows[mp_invoice_line].extend(_line_row(draft, index, line) for index, line in enumerate(draft.lines))
        rows[mp_invoice_charge].extend(
            _charge_row(draft, no, charge) for no, charge in enumerate(draft.charges, start=1)
        )
    return rows


def _invoice_row(draft: DraftInvoice) -> dict[str, Any]:
    return {
        "invoice_id": draft.invoice_id,
        "version": draft.version,
        "vendor_id": draft.vendor.vendor_id,
        "vendor_name": draft.vendor.name,
        "invoice_number": draft.number,
        "invoice_date": draft.invoice_date,
        "due_date": draft.due_date,
        "currency": draft.currency,
        "po_number": draft.po.number,
        "subtotal": _money(draft.stated_subtotal),
        "tax_amount": _money(draft.tax_amount),
        "total_amount": _money(draft.total),
        "updated_at": draft.updated_at,
    } | draft.header_text


def _line_row(draft: DraftInvoice, index: int, line: DraftLine) -> dict[str, Any]:
    style = draft.vendor.style
    return {
        "invoice_id": draft.invoice_id,
        "line_no": index + 1,
        "part_number": _part_number(line.item.part_number, style),
        "description": line.item.description,
        "quantity": f"{line.quantity:.{style.quantity_decimals}f}",
        "uom": line.uom.lower() if style.uom_lower else line.uom,
        "unit_price": _price(line.unit_price, line.item, style),
        "line_total": _money(line.line_total),
        "tax_rate": format(line.tax_rate, "f"),
        "tax_amount": _money(line.tax_amount),
    } | draft.line_text.get(index, {})


def _charge_row(draft: DraftInvoice, charge_no: int, charge: Charge) -> dict[str, Any]:
    return {
        "invoice_id": draft.invoice_id,
        "charge_no": charge_no,
        "charge_type": charge.kind,
        "description": charge.description,
        "amount": _money(charge.amount),
    }


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _price(price: Decimal, item: Item, style: WritingStyle) -> str:
    decimals = 4 if item.qty_step > 1 else style.price_decimals  # parts sold by the hundred are priced to 4 places
    return f"{price:.{decimals}f}"


def _part_number(part_number: str, style: WritingStyle) -> str:
    """The vendor's spelling of the ERP part number; all spellings are equal once normalised."""
    if style.part_number == "compact":
        return part_number.replace("-", "")
    if style.part_number == "lower":
        return part_number.lower()
    if style.part_number == "spaced":
        return part_number.replace("-", " ")
    return part_number
