"""Exact number types shared by every model: money and quantities are Decimal, never float."""

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema


def _reject_float(value: object) -> object:
    # A float has already lost the cents (0.1 + 0.2 != 0.3); make the sender send a string.
    if isinstance(value, float):
        raise ValueError('must be an exact decimal (send it as a string such as "12.50"), not a binary float')
    return value


# Serialised as a JSON string so that no client parses it back into a float.
_AS_STRING = PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json")
_DECIMAL_PATTERN = r"^-?[0-9]{1,14}(\.[0-9]{1,4})?$"
_DECIMAL_STRING_SCHEMA = WithJsonSchema(
    {"type": "string", "pattern": _DECIMAL_PATTERN, "description": 'exact decimal, e.g. "1234.50"'},
    mode="serialization",
)


def _accepted(pattern: str, *, minimum: int, maximum: int) -> WithJsonSchema:
    """What a request may send, so that the schema states what is refused (an empty or malformed
    string, a fraction past 4 places): a decimal string, or a whole number in range. A JSON number
    with a fraction is read exactly only where the body is parsed by hand (the dry run); the schema
    asks for a string there too."""
    return WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": pattern, "description": 'exact decimal, e.g. "1234.50"'},
                {"type": "integer", "minimum": minimum, "maximum": maximum},
            ]
        },
        mode="validation",
    )


# 14 integer digits: SQLite stores an amount as a 64-bit count of ten-thousandths (column_types.MoneyType),
# which holds up to about 922 trillion; a hundred trillion is past any invoice.
_LARGEST = 10**14 - 1
_ANY_DECIMAL = _accepted(_DECIMAL_PATTERN, minimum=-_LARGEST, maximum=_LARGEST)
_NON_NEGATIVE_DECIMAL = _accepted(r"^[0-9]{1,14}(\.[0-9]{1,4})?$", minimum=0, maximum=_LARGEST)
_PERCENT = _accepted(r"^(100(\.0{1,4})?|[0-9]{1,2}(\.[0-9]{1,4})?)$", minimum=0, maximum=100)


# Constraints first, float check after: pydantic-core then checks digits natively (3x faster).
Money = Annotated[
    Decimal,
    Field(allow_inf_nan=False, max_digits=18, decimal_places=4),
    BeforeValidator(_reject_float),
    _AS_STRING,
    _DECIMAL_STRING_SCHEMA,
    _ANY_DECIMAL,
]
"""An amount in the document currency: up to 14 integer digits and 4 decimals, may be negative (credit notes)."""

NonNegativeMoney = Annotated[
    Decimal,
    Field(allow_inf_nan=False, max_digits=18, decimal_places=4, ge=0),
    BeforeValidator(_reject_float),
    _AS_STRING,
    _DECIMAL_STRING_SCHEMA,
    _NON_NEGATIVE_DECIMAL,
]

Quantity = Annotated[
    Decimal,
    Field(allow_inf_nan=False, max_digits=18, decimal_places=4),
    BeforeValidator(_reject_float),
    _AS_STRING,
    _DECIMAL_STRING_SCHEMA,
    _ANY_DECIMAL,
]
"""A quantity in the line's unit of measure: up to 4 decimals (kilograms, hours); negative on credit notes."""

NonNegativeQuantity = Annotated[
    Decimal,
    Field(allow_inf_nan=False, max_digits=18, decimal_places=4, ge=0),
    BeforeValidator(_reject_float),
    _AS_STRING,
    _DECIMAL_STRING_SCHEMA,
    _NON_NEGATIVE_DECIMAL,
]

Percent = Annotated[
    Decimal,
    Field(allow_inf_nan=False, max_digits=9, decimal_places=4, ge=0, le=100),
    BeforeValidator(_reject_float),
    _AS_STRING,
    _DECIMAL_STRING_SCHEMA,
    _PERCENT,
]

ZERO = Decimal("0")
CENT = Decimal("0.01")


def round_to_cents(amount: Decimal) -> Decimal:
    """Half up, as invoices round: 0.125 → 0.13."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def money_text(value: Decimal) -> str:
    """An amount as a clerk writes it: at least cents (10.00), more only when there are (12.3456)."""
    exponent = value.normalize().as_tuple().exponent
    places = -exponent if isinstance(exponent, int) else 0
    return format(value.quantize(CENT) if places <= 2 else value.normalize(), "f")
