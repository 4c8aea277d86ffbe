"""Was this invoice billed already: the same number (exact) or the same amount (possible)?"""

from collections.abc import Iterator
from datetime import date

from domain import Severity
from rules.config import DuplicateScope
from rules.context import InvoiceContext
from rules.registry import Breach, rule


def _fiscal_year(day: date, start_month: int) -> int:
    return day.year if day.month >= start_month else day.year - 1


@rule("duplicate.exact", Severity.HARD, "The vendor billed this invoice number already")
def exact_duplicate(ctx: InvoiceContext) -> Iterator[Breach]:
    policy = ctx.config.duplicates
    number = ctx.invoice.normalised_invoice_number
    for earlier in ctx.earlier_invoices:
        if earlier.normalised_number != number:
            continue
        if policy.exact_scope is DuplicateScope.FISCAL_YEAR and _fiscal_year(
            earlier.invoice_date, policy.fiscal_year_start_month
        ) != _fiscal_year(ctx.invoice.invoice_date, policy.fiscal_year_start_month):
            continue
        yield Breach(
            f"Invoice number {ctx.invoice.invoice_number} was already billed by vendor {ctx.invoice.vendor_id} "
            f"as {earlier.invoice_number} ({earlier.where}, dated {earlier.invoice_date}).",
            # side by side: the number as the vendor wrote it now, and as it was billed before
            expected=earlier.invoice_number,
            actual=ctx.invoice.invoice_number,
        )
    for entered in ctx.entered_versions:
        yield Breach(
            f"Version {entered.version} of invoice {ctx.invoice.invoice_number} was already entered in the ERP "
            f"(entry {entered.entry_id}); version {ctx.invoice.version} corrects it, so AP settles the difference "
            "with a credit note instead of paying it again.",
            expected="no version of this invoice entered before",
            actual=f"version {entered.version} entered",
        )


@rule("duplicate.possible", Severity.SOFT, "Same vendor, same amount, close dates, different number")
def possible_duplicate(ctx: InvoiceContext) -> Iterator[Breach]:
    window = ctx.config.duplicates.possible_window_days
    invoice = ctx.invoice
    for earlier in ctx.earlier_invoices:
        if (
            earlier.normalised_number != invoice.normalised_invoice_number
            and earlier.total == invoice.total
            and earlier.currency == invoice.currency
            and abs((earlier.invoice_date - invoice.invoice_date).days) <= window
        ):
            yield Breach(
                f"Vendor {invoice.vendor_id} billed the same {invoice.total} {invoice.currency} as invoice "
                f"{earlier.invoice_number} ({earlier.where}, dated {earlier.invoice_date}); check it is not the same bill.",
                expected=f"no other invoice of the same amount within {window} days",
                actual=earlier.invoice_number,
            )
