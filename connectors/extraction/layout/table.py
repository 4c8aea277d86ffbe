"""The line table: its header row found by column labels, its rows read by the header's column positions.

Numbers are placed by where they stand (right-aligned under their header, possibly wider than it);
description text keeps to the description even where it runs under the next header. A row is an item
when it has an amount in the price or total column; text-only lines after an item continue its
description; the table ends at the totals (or a large gap, or the page's end unless the next page
repeats the header). Without a header row, rows whose numbers read as quantity × price = total are items.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from connectors.extraction.crosschecks import rounded_like
from connectors.extraction.layout.currency import currencies_in
from connectors.extraction.layout.labels import COLUMN_LABELS, HEADER_LABELS, LINE_VALUE_ROLES
from connectors.extraction.layout.matching import find_labels
from connectors.extraction.layout.numbers import parse_amount
from connectors.extraction.layout.words import Line, Token

_ITEM_ROLES = ("description", "part_number", "quantity", "unit", "unit_price", "line_total")
_TOTAL_ROLES = ("subtotal", "tax_total", "total")
_GAP_ENDS_TABLE = 5.0  # line heights of empty space after which the table is over


@dataclass(frozen=True, slots=True)
class Column:
    role: str
    x0: float
    x1: float


@dataclass(frozen=True, slots=True)
class TableHeader:
    line: Line  # the header's first line; a header label may wrap onto the next (`Unit` / `price`)
    columns: tuple[Column, ...]
    line_indexes: frozenset[int]


@dataclass(slots=True)
class Row:
    """One item as read: the tokens of each of its cells (the description may span several lines)."""

    cells: dict[str, list[Token]] = field(default_factory=dict)
    description_lines: list[list[Token]] = field(default_factory=list)
    from_header: bool = True
    line: Line | None = None


def find_table_header(lines: Sequence[Line]) -> TableHeader | None:
    """The line naming the most item columns (one for what was sold, one for a number)."""
    best: tuple[int, TableHeader] | None = None
    for position, line in enumerate(lines):
        following = lines[position + 1] if position + 1 < len(lines) else None
        for merged, indexes in ((line, {line.index}), *_wrapped(line, following)):
            labelled = Line(merged.page, merged.index, tuple(t for t in merged.tokens if not _currency_note(t)))
            if not labelled.tokens:
                continue
            hits = find_labels(labelled, COLUMN_LABELS)
            roles = {hit.role for hit in hits if hit.role in _ITEM_ROLES}
            matched = sum(hit.end - hit.start for hit in hits)
            # An item table says what was sold: without a description or code column it is a tax breakdown.
            named = roles & {"description", "part_number"}
            if not named or not roles & set(LINE_VALUE_ROLES) or matched < 0.6 * len(labelled.tokens):
                continue
            # A wrapped reading naming as many columns is the better one: its second line is header too.
            if best is None or len(roles) > best[0] or (len(roles) == best[0] and best[1].line is line):
                best = (len(roles), TableHeader(line, _columns(hits), frozenset(indexes)))
    return best[1] if best else None


def _wrapped(line: Line, below: Line | None) -> list[tuple[Line, set[int]]]:
    """`line` with the words of a close line below joined to the header words above them (`Quantit` + `y`)."""
    if below is None or below.top - line.bottom > 0.8 * line.height:
        return []
    if any(parse_amount(token.text) is not None for token in below.tokens):
        return []
    stacked = list(line.tokens)
    for token in below.tokens:
        if _currency_note(token):
            continue
        # A fragment joins the rightmost header word it stands under (`Prijs per` / `eenheid`).
        under = [index for index, upper in enumerate(stacked) if min(token.x1, upper.x1) > max(token.x0, upper.x0)]
        if not under:
            stacked.append(token)
            continue
        index = max(under, key=lambda position: stacked[position].x1)
        upper = stacked[index]
        broken_word = upper.text[-1:].isalpha() and token.text[:1].islower() and len(under) == 1
        text = f"{upper.text}{'' if broken_word else ' '}{token.text}"
        stacked[index] = Token(
            text, min(upper.x0, token.x0), upper.top, max(upper.x1, token.x1), token.bottom, upper.confidence
        )
    merged = Line(line.page, line.index, tuple(sorted(stacked, key=lambda token: token.x0)))
    return [(merged, {line.index, below.index})]


def _currency_note(token: Token) -> bool:
    """`(EUR)`, `€`, `in GBP` under a header: says the currency, names no column."""
    text = token.text.strip("()[] ")
    return bool(currencies_in(text)) and not re.sub(r"[€$£¥₹]|[A-Z]{3}", "", text).strip()


def _columns(hits: Sequence) -> tuple[Column, ...]:  # type: ignore[type-arg]
    chosen: dict[str, tuple[float, int]] = {}
    for index, hit in enumerate(hits):
        weight = hit.weight
        kept = chosen.get(hit.role)
        # Of two columns for one role the surer label wins; between equals, the rightmost total.
        if kept is None or weight > kept[0] or (weight == kept[0] and hit.role == "line_total"):
            chosen[hit.role] = (weight, index)
    keep = {index: role for role, (_, index) in chosen.items()}
    # Two description columns (`Artikel`, `Omschrijving`): the one with the weaker label holds the item's code.
    descriptions = [index for index, hit in enumerate(hits) if hit.role == "description"]
    if len(descriptions) == 2 and "part_number" not in chosen:
        weaker = min(descriptions, key=lambda index: (hits[index].weight, -index))
        if hits[weaker].weight < max(hits[index].weight for index in descriptions):
            keep[weaker] = "part_number"
            keep[next(index for index in descriptions if index != weaker)] = "description"
    return tuple(Column(keep.get(index, "other"), hit.x0, hit.x1) for index, hit in enumerate(hits))


@dataclass(frozen=True, slots=True)
class TableRead:
    rows: list[Row]
    runs_on: bool  # no total ended it: it may continue under a repeated header on the next page
    line_indexes: frozenset[int]  # the page's lines that were the table's (header, items, descriptions)


def read_rows(header: TableHeader, lines: Sequence[Line]) -> TableRead:
    """Items below `header` on its page."""
    rows: list[Row] = []
    used = set(header.line_indexes)
    continuing = False
    last_bottom = max(lines[index].bottom for index in header.line_indexes)
    for line in lines[max(header.line_indexes) + 1 :]:
        if rows and line.top - last_bottom > _GAP_ENDS_TABLE * line.height:
            break  # a footer: the table may go on over the page
        previous_bottom, last_bottom = last_bottom, line.bottom
        if not rows:  # more header lines (`excl. VAT` under `Price`), section titles
            used.add(line.index)
        cells = _assign(line, header.columns)
        total_role = _totals_label(line, cells)
        if total_role is not None:
            if rows and total_role == "total":
                return TableRead(rows, False, frozenset(used))
            continuing = False
            continue
        if _is_item(cells):
            rows.append(
                Row(
                    cells={role: tokens for role, tokens in cells.items() if role != "description"},
                    description_lines=[cells.get("description", [])],
                    line=line,
                )
            )
            continuing = True
            used.add(line.index)
        elif continuing and set(cells) == {"description"} and line.top - previous_bottom <= 1.2 * line.height:
            rows[-1].description_lines.append(cells["description"])
            used.add(line.index)
        else:
            continuing = False
    return TableRead(rows, True, frozenset(used) if rows else header.line_indexes)


def headerless_rows(lines: Sequence[Line], decimal_separator: str | None) -> list[Row]:
    """Rows ending in three numbers with quantity × price = total, the text before them the description."""
    rows: list[Row] = []
    for line in lines:
        numbers: list[tuple[Decimal, Token]] = []
        for token in reversed(line.tokens):
            value = parse_amount(token.text, decimal_separator=decimal_separator)
            if value is None:
                if token.text.strip() in ("€", "$", "£", "x", "×"):
                    continue
                break
            numbers.insert(0, (Decimal(value), token))
        if len(numbers) < 3 or _totals_label(line, None):
            continue
        (quantity, q_token), (price, p_token), (total, t_token) = numbers[-3:]
        if quantity == 0 or rounded_like(quantity * price, total) != total:
            continue
        description = [
            token for token in line.tokens if token.x1 <= numbers[0][1].x0 and token not in (q_token, p_token)
        ]
        if not description:
            continue
        rows.append(
            Row({"quantity": [q_token], "unit_price": [p_token], "line_total": [t_token]}, [description], False, line)
        )
    return rows


def _totals_label(line: Line, cells: dict[str, list[Token]] | None) -> str | None:
    """The totals label (subtotal, tax, total) that makes `line` part of the totals rather than an item.

    It opens the line, or stands anywhere on a line without a quantity (`Prices incl. VAT  Invoice total 49.99`).
    """
    for hit in find_labels(line, HEADER_LABELS):
        if hit.role not in _TOTAL_ROLES or hit.weight < 0.8:
            continue
        quantity = " ".join(token.text for token in (cells or {}).get("quantity", []))
        if hit.start <= 1 or parse_amount(split_quantity(quantity)[0]) is None:
            return hit.role
    return None


def _assign(line: Line, columns: Sequence[Column]) -> dict[str, list[Token]]:
    cells: dict[str, list[Token]] = {}
    previous_role: str | None = None
    previous: Token | None = None
    for token in line.tokens:
        role = _column_of(token, columns)
        numeric = parse_amount(token.text) is not None
        # A space between words; wider against OCR boxes, which are as tall as the letters, not the font.
        space = (1.1 if token.confidence < 1.0 else 0.8) * line.height
        attached = previous is not None and token.x0 - previous.x1 <= space
        overlaps_value_column = any(
            column.role in LINE_VALUE_ROLES and token.x1 > column.x0 and token.x0 < column.x1 for column in columns
        )
        if previous_role == "description" and attached and not (numeric and overlaps_value_column):
            role = "description"
        cells.setdefault(role, []).append(token)
        previous_role, previous = role, token
    return cells


def _column_of(token: Token, columns: Sequence[Column]) -> str:
    overlaps = [(min(token.x1, column.x1) - max(token.x0, column.x0), column) for column in columns]
    best_overlap, best = max(overlaps, key=lambda pair: pair[0])
    if best_overlap > 0:
        return best.role
    centre = (token.x0 + token.x1) / 2

    def distance(column: Column) -> float:
        return min(abs(token.x1 - column.x1), abs(token.x0 - column.x0), abs(centre - (column.x0 + column.x1) / 2))

    nearest = min(columns, key=distance)
    # Numbers stand right-aligned under their header, reaching left of it by a little, not by a column's width:
    # a number far left of a number column is part of the text before it (`NO, 8 mm sensing range`).
    if nearest.role in LINE_VALUE_ROLES and token.x1 < nearest.x0 - (nearest.x1 - nearest.x0):
        text_columns = [column for column in columns if column.x1 <= token.x1 and column.role not in LINE_VALUE_ROLES]
        if text_columns:
            return max(text_columns, key=lambda column: column.x1).role
    return nearest.role


def _is_item(cells: dict[str, list[Token]]) -> bool:
    return any(cell_amount(cells.get(role, [])) is not None for role in ("line_total", "unit_price"))


def cell_amount(tokens: Sequence[Token], decimal_separator: str | None = None) -> tuple[str, list[Token]] | None:
    """The amount in a cell: all of it (`€ 1 234,50`), or else its last token that is one (`% 1.873,25`)."""
    if not tokens:
        return None
    whole = parse_amount(" ".join(token.text for token in tokens), decimal_separator=decimal_separator)
    if whole is not None:
        return whole, list(tokens)
    for token in reversed(tokens):
        value = parse_amount(token.text, decimal_separator=decimal_separator)
        if value is not None:
            return value, [token]
    return None


_QUANTITY_WITH_UNIT = re.compile(r"^([-+]?[\d.,' ]*\d)\s*([^\W\d][\w./²³]*)$")
_LEADING_CODE = re.compile(r"^\[([^\]]+)\]\s*|^\*([^*]+)\*\s*")


def split_quantity(text: str) -> tuple[str, str | None]:
    """`12 pcs` → (`12`, `pcs`), `2,5 h` → (`2,5`, `h`), `3` → (`3`, None)."""
    match = _QUANTITY_WITH_UNIT.match(text.strip())
    if match:
        return match.group(1).strip(), match.group(2)
    return text.strip(), None


def split_part_number(description: str) -> tuple[str | None, str]:
    """A code printed in brackets before the description: `[17589684] Beeswax XL` → (`17589684`, `Beeswax XL`)."""
    match = _LEADING_CODE.match(description)
    if match:
        return (match.group(1) or match.group(2)).strip(), description[match.end() :].strip()
    return None, description
