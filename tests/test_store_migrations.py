"""The store's Alembic migrations, on SQLite, PostgreSQL and MariaDB, and their command line."""

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from connectors.store import ProcessStore, make_engine
from connectors.store.__main__ import main
from connectors.store.migrate import current_revision, downgrade, head_revision, upgrade
from connectors.store.partitions import vendor_hash
from connectors.store.tables import Base, EntryFindingRow, EntryRow, VersionLockRow
from demo.factories import make_invoice, make_payload, make_verdict
from domain import EntryStatus
from settings import get_settings

STORE_TABLES = {
    "inbox",
    "intake_errors",
    "pull_cursors",
    "process_scheduler",
    "entry_events",
    "po_locks",
    "users",
    "user_tokens",
    "api_keys",
    "webhook_deliveries",
    "vendor_locks",
    "version_locks",
    "erp_documents",
    "sign_in_failures",
    "entry_findings",
    "poll_runs",
    "documents",
    "document_events",
    "extraction_calls",
}


def table_names(url: str) -> set[str]:
    engine = make_engine(url, poolclass=sa.NullPool)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def schema_differences(url: str) -> list[Any]:
    engine = make_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences: list[Any] = compare_metadata(context, Base.metadata)  # tuples, or lists of them
            return differences
    finally:
        engine.dispose()


def test_upgrade_downgrade_and_upgrade_again(db_url: str) -> None:
    assert current_revision(db_url) is None

    upgrade(db_url)
    assert table_names(db_url) == STORE_TABLES
    assert current_revision(db_url) == head_revision()

    downgrade(db_url, "base")
    assert table_names(db_url) == set()
    assert current_revision(db_url) is None

    upgrade(db_url)
    assert table_names(db_url) == STORE_TABLES


def test_migrated_schema_matches_the_orm_models(db_url: str) -> None:
    upgrade(db_url)

    assert schema_differences(db_url) == []


def test_schema_comparison_notices_drift(db_url: str) -> None:
    """The comparison above is not vacuous: a missing index is reported."""
    upgrade(db_url)
    engine = make_engine(db_url, poolclass=sa.NullPool)
    with engine.begin() as connection:
        sa.Index("ix_process_scheduler_status", Base.metadata.tables["process_scheduler"].c.status).drop(connection)
    engine.dispose()

    assert [diff[0] for diff in schema_differences(db_url)] == ["add_index"]


def test_revision_0005_gives_inbox_rows_already_waiting_their_vendor_hash(db_url: str) -> None:
    upgrade(db_url, "0004")
    engine = make_engine(db_url, poolclass=sa.NullPool)
    inbox = sa.table(
        "inbox",
        *(
            sa.column(name)
            for name in (
                "source",
                "source_invoice_id",
                "version",
                "po_number",
                "vendor_id",
                "invoice",
                "state",
                "pulled_at",
            )
        ),
    )
    with engine.begin() as connection:
        connection.execute(
            inbox.insert(),
            [
                {
                    "source": "marketplace",
                    "source_invoice_id": str(n),
                    "version": 1,
                    "po_number": f"PO-{n}",
                    "vendor_id": vendor,
                    "invoice": "{}",
                    "state": "waiting",
                    "pulled_at": datetime(2026, 11, 1),
                }
                for n, vendor in enumerate(["V001", "V002", "Ünïcode GmbH"])
            ],
        )
    try:
        upgrade(db_url)
        with engine.connect() as connection:
            stored = dict(connection.execute(sa.text("SELECT vendor_id, vendor_hash FROM inbox")).tuples().all())
    finally:
        engine.dispose()

    assert stored == {vendor: vendor_hash(vendor) for vendor in ["V001", "V002", "Ünïcode GmbH"]}
    assert len(set(stored.values())) == 3


