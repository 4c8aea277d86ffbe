"""A backlog of 10,000 invoices (≈100,000 lines) through ONE poll-marketplace run, on SQLite and
on PostgreSQL, next to the same backlog judged one invoice at a time through
POST /api/v1/invoices/{id}/validate (today's per-invoice architecture).

Each invoice has its own PO and matches it (the common case), so a single run can judge all of
them: invoices sharing a PO are queued one after the other by the PO lock, by design.
"""

import os
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import NotRequired, TypedDict

import sqlalchemy as sa
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
from prefect.testing.utilities import prefect_test_harness

from benchmarks.api_server import api_client
from connectors.db import count_statements
from connectors.erp import demo_schema as erp
from connectors.marketplace import schema as marketplace
from connectors.store.migrate import downgrade, upgrade
from connectors.store.partitions import MAX_PARTITIONS
from flows.poll import PollParameters, poll_marketplace
from services.runtime import services_for
from settings import get_settings

VENDORS = 200
PORT = 8766
# judging is CPU work: one process per core
CORES = min(os.cpu_count() or 1, MAX_PARTITIONS)
BATCH_SIZE = 1000


class PollRunFigures(TypedDict):
    database: str
    judging_processes: int
    invoices: int
    seconds: float
    run_seconds: float
    invoices_per_second: int
    sql_statements: NotRequired[int]  # single-process runs only


# Invoices written per transaction: the rows of a large backlog are made chunk by chunk, never all at once.
WRITE_CHUNK = 5000


def _backlog_rows(
    first: int, last: int, *, lines: int, today: date, changed: datetime
) -> tuple[list[dict[str, object]], ...]:
    """ERP PO headers and lines, marketplace invoices and lines for invoices `first`..`last`."""
    price = Decimal("12.3456")
    headers: list[dict[str, object]] = []
    po_lines: list[dict[str, object]] = []
    mp_invoices: list[dict[str, object]] = []
    mp_lines: list[dict[str, object]] = []
    for n in range(first, last + 1):
        vendor_id, po_number = f"V{n % VENDORS:04d}", f"PO{n:06d}"
        # a different total for each invoice of a vendor: equal totals would be possible duplicates
        qty = Decimal(1 + n // VENDORS)
        line_total = (qty * price).quantize(Decimal("0.01"))
        headers.append(
            {
                "po_number": po_number,
                "vendor_id": vendor_id,
                "currency_code": "USD",
                "po_status": "O",
                "po_date": today - timedelta(days=40),
            }
        )
        mp_invoices.append(
            {
                "invoice_id": n,
                "version": 1,
                "vendor_id": vendor_id,
                "vendor_name": f"Vendor {n % VENDORS}",
                "invoice_number": f"INV-{n:06d}",
                "invoice_date": today - timedelta(days=3),
                "due_date": today + timedelta(days=27),
                "currency": "USD",
                "po_number": po_number,
                "subtotal": str(line_total * lines),
                "tax_amount": "0",
                "total_amount": str(line_total * lines),
                "updated_at": changed + timedelta(milliseconds=n),
            }
        )
        for k in range(1, lines + 1):
            po_lines.append(
                {
                    "po_number": po_number,
                    "po_line_no": k,
                    "item_id": f"ITM{k:05d}",
                    "part_number": f"HX-{k:03d}-B",
                    "description": f"part {k}",
                    "uom": "EA",
                    "qty_ordered": Decimal(100),
                    "qty_received": None,
                    "qty_invoiced": Decimal(0),
                    "unit_cost": price,
                }
            )
            mp_lines.append(
                {
                    "invoice_id": n,
                    "line_no": k,
                    "part_number": f"HX-{k:03d}-B",
                    "description": f"part {k}",
                    "quantity": str(qty),
                    "uom": "EA",
                    "unit_price": str(price),
                    "line_total": str(line_total),
                }
            )
    return headers, po_lines, mp_invoices, mp_lines


def write_backlog(marketplace_url: str, erp_url: str, *, invoices: int, lines: int, today: date) -> None:
    """`invoices` marketplace invoices of `lines` lines, each on its own open PO that it matches."""
    vendors: list[dict[str, object]] = [
        {"vendor_id": f"V{v:04d}", "vendor_name": f"Vendor {v}", "currency_code": "USD", "is_active": "Y"}
        for v in range(VENDORS)
    ]
    changed = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)
    erp_engine, marketplace_engine = sa.create_engine(erp_url), sa.create_engine(marketplace_url)
    for metadata, engine in ((erp.metadata, erp_engine), (marketplace.metadata, marketplace_engine)):
        metadata.drop_all(engine)
        metadata.create_all(engine)
    with erp_engine.begin() as conn:
        conn.execute(erp.vendor.insert(), vendors)
    for first in range(1, invoices + 1, WRITE_CHUNK):
        headers, po_lines, mp_invoices, mp_lines = _backlog_rows(
            first, min(first + WRITE_CHUNK - 1, invoices), lines=lines, today=today, changed=changed
        )
        with erp_engine.begin() as conn:
            conn.execute(erp.po_header.insert(), headers)
            conn.execute(erp.po_line.insert(), po_lines)
        with marketplace_engine.begin() as conn:
            conn.execute(marketplace.mp_invoice.insert(), mp_invoices)
            conn.execute(marketplace.mp_invoice_line.insert(), mp_lines)
    erp_engine.dispose()
    marketplace_engine.dispose()


