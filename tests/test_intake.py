"""Marketplace pull into the store's inbox: idempotent, resumable, garbled rows kept aside."""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from connectors.marketplace import MarketplaceCursor, MarketplaceSource
from connectors.marketplace.schema import metadata as marketplace_metadata
from connectors.store import ProcessStore
from connectors.store.migrate import upgrade
from connectors.store.partitions import VendorPartition
from domain import EntryStatus, Invoice
from services.judging import JudgedBatch, JudgingService, RecordedVerdict
from services.judging_workers import JudgingWorkers
from services.polling import judge_next_batch, judge_partition, pull_into_inbox
from services.runtime import Services
from tests.api_fixtures import api_world, settings_in
from tests.marketplace_rows import T0, add_invoice


def pull_into(store: ProcessStore, source: MarketplaceSource) -> tuple[int, int, int]:
    outcome = pull_into_inbox(source, store, actor="flow:poll-marketplace")
    return outcome.new_invoices, outcome.already_known, outcome.unreadable


@pytest.fixture
def marketplace_and_store(db_url: str) -> Iterator[tuple[sa.Engine, ProcessStore]]:
    """The marketplace's tables and a migrated process store, in one database."""
    engine = sa.create_engine(db_url)
    marketplace_metadata.create_all(engine)
    upgrade(db_url)
    store = ProcessStore.from_url(db_url)
    yield engine, store
    store.close()
    engine.dispose()


def test_pulls_into_the_inbox_once_and_resume_from_the_stored_cursor(
    marketplace_and_store: tuple[sa.Engine, ProcessStore],
) -> None:
    engine, store = marketplace_and_store
    source = MarketplaceSource(engine, page_size=4, lookback=timedelta(minutes=5))
    for n in range(1, 11):
        add_invoice(engine, n, updated_at=T0 + timedelta(minutes=n))
    add_invoice(engine, 11, updated_at=T0 + timedelta(minutes=11), po_number=None)

    assert pull_into(store, source) == (10, 0, 1)
    # a rerun re-reads only the lookback window and stores nothing new
    assert pull_into(store, source) == (0, 5, 1)
    add_invoice(engine, 12, updated_at=T0 + timedelta(minutes=12))
    add_invoice(engine, 3, updated_at=T0 + timedelta(minutes=13), version=2)
    assert pull_into(store, source) == (2, 5, 1)

    waiting = store.inbox.waiting(limit=100)
    # version 2 of invoice 3 withdrew version 1 from the inbox
    assert sorted((int(i.invoice.source_invoice_id), i.invoice.version) for i in waiting) == sorted(
        [(n, 1) for n in range(1, 11) if n != 3] + [(12, 1), (3, 2)]
    )


def test_a_pull_in_slices_stores_what_one_pull_stores_even_a_row_committed_late_in_the_lookback(
    marketplace_and_store: tuple[sa.Engine, ProcessStore],
) -> None:
    engine, store = marketplace_and_store
    source = MarketplaceSource(engine, page_size=3, lookback=timedelta(minutes=5))
    for n in range(1, 8):
        add_invoice(engine, n, updated_at=T0 + timedelta(minutes=n))
    assert pull_into(store, source) == (7, 0, 0)
    for n in range(8, 15):
        add_invoice(engine, n, updated_at=T0 + timedelta(minutes=n))
    # committed after the pull above, but stamped behind its cursor: the lookback window re-reads it
    add_invoice(engine, 15, updated_at=T0 + timedelta(minutes=6, seconds=30))

    # 2 lines an invoice, 3 invoices a page: every slice is one page
    slices = [pull_into_inbox(source, store, actor="flow:poll-marketplace", max_lines=6)]
    while slices[-1].resume_after is not None:
        slices.append(
            pull_into_inbox(
                source, store, actor="flow:poll-marketplace", max_lines=6, resume_after=slices[-1].resume_after
            )
        )
    pulled = sum(slices[1:], slices[0])

    # the lookback from invoice 7 re-reads 2 to 7; the first slice ends inside that window, behind the
    # stored cursor, and the next goes on from the row it read last, so invoice 15 is not passed over
    assert (pulled.new_invoices, pulled.already_known, pulled.unreadable) == (8, 6, 0)
    assert len(slices) == 5 and pulled.resume_after is None
    assert sorted(int(item.invoice.source_invoice_id) for item in store.inbox.waiting(limit=100)) == list(range(1, 16))
    assert (
        store.inbox.load_cursor("marketplace")
        == MarketplaceCursor(updated_at=T0 + timedelta(minutes=14), invoice_id=14).model_dump_json()
    )