def test_a_store_holding_entries_migrates_down_and_up_without_losing_them(db_url: str) -> None:
    """Revision 0003 rebuilds process_scheduler on SQLite; the inbox, events and PO locks refer to it."""
    upgrade(db_url)
    store = ProcessStore.from_url(db_url)
    invoice = make_invoice()
    store.inbox.record_pull("marketplace", [invoice], [], cursor=None, actor="flow:poll-marketplace")
    entry = store.verdicts.record_one(
        invoice, make_verdict(EntryStatus.READY_TO_PROCESS), make_payload(invoice), actor="test"
    )
    store.close()

    downgrade(db_url, "0002")
    upgrade(db_url)

    store = ProcessStore.from_url(db_url)
    try:
        assert store.entries.get(entry.id).invoice == invoice
        assert store.entries.po_lock_holder(invoice.po_number) == entry.id
        assert [event.to_status for event in store.entries.history(entry.id)] == [EntryStatus.READY_TO_PROCESS]
    finally:
        store.close()


def test_cli_upgrade_creates_the_var_folder_and_reports_the_revision(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'process.db'}"

    assert main(["--url", url, "upgrade"]) == 0

    assert (tmp_path / "var" / "process.db").is_file()
    assert table_names(url) == STORE_TABLES
    assert f"Schema revision: {head_revision()} (newest)" in capsys.readouterr().out

    assert main(["--url", url, "downgrade", "base"]) == 0
    assert "Schema revision: none" in capsys.readouterr().out
    assert table_names(url) == set()


def test_cli_defaults_to_process_db_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'nested' / 'var' / 'process.db'}"
    monkeypatch.setenv("PROCESS_DB_URL", url)
    get_settings.cache_clear()
    try:
        assert main(["upgrade"]) == 0
        assert main(["current"]) == 0
    finally:
        get_settings.cache_clear()

    output = capsys.readouterr().out
    assert f"Process database: {url}" in output
    assert current_revision(url) == head_revision()


def test_revision_0006_gives_each_invoice_one_version_lock(db_url: str) -> None:
    """Before 0006 two versions of one invoice could both be live: the entered one, else the newest, keeps it."""
    upgrade(db_url, "0005")
    engine = make_engine(db_url, poolclass=sa.NullPool)
    columns = ("source", "source_invoice_id", "version", "vendor_id", "vendor_name", "invoice_number",
               "normalised_invoice_number", "invoice_date", "po_number", "currency", "total", "status", "invoice",
               "findings", "rule_set_version", "created_at", "updated_at")  # fmt: skip
    entries = sa.table("process_scheduler", *(sa.column(name) for name in columns))

    def entry(invoice_id: str, version: int, status: str) -> dict[str, object]:
        return {
            "source": "marketplace", "source_invoice_id": invoice_id, "version": version, "vendor_id": "V001",
            "vendor_name": "Acme", "invoice_number": f"INV-{invoice_id}", "normalised_invoice_number": f"INV{invoice_id}",
            "invoice_date": date(2026, 11, 1), "po_number": f"PO-{invoice_id}-{version}", "currency": "USD",
            "total": 10, "status": status, "invoice": "{}", "findings": "[]", "rule_set_version": "1",
            "created_at": datetime(2026, 11, 1), "updated_at": datetime(2026, 11, version),
        }  # fmt: skip

    with engine.begin() as connection:
        connection.execute(
            entries.insert(),
            [
                entry("1", 1, "ready_to_process"), entry("1", 2, "manual_review"),  # the newest keeps it
                entry("2", 1, "entered"), entry("2", 2, "ready_to_process"),  # the entered one keeps it
                entry("3", 1, "rejected"), entry("4", 1, "bad_invoice"),  # nothing live
            ],
        )  # fmt: skip
    try:
        upgrade(db_url)
        with engine.connect() as connection:
            locks = connection.execute(
                sa.select(VersionLockRow.source_invoice_id, EntryRow.version, EntryRow.status, VersionLockRow.locked_at)
                .join(EntryRow, EntryRow.id == VersionLockRow.entry_id)
                .order_by(VersionLockRow.source_invoice_id)
            ).all()
        downgrade(db_url, "0005")
    finally:
        engine.dispose()

    assert [tuple(lock[:3]) for lock in locks] == [("1", 2, "manual_review"), ("2", 1, "entered")]
    # locked since the entry last changed
    assert [lock[3] for lock in locks] == [datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)]


