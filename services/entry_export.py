"""The work queue as CSV: a header row, then one line per entry, for a spreadsheet.

Money is written as the exact decimal string (4 places), never a float; times as ISO 8601 UTC.
A text cell a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a carriage
return: a vendor's name or a bot's failure reason may) gets a leading apostrophe, so it is shown
as text (OWASP's advice on CSV injection).
"""

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal

from connectors.store import QueueEntry

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


def csv_lines(entries: Iterable[QueueEntry]) -> Iterator[str]:
    """The header, then each entry's line (CRLF-terminated, as RFC 4180 has it), one string each."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells: Iterable[str]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(cells)
        return buffer.getvalue()

    yield line(COLUMNS)
    for entry in entries:
        yield line(_cell(getattr(entry, column)) for column in COLUMNS)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
