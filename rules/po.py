"""Is there a PO this invoice may be billed against, from this vendor, in this currency?"""

from collections.abc import Iterator

from domain import POStatus, Severity
from rules.context import InvoiceContext
from rules.registry import Breach, rule


@rule("po.not_found", Severity.HARD, "The PO number is not in the ERP")
def po_not_found(ctx: InvoiceContext) -> Iterator[Breach]:
    if ctx.po is None and ctx.po_unreadable is None:
        yield Breach(
            f"PO {ctx.invoice.po_number} does not exist in the ERP; the vendor must quote a valid PO number.",
            expected="a PO number known to the ERP",
            actual=ctx.invoice.po_number,
        )


@rule("po.unreadable", Severity.SOFT, "The PO exists but the ERP record is incomplete")
def po_unreadable(ctx: InvoiceContext) -> Iterator[Breach]:
    if ctx.po_unreadable is not None:
        yield Breach(f"{ctx.po_unreadable}. Check the PO in the ERP, then judge the invoice by hand.")


@rule("po.not_open", Severity.HARD, "The PO is closed or cancelled")
def po_not_open(ctx: InvoiceContext) -> Iterator[Breach]:
    if ctx.po is not None and ctx.po.status in (POStatus.CLOSED, POStatus.CANCELLED):
        yield Breach(
            f"PO {ctx.po.po_number} is {ctx.po.status.value}; nothing more can be billed against it.",
            expected=POStatus.OPEN.value,
            actual=ctx.po.status.value,
        )


@rule("po.on_hold", Severity.SOFT, "The PO is on hold")
def po_on_hold(ctx: InvoiceContext) -> Iterator[Breach]:
    if ctx.po is not None and ctx.po.status is POStatus.ON_HOLD:
        yield Breach(
            f"PO {ctx.po.po_number} is on hold in the ERP; purchasing must release it first.",
            expected=POStatus.OPEN.value,
            actual=ctx.po.status.value,
        )


@rule("vendor.mismatch", Severity.HARD, "The invoice comes from another vendor than the PO's")
def vendor_mismatch(ctx: InvoiceContext) -> Iterator[Breach]:
    if ctx.po is not None and ctx.po.vendor_id != ctx.invoice.vendor_id:
        yield Breach(
            f"PO {ctx.po.po_number} was issued to vendor {ctx.po.vendor_id}, "
            f"but the invoice comes from vendor {ctx.invoice.vendor_id}.",
            expected=ctx.po.vendor_id,
            actual=ctx.invoice.vendor_id,
        )


@rule("vendor.unknown", Severity.HARD, "The invoicing vendor is not in the vendor master")
def vendor_unknown(ctx: InvoiceContext) -> Iterator[Breach]:
    if ctx.vendor is None:
        yield Breach(
            f"Vendor {ctx.invoice.vendor_id} is not in the ERP's vendor master.",
            expected="a vendor id known to the ERP",
            actual=ctx.invoice.vendor_id,
        )


@rule("vendor.inactive", Severity.SOFT, "The vendor is blocked for payment in the vendor master")
def vendor_inactive(ctx: InvoiceContext) -> Iterator[Breach]:
    if ctx.vendor is not None and not ctx.vendor.active:
        yield Breach(
            f"Vendor {ctx.vendor.vendor_id} ({ctx.vendor.name}) is inactive in the vendor master.",
            expected="active",
            actual="inactive",
        )


@rule("currency.mismatch", Severity.HARD, "The invoice currency differs from the PO currency")
def currency_mismatch(ctx: InvoiceContext) -> Iterator[Breach]:
    if ctx.po is not None and ctx.po.currency != ctx.invoice.currency:
        yield Breach(
            f"The invoice is in {ctx.invoice.currency} but PO {ctx.po.po_number} is in {ctx.po.currency}.",
            expected=ctx.po.currency,
            actual=ctx.invoice.currency,
        )


@rule("invoice.required_fields", Severity.HARD, "A field AP requires is empty")
def required_fields(ctx: InvoiceContext) -> Iterator[Breach]:
    for name in sorted(ctx.config.required_fields):
        value = getattr(ctx.invoice, name)
        if value in (None, "", ()):
            yield Breach(
                f"The invoice has no {name.replace('_', ' ')}, which AP requires.", expected="a value", actual="empty"
            )
