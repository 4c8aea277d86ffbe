"""The dashboard benchmark's data (benchmarks/dashboard_seed.py) at a small size: what the service
would have left, so the pages read it as they read real entries; and the benchmark itself, run
end to end over it, so it cannot rot between the runs of `make bench`."""

from collections import defaultdict
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from api.main import create_app
from benchmarks import dashboard
from benchmarks.dashboard_seed import DashboardSize, SeededDashboard, seed_dashboard
from connectors.marketplace.schema import metadata as marketplace_metadata
from connectors.store import ProcessStore, tables
from connectors.store.migrate import upgrade
from domain import EntryStatus, is_legal_transition
from tests.api_fixtures import PASSWORD, settings_in
from tests.mailroom import free_port

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SMALL = DashboardSize(entries=500, events=5000, vendors=20, purchase_orders=100)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SeededDashboard]:
    folder = tmp_path_factory.mktemp("dashboard")
    settings = settings_in(folder)
    upgrade(settings.process_db_url)
    return folder, seed_dashboard(settings.process_db_url, settings.erp_db_url, SMALL, now=NOW)


def _rows(folder: Path, table: type[tables.Base]) -> list[dict[str, Any]]:
    engine = sa.create_engine(settings_in(folder).process_db_url)
    try:
        with engine.connect() as connection:
            order = table.__table__.primary_key.columns.values()
            return [dict(row._mapping) for row in connection.execute(sa.select(table.__table__).order_by(*order))]
    finally:
        engine.dispose()


def test_the_seed_has_the_entries_and_events_asked_for_in_production_like_statuses(
    seeded: tuple[Path, SeededDashboard],
) -> None:
    folder, report = seeded

    assert (len(_rows(folder, tables.EntryRow)), len(_rows(folder, tables.EntryEventRow))) == (500, 5000)
    assert (report.entries, report.events) == (500, 5000)
    assert report.statuses == {
        "entered": 410,
        "bad_invoice": 25,
        "rejected": 20,
        "manual_review": 20,
        "superseded": 10,
        "rpa_failed": 8,
        "ready_to_process": 5,
        "dispatched": 2,
    }


def test_each_entry_went_from_its_verdict_to_its_status_by_legal_moves_its_columns_following_them(
    seeded: tuple[Path, SeededDashboard],
) -> None:
    folder, _ = seeded
    events = defaultdict(list)
    for event in _rows(folder, tables.EntryEventRow):
        events[event["entry_id"]].append(event)
    documents = {row["entry_id"]: row["erp_document_id"] for row in _rows(folder, tables.ErpDocumentRow)}
    problems = []
    for entry in _rows(folder, tables.EntryRow):
        history = events[entry["id"]]
        moves = [(e["from_status"], e["to_status"]) for e in history]
        first, last = history[0], history[-1]
        chained = all(
            before["to_status"] == after["from_status"]
            and is_legal_transition(EntryStatus(after["from_status"]), EntryStatus(after["to_status"]))
            and before["occurred_at"] <= after["occurred_at"]
            for before, after in pairwise(history)
        )
        entered = entry["status"] == "entered"
        expected = (
            (first["from_status"], first["to_status"], first["occurred_at"]) == (None, entry["verdict"], entry["created_at"])
            and chained
            and last["to_status"] == entry["status"]
            and entry["updated_at"] == last["occurred_at"]
            and entry["entered_at"] == (last["occurred_at"] if entered else None)
            and entry["erp_document_id"] == documents.get(entry["id"])
            and (entry["erp_document_id"] is not None) == entered
            and (entry["failure_reason"] == last["reason"] if entry["status"] == "rpa_failed" else entry["failure_reason"] is None)
            and (entry["payload"] is not None) == ("ready_to_process" in {to for _, to in moves})
            and entry["pulled_at"] < entry["created_at"] <= NOW
        )  # fmt: skip
        if not expected:
            problems.append(entry["id"])

    assert problems == []


