"""Values read out of e-invoice XML exactly: decimals as written, dates as ISO, prices per one unit.

Shared by the CII and UBL readers. A value the XML has is kept with confidence 1.0; a value the
XML has but that is not what its schema allows (`12,50` for an amount) is left out and said in a
note, rather than guessed at. Money never passes through float.
"""

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal, Inexact, localcontext

from lxml import etree

from domain.documents import ExtractedCharge, ExtractedField

# xsd:decimal's lexical space: no exponent, no NaN or Infinity.
_XSD_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_UBL_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(?:Z|[+-]\d{2}:\d{2})?")
_CII_DATE_102 = re.compile(r"\d{8}")
_WHITESPACE = re.compile(r"\s+")

# UNTDID 1001 document types that credit the buyer rather than charge them.
_CREDIT_NOTE_TYPE_CODES = frozenset({"81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532"})

# A price per a basis quantity that does not divide exactly is rounded to this many places beyond the price's own.
_EXTRA_PRICE_PLACES = 4


class FieldReader:
    """Collects the fields of one document or line that the XML has, and notes on those it has but cannot read."""

    def __init__(self, notes: list[str], path: str = "") -> None:
        self.found: dict[str, ExtractedField] = {}
        self._notes = notes
        self._path = path

    def text(self, name: str, raw: str | None) -> None:
        value = clean_text(raw)
        if value is not None:
            self.found[name] = exact(value)

    def amount(self, name: str, raw: str | None) -> None:
        self._parsed(name, raw, decimal_text, "is not a decimal number")

    def date(self, name: str, raw: str | None, date_format: str | None = None) -> None:
        """An xsd:date (UBL), or with `date_format` a CII date string in that UNTDID 2379 format."""
        if date_format is None:
            self._parsed(name, raw, ubl_date, "is not a date (YYYY-MM-DD)")
        else:
            self._parsed(name, raw, lambda text: cii_date(text, date_format), f"is not a date in format {date_format}")

    def price(self, name: str, raw_price: str | None, raw_basis: str | None) -> None:
        """The price of one unit, from a price the XML may state for a basis quantity (`12.00` per 100)."""
        price, basis = clean_text(raw_price), clean_text(raw_basis)
        if price is None:
            return
        try:
            price_text = decimal_text(price)
            basis_text = None if basis is None else decimal_text(basis)
            value, rounded = price_per_unit(price_text, basis_text)
        except ValueError as error:
            self.note(f"{name}: {error}; left out")
            return
        self.found[name] = exact(value)
        if rounded:
            self.note(f"{name}: {price_text} per {basis_text} units, rounded to {value}")

    def amount_due(self, raw_due: str | None) -> None:
        """Say when less is due than the total (some prepaid): the total stays the invoice's grand total."""
        total, due = self.found.get("total"), clean_text(raw_due)
        if total is None or total.value is None or due is None:
            return
        try:
            differs = Decimal(decimal_text(due)) != Decimal(total.value)
        except ValueError:
            differs = True
        if differs:
            self.note(f"amount due {due} differs from the total {total.value} (prepaid or rounded)")

    def note(self, message: str) -> None:
        self._notes.append(f"{self._path}{message}")

    def _parsed(self, name: str, raw: str | None, parse: Callable[[str], str], problem: str) -> None:
        value = clean_text(raw)
        if value is None:
            return
        try:
            self.found[name] = exact(parse(value))
        except ValueError:
            self.note(f"{name}: {value!r} {problem}; left out")


def document_charges(
    found: list[tuple[str | None, str | None, str | None]], notes: list[str]
) -> tuple[ExtractedCharge, ...]:
    """The document-level charges among (charge indicator, amount, reason) of its allowances and
    charges; an allowance (a discount) is not a charge, and a note says it is left out."""
    charges = []
    for indicator, raw_amount, reason in found:
        amount = clean_text(raw_amount)
        try:
            value = decimal_text(amount or "")
        except ValueError:
            notes.append(f"an allowance or charge of {amount!r} is not a decimal number; left out")
            continue
        if (clean_text(indicator) or "").lower() != "true":
            notes.append(f"an allowance of {value} ({reason or 'no reason given'}) is not read: it is no charge")
            continue
        description = clean_text(reason)
        charges.append(
            ExtractedCharge(description=exact(description) if description else ExtractedField(), amount=exact(value))
        )
    return tuple(charges)


