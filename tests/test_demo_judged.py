"""The demo judged as the service judges it: the seeded invoices pulled by the marketplace reader and
judged in pull order by the default rule set against one ERP snapshot. Each invoice draws exactly the
rules its planted problem exercises (demo.EXPECTED_RULES), every rule fires somewhere and
every outcome occurs."""

from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from connectors.erp import ErpGateway, ErpSnapshot
from connectors.marketplace import MarketplaceSource
from demo import DEFAULT_TODAY, EXPECTED_RULES, MIN_INVOICES, SeedReport, seed_demo
from domain import EntryStatus, Invoice
from rules.catalogue import REGISTRY, load_rule_config
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
    """One batch in pull order: each invoice sees the earlier ones of its vendor that were not bad, as
    recording them would leave them, so a marketplace duplicate meets its original."""
    judged = RuleEngine(load_rule_config()).judge_batch(pulled.invoices, pulled.snapshot, today=DEFAULT_TODAY)
    return {
        j.invoice.source_invoice_id: Outcome(j.verdict.status, {finding.rule_id for finding in j.verdict.findings})
        for j in judged
    }


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
