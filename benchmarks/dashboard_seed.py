"""A migrated process database at production size for the dashboard benchmark, written in bulk
(one multi-row INSERT per table and chunk of entries, not the service's recording path, which would
take hours over a million events), and the ERP its entries' purchase orders are in.

Each entry is what the service would have left: a valid invoice of 1 to 5 lines billing its PO,
the findings of its verdict and their `entry_findings` rows, the payload once it went to the bot,
its audit events from its creation (the verdict) through every later move, and the columns those
events imply (updated_at, entered_at, the failure reason, who holds it, the ERP document), with
its PO and version locks. `dashboard_plan` says what becomes of each entry.
"""

import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from benchmarks.dashboard_documents import SOURCE, Order, findings_for, invoice_on, purchase_orders, write_erp
from benchmarks.dashboard_plan import (
    DISPATCHED,
    ENTERED,
    READY,
    RPA_FAILED,
    SUPERSEDED,
    PlannedEntry,
    plan_entries,
)
from benchmarks.dashboard_timeline import Move, timeline
from connectors.store.engine import make_engine
from connectors.store.entry_rows import entry_values, finding_rule_rows
from connectors.store.tables import (
    Base,
    EntryEventRow,
    EntryFindingRow,
    EntryRow,
    ErpDocumentRow,
    POLockRow,
    VendorLockRow,
    VersionLockRow,
)
from demo.factories import make_payload
from domain import Finding, Invoice, Verdict
from rules.catalogue import load_rule_config

CHUNK = 2000  # entries written per transaction
_TABLES = (EntryRow, EntryFindingRow, EntryEventRow, ErpDocumentRow, POLockRow, VersionLockRow)


@dataclass(frozen=True)
class DashboardSize:
    entries: int = 100_000
    events: int = 1_000_000
    vendors: int = 200
    purchase_orders: int = 5_000


@dataclass(frozen=True)
class SeededDashboard:
    entries: int
    events: int
    seconds: float
    statuses: dict[str, int]
    busiest_vendor: str  # the vendor with the most entries
    commonest_rule: str  # the rule with the most entries


@dataclass
class _Chunk:
    rows: dict[type[Base], list[dict[str, Any]]] = field(default_factory=lambda: {table: [] for table in _TABLES})


def seed_dashboard(
    process_url: str, erp_url: str, size: DashboardSize, *, now: datetime, seed: int = 7
) -> SeededDashboard:
    """Fill the migrated, empty process database and the (new) ERP database; the same seed, size and
    `now` give the same rows."""
    started = time.perf_counter()
    rng = random.Random(seed)
    orders = purchase_orders(size.vendors, size.purchase_orders, now, rng)
    write_erp(erp_url, orders)
    plans = plan_entries(size.entries, size.events, size.purchase_orders, now=now, rng=rng)
    writer = _EntryWriter(orders, load_rule_config().rule_set_version, now, rng)
    engine = make_engine(process_url)
    try:
        for first in range(0, len(plans), CHUNK):
            chunk = _Chunk()
            for number, plan in enumerate(plans[first : first + CHUNK], start=first + 1):
                writer.add(chunk, number, plan)
            with engine.begin() as connection:
                for table, rows in chunk.rows.items():
                    if rows:
                        connection.execute(sa.insert(table.__table__), rows)
        vendor_ids = sorted({orders[plan.po].vendor.vendor_id for plan in plans})
        with engine.begin() as connection:
            connection.execute(
                sa.insert(VendorLockRow.__table__), [{"vendor_id": vendor, "created_at": now} for vendor in vendor_ids]
            )
        _after_bulk_load(engine)
    finally:
        engine.dispose()
    return SeededDashboard(
        entries=len(plans),
        events=writer.events,
        seconds=time.perf_counter() - started,
        statuses=dict(Counter(plan.status.value for plan in plans)),
        busiest_vendor=Counter(orders[plan.po].vendor.vendor_id for plan in plans).most_common(1)[0][0],
        commonest_rule=writer.rules.most_common(1)[0][0],
    )