def test_a_worker_process_judges_its_vendor_partition_and_leaves_the_others_waiting(tmp_path: Path) -> None:
    with api_world(tmp_path) as world:
        for n in range(1, 21):
            world.add_invoice(n, vendor_id=f"V{n}", po_number=f"PO-{n}", invoice_number=f"INV-{n}")
        service = Services.from_settings(world.settings)
        theirs = VendorPartition(1, 2)
        try:
            pull_into_inbox(service.marketplace, service.store, actor="flow:test", judged_here=VendorPartition(0, 2))
            with JudgingWorkers(1, world.settings) as workers:
                batches = workers.judge(theirs, batch_size=4, max_batches=50, actor="flow:test", flow_run_id="run-1")
            judged = {
                e.vendor_id: service.store.entries.get(e.id).flow_run_id
                for e in service.store.entry_search.search(limit=100).entries
            }
            waiting = {item.invoice.vendor_id for item in service.store.inbox.waiting(100)}
        finally:
            service.close()

    vendors = {f"V{n}" for n in range(1, 21)}
    assert set(judged) == {v for v in vendors if theirs.contains(v)} and set(judged.values()) == {"run-1"}
    assert waiting == vendors - set(judged)
    assert sum(batch.recorded for batch in batches) == len(judged) and batches[-1].selected == 0


def test_judging_lets_go_of_the_pulled_invoices_it_cannot_take_now(tmp_path: Path) -> None:
    """What a pull holds in memory goes once judging has found nothing more to take: an invoice
    waiting for a locked PO is not kept for it from one slice, or one poll, to the next."""
    with api_world(tmp_path) as world:
        service = Services.from_settings(world.settings)

        def poll() -> int:
            pull_into_inbox(service.marketplace, service.store, actor="flow:test")
            held = service.store.inbox.held_lines
            judge_partition(
                service.judging,
                VendorPartition(0, 1),
                batch_size=4,
                max_batches=10,
                actor="flow:test",
                flow_run_id=None,
            )
            return held

        try:
            world.add_invoice(1)  # queued for the bot: PO-1 locked
            poll()
            world.add_invoice(2, invoice_number="INV-2")  # on PO-1 too: waits for the lock
            held_after_the_pull = poll()
            held_after_judging = service.store.inbox.held_lines
            waiting = service.store.inbox.waiting(10)
        finally:
            service.close()

    assert (held_after_the_pull, held_after_judging) == (2, 0)
    # read back from the database when its turn comes
    assert [item.invoice.source_invoice_id for item in waiting] == ["2"]


def test_worker_processes_are_only_asked_within_their_with_block(tmp_path: Path) -> None:
    workers = JudgingWorkers(1, settings_in(tmp_path))
    with pytest.raises(RuntimeError, match="outside its with-block"):
        workers.judge(VendorPartition(1, 2), batch_size=1, max_batches=1, actor="flow:test", flow_run_id=None)


def test_worker_processes_refuse_a_process_database_only_this_process_can_see(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not an in-memory SQLite one"):
        JudgingWorkers(1, settings_in(tmp_path, process_db_url="sqlite://"))
    JudgingWorkers(0, settings_in(tmp_path, process_db_url="sqlite://"))  # judging here only: fine


def test_two_copies_of_a_bill_on_different_pos_in_one_batch_give_the_bot_one(tmp_path: Path) -> None:
    """The vendor uploads the same bill against two POs; one batch judges both: only the first may be paid."""
    with api_world(tmp_path) as world:
        world.add_invoice(1, po_number="PO-1", invoice_number="INV-9")
        world.add_invoice(2, po_number="PO-2", invoice_number="inv 0009")
        world.add_invoice(3, po_number="PO-3", invoice_number="INV-10")  # same amount, another number: for a person
        service = Services.from_settings(world.settings)
        try:
            pull_into_inbox(service.marketplace, service.store, actor="flow:test")
            batch = judge_next_batch(service.judging, batch_size=10, actor="flow:test", flow_run_id=None)
            entries = {e.source_invoice_id: e for e in service.store.entry_search.search(limit=10).entries}
        finally:
            service.close()

    assert batch.recorded == 3
    assert {number: entry.status for number, entry in entries.items()} == {
        "1": EntryStatus.READY_TO_PROCESS,
        "2": EntryStatus.BAD_INVOICE,
        "3": EntryStatus.MANUAL_REVIEW,
    }


def test_a_copy_recorded_while_the_api_judges_makes_it_judge_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """POST /invoices/2/validate judges invoice 2 while another writer records invoice 1, a copy of the
    same bill on another PO: the verdict it reached is not recorded; judged again, it is a duplicate."""
    with api_world(tmp_path) as world:
        world.add_invoice(1, po_number="PO-1", invoice_number="INV-9")
        world.add_invoice(2, po_number="PO-2", invoice_number="INV-9")
        service: JudgingService = world.client.app_state["services"].judging
        judge = service.judge
        judged_copies: list[RecordedVerdict] = []

        def judge_while_invoice_1_is_recorded(invoices: list[Invoice]) -> JudgedBatch:
            judged = judge(invoices)
            if not judged_copies:  # the other writer commits between this judging and its recording
                other = Services.from_settings(world.settings)
                try:
                    judged_copies.append(other.judging.validate_marketplace_invoice("1", actor="user:other-clerk"))
                finally:
                    other.close()
            return judged

        monkeypatch.setattr(service, "judge", judge_while_invoice_1_is_recorded)
        response = world.validate(2)

    assert judged_copies[0].entry.status is EntryStatus.READY_TO_PROCESS
    assert response.status_code == 400, response.text
    [verdict] = response.json()["error"]["details"]
    assert verdict["status"] == "bad_invoice"
    assert [f["rule_id"] for f in verdict["findings"]] == ["duplicate.exact"]
