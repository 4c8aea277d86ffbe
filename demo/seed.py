"""Seed the demo marketplace and ERP databases: the same seed, size and `today` give the same rows."""

import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from connectors.db import sqlite_file
from connectors.erp import demo_schema as erp_schema
from connectors.marketplace import schema as marketplace_schema
from demo.documents import RenderedDocument, render_demo_documents
from demo.erp import DemoErp
from demo.invoices import CHARGE_POLICY, InvoiceBuilder
from demo.problems import PROBLEMS, plan_invoices
from demo.rows import Rows, erp_rows, marketplace_rows, number_purchase_orders
from settings import VAR_DIR

# A fixed "today" so that the data does not drift from one day to the next; pass another to move it.
DEFAULT_TODAY = date(2026, 11, 20)
MANIFEST_NAME = "demo_manifest.json"
DEMO_DOCUMENTS_DIR = VAR_DIR / "demo-documents"  # what `python -m demo` renders, and the demo uploads
_INSERT_CHUNK = 5000


@dataclass(frozen=True)
class SeedReport:
    seed: int
    invoices: int
    today: date
    problems: dict[int, str]  # invoice id → its one planted problem (or "clean")
    details: dict[int, dict[str, str | int]]  # invoice id → what a duplicate copies, what a credit note credits...
    rows: dict[str, int]  # table → rows written
    seconds: float
    manifest_path: Path | None
    # invoice id → its document's file and vendor (such invoices are not in the marketplace)
    documents: dict[int, dict[str, str]] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        tally = Counter(self.problems.values())
        return {problem: tally[problem] for problem in PROBLEMS}

    @property
    def charge_policy(self) -> dict[str, Any]:
        return CHARGE_POLICY

    def manifest(self) -> dict[str, Any]:
        """What the manifest file holds: everything but the timing, so equal seeds give equal files."""
        return {
            "seed": self.seed,
            "invoices": self.invoices,
            "today": self.today.isoformat(),
            "charge_policy": self.charge_policy,
            "rows": self.rows,
            "problem_counts": self.counts,
            "problems": {str(invoice_id): problem for invoice_id, problem in self.problems.items()},
            "details": {str(invoice_id): detail for invoice_id, detail in self.details.items()},
            "documents": {str(invoice_id): sent for invoice_id, sent in self.documents.items()},
        }


@dataclass(frozen=True)
class DemoData:
    erp: Rows
    marketplace: Rows
    problems: dict[int, str]
    details: dict[int, dict[str, str | int]]
    # Invoices their vendors send as documents (PDFs, scans, e-invoices) instead of marketplace rows.
    documents: list[RenderedDocument] = field(default_factory=list)
    vendor_of: dict[int, str] = field(default_factory=dict)  # invoice id → vendor id

    def sent_as_documents(self) -> dict[int, dict[str, str]]:
        return {
            document.invoice_id: {"file": document.path.name, "vendor_id": self.vendor_of[document.invoice_id]}
            for document in self.documents
            if document.invoice_id is not None
        }


def seed_demo(
    marketplace_url: str,
    erp_url: str,
    *,
    invoices: int = 2000,
    seed: int = 7,
    today: date = DEFAULT_TODAY,
    manifest_path: Path | None = None,
    documents_dir: Path | None = None,
) -> SeedReport:
    """Drop and recreate the marketplace and ERP demo tables and fill them.

    The manifest (which invoice carries which planted problem) goes to `manifest_path`, or next to the
    marketplace database when that is a SQLite file; otherwise it is only returned. With
    `documents_dir`, some invoices are rendered there as documents (with `truth.json`) instead of
    being marketplace rows: the demo uploads them.
    """
    started = time.perf_counter()
    demo = build_demo(invoices=invoices, seed=seed, today=today, documents_dir=documents_dir)
    _replace_tables(erp_url, erp_schema.metadata, demo.erp)
    _replace_tables(marketplace_url, marketplace_schema.metadata, demo.marketplace)
    report = SeedReport(
        seed=seed,
        invoices=invoices,
        today=today,
        problems=demo.problems,
        details=demo.details,
        rows={table.name: len(rows) for table, rows in (demo.erp | demo.marketplace).items()},
        seconds=time.perf_counter() - started,
        manifest_path=manifest_path or manifest_path_for(marketplace_url),
        documents=demo.sent_as_documents(),
    )
    if report.manifest_path is not None:
        report.manifest_path.parent.mkdir(parents=True, exist_ok=True)
        report.manifest_path.write_text(json.dumps(report.manifest(), indent=2) + "\n", encoding="utf-8")
    return report


def build_demo(*, invoices: int, seed: int, today: date, documents_dir: Path | None = None) -> DemoData:
    rng = random.Random(seed)
    plan = plan_invoices(invoices, rng)
    # Problems that need a PO of a particular shape add about one PO per 7 invoices: ~invoices/2.5 in all.
    erp = DemoErp.create(rng, today, vendors=max(20, invoices // 50), purchase_orders=max(12, invoices // 4))
    builder = InvoiceBuilder(erp, plan, rng, today)
    drafts = builder.build()
    number_purchase_orders(erp, rng)
    # The last invoices come as documents: the first ones (which the README's examples name) stay marketplace rows.
    documents = [] if documents_dir is None else render_demo_documents(documents_dir, drafts[::-1], seed=seed)
    sent_as_documents = {document.invoice_id for document in documents}
    return DemoData(
        erp=erp_rows(erp),
        marketplace=marketplace_rows([draft for draft in drafts if draft.invoice_id not in sent_as_documents]),
        documents=documents,
        vendor_of={draft.invoice_id: draft.vendor.vendor_id for draft in drafts},
        problems={draft.invoice_id: draft.problem for draft in drafts},
        details=builder.details,
    )


def manifest_path_for(marketplace_url: str) -> Path | None:
    """Next to the marketplace database when it is a SQLite file, else None."""
    database = sqlite_file(marketplace_url)
    return None if database is None else database.parent / MANIFEST_NAME


def _replace_tables(url: str, metadata: sa.MetaData, rows: Rows) -> None:
    database = sqlite_file(url)
    if database is not None:
        database.parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url)
    try:
        metadata.drop_all(engine)
        metadata.create_all(engine)
        with engine.begin() as conn:
            for table in metadata.sorted_tables:
                _insert(conn, table, rows[table])
    finally:
        engine.dispose()


def _insert(conn: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    # executemany in chunks: one round trip per chunk where the driver batches (SQLite, psycopg).
    for start in range(0, len(rows), _INSERT_CHUNK):
        conn.execute(table.insert(), rows[start : start + _INSERT_CHUNK])
