"""Arithmetic cross-checks of an extraction, raising the confidence of fields that agree and lowering the rest.

Checks: each line's quantity × unit price = line total; the lines add up to the subtotal; subtotal +
tax = total (extra charges counted where the invoice puts them); the due date is not before the
issue date. A passed check raises its fields' confidence
to at least `PASSED_CONFIDENCE`, a failed one lowers them to at most `FAILED_CONFIDENCE`. An
e-invoice's values are exact: its checks are reported and its confidences left alone.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from domain.documents import (
    CHARGE_FIELDS,
    CheckResult,
    Engine,
    ExtractedCharge,
    ExtractedField,
    ExtractedLine,
    Extraction,
)

PASSED_CONFIDENCE = 0.97
FAILED_CONFIDENCE = 0.5
_CENT = Decimal("0.01")


def cross_check(extraction: Extraction) -> Extraction:
    """The extraction with its checks (replacing any earlier ones) and, unless an e-invoice, adjusted confidences."""
    checks = [*_line_checks(extraction), *_sum_checks(extraction), *_date_checks(extraction)]
    if extraction.engine is Engine.EINVOICE:
        return extraction.model_copy(update={"checks": tuple(checks)})
    raised: set[str] = set()
    lowered: set[str] = set()
    for check in checks:
        (raised if check.passed else lowered).update(check.fields)
    fields = {name: _adjust(found, name in raised, name in lowered) for name, found in extraction.fields.items()}
    lines = tuple(
        ExtractedLine(
            **{
                name: _adjust(line.field(name), f"lines[{index}].{name}" in raised, f"lines[{index}].{name}" in lowered)
                for name in ("description", "part_number", "quantity", "unit", "unit_price", "line_total")
            }
        )
        for index, line in enumerate(extraction.lines)
    )
    charges = tuple(
        ExtractedCharge(
            **{
                name: _adjust(
                    charge.field(name), f"charges[{index}].{name}" in raised, f"charges[{index}].{name}" in lowered
                )
                for name in CHARGE_FIELDS
            }
        )
        for index, charge in enumerate(extraction.charges)
    )
    return extraction.model_copy(update={"checks": tuple(checks), "fields": fields, "lines": lines, "charges": charges})


def _adjust(found: ExtractedField, passed: bool, failed: bool) -> ExtractedField:
    if found.value is None:
        return found
    if failed:
        return found.model_copy(update={"confidence": min(found.confidence, FAILED_CONFIDENCE)})
    if passed:
        return found.model_copy(update={"confidence": max(found.confidence, PASSED_CONFIDENCE)})
    return found


def _decimal(found: ExtractedField) -> Decimal | None:
    if found.value is None:
        return None
    try:
        return Decimal(found.value)
    except InvalidOperation:
        return None


def rounded_like(product: Decimal, total: Decimal) -> Decimal:
    """`product` rounded half-up to cents, or to the printed total's own decimals when it shows more."""
    exponent = total.as_tuple().exponent
    places = Decimal(1).scaleb(min(exponent, -2)) if isinstance(exponent, int) else _CENT
    return product.quantize(places, rounding=ROUND_HALF_UP)


def _line_checks(extraction: Extraction) -> list[CheckResult]:
    checks = []
    for index, line in enumerate(extraction.lines):
        quantity, price, total = _decimal(line.quantity), _decimal(line.unit_price), _decimal(line.line_total)
        if quantity is None or price is None or total is None:
            continue
        product = quantity * price
        passed = rounded_like(product, total) == total
        paths = tuple(f"lines[{index}].{name}" for name in ("quantity", "unit_price", "line_total"))
        message = f"line {index + 1}: {quantity} × {price} = {product.normalize():f}, the line total is {total}"
        checks.append(CheckResult(check="line_arithmetic", passed=passed, message=message, fields=paths))
    return checks


def _sum_checks(extraction: Extraction) -> list[CheckResult]:
    """Lines against the subtotal, and subtotal + tax against the total. Extra charges (freight,
    handling) are printed either inside the subtotal or between it and the total: either adds up."""
    checks = []
    subtotal = _decimal(extraction.field("subtotal"))
    tax = _decimal(extraction.field("tax_total"))
    total = _decimal(extraction.field("total"))
    totals = [_decimal(line.line_total) for line in extraction.lines]
    amounts = [_decimal(charge.amount) for charge in extraction.charges]
    charges = sum((value for value in amounts if value is not None), Decimal("0"))
    charge_paths = tuple(f"charges[{index}].amount" for index, value in enumerate(amounts) if value is not None)
    if subtotal is not None and totals and all(value is not None for value in totals):
        lines_sum = sum((value for value in totals if value is not None), Decimal("0"))
        with_charges = charges and lines_sum + charges == subtotal
        paths = ("subtotal", *(f"lines[{index}].line_total" for index in range(len(totals))))
        message = f"the lines add up to {lines_sum}, the subtotal is {subtotal}"
        if with_charges:
            message = f"the lines add up to {lines_sum}, with the charges {charges} to the subtotal {subtotal}"
        checks.append(
            CheckResult(
                check="lines_sum",
                passed=lines_sum == subtotal or bool(with_charges),
                message=message,
                fields=(*paths, *charge_paths) if with_charges else paths,
            )
        )
    if subtotal is not None and tax is not None and total is not None:
        plain = subtotal + tax == total
        with_charges = not plain and charges and subtotal + charges + tax == total
        message = f"subtotal {subtotal} + tax {tax} = {subtotal + tax}, the total is {total}"
        if with_charges:
            message = f"subtotal {subtotal} + charges {charges} + tax {tax} = {total}, the total"
        checks.append(
            CheckResult(
                check="totals",
                passed=plain or bool(with_charges),
                message=message,
                fields=("subtotal", "tax_total", "total", *(charge_paths if with_charges else ())),
            )
        )
    return checks


def _date_checks(extraction: Extraction) -> list[CheckResult]:
    issue, due = extraction.field("issue_date").value, extraction.field("due_date").value
    if issue is None or due is None:
        return []
    return [
        CheckResult(
            check="due_after_issue",
            passed=due >= issue,
            message=f"due {due}, issued {issue}",
            fields=("issue_date", "due_date"),
        )
    ]