def _use_databases(marketplace_url: str, erp_url: str, process_url: str) -> None:
    os.environ.update(MARKETPLACE_DB_URL=marketplace_url, ERP_DB_URL=erp_url, PROCESS_DB_URL=process_url)
    get_settings.cache_clear()
    services_for.cache_clear()


@contextmanager
def prefect_harness() -> Iterator[None]:
    """One Prefect test server for every run of a section (it takes ~10 s to start)."""
    # a generous start-up time: on a busy machine the server takes longer than the default 30 s
    with (
        temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}),
        prefect_test_harness(server_startup_timeout=120),
    ):
        yield


def one_poll_run(
    marketplace_url: str, erp_url: str, process_url: str, *, label: str, invoices: int, judging_processes: int
) -> PollRunFigures:
    """One poll-marketplace run over the whole backlog, into an empty process store. Run it inside
    `prefect_harness()`."""
    downgrade(process_url, "base")
    upgrade(process_url)
    _use_databases(marketplace_url, erp_url, process_url)
    # Every engine of this process: marketplace, ERP, store. Worker processes count their own,
    # which this cannot see: statements are reported for single-process runs only.
    with count_statements(sa.Engine) as count:
        started = time.perf_counter()
        # enough batches for any partition to judge all of it (and see it empty) in this one run
        parameters = PollParameters(
            batch_size=BATCH_SIZE,
            max_batches=judging_processes * (invoices // BATCH_SIZE + 2),
            judging_processes=judging_processes,
        )
        report = poll_marketplace(parameters)
        seconds = time.perf_counter() - started
    services_for(get_settings()).close()
    if report.recorded != invoices:
        raise AssertionError(f"one run should judge the whole backlog, it recorded {report.recorded} of {invoices}")
    figures: PollRunFigures = {
        "database": label,
        "judging_processes": judging_processes,
        "invoices": invoices,
        "seconds": round(seconds, 1),
        "run_seconds": round(report.seconds, 1),
        "invoices_per_second": round(invoices / seconds),
    }
    statements = ""
    if judging_processes == 1:
        figures["sql_statements"] = count.statements
        statements = f", {count.statements} SQL statements"
    # The run's own duration (what its artifact reports) leaves out creating the flow run and
    # reporting its states to the Prefect API: the difference is Prefect's, not the poll's.
    print(
        f"poll-marketplace [{label}, {judging_processes} judging process{'es' if judging_processes > 1 else ''}]: "
        f"{invoices} invoices in one run, {figures['seconds']} s = {figures['invoices_per_second']} invoices/s{statements} "
        f"(target ≤ 30 s); the run's own duration {figures['run_seconds']} s"
    )
    return figures


def one_call_per_invoice(
    marketplace_url: str, erp_url: str, process_url: str, *, calls: int, backlog: int
) -> dict[str, float | int]:
    """Today's architecture: the same invoices judged one HTTP call each (a sample of `calls`,
    extrapolated to the backlog: calls are independent, each judges one invoice)."""
    upgrade(process_url)
    with api_client(marketplace_url=marketplace_url, erp_url=erp_url, process_url=process_url, port=PORT) as client:
        latencies = []
        for invoice_id in range(1, calls + 1):
            started = time.perf_counter()
            response = client.post(f"/api/v1/invoices/{invoice_id}/validate")
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise AssertionError(f"invoice {invoice_id}: {response.status_code} {response.text[:200]}")
    per_call = statistics.fmean(latencies)
    figures: dict[str, float | int] = {
        "calls": calls,
        "ms_per_call": round(per_call * 1000, 1),
        "backlog_seconds": round(per_call * backlog, 1),
        "invoices_per_second": round(1 / per_call),
    }
    print(
        f"one call per invoice [sqlite]: {per_call * 1000:.1f} ms per invoice over {calls} calls → "
        f"{figures['backlog_seconds']} s for {backlog} invoices ({figures['invoices_per_second']} invoices/s)"
    )
    return figures