def test_entry_findings_are_the_rules_of_each_entrys_findings_hard_when_any_finding_is(
    seeded: tuple[Path, SeededDashboard],
) -> None:
    folder, report = seeded
    expected: dict[tuple[int, str], str] = {}
    verdicts = set()
    for entry in _rows(folder, tables.EntryRow):
        for finding in entry["findings"]:
            key = (entry["id"], finding["rule_id"])
            if expected.get(key) != "hard":
                expected[key] = finding["severity"]
        severities = {finding["severity"] for finding in entry["findings"]}
        verdicts.add((entry["verdict"], "hard" in severities, "soft" in severities or "hard" in severities))

    rows = {(row["entry_id"], row["rule_id"]): row["severity"] for row in _rows(folder, tables.EntryFindingRow)}

    assert rows == expected
    assert verdicts == {("ready_to_process", False, False), ("manual_review", False, True), ("bad_invoice", True, True)}
    assert report.commonest_rule == "price.unit_mismatch"


def test_locks_are_held_as_the_service_holds_them(seeded: tuple[Path, SeededDashboard]) -> None:
    folder, _ = seeded
    entries = {entry["id"]: entry for entry in _rows(folder, tables.EntryRow)}
    locking = {i for i, entry in entries.items() if EntryStatus(entry["status"]).locks_po}
    holding = {i for i, entry in entries.items() if EntryStatus(entry["status"]).holds_version}
    po_locks = _rows(folder, tables.POLockRow)
    version_locks = _rows(folder, tables.VersionLockRow)
    first_versions = [entry for entry in entries.values() if entry["status"] == "superseded"]
    second_versions = {
        (entry["source_invoice_id"], entry["po_number"]): entry for entry in entries.values() if entry["version"] == 2
    }

    assert {lock["entry_id"] for lock in po_locks} == locking
    assert all(lock["po_number"] == entries[lock["entry_id"]]["po_number"] for lock in po_locks)
    assert {lock["entry_id"] for lock in version_locks} == holding
    assert len(second_versions) == len(first_versions) == 10
    for first in first_versions:
        second = second_versions[(first["source_invoice_id"], first["po_number"])]
        assert (first["superseded_by_version"], first["updated_at"]) == (2, second["created_at"])


def test_the_dashboard_shows_the_seeded_entries(seeded: tuple[Path, SeededDashboard]) -> None:
    folder, report = seeded
    settings = settings_in(folder)
    marketplace = sa.create_engine(settings.marketplace_db_url)
    marketplace_metadata.create_all(marketplace)
    marketplace.dispose()
    store = ProcessStore.from_url(settings.process_db_url)
    try:
        store.accounts.create_user("seed.clerk", PASSWORD, "clerk")
        entries = [store.entries.get(entry_id) for entry_id in range(1, SMALL.entries + 1)]  # each one reads
    finally:
        store.close()
    one_of_each = {(entry.status, entry.payload is None, bool(entry.findings)): entry.id for entry in entries}
    with TestClient(create_app(settings)) as client:
        client.post("/api/v1/auth/login", json={"username": "seed.clerk", "password": PASSWORD}).raise_for_status()
        queue_pages = [
            "/queue",
            "/queue?status=manual_review",
            f"/queue?vendor_id={report.busiest_vendor}",
            f"/queue?rule_id={report.commonest_rule}&sort=total&order=asc",
        ]
        answers = {path: client.get(path).status_code for path in queue_pages}
        entry_pages = {entry_id: client.get(f"/entries/{entry_id}") for entry_id in one_of_each.values()}
        export = client.get("/api/v1/entries/export.csv")

    assert answers == dict.fromkeys(queue_pages, 200)
    assert {entry_id: page.status_code for entry_id, page in entry_pages.items()} == dict.fromkeys(entry_pages, 200)
    assert not [entry_id for entry_id, page in entry_pages.items() if "The ERP has no purchase order" in page.text]
    assert len(export.text.splitlines()) == 1 + SMALL.entries


def test_the_benchmark_runs_end_to_end_over_a_small_seed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    process_url = f"sqlite:///{tmp_path / 'process.db'}"

    seeded, timings, exports = dashboard.bench_on(
        "sqlite", process_url, tmp_path / "bench", SMALL, NOW, requests=3, port=free_port()
    )

    built = {timing.label: len(timing.latencies_ms) for timing in timings if timing.built}
    assert "/queue" in built and "/entries/<random id>" in built and "/admin/users (admin)" in built
    assert set(built.values()) == {3}
    assert [export.rows for export in exports] == [50, 500]
    assert "CSV export [sqlite]: 500 rows" in capsys.readouterr().out
    assert seeded.events == 5000
