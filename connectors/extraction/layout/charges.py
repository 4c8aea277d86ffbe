"""Extra charges printed among the totals: shipping, freight, handling, packing, a surcharge.

A charge line starts with a charge label and ends with its amount, and carries no quantity and
price as an item would; it is not an item of the table even when it stands right under it.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from connectors.extraction.layout.labels import CHARGE_LABELS
from connectors.extraction.layout.matching import find_labels
from connectors.extraction.layout.numbers import parse_amount
from connectors.extraction.layout.words import Line, Token, span_box, span_confidence
from domain.documents import ExtractedCharge, ExtractedField

_CURRENCY_MARKS = frozenset({"€", "$", "£", "EUR", "USD", "GBP", "CHF", "CAD"})
_MAX_NUMBERS = 2  # the amount, and perhaps a rate: an item row has quantity, price and total


@dataclass(frozen=True)
class ChargeLine:
    line: Line
    charge: ExtractedCharge


def charge_lines(lines: Sequence[Line], decimal_separator: str | None) -> list[ChargeLine]:
    found = []
    for line in lines:
        hits = [hit for hit in find_labels(line, CHARGE_LABELS) if hit.start == 0]
        if not hits:
            continue
        words = [token for token in line.tokens if token.text.strip() not in _CURRENCY_MARKS]
        numbers = [token for token in words if parse_amount(token.text, decimal_separator=decimal_separator)]
        if not numbers or len(numbers) > _MAX_NUMBERS or words[-1] is not numbers[-1]:
            continue
        amount_token = numbers[-1]
        amount = parse_amount(amount_token.text, decimal_separator=decimal_separator)
        # the words before the amount: `Freight - expedited`, not just its label
        label: list[Token] = [token for token in words if token.x1 <= amount_token.x0]
        description = " ".join(token.text for token in label)
        confidence = 0.9 * span_confidence([*label, amount_token])
        found.append(
            ChargeLine(
                line,
                ExtractedCharge(
                    description=ExtractedField(
                        value=description, confidence=confidence, box=span_box(line.page, label)
                    ),
                    amount=ExtractedField(value=amount, confidence=confidence, box=span_box(line.page, [amount_token])),
                ),
            )
        )
    return found
