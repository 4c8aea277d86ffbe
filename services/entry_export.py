"""The work queue as CSV: a header row, then one line per entry, for a spreadsheet.

Money is written as the exact decimal string (4 places), never a float; times as ISO 8601 UTC.
A text cell a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a carriage
return: a vendor's name or a bot's failure reason may) gets a leading apostrophe, so it is shown
as text (OWASP's advice on CSV injection).
"""

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from typing import Any

from connectors.store import EXPORT_COLUMNS

COLUMNS = (
    "id",
    "status",
    "verdict",
    "source",
    "source_invoice_id",
    "version",
    "vendor_id",
    "vendor_name",
    "invoice_number",
    "invoice_date",
    "po_number",
    "currency",
    "total",
    "rule_set_version",
    "erp_document_id",
    "possible_double_entry",
    "failure_reason",
    "pulled_at",
    "created_at",
    "entered_at",
    "updated_at",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_POSITIONS = tuple(EXPORT_COLUMNS.index(column) for column in COLUMNS)


def csv_chunks(chunks: Iterable[Sequence[tuple[Any, ...]]]) -> Iterator[str]:
    """The header, then each chunk's lines as one string (CRLF-terminated lines, as RFC 4180 has
    them): a response streams a few hundred kilobytes at a time rather than a line at a time.
    `chunks` are those of `EntrySearch.export_chunks`: rows of EXPORT_COLUMNS values."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    cells = itemgetter(*_POSITIONS)

    def text(rows: Iterable[Iterable[str]]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(rows)
        return buffer.getvalue()

    yield text([COLUMNS])
    written, fallback, starts = _WRITTEN.get, _text, frozenset(_FORMULA_STARTS)
    for rows in chunks:
        # A function call per cell would be most of the time a large export takes: whole numbers and
        # text that needs no apostrophe (nearly every cell) go to the writer as they are.
        yield text(
            [
                value
                if (kind := type(value)) is int or (kind is str and value[:1] not in starts)
                else written(kind, fallback)(value)
                for value in cells(row)
            ]
            for row in rows
        )


def _text(value: object) -> str:
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


# How each type of value is written, looked up by its exact type (any other is written as text):
# one dictionary look-up per cell rather than a chain of isinstance checks.
_WRITTEN: dict[type, Callable[[Any], str]] = {
    type(None): lambda _value: "",
    str: _text,
    int: str,
    bool: lambda value: "true" if value else "false",
    Decimal: lambda value: format(value, "f"),
    datetime: datetime.isoformat,
    date: date.isoformat,
}