def exact(value: str) -> ExtractedField:
    """A value read from the XML itself: certain, and on no page."""
    return ExtractedField(value=value, confidence=1.0)


def credit_note_notes(type_code: str | None, credit_note: bool) -> list[str]:
    """A note that the document is a credit note (by its root or its UNTDID 1001 type code), else none."""
    code = clean_text(type_code)
    if not credit_note and code not in _CREDIT_NOTE_TYPE_CODES:
        return []
    coded = f" (type code {code})" if code is not None else ""
    return [f"a credit note{coded}: amounts and quantities as the XML states them"]


def in_currency(amounts: list[etree._Element], currency: str | None) -> str | None:
    """The amount stated in the invoice's currency: the VAT total may be repeated in the tax accounting currency."""
    for amount in amounts:
        if currency is None or amount.get("currencyID") in (None, currency):
            text: str | None = amount.text
            return text
    return None


def clean_text(raw: str | None) -> str | None:
    """Text as the XML has it, with the layout whitespace of pretty-printed XML folded; None when empty."""
    if raw is None:
        return None
    folded = _WHITESPACE.sub(" ", raw).strip()
    return folded or None


def decimal_text(raw: str) -> str:
    """An xsd:decimal as a plain decimal string keeping its written places (`+198.00` -> `198.00`)."""
    text = raw.strip()
    if not _XSD_DECIMAL.fullmatch(text):
        raise ValueError(f"not a decimal: {raw!r}")
    return format(Decimal(text), "f")


def cii_date(raw: str, date_format: str) -> str:
    """A CII date (qualifier 102: `YYYYMMDD`) as ISO `YYYY-MM-DD`; other qualifiers name no single day."""
    text = raw.strip()
    if date_format != "102" or not _CII_DATE_102.fullmatch(text):
        raise ValueError(f"not a day in format 102: {raw!r}")
    return date(int(text[:4]), int(text[4:6]), int(text[6:])).isoformat()


def ubl_date(raw: str) -> str:
    """An xsd:date (`2026-03-31`, maybe with a zone) as ISO `YYYY-MM-DD`."""
    match = _UBL_DATE.fullmatch(raw.strip())
    if match is None:
        raise ValueError(f"not an xsd:date: {raw!r}")
    return date.fromisoformat(match.group(1)).isoformat()


def price_per_unit(price: str, basis: str | None) -> tuple[str, bool]:
    """The price of one unit from a price for `basis` units (both decimal strings), and whether it was rounded.

    Exact when the division ends, keeping at least the price's written places (`25.00` per 10 -> `2.50`).
    """
    if basis is None or Decimal(basis) == 1:
        return price, False
    amount, quantity = Decimal(price), Decimal(basis)
    if quantity == 0:
        raise ValueError(f"a price {price} for a basis quantity of {basis}")
    places = _exponent(amount)
    with localcontext() as context:
        context.traps[Inexact] = True
        try:
            quotient: Decimal | None = amount / quantity
        except Inexact:
            quotient = None
    if quotient is None:
        rounded = (amount / quantity).quantize(Decimal(1).scaleb(places - _EXTRA_PRICE_PLACES))
        return format(rounded, "f"), True
    if _exponent(quotient) > places:
        quotient = quotient.quantize(Decimal(1).scaleb(places))
    return format(quotient, "f"), False


def _exponent(number: Decimal) -> int:
    exponent = number.as_tuple().exponent
    if not isinstance(exponent, int):
        raise ValueError(f"not a finite number: {number}")
    return exponent
