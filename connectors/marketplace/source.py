"""Pulls new and changed invoices from the marketplace database, page by page.

The cursor is (updated_at, invoice_id) of the last row read. A row can commit after a row with
a later `updated_at` (a long transaction on the marketplace side), so every pull starts
`lookback` before the cursor and re-reads that window; the store ignores invoice versions it
already holds, so nothing is taken twice and nothing committed late is skipped, as long as no
marketplace transaction stays open longer than the lookback.

Each page costs three queries (headers, lines, charges), whatever its size. A row that cannot
become an `Invoice` (missing PO number, "twelve" as a quantity, a negative price) becomes an
`IntakeError` naming the field, and the rest of the page goes on.
"""

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, ValidationError

from connectors.db import MAX_INTEGER_ID, DatabaseTimeouts, create_engine_for, rows_as_dicts
from connectors.marketplace.schema import mp_invoice, mp_invoice_charge, mp_invoice_line
from domain import ChargeKind, FieldError, IntakeError, Invoice
from settings import Settings


class MarketplaceCursor(BaseModel):
    """Position after the last marketplace row read: stored with the rows it covers."""

    model_config = ConfigDict(frozen=True)

    updated_at: datetime
    invoice_id: int

    def __lt__(self, other: "MarketplaceCursor") -> bool:
        return (self.updated_at, self.invoice_id) < (other.updated_at, other.invoice_id)


@dataclass(frozen=True)
class PulledPage:
    invoices: tuple[Invoice, ...]
    errors: tuple[IntakeError, ...]
    # Where the next pull continues from; never behind the cursor the pull started at.
    cursor: MarketplaceCursor
    # The last row this page read: where this same pull's next page starts (behind `cursor`
    # while the pull re-reads its lookback window).
    last_read: MarketplaceCursor


_CHARGE_KINDS = {kind.value for kind in ChargeKind}


def _present(row: Mapping[str, Any] | sa.RowMapping, *columns: str) -> dict[str, Any]:
    """The row's non-NULL values: a NULL becomes "field required" rather than a type error."""
    return {c: row[c] for c in columns if row[c] is not None}


def _charge_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    charge_type = (row["charge_type"] or "").strip().lower()
    kind = charge_type if charge_type in _CHARGE_KINDS else ChargeKind.OTHER.value
    description = row["description"] or (row["charge_type"] if kind == ChargeKind.OTHER.value else "")
    return {"kind": kind, "description": description, **_present(row, "amount")}


def _field_errors(error: ValidationError, line_numbers: Sequence[int]) -> tuple[FieldError, ...]:
    """Pydantic's errors as clerk-readable fields: "lines[3].quantity" names line 3, not index 2."""
    errors = []
    items = error.errors()
    line_problems = any(item["loc"][:1] == ("lines",) and len(item["loc"]) > 2 for item in items)
    for item in items:
        if line_problems and item["loc"] == ("lines",) and item["type"] == "too_short":
            continue  # "no lines" only because every line is broken: the line errors say why
        loc = list(item["loc"])
        if len(loc) >= 2 and loc[0] == "lines" and isinstance(loc[1], int) and loc[1] < len(line_numbers):
            loc[:2] = [f"lines[{line_numbers[loc[1]]}]"]
        elif len(loc) >= 2 and loc[0] == "charges" and isinstance(loc[1], int):
            loc[:2] = [f"charges[{loc[1] + 1}]"]
        field = ".".join(str(part) for part in loc) or "invoice"
        value = item.get("input")
        shown = None if isinstance(value, dict | list | tuple) or value is None else str(value)[:100]
        message = "is required" if item["type"] == "missing" else item["msg"]
        errors.append(FieldError(field=field, message=message, value=shown))
    return tuple(errors)


