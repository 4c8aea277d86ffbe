"""Is the invoice date plausible: not in the future, not stale, not before its PO?"""

from collections.abc import Iterator
from datetime import timedelta

from domain import Severity
from rules.context import InvoiceContext
from rules.registry import Breach, rule


@rule("date.future", Severity.SOFT, "The invoice is dated in the future")
def dated_in_future(ctx: InvoiceContext) -> Iterator[Breach]:
    latest = ctx.today + timedelta(days=ctx.config.dates.allow_future_days)
    if ctx.invoice.invoice_date > latest:
        yield Breach(
            f"The invoice is dated {ctx.invoice.invoice_date}, after today ({ctx.today}).",
            expected=f"on or before {latest}",
            actual=ctx.invoice.invoice_date,
        )


@rule("date.too_old", Severity.SOFT, "The invoice is older than AP accepts")
def dated_too_long_ago(ctx: InvoiceContext) -> Iterator[Breach]:
    max_age = ctx.config.dates.max_age_days
    earliest = ctx.today - timedelta(days=max_age)
    if ctx.invoice.invoice_date < earliest:
        yield Breach(
            f"The invoice is dated {ctx.invoice.invoice_date}, more than {max_age} days ago.",
            expected=f"on or after {earliest}",
            actual=ctx.invoice.invoice_date,
        )


@rule("date.before_po", Severity.SOFT, "The invoice is dated before its PO was issued")
def dated_before_po(ctx: InvoiceContext) -> Iterator[Breach]:
    if ctx.po is not None and ctx.invoice.invoice_date < ctx.po.po_date:
        yield Breach(
            f"The invoice is dated {ctx.invoice.invoice_date}, before PO {ctx.po.po_number} was issued on {ctx.po.po_date}.",
            expected=f"on or after {ctx.po.po_date}",
            actual=ctx.invoice.invoice_date,
        )
