"""Amounts as printed in English, German, French, Dutch and Swiss documents, read into exact decimal strings."""

import re
from decimal import Decimal, InvalidOperation

# Currency marks that may stand before or after an amount; codes only as whole words.
_CURRENCY_MARK = r"(?:US\$|A\$|C\$|CHF|EUR|USD|GBP|INR|PLN|SEK|NOK|DKK|JPY|CAD|AUD|SFr\.?|Fr\.|Rs\.?|[€$£¥₹])"
_STRIP_CURRENCY = re.compile(rf"^\s*{_CURRENCY_MARK}\s*|\s*{_CURRENCY_MARK}\s*$", re.IGNORECASE)
_GROUPS = "[ ,.'’\u00a0\u202f]"
_NUMBER = re.compile(rf"\d{{1,3}}(?:{_GROUPS}\d{{3}})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?|[.,]\d+")
_MINUS = "-−–"


def parse_amount(text: str, *, decimal_separator: str | None = None) -> str | None:
    """`1.234,56` → `1234.56`, `(12.50)` → `-12.50`, `10,00 €` → `10.00`; None when `text` is not one amount.

    `decimal_separator` (`.` or `,`) decides the one ambiguous case, a single separator followed by
    exactly three digits (`1,234`): without it that separator groups thousands.
    """
    body = text.strip()
    if not body or "%" in body:
        return None
    negative = False
    if body.startswith("(") and body.endswith(")"):
        negative, body = True, body[1:-1].strip()
    previous = None
    while previous != body:
        previous = body
        body = _STRIP_CURRENCY.sub("", body).strip()
        if body[:1] in _MINUS:
            negative, body = True, body[1:].strip()
        elif body[-1:] in _MINUS:
            negative, body = True, body[:-1].strip()
        elif body[:1] == "+":
            body = body[1:].strip()
    if not body or not _NUMBER.fullmatch(body):
        return None
    digits = _normalise_separators(body, decimal_separator)
    if digits is None:
        return None
    try:
        Decimal(digits)
    except InvalidOperation:
        return None
    return f"-{digits}" if negative and digits.strip("0.") else digits


def _normalise_separators(body: str, decimal_separator: str | None) -> str | None:
    separators = [(index, char) for index, char in enumerate(body) if not char.isdigit()]
    if not separators:
        return body
    last_index, last_char = separators[-1]
    decimals = len(body) - last_index - 1
    kinds = {char for _, char in separators}
    if last_char in ".," and (len(kinds) > 1 or len(separators) == 1):
        # The last of two kinds of separator is the decimal one; a single one is, unless it
        # is followed by exactly three digits and the document does not use it as its decimal mark.
        single_ambiguous = len(separators) == 1 and decimals == 3 and last_index > 0
        if single_ambiguous and decimal_separator != last_char:
            return body.replace(last_char, "")
        integer = "".join(char for char in body[:last_index] if char.isdigit()) or "0"
        return f"{integer}.{body[last_index + 1 :]}"
    # Several separators of one kind, or spaces and apostrophes: thousands groups only.
    return "".join(char for char in body if char.isdigit())


def dominant_decimal_separator(texts: list[str]) -> str | None:
    """`,` or `.`: which one the document's amounts use before their two decimals (None if no evidence)."""
    commas = dots = 0
    for text in texts:
        for match in re.finditer(r"\d([.,])\d{2}(?!\d)", text):
            if match.group(1) == ",":
                commas += 1
            else:
                dots += 1
    if commas == dots:
        return None
    return "," if commas > dots else "."
