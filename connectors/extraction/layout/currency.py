"""The invoice's currency from the symbols and codes printed on it, those near totals counting most."""

import re
from collections import Counter

_SYMBOLS = {"€": "EUR", "£": "GBP", "$": "USD", "¥": "JPY", "₹": "INR", "zł": "PLN"}
_CODES = ("EUR", "USD", "GBP", "CHF", "INR", "PLN", "SEK", "NOK", "DKK", "JPY", "CAD", "AUD", "CZK", "HUF")
_WORDS = {"euro": "EUR", "euros": "EUR", "rs": "INR", "rs.": "INR", "sfr.": "CHF", "fr.": "CHF", "dollars": "USD"}
_CODE = re.compile(r"(?<![A-Za-z])(" + "|".join(_CODES) + r")(?![A-Za-z])")
_SYMBOL = re.compile(r"US\$|C\$|A\$|zł|[€£$¥₹]")
_PREFIXED_DOLLAR = {"US$": "USD", "C$": "CAD", "A$": "AUD"}


def currencies_in(text: str) -> list[str]:
    """ISO codes of every currency mark in `text` (`€ 12,00 / 10 EUR` → [EUR, EUR])."""
    found = [match.group(1) for match in _CODE.finditer(text)]
    for match in _SYMBOL.finditer(text):
        mark = match.group(0)
        found.append(_PREFIXED_DOLLAR.get(mark) or _SYMBOLS[mark])
    for word in text.lower().split():
        code = _WORDS.get(word.strip(",;:()"))
        if code:
            found.append(code)
    return found


def detect_currency(lines: list[str], total_lines: list[str]) -> str | None:
    """The most frequent currency, marks on the lines of the totals counting three times."""
    counts: Counter[str] = Counter()
    for text in lines:
        counts.update(currencies_in(text))
    for text in total_lines:
        for code in currencies_in(text):
            counts[code] += 2
    if not counts:
        return None
    return counts.most_common(1)[0][0]