class MarketplaceSource:
    def __init__(
        self,
        engine: sa.Engine,
        *,
        source_name: str = "marketplace",
        page_size: int = 1000,
        lookback: timedelta = timedelta(minutes=5),
    ) -> None:
        self._engine = engine
        self._source = source_name
        self._page_size = page_size
        self._lookback = lookback

    @classmethod
    def from_settings(cls, settings: Settings) -> "MarketplaceSource":
        return cls(
            create_engine_for(settings.marketplace_db_url, DatabaseTimeouts.from_settings(settings)),
            source_name=settings.marketplace_source,
            page_size=settings.marketplace_page_size,
            lookback=timedelta(seconds=settings.marketplace_cursor_lookback_seconds),
        )

    @property
    def source_name(self) -> str:
        return self._source

    def ping(self) -> None:
        """One round trip; raises when the marketplace database does not answer."""
        with self._engine.connect() as conn:
            conn.execute(sa.select(1))

    def close(self) -> None:
        self._engine.dispose()

    def pull(
        self, since: MarketplaceCursor | None, *, resume_after: MarketplaceCursor | None = None
    ) -> Iterator[PulledPage]:
        """Every invoice changed after `since` (minus the lookback), one page at a time.

        `resume_after`: the `last_read` of a page this pull already yielded; it goes on from there,
        as if it had never stopped (pages keep `since` as their cursor's floor)."""
        position = resume_after
        if position is None and since is not None:
            position = MarketplaceCursor(updated_at=since.updated_at - self._lookback, invoice_id=0)
        high_water = since
        while True:
            with self._engine.connect() as conn:
                headers = self._headers_after(conn, position)
                if not headers:
                    return
                ids = [h["invoice_id"] for h in headers]
                lines = self._children(conn, mp_invoice_line, ids, mp_invoice_line.c.line_no)
                charges = self._children(conn, mp_invoice_charge, ids, mp_invoice_charge.c.charge_no)
            position = MarketplaceCursor(updated_at=headers[-1]["updated_at"], invoice_id=headers[-1]["invoice_id"])
            high_water = position if high_water is None or high_water < position else high_water
            invoices, errors = self._parse_page(headers, lines, charges)
            yield PulledPage(invoices=invoices, errors=errors, cursor=high_water, last_read=position)
            if len(headers) < self._page_size:
                return

    def fetch_invoice(self, source_invoice_id: str) -> Invoice | IntakeError | None:
        """The current version of one marketplace invoice (None when there is no such invoice)."""
        # ASCII digits only (int("²") raises), within the INTEGER column.
        if not (source_invoice_id.isascii() and source_invoice_id.isdigit()) or int(source_invoice_id) > MAX_INTEGER_ID:
            return None
        invoice_id = int(source_invoice_id)
        with self._engine.connect() as conn:
            header = conn.execute(sa.select(mp_invoice).where(mp_invoice.c.invoice_id == invoice_id)).mappings().first()
            if header is None:
                return None
            lines = self._children(conn, mp_invoice_line, [invoice_id], mp_invoice_line.c.line_no)
            charges = self._children(conn, mp_invoice_charge, [invoice_id], mp_invoice_charge.c.charge_no)
        return self._parse_invoice(header, lines.get(invoice_id, []), charges.get(invoice_id, []))

    def _headers_after(self, conn: sa.Connection, position: MarketplaceCursor | None) -> list[dict[str, Any]]:
        query = sa.select(mp_invoice).order_by(mp_invoice.c.updated_at, mp_invoice.c.invoice_id).limit(self._page_size)
        if position is not None:
            # Spelled out rather than a row-value comparison, which SQL Server lacks.
            query = query.where(
                sa.or_(
                    mp_invoice.c.updated_at > position.updated_at,
                    sa.and_(
                        mp_invoice.c.updated_at == position.updated_at, mp_invoice.c.invoice_id > position.invoice_id
                    ),
                )
            )
        return rows_as_dicts(conn.execute(query))

    @staticmethod
    def _children(
        conn: sa.Connection, table: sa.Table, invoice_ids: list[int], order: sa.Column[Any]
    ) -> dict[int, list[dict[str, Any]]]:
        by_invoice: dict[int, list[dict[str, Any]]] = defaultdict(list)
        query = sa.select(table).where(table.c.invoice_id.in_(invoice_ids)).order_by(table.c.invoice_id, order)
        for row in rows_as_dicts(conn.execute(query)):
            by_invoice[row["invoice_id"]].append(row)
        return by_invoice

    def _parse_page(
        self,
        headers: list[dict[str, Any]],
        lines: Mapping[int, list[dict[str, Any]]],
        charges: Mapping[int, list[dict[str, Any]]],
    ) -> tuple[tuple[Invoice, ...], tuple[IntakeError, ...]]:
        invoices: list[Invoice] = []
        errors: list[IntakeError] = []
        for header in headers:
            parsed = self._parse_invoice(
                header, lines.get(header["invoice_id"], []), charges.get(header["invoice_id"], [])
            )
            if isinstance(parsed, Invoice):
                invoices.append(parsed)
            else:
                errors.append(parsed)
        return tuple(invoices), tuple(errors)

    def _parse_invoice(
        self, header: Mapping[str, Any] | sa.RowMapping, lines: list[dict[str, Any]], charges: list[dict[str, Any]]
    ) -> Invoice | IntakeError:
        fields = {
            "source": self._source,
            "source_invoice_id": str(header["invoice_id"]),
            "version": header["version"],
            **_present(
                header,
                "vendor_id",
                "invoice_number",
                "invoice_date",
                "due_date",
                "currency",
                "po_number",
                "subtotal",
                "tax_amount",
            ),
            "vendor_name": header["vendor_name"] or "",
            "lines": [
                {
                    **_present(
                        line,
                        "line_no",
                        "part_number",
                        "quantity",
                        "uom",
                        "unit_price",
                        "line_total",
                        "tax_rate",
                        "tax_amount",
                    ),
                    "description": line["description"] or "",
                }
                for line in lines
            ],
            "charges": [_charge_fields(charge) for charge in charges],
        }
        if header["total_amount"] is not None:
            fields["total"] = header["total_amount"]
        try:
            return Invoice.model_validate(fields)
        except ValidationError as exc:
            field_errors = _field_errors(exc, [line["line_no"] for line in lines])
        return IntakeError(
            source=self._source,
            source_invoice_id=str(header["invoice_id"]),
            version=header["version"],
            po_number=header["po_number"],
            vendor_id=header["vendor_id"],
            errors=field_errors,
        )
