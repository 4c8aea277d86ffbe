"""Which invoice fields each rule's findings concern, so a screen can mark them: header fields by
their `Invoice` names, line fields by their `InvoiceLine` names (on the finding's invoice line)."""

from types import MappingProxyType

HEADER, LINE = "header", "line"

FIELDS_CONCERNED: MappingProxyType[str, tuple[tuple[str, str], ...]] = MappingProxyType(
    {
        "amount.subtotal_mismatch": ((HEADER, "subtotal"),),
        "amount.total_mismatch": ((HEADER, "total"),),
        "tax.rate_mismatch": ((HEADER, "tax_amount"), (LINE, "tax_amount"), (LINE, "tax_rate")),
        "charge.not_allowed": ((HEADER, "charges"),),
        "credit_note.review": ((HEADER, "total"),),
        "date.future": ((HEADER, "invoice_date"),),
        "date.too_old": ((HEADER, "invoice_date"),),
        "date.before_po": ((HEADER, "invoice_date"),),
        "duplicate.exact": ((HEADER, "invoice_number"),),
        "duplicate.possible": ((HEADER, "invoice_number"), (HEADER, "total")),
        "line.negative_on_invoice": ((LINE, "quantity"),),
        "line.part_not_on_po": ((LINE, "part_number"),),
        "uom.unknown_conversion": ((LINE, "uom"),),
        "price.unit_mismatch": ((LINE, "unit_price"),),
        "qty.over_open": ((LINE, "quantity"),),
        "qty.over_received": ((LINE, "quantity"),),
        "line.total_mismatch": ((LINE, "line_total"),),
        "po.not_found": ((HEADER, "po_number"),),
        "po.unreadable": ((HEADER, "po_number"),),
        "po.not_open": ((HEADER, "po_number"),),
        "po.on_hold": ((HEADER, "po_number"),),
        "vendor.mismatch": ((HEADER, "vendor_id"),),
        "vendor.unknown": ((HEADER, "vendor_id"),),
        "vendor.inactive": ((HEADER, "vendor_id"),),
        "currency.mismatch": ((HEADER, "currency"),),
        # which field is empty is in the finding's own words
        "invoice.required_fields": (),
    }
)