def test_revision_0009_gives_entries_their_verdict_times_and_finding_rows(db_url: str) -> None:
    """An entry judged before 0009 gets the verdict of its creation event (or, lacking one, of its
    findings), the pull time of its inbox row, the time it was entered, and a row per rule id."""
    upgrade(db_url, "0008")
    engine = make_engine(db_url, poolclass=sa.NullPool)
    columns = ("id", "source", "source_invoice_id", "version", "vendor_id", "vendor_name", "invoice_number",
               "normalised_invoice_number", "invoice_date", "po_number", "currency", "total", "status", "invoice",
               "findings", "rule_set_version", "created_at", "updated_at")  # fmt: skip
    entries = sa.table("process_scheduler", *(sa.column(name) for name in columns))
    events = sa.table(
        "entry_events",
        *(sa.column(name) for name in ("entry_id", "from_status", "to_status", "actor", "reason", "occurred_at")),
    )
    inbox = sa.table(
        "inbox",
        *(sa.column(name) for name in ("source", "source_invoice_id", "version", "po_number", "vendor_id",
                                       "vendor_hash", "invoice", "state", "pulled_at", "judged_at", "entry_id")),
    )  # fmt: skip
    soft = {"rule_id": "price.unit_mismatch", "severity": "soft", "message": "m"}
    hard = {"rule_id": "po.exists", "severity": "hard", "message": "m"}

    def entry(entry_id: int, status: str, findings: list[dict[str, str]]) -> dict[str, object]:
        return {
            "id": entry_id, "source": "marketplace", "source_invoice_id": str(entry_id), "version": 1,
            "vendor_id": "V001", "vendor_name": "Acme", "invoice_number": f"INV-{entry_id}",
            "normalised_invoice_number": f"INV{entry_id}", "invoice_date": date(2026, 11, 1), "po_number": f"PO-{entry_id}",
            "currency": "USD", "total": 10, "status": status, "invoice": "{}", "findings": json.dumps(findings),
            "rule_set_version": "1", "created_at": datetime(2026, 11, 2, 9), "updated_at": datetime(2026, 11, 2, 12),
        }  # fmt: skip

    def event(entry_id: int, from_status: str | None, to_status: str, hour: int) -> dict[str, object]:
        return {"entry_id": entry_id, "from_status": from_status, "to_status": to_status, "actor": "t", "reason": "r",
                "occurred_at": datetime(2026, 11, 2, hour)}  # fmt: skip

    with engine.begin() as connection:
        connection.execute(
            entries.insert(),
            [entry(1, "entered", []), entry(2, "rejected", [soft, soft, hard]), entry(3, "rejected", [soft])],
        )
        connection.execute(
            events.insert(),
            [
                event(1, None, "ready_to_process", 9), event(1, "ready_to_process", "dispatched", 10),
                event(1, "dispatched", "entered", 11), event(1, "entered", "entered", 12),
                event(2, None, "bad_invoice", 9),  # its status is not its verdict
                # entry 3 has no creation event: its findings give its verdict
            ],
        )  # fmt: skip
        connection.execute(
            inbox.insert(),
            {"source": "marketplace", "source_invoice_id": "1", "version": 1, "po_number": "PO-1", "vendor_id": "V001",
             "vendor_hash": 0, "invoice": "{}", "state": "judged", "pulled_at": datetime(2026, 11, 2, 8, 30),
             "judged_at": datetime(2026, 11, 2, 9), "entry_id": 1},
        )  # fmt: skip
    try:
        upgrade(db_url)
        with engine.connect() as connection:
            migrated = connection.execute(
                sa.select(EntryRow.id, EntryRow.verdict, EntryRow.pulled_at, EntryRow.entered_at).order_by(EntryRow.id)
            ).all()
            finding_rows = connection.execute(
                sa.select(EntryFindingRow.entry_id, EntryFindingRow.rule_id, EntryFindingRow.severity).order_by(
                    EntryFindingRow.entry_id, EntryFindingRow.rule_id
                )
            ).all()
    finally:
        engine.dispose()

    assert [tuple(row) for row in migrated] == [
        (1, "ready_to_process", datetime(2026, 11, 2, 8, 30, tzinfo=UTC), datetime(2026, 11, 2, 11, tzinfo=UTC)),
        (2, "bad_invoice", None, None),
        (3, "manual_review", None, None),
    ]
    assert [tuple(row) for row in finding_rows] == [
        (2, "po.exists", "hard"),
        (2, "price.unit_mismatch", "soft"),
        (3, "price.unit_mismatch", "soft"),
    ]
