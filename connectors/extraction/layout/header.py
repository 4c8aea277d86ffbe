"""Header fields found by their labels: the value to the right on the label's line, or directly below it.

Every candidate keeps a score (how sure the label is, where the value stood, whether it reads as the
field's type), the tokens it was read from, and its normalised value; `parse` picks among them.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from connectors.extraction.layout.currency import currencies_in
from connectors.extraction.layout.dates import DateOrder, find_dates
from connectors.extraction.layout.labels import HEADER_LABELS, OTHER_LABELS
from connectors.extraction.layout.matching import LabelHit, header_labels
from connectors.extraction.layout.numbers import parse_amount
from connectors.extraction.layout.words import Line, Token, join_tokens

AMOUNT_ROLES = ("subtotal", "tax_total", "total")
ID_ROLES = ("invoice_number", "po_number")
DATE_ROLES = ("issue_date", "due_date")
BELOW_FACTOR = 0.95  # a value under its label is a little less sure than one beside it

# Filler between a label and its value: `Invoice No. : 123`, `Rechnung Nr 123`, `Facture n° 123`.
_FILLER = frozenset({"", "no", "nr", "number", "nummer", "numero", "num", "n", "de", "du", "of", "ref"})
_HAS_DIGIT = re.compile(r"\d")


@dataclass(frozen=True, slots=True)
class Candidate:
    field: str
    value: str
    score: float
    tokens: tuple[Token, ...]
    line: Line


@dataclass(frozen=True, slots=True)
class Reading:
    """How to read values on this document: its date order and decimal separator."""

    date_order: DateOrder
    decimal_separator: str | None


def header_candidates(lines: Sequence[Line], reading: Reading, skip_lines: frozenset[int]) -> list[Candidate]:
    """Candidates for the labelled header fields on one page's `lines` (`skip_lines`: the table's header rows)."""
    found: list[Candidate] = []
    for line in lines:
        if line.index in skip_lines:
            continue
        hits = header_labels(line)
        for position, hit in enumerate(hits):
            if hit.role == "other" or hit.role in ("seller_vat_id", "buyer_name", "seller_name"):
                continue
            following = hits[position + 1] if position + 1 < len(hits) else None
            right = line.tokens[hit.end : following.start if following else len(line.tokens)]
            value = _read(hit.role, right, reading)
            if value is not None:
                found.append(Candidate(hit.role, value[0], hit.weight * value[2], value[1], line))
                continue
            if not right and following is not None and following.role == hit.role:
                continue  # two labels of one field side by side (`Tax` `VAT`): the second one reads the value
            preceding = hits[position - 1] if position > 0 else None
            below = tokens_below(lines, hit, preceding, following)
            value = _read(hit.role, below, reading) if below else None
            if value is not None:
                found.append(Candidate(hit.role, value[0], hit.weight * value[2] * BELOW_FACTOR, value[1], line))
    return found


def tokens_below(
    lines: Sequence[Line], hit: LabelHit, preceding: LabelHit | None, following: LabelHit | None
) -> tuple[Token, ...]:
    """Tokens of the nearest line below the label that stand in the label's column (between its neighbours)."""
    right_edge = following.x0 if following else hit.x1 + max(6 * hit.line.height, 2 * (hit.x1 - hit.x0))
    left_edge = hit.x0 - 2 * hit.line.height
    previous_edge = preceding.x1 if preceding else 0.0
    for line in lines[hit.line.index + 1 : hit.line.index + 4]:
        if line.top - hit.line.bottom > 2.5 * hit.line.height:
            break
        column = tuple(
            token
            for token in line.tokens
            if previous_edge <= token.x0 < right_edge and (token.x0 + token.x1) / 2 >= left_edge
        )
        if column:
            return column
    return ()


def _read(role: str, tokens: Sequence[Token], reading: Reading) -> tuple[str, tuple[Token, ...], float] | None:
    if not tokens:
        return None
    if role in AMOUNT_ROLES:
        return read_amount(tokens, reading)
    if role in DATE_ROLES:
        return read_date(tokens, reading.date_order)
    return read_identifier(tokens)


def read_amount(tokens: Sequence[Token], reading: Reading) -> tuple[str, tuple[Token, ...], float] | None:
    """The last amount among `tokens` (`Tax 15% on $ 112.90 $ 16.94` → 16.94), dates and percentages left out.

    Amounts with decimals or a currency mark are preferred to bare integers (`Net 30 days`).
    """
    in_dates = _tokens_in_dates(tokens, reading.date_order)
    amounts: list[tuple[str, Token, bool]] = []
    for index, token in enumerate(tokens):
        if index in in_dates:
            continue
        value = parse_amount(token.text, decimal_separator=reading.decimal_separator)
        if value is None:
            continue
        neighbours = " ".join(t.text for t in tokens[max(0, index - 1) : index + 2])
        marked = "." in value or bool(currencies_in(neighbours)) or token.text != value
        amounts.append((value, token, marked))
    if not amounts:
        return None
    marked_amounts = [amount for amount in amounts if amount[2]]
    value, token, marked = (marked_amounts or amounts)[-1]
    return value, (token,), 1.0 if marked else 0.6


def read_date(tokens: Sequence[Token], order: DateOrder) -> tuple[str, tuple[Token, ...], float] | None:
    text, offsets = _text_with_offsets(tokens)
    matches = find_dates(text, order)
    if not matches:
        return None
    first = matches[0]
    chosen = tuple(
        token for token, (start, end) in zip(tokens, offsets, strict=True) if start < first.end and end > first.start
    )
    return first.iso, chosen, 0.9 if first.ambiguous else 1.0


def read_identifier(tokens: Sequence[Token]) -> tuple[str, tuple[Token, ...], float] | None:
    """The first token after any filler, if it reads as an identifier (has a digit, is not a date or a label)."""
    for token in tokens:
        if token.key in _FILLER:
            continue
        value = token.text.strip(":;,")
        if not _HAS_DIGIT.search(value) or find_dates(value) or token.key in HEADER_LABELS or token.key in OTHER_LABELS:
            return None
        return value, (token,), 1.0
    return None


def _tokens_in_dates(tokens: Sequence[Token], order: DateOrder) -> set[int]:
    text, offsets = _text_with_offsets(tokens)
    inside: set[int] = set()
    for match in find_dates(text, order):
        inside.update(index for index, (start, end) in enumerate(offsets) if start < match.end and end > match.start)
    return inside


def _text_with_offsets(tokens: Sequence[Token]) -> tuple[str, list[tuple[int, int]]]:
    offsets = []
    position = 0
    for token in tokens:
        offsets.append((position, position + len(token.text)))
        position += len(token.text) + 1
    return join_tokens(tokens), offsets
