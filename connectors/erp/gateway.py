"""The ERP (Sampro) gateway: purchase orders, vendor master and entered AP invoices for a batch.

A batch of any size costs a constant number of round trips per chunk of `in_list_size` keys
(four for a whole snapshot), never one per invoice: every query takes the batch's keys as one
IN list. The SQL lives in editable query files (see queries.py).
"""

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError

from connectors.db import DatabaseTimeouts, create_engine_for, rows_as_dicts
from connectors.erp.queries import ErpQuery, load_queries
from domain import EnteredInvoice, PurchaseOrder, Vendor
from settings import Settings


@dataclass(frozen=True)
class ErpSnapshot:
    """What the rules need from the ERP for one batch of invoices."""

    purchase_orders: Mapping[str, PurchaseOrder]
    vendors: Mapping[str, Vendor]
    # by vendor id
    entered_invoices: Mapping[str, tuple[EnteredInvoice, ...]]
    # ERP rows that break the models (e.g. a PO line without a part number): key → reason.
    # The PO is left out of `purchase_orders`, so its invoices are judged as having an unreadable PO.
    unreadable: Mapping[str, str] = field(default_factory=dict)

    def po_number_as_in_erp(self, po_number: str) -> str:
        """The ERP's spelling of a PO number an invoice may write in other case or with spaces around
        it; the number itself when the ERP has no such PO (or has it under that very spelling)."""
        if po_number in self.purchase_orders or f"po:{po_number}" in self.unreadable:
            return po_number
        spellings = self._po_spellings.get(_po_key(po_number), ())
        return spellings[0] if len(spellings) == 1 else po_number  # two POs differing in case: ambiguous

    @cached_property
    def _po_spellings(self) -> dict[str, tuple[str, ...]]:
        known = [*self.purchase_orders, *(key.removeprefix("po:") for key in self.unreadable if key.startswith("po:"))]
        by_key: dict[str, tuple[str, ...]] = {}
        for spelling in sorted(known):
            by_key[_po_key(spelling)] = (*by_key.get(_po_key(spelling), ()), spelling)
        return by_key


def _po_key(po_number: str) -> str:
    return po_number.strip().upper()


def po_number_spellings(po_numbers: Iterable[str]) -> set[str]:
    """The spellings to look PO numbers up under: as written, trimmed, and in capitals (as ERPs keep them),
    so that the look-up stays an indexed IN list the customer's SQL file can keep."""
    return {spelling for po_number in po_numbers for spelling in (po_number, po_number.strip(), _po_key(po_number))}


def _chunks(keys: Iterable[str], size: int) -> Iterator[list[str]]:
    ordered = sorted(set(keys))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def _describe(error: ValidationError, line_numbers: list[int] | None = None) -> str:
    """Pydantic's errors in ERP terms: "line 3 ordered_qty" names PO line 3, not list index 2."""
    parts = []
    for item in error.errors():
        loc = list(item["loc"])
        if line_numbers and len(loc) >= 2 and loc[0] == "lines" and isinstance(loc[1], int):
            loc[:2] = [f"line {line_numbers[loc[1]]}"]
        parts.append(f"{' '.join(map(str, loc)) or 'row'}: {item['msg']}")
    return "; ".join(parts)


