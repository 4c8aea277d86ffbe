"""Header arithmetic and money policy: subtotal, tax, extra charges, total, credit notes."""

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

from domain import ChargeKind, InvoiceLine, Severity
from domain.models import FINDING_MESSAGE_LENGTH
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
    """Each line's stated tax against its rate, then the invoice's tax against its lines.

    Two roundings are lawful: EN 16931 rounds the tax of each rate once, on the sum of that rate's
    line amounts; many billing systems round each line's tax. Either is accepted per rate, with no
    tolerance needed; only a header tax that neither method (per rate) gives is reported.
    """
    tolerance = ctx.config.rounding_tolerance
    rateless_tax = ZERO  # the stated tax of lines that give no rate
    by_rate: dict[Decimal, list[InvoiceLine]] = defaultdict(list)
    for line in ctx.invoice.lines:
        if line.tax_rate is None:
            rateless_tax += line.tax_amount or ZERO
            continue
        by_rate[line.tax_rate].append(line)
        expected = _tax(line.line_total, line.tax_rate)
        if line.tax_amount is not None and line.tax_amount != expected and abs(line.tax_amount - expected) > tolerance:
            yield Breach(
                f"Line {line.line_no}: {line.tax_rate}% of {line.line_total} is {expected}, "
                f"but the line's tax is {line.tax_amount}.",
                invoice_line_no=line.line_no,
                expected=expected,
                actual=line.tax_amount,
            )
    if not by_rate and not any(line.tax_amount is not None for line in ctx.invoice.lines):
        return  # no line carries tax information: nothing to hold the header tax to
    methods = {rate: _rounding_methods(lines, rate) for rate, lines in sorted(by_rate.items())}
    stated = ctx.invoice.tax_amount
    if any(abs(stated - total) <= tolerance for total in _totals(rateless_tax, methods)):
        return
    if all(len(set(by_method.values())) == 1 for by_method in methods.values()):
        lines_tax = rateless_tax + sum((next(iter(m.values())) for m in methods.values()), ZERO)
        yield Breach(
            f"The lines' tax adds up to {lines_tax} but the invoice states tax of {stated}.",
            expected=lines_tax,
            actual=stated,
        )
        return
    yield Breach(
        _neither_rounding(stated, methods),
        expected=" or ".join(sorted({str(total) for total in _totals(rateless_tax, methods)})),
        actual=stated,
    )


def _neither_rounding(stated: Decimal, methods: dict[Decimal, dict[str, Decimal]]) -> str:
    """What each rounding gives, in as many words as a finding's message holds."""
    head = f"The invoice states tax of {stated}, which neither rounding of the lines' tax gives"
    spelled = "; ".join(
        f"at {rate}%: " + ", ".join(f"{method} gives {amount}" for method, amount in by_method.items())
        for rate, by_method in methods.items()
    )
    compact = "; ".join(
        f"{rate}%: " + " or ".join(str(amount) for amount in by_method.values()) for rate, by_method in methods.items()
    )
    for message in (f"{head} ({spelled}).", f"{head} (per line or once per rate: {compact})."):
        if len(message) <= FINDING_MESSAGE_LENGTH:
            return message
    return f"{head}."


def _tax(amount: Decimal, rate: Decimal) -> Decimal:
    return round_to_cents((amount * rate).scaleb(-2))  # scaleb: exact ÷ 100


def _rounding_methods(lines: list[InvoiceLine], rate: Decimal) -> dict[str, Decimal]:
    """The tax of one rate's lines by each lawful rounding; stated line taxes count as rounded per line."""
    per_line = sum(
        (_tax(line.line_total, rate) if line.tax_amount is None else line.tax_amount for line in lines), ZERO
    )
    once = _tax(sum((line.line_total for line in lines), ZERO), rate)
    return {"rounding each line": per_line, "rounding the rate's total once": once}


# Beyond this many rates the methods are compared all one way or all the other, not mixed.
_MIXED_ROUNDING_RATES = 6


def _totals(fixed: Decimal, methods: dict[Decimal, dict[str, Decimal]]) -> set[Decimal]:
    """Every header tax the lines allow, each rate rounded by either method."""
    choices = [set(by_method.values()) for by_method in methods.values()]
    if len(choices) > _MIXED_ROUNDING_RATES:
        uniform = [sum((list(by_method.values())[i] for by_method in methods.values()), ZERO) for i in (0, 1)]
        return {fixed + total for total in uniform}
    totals = {fixed}
    for options in choices:
        totals = {total + option for total in totals for option in options}
    return totals


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
