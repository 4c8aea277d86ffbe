"""Header arithmetic and money policy: subtotal, tax, extra charges, total, credit notes."""

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

from domain import ChargeKind, Severity
from domain.money import ZERO, round_to_cents
from rules.config import ChargeRule
from rules.context import InvoiceContext
from rules.registry import Breach, rule


def _differs(actual: Decimal, expected: Decimal, ctx: InvoiceContext) -> bool:
    return abs(actual - expected) > ctx.config.rounding_tolerance


def _lines_total(ctx: InvoiceContext) -> Decimal:
    return sum((line.line_total for line in ctx.invoice.lines), ZERO)


@rule("amount.subtotal_mismatch", Severity.SOFT, "The line totals do not add up to the subtotal")
def subtotal_mismatch(ctx: InvoiceContext) -> Iterator[Breach]:
    lines_total = _lines_total(ctx)
    if _differs(ctx.invoice.subtotal, lines_total, ctx):
        yield Breach(
            f"The lines add up to {lines_total} but the invoice states a subtotal of {ctx.invoice.subtotal}.",
            expected=lines_total,
            actual=ctx.invoice.subtotal,
        )


@rule("amount.total_mismatch", Severity.SOFT, "Lines + tax + charges do not add up to the total")
def total_mismatch(ctx: InvoiceContext) -> Iterator[Breach]:
    charges = sum((c.amount for c in ctx.invoice.charges), ZERO)
    expected = _lines_total(ctx) + ctx.invoice.tax_amount + charges
    if _differs(ctx.invoice.total, expected, ctx):
        yield Breach(
            f"Lines {_lines_total(ctx)} + tax {ctx.invoice.tax_amount} + charges {charges} = {expected}, "
            f"but the invoice total is {ctx.invoice.total}.",
            expected=expected,
            actual=ctx.invoice.total,
        )


@rule("tax.rate_mismatch", Severity.SOFT, "Tax amounts are inconsistent with the tax rates")
def tax_rate_mismatch(ctx: InvoiceContext) -> Iterator[Breach]:
    line_taxes: list[Decimal] = []
    tolerance = ctx.config.rounding_tolerance
    for line in ctx.invoice.lines:
        if line.tax_rate is None:
            if line.tax_amount is not None:
                line_taxes.append(line.tax_amount)
            continue
        expected = round_to_cents((line.line_total * line.tax_rate).scaleb(-2))  # scaleb: exact ÷ 100
        if line.tax_amount is not None and line.tax_amount != expected and abs(line.tax_amount - expected) > tolerance:
            yield Breach(
                f"Line {line.line_no}: {line.tax_rate}% of {line.line_total} is {expected}, "
                f"but the line's tax is {line.tax_amount}.",
                invoice_line_no=line.line_no,
                expected=expected,
                actual=line.tax_amount,
            )
        line_taxes.append(expected if line.tax_amount is None else line.tax_amount)
    if not line_taxes:
        return  # no line carries tax information: nothing to hold the header tax to
    lines_tax = sum(line_taxes, ZERO)
    if _differs(ctx.invoice.tax_amount, lines_tax, ctx):
        yield Breach(
            f"The lines' tax adds up to {lines_tax} but the invoice states tax of {ctx.invoice.tax_amount}.",
            expected=lines_tax,
            actual=ctx.invoice.tax_amount,
        )


def _charge_limit(ctx: InvoiceContext, kind: ChargeKind) -> Decimal | None:
    """The most that may be charged for `kind` on this invoice; None when anything goes."""
    policy = ctx.config.charges.get(kind)
    if policy is None or policy.allowed is ChargeRule.NEVER:
        return ZERO
    if policy.allowed is ChargeRule.UP_TO_AMOUNT:
        return policy.amount
    if policy.allowed is ChargeRule.UP_TO_PERCENT:
        assert policy.percent is not None  # the config refuses up_to_percent without a percent
        return round_to_cents(max(ctx.invoice.subtotal, ZERO) * policy.percent / 100)
    return None


@rule("charge.not_allowed", Severity.SOFT, "An extra charge is not allowed by the charge policy")
def charge_not_allowed(ctx: InvoiceContext) -> Iterator[Breach]:
    by_kind: dict[ChargeKind, Decimal] = defaultdict(lambda: ZERO)
    for charge in ctx.invoice.charges:
        by_kind[charge.kind] += charge.amount
    for kind, amount in by_kind.items():
        limit = _charge_limit(ctx, kind)
        if limit is None or amount <= limit:
            continue
        allowed = "is not allowed" if limit == 0 else f"is allowed up to {limit}"
        yield Breach(
            f"The invoice charges {amount} {ctx.invoice.currency} for {kind.value}, which {allowed} by the charge policy.",
            expected=limit,
            actual=amount,
        )


@rule("credit_note.review", Severity.SOFT, "Credit notes are matched to their invoice by AP")
def credit_note_review(ctx: InvoiceContext) -> Iterator[Breach]:
    if ctx.invoice.is_credit_note:
        yield Breach(
            f"This is a credit note of {ctx.invoice.total} {ctx.invoice.currency} against PO {ctx.invoice.po_number}; "
            "AP matches it to the invoice it corrects before it is entered.",
            expected="an invoice (positive total)",
            actual=ctx.invoice.total,
        )