class _EntryWriter:
    """Each planned entry's rows, in id order (a version 1 comes before its version 2)."""

    def __init__(self, orders: list[Order], rule_set_version: str, now: datetime, rng: random.Random) -> None:
        self._orders, self._rule_set_version, self._now, self._rng = orders, rule_set_version, now, rng
        self._first_versions: dict[int, Invoice] = {}  # invoices whose version 2 is still to come
        self.events = 0
        self.rules: Counter[str] = Counter()

    def add(self, chunk: _Chunk, entry_id: int, plan: PlannedEntry) -> None:
        order = self._orders[plan.po]
        invoice = self._invoice(plan, order)
        findings = findings_for(plan.verdict, invoice, order, self._rng)
        moves = timeline(plan, entry_id, self._rule_set_version, now=self._now, rng=self._rng)
        rows = chunk.rows
        for move in moves:
            self.events += 1
            rows[EntryEventRow].append(
                {"id": self.events, "entry_id": entry_id, "from_status": move.from_value, "to_status": move.to.value,
                 "actor": move.actor, "reason": move.reason, "flow_run_id": move.flow_run_id,
                 "occurred_at": move.at}
            )  # fmt: skip
        rows[EntryRow].append(self._entry(entry_id, plan, invoice, order, findings, moves))
        for row in finding_rule_rows(entry_id, findings):
            self.rules[row["rule_id"]] += 1
            rows[EntryFindingRow].append(row)
        last = moves[-1]
        if plan.status is ENTERED:
            rows[ErpDocumentRow].append(
                {"entry_id": entry_id, "erp_document_id": _document(entry_id), "reported_by": last.actor,
                 "reported_at": last.at}
            )  # fmt: skip
        if plan.status.locks_po:
            locked_at = next(m.at for m in reversed(moves) if m.from_status is None or not m.from_status.locks_po)
            rows[POLockRow].append({"po_number": invoice.po_number, "entry_id": entry_id, "locked_at": locked_at})
        if plan.status.holds_version:
            rows[VersionLockRow].append(
                {"source": SOURCE, "source_invoice_id": invoice.source_invoice_id, "entry_id": entry_id,
                 "version": plan.version, "locked_at": plan.created_at}
            )  # fmt: skip

    def _entry(
        self,
        entry_id: int,
        plan: PlannedEntry,
        invoice: Invoice,
        order: Order,
        findings: list[Finding],
        moves: list[Move],
    ) -> dict[str, Any]:
        last = moves[-1]
        to_bot = next((move for move in moves if move.to is READY), None)
        payload = None
        if to_bot is not None:
            payload = make_payload(
                invoice, order.purchase_order, rule_set_version=self._rule_set_version, judged_at=to_bot.at
            )
        verdict = Verdict(status=plan.verdict, findings=tuple(findings), rule_set_version=self._rule_set_version)
        # as the service records a verdict, then what its later moves changed
        return entry_values(invoice, verdict, payload, moves[0].flow_run_id, plan.created_at) | {
            "id": entry_id,
            "status": plan.status.value,
            "erp_document_id": _document(entry_id) if plan.status is ENTERED else None,
            "possible_double_entry": False,
            "dispatched_to": last.actor if plan.status is DISPATCHED else None,
            "failure_reason": last.reason if plan.status is RPA_FAILED else None,
            "superseded_by_version": 2 if plan.status is SUPERSEDED else None,
            "pulled_at": plan.created_at - timedelta(seconds=self._rng.uniform(5, 600)),
            "updated_at": last.at,
            "entered_at": last.at if plan.status is ENTERED else None,
        }

    def _invoice(self, plan: PlannedEntry, order: Order) -> Invoice:
        if plan.version == 2:  # the vendor's correction: the same invoice, billed again
            return self._first_versions.pop(plan.invoice_id).model_copy(update={"version": 2})
        invoice = invoice_on(order, plan.invoice_id, plan.created_at.date(), self._rng)
        if plan.status is SUPERSEDED:
            self._first_versions[plan.invoice_id] = invoice
        return invoice


def _document(entry_id: int) -> str:
    return f"AP-{entry_id:07d}"


def _after_bulk_load(engine: sa.Engine) -> None:
    """PostgreSQL: sequences past the ids written, and what autovacuum would soon do after such a
    load (statistics, the visibility map). SQLite and MariaDB need nothing."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in (*_TABLES, VendorLockRow):
            name = table.__table__.name
            if "id" in table.__table__.c:
                connection.execute(
                    sa.text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT max(id) FROM {name}))")
                )
        connection.execute(sa.text("VACUUM ANALYZE"))
