"""Exact arithmetic the demo data is built with: the same sums a clerk (or the rules) would redo."""

from decimal import Decimal

from domain.money import CENT, ZERO
from domain.money import round_to_cents as cents

__all__ = ["CENT", "TEN_THOUSANDTH", "ZERO", "cents", "floor_to_step", "share_of", "tax_on"]

TEN_THOUSANDTH = Decimal("0.0001")


def tax_on(amount: Decimal, rate_percent: Decimal) -> Decimal:
    """The tax of one line, rounded half-up to the cent per line, as vendors' billing systems do."""
    return cents(amount * rate_percent / 100)


def floor_to_step(quantity: Decimal, step: Decimal) -> Decimal:
    """The largest multiple of `step` not above `quantity` (quantities are whole units or hundreds)."""
    return (quantity // step) * step


def share_of(quantity: Decimal, percent: int, step: Decimal) -> Decimal:
    """`percent` % of `quantity`, rounded down to whole steps."""
    return floor_to_step(quantity * percent / 100, step)
