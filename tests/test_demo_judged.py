"""The demo judged as the service judges it: the seeded invoices pulled by the marketplace reader and
judged in pull order by the default rule set against one ERP snapshot. Each invoice draws exactly the
rules its planted problem exercises (connectors.demo.EXPECTED_RULES), every rule fires somewhere and
every outcome occurs."""

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from connectors.demo import DEFAULT_TODAY, EXPECTED_RULES, MIN_INVOICES, SeedReport, seed_demo
from connectors.erp import ErpGateway, ErpSnapshot
from connectors.marketplace import MarketplaceSource
from domain import EntryStatus, Invoice
from rules.catalogue import REGISTRY
from rules.config import load_rule_config
from rules.context import LiveEntry, build_context
from rules.engine import RuleEngine


@dataclass(frozen=True)
class Pulled:
    invoices: list[Invoice]  # in pull order
    rejected: set[str]  # source invoice ids the reader could not read
    snapshot: ErpSnapshot


@dataclass(frozen=True)
class Outcome:
    status: EntryStatus
    rule_ids: set[str]


def seed_and_pull(directory: Path, invoices: int) -> tuple[SeedReport, Pulled]:
    """Seed fresh SQLite files, pull every marketplace invoice and fetch one ERP snapshot for them all."""
    marketplace_url, erp_url = f"sqlite:///{directory / 'marketplace.db'}", f"sqlite:///{directory / 'erp.db'}"
    report = seed_demo(marketplace_url, erp_url, invoices=invoices, today=DEFAULT_TODAY)
    marketplace_engine, erp_engine = sa.create_engine(marketplace_url), sa.create_engine(erp_url)
    try:
        pages = list(MarketplaceSource(marketplace_engine).pull(None))
        pulled = [invoice for page in pages for invoice in page.invoices]
        snapshot = ErpGateway(erp_engine).fetch_snapshot(
            {i.po_number for i in pulled}, {i.vendor_id for i in pulled}, today=DEFAULT_TODAY
        )
    finally:
        marketplace_engine.dispose()
        erp_engine.dispose()
    rejected = {error.source_invoice_id for page in pages for error in page.errors}
    return report, Pulled(pulled, rejected, snapshot)


def judge_in_order(pulled: Pulled) -> dict[str, Outcome]:
    """Each invoice sees as live the earlier ones of its vendor that were not bad, as recording them would
    leave them, so a marketplace duplicate meets its original."""
    config = load_rule_config()
    engine = RuleEngine(config)
    live: dict[str, list[LiveEntry]] = defaultdict(list)
    outcomes: dict[str, Outcome] = {}
    for entry_id, invoice in enumerate(pulled.invoices, start=1):
        context = build_context(
            invoice, pulled.snapshot, config, today=DEFAULT_TODAY, live_entries=live[invoice.vendor_id]
        )
        verdict = engine.judge(context).verdict
        outcomes[invoice.source_invoice_id] = Outcome(verdict.status, {finding.rule_id for finding in verdict.findings})
        if verdict.status is not EntryStatus.BAD_INVOICE:
            live[invoice.vendor_id].append(as_live_entry(invoice, entry_id, verdict.status))
    return outcomes


def as_live_entry(invoice: Invoice, entry_id: int, status: EntryStatus) -> LiveEntry:
    return LiveEntry(
        entry_id=entry_id,
        source=invoice.source,
        source_invoice_id=invoice.source_invoice_id,
        version=invoice.version,
        vendor_id=invoice.vendor_id,
        invoice_number=invoice.invoice_number,
        normalised_invoice_number=invoice.normalised_invoice_number,
        invoice_date=invoice.invoice_date,
        currency=invoice.currency,
        total=invoice.total,
        po_number=invoice.po_number,
        status=status,
    )


# The smallest set plants every problem once; 2000 is the demo's default size.
@pytest.mark.parametrize("invoices", [MIN_INVOICES, 2000])
def test_the_rules_find_exactly_the_planted_problems(tmp_path: Path, invoices: int) -> None:
    report, pulled = seed_and_pull(tmp_path, invoices)
    problems = {str(invoice_id): problem for invoice_id, problem in report.problems.items()}
    assert pulled.rejected == {invoice_id for invoice_id, problem in problems.items() if problem.startswith("garbled.")}

    outcomes = judge_in_order(pulled)
    unexpected = {
        invoice_id: (problems[invoice_id], outcome.rule_ids)
        for invoice_id, outcome in outcomes.items()
        if outcome.rule_ids != EXPECTED_RULES[problems[invoice_id]]
    }
    assert unexpected == {}
    judged_as = {outcome.status for outcome in outcomes.values()}
    assert judged_as == {EntryStatus.READY_TO_PROCESS, EntryStatus.MANUAL_REVIEW, EntryStatus.BAD_INVOICE}
    assert set().union(*(outcome.rule_ids for outcome in outcomes.values())) == set(REGISTRY.ids())