class ErpGateway:
    def __init__(
        self,
        engine: sa.Engine,
        queries: Mapping[str, ErpQuery] | None = None,
        *,
        in_list_size: int = 2000,
        duplicate_lookback_days: int = 730,
    ) -> None:
        self._engine = engine
        self._queries = queries if queries is not None else load_queries()
        self._in_list_size = in_list_size
        self._duplicate_lookback = timedelta(days=duplicate_lookback_days)

    @classmethod
    def from_settings(cls, settings: Settings) -> "ErpGateway":
        return cls(
            create_engine_for(settings.erp_db_url, DatabaseTimeouts.from_settings(settings)),
            load_queries(settings.erp_queries_dir),
            in_list_size=settings.erp_in_list_size,
            duplicate_lookback_days=settings.erp_duplicate_lookback_days,
        )

    def ping(self) -> None:
        """One round trip; raises when the ERP database does not answer."""
        with self._engine.connect() as conn:
            conn.execute(sa.select(1))

    def close(self) -> None:
        self._engine.dispose()

    def _rows(self, conn: sa.Connection, name: str, **params: Any) -> Iterator[dict[str, Any]]:
        query = self._queries[name]
        result = conn.execute(query.statement, params)
        query.check_columns(list(result.keys()))
        yield from rows_as_dicts(result)

    def _rows_for_keys(
        self, conn: sa.Connection, name: str, list_param: str, keys: Collection[str], **params: Any
    ) -> Iterator[dict[str, Any]]:
        for chunk in _chunks(keys, self._in_list_size):
            yield from self._rows(conn, name, **{list_param: chunk}, **params)

    # ------------------------------------------------------------- one kind of record each

    def fetch_purchase_orders(
        self, po_numbers: Collection[str], *, conn: sa.Connection | None = None
    ) -> tuple[dict[str, PurchaseOrder], dict[str, str]]:
        """POs with their lines, keyed by PO number, and the unreadable ones with a reason."""
        with self._connection(conn) as c:
            headers = list(self._rows_for_keys(c, "purchase_orders", "po_numbers", po_numbers))
            lines_by_po: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for line in self._rows_for_keys(c, "purchase_order_lines", "po_numbers", po_numbers):
                lines_by_po[line.pop("po_number")].append(line)
        purchase_orders: dict[str, PurchaseOrder] = {}
        unreadable: dict[str, str] = {}
        for header in headers:
            po_number = header["po_number"]
            lines = lines_by_po.get(po_number, [])
            try:
                purchase_orders[po_number] = PurchaseOrder.model_validate({**header, "lines": lines})
            except ValidationError as exc:
                reason = _describe(exc, [line["line_no"] for line in lines])
                unreadable[f"po:{po_number}"] = f"ERP purchase order {po_number} is unreadable: {reason}"
        return purchase_orders, unreadable

    def fetch_vendors(
        self, vendor_ids: Collection[str], *, conn: sa.Connection | None = None
    ) -> tuple[dict[str, Vendor], dict[str, str]]:
        vendors: dict[str, Vendor] = {}
        unreadable: dict[str, str] = {}
        with self._connection(conn) as c:
            for row in self._rows_for_keys(c, "vendors", "vendor_ids", vendor_ids):
                try:
                    vendors[row["vendor_id"]] = Vendor.model_validate({**row, "active": bool(row["active"])})
                except ValidationError as exc:
                    unreadable[f"vendor:{row['vendor_id']}"] = (
                        f"ERP vendor {row['vendor_id']} is unreadable: {_describe(exc)}"
                    )
        return vendors, unreadable

    def entered_since_lookback(
        self, vendor_ids: Collection[str], *, today: date
    ) -> dict[str, tuple[EnteredInvoice, ...]]:
        """The vendors' AP invoices entered within the duplicate look-back, readable ones only."""
        entered, _unreadable = self.fetch_entered_invoices(vendor_ids, today - self._duplicate_lookback)
        return entered

    def fetch_entered_invoices(
        self, vendor_ids: Collection[str], since: date, *, conn: sa.Connection | None = None
    ) -> tuple[dict[str, tuple[EnteredInvoice, ...]], dict[str, str]]:
        by_vendor: dict[str, list[EnteredInvoice]] = defaultdict(list)
        unreadable: dict[str, str] = {}
        with self._connection(conn) as c:
            for row in self._rows_for_keys(c, "entered_invoices", "vendor_ids", vendor_ids, since=since):
                try:
                    by_vendor[row["vendor_id"]].append(EnteredInvoice.model_validate(row))
                except ValidationError as exc:
                    key = f"ap_invoice:{row['erp_document_id']}"
                    unreadable[key] = f"ERP AP invoice {row['erp_document_id']} is unreadable: {_describe(exc)}"
        return {vendor: tuple(docs) for vendor, docs in by_vendor.items()}, unreadable

    # ------------------------------------------------------------- the batch snapshot

    def fetch_snapshot(
        self, po_numbers: Collection[str], invoice_vendor_ids: Collection[str], *, today: date
    ) -> ErpSnapshot:
        """Everything the rules need for a batch, over one connection, in four round trips per chunk.

        Vendors are fetched for the invoices' vendors and the POs' vendors alike: an invoice from
        another vendor than its PO's needs both records to say which is which.
        """
        with self._engine.connect() as conn:
            purchase_orders, unreadable = self.fetch_purchase_orders(po_number_spellings(po_numbers), conn=conn)
            vendor_ids = set(invoice_vendor_ids) | {po.vendor_id for po in purchase_orders.values()}
            vendors, unreadable_vendors = self.fetch_vendors(vendor_ids, conn=conn)
            entered, unreadable_entered = self.fetch_entered_invoices(
                vendor_ids, today - self._duplicate_lookback, conn=conn
            )
        return ErpSnapshot(
            purchase_orders=purchase_orders,
            vendors=vendors,
            entered_invoices=entered,
            unreadable={**unreadable, **unreadable_vendors, **unreadable_entered},
        )

    def _connection(self, conn: sa.Connection | None) -> AbstractContextManager[sa.Connection]:
        # One connection per snapshot: use the caller's when given, else open (and close) one.
        return nullcontext(conn) if conn is not None else self._engine.connect()
