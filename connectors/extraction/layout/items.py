"""Rows of the line table into `ExtractedLine`s: cells parsed, quantity and unit split, part numbers found."""

from collections.abc import Sequence

from connectors.extraction.layout.numbers import parse_amount
from connectors.extraction.layout.table import Row, split_part_number, split_quantity
from connectors.extraction.layout.words import Token, span_box, span_confidence
from domain.documents import ExtractedField, ExtractedLine

_FROM_HEADER = 0.85  # a cell read under its column header
_FROM_ARITHMETIC = 0.75  # a row recognised by quantity × price = total alone


def build_lines(rows: Sequence[Row], decimal_separator: str | None) -> list[ExtractedLine]:
    return [line for row in rows if (line := _line(row, decimal_separator)) is not None]


def _line(row: Row, decimal_separator: str | None) -> ExtractedLine | None:
    if row.line is None:
        return None
    page = row.line.page
    base = _FROM_HEADER if row.from_header else _FROM_ARITHMETIC

    def field(value: str | None, tokens: Sequence[Token], factor: float = 1.0) -> ExtractedField:
        if value is None or not tokens or not any(char.isalnum() for char in value):
            return ExtractedField()  # an empty cell, or a dash printed in it
        return ExtractedField(
            value=value, confidence=round(base * factor * span_confidence(tokens), 4), box=span_box(page, tokens)
        )

    def amount(role: str) -> ExtractedField:
        tokens = row.cells.get(role, [])
        text = " ".join(token.text for token in tokens)
        return field(parse_amount(text, decimal_separator=decimal_separator) if text else None, tokens)

    description_tokens = [token for line in row.description_lines for token in line]
    description = " ".join(" ".join(token.text for token in line) for line in row.description_lines if line).strip()
    part_tokens = row.cells.get("part_number", [])
    part = " ".join(token.text for token in part_tokens) or None
    if part is None:
        part, description = split_part_number(description)
        part_tokens = description_tokens[:1] if part else []

    quantity_tokens = row.cells.get("quantity", [])
    quantity_text, unit_in_quantity = split_quantity(" ".join(token.text for token in quantity_tokens))
    quantity = parse_amount(quantity_text, decimal_separator=decimal_separator) if quantity_text else None
    unit_tokens = row.cells.get("unit", [])
    unit = " ".join(token.text for token in unit_tokens) or None
    if unit is None and unit_in_quantity:
        unit, unit_tokens = unit_in_quantity, quantity_tokens[-1:]

    line_total, unit_price = amount("line_total"), amount("unit_price")
    if line_total.value is None and unit_price.value is None:
        return None
    return ExtractedLine(
        description=field(description or None, description_tokens),
        part_number=field(part, part_tokens),
        quantity=field(quantity, quantity_tokens),
        unit=field(unit, unit_tokens),
        unit_price=unit_price,
        line_total=line_total,
    )
