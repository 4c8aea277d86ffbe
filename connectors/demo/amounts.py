"""Exact arithmetic the demo data is built with: the same sums a clerk (or the rules) would redo."""

from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0")
CENT = Decimal("0.01")
TEN_THOUSANDTH = Decimal("0.0001")


def cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def tax_on(amount: Decimal, rate_percent: Decimal) -> Decimal:
    """The tax of one line, rounded half-up to the cent per line, as vendors' billing systems do."""
    return cents(amount * rate_percent / 100)


def floor_to_step(quantity: Decimal, step: Decimal) -> Decimal:
    """The largest multiple of `step` not above `quantity` (quantities are whole units or hundreds)."""
    return (quantity // step) * step


def share_of(quantity: Decimal, percent: int, step: Decimal) -> Decimal:
    """`percent` % of `quantity`, rounded down to whole steps."""
    return floor_to_step(quantity * percent / 100, step)
