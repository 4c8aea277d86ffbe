"""Checking a provider's values against the domain's normalised forms: a value that does not pass
becomes None with a note saying what was wrong, never a crash and never a guess."""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from domain.documents import AMOUNT_FIELDS, DATE_FIELDS

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PLAIN_AMOUNT = re.compile(r"^-?\d+(?:\.\d+)?$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True, slots=True)
class Checked:
    value: str | None
    note: str | None = None


def check_value(path: str, name: str, raw: Any) -> Checked:
    """`raw` as the normalised value of field `name` (found at `path`, for the note)."""
    if raw is None:
        return Checked(None)
    if name in AMOUNT_FIELDS:
        return _amount(path, raw)
    if not isinstance(raw, str):
        return Checked(None, f"{path}: {raw!r} is not text; left empty")
    text = " ".join(raw.split())
    if not text:
        return Checked(None)
    if name in DATE_FIELDS:
        return _date(path, text)
    if name == "currency":
        return _currency(path, text)
    return Checked(text)


def _date(path: str, text: str) -> Checked:
    if _ISO_DATE.match(text):
        try:
            date.fromisoformat(text)
        except ValueError:
            pass
        else:
            return Checked(text)
    return Checked(None, f"{path}: {text!r} is not an ISO date (YYYY-MM-DD); left empty")


def _amount(path: str, raw: Any) -> Checked:
    # A JSON number is read as an int or (parse_float=Decimal) a Decimal, never a float.
    if isinstance(raw, int | Decimal) and not isinstance(raw, bool):
        number = Decimal(raw)
        if number.is_finite():
            return Checked(format(number, "f"))
    elif isinstance(raw, str):
        text = raw.strip()
        if not text:
            return Checked(None)
        if _PLAIN_AMOUNT.match(text):
            return Checked(text)
    return Checked(None, f"{path}: {raw!r} is not a plain decimal number; left empty")


def _currency(path: str, text: str) -> Checked:
    code = text.upper()
    if _CURRENCY.match(code):
        return Checked(code)
    return Checked(None, f"{path}: {text!r} is not an ISO 4217 currency code; left empty")


def printed_amount(amount: Decimal, printed: str | None) -> str:
    """`amount` (a provider's parsed number) with the decimals the document printed: Azure answers
    `110` for `$110.00`; the domain keeps `110.00`. The printed text decides only when its digits are
    exactly the amount's, so a locale's separators (`1.234,50`) never change the value."""
    if printed:
        digits = re.sub(r"\D", "", printed)
        for places in range(5):
            shown = format(abs(amount).quantize(Decimal(1).scaleb(-places)), "f")
            if shown.replace(".", "") == digits and Decimal(shown) == abs(amount):
                return format(amount.quantize(Decimal(1).scaleb(-places)), "f")
    return format(amount, "f")
