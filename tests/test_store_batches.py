"""Recording a batch of verdicts: one transaction, a constant number of statements, races settled
by the database (an invoice recorded twice, a PO locked by another writer meanwhile)."""

import threading
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from connectors.db import count_statements
from connectors.store import DuplicateCheckOutdatedError, ProcessStore, make_engine
from connectors.store.migrate import upgrade
from demo.factories import invoice_for, make_invoice, make_payload, make_verdict
from domain import EntryStatus, Invoice, RpaPayload, Verdict


@dataclass(frozen=True)
class Judged:
    invoice: Invoice
    verdict: Verdict
    payload: RpaPayload | None


def judged(number: int, status: EntryStatus = EntryStatus.READY_TO_PROCESS, po_number: str | None = None) -> Judged:
    invoice = invoice_for(number, po_number=po_number or f"PO-{number}")
    return Judged(invoice, make_verdict(status), make_payload(invoice))


def test_a_batch_is_recorded_with_events_locks_and_inbox_in_constant_statements(
    store: ProcessStore, connection: sa.Connection
) -> None:
    # both with findings (their rule ids are written in one statement) and without
    small = [judged(1), judged(2), judged(3, EntryStatus.MANUAL_REVIEW)]
    large = [judged(n, EntryStatus.MANUAL_REVIEW if n % 3 else EntryStatus.READY_TO_PROCESS) for n in range(10, 310)]
    store.inbox.record_pull("marketplace", [j.invoice for j in small + large], [], None, actor="flow:poll-marketplace")

    with count_statements(connection.engine) as few:
        first = store.verdicts.record_batch(small, actor="flow:poll-marketplace", flow_run_id="run-1")
    with count_statements(connection.engine) as many:
        second = store.verdicts.record_batch(large, actor="flow:poll-marketplace", flow_run_id="run-1")

    assert few.statements == many.statements
    assert len(first.recorded) == 3 and len(second.recorded) == 300
    assert first.already_judged == first.waiting_on_lock == ()
    entry = store.entries.get(first.recorded[small[0].invoice.key])
    assert (entry.status, entry.flow_run_id, entry.payload) == (EntryStatus.READY_TO_PROCESS, "run-1", small[0].payload)
    [event] = store.entries.history(entry.id)
    assert (event.from_status, event.to_status, event.actor) == (
        None,
        EntryStatus.READY_TO_PROCESS,
        "flow:poll-marketplace",
    )
    assert store.entries.locked_po_numbers(["PO-1", "PO-2", "PO-11", "PO-12"]) == {"PO-1", "PO-2", "PO-12"}
    assert store.inbox.waiting(limit=1000) == []


def test_an_invoice_recorded_meanwhile_and_a_po_locked_meanwhile_are_left_out(store: ProcessStore) -> None:
    holder = store.verdicts.record_one(
        invoice_for(1, po_number="PO-X"), make_verdict(), make_payload(invoice_for(1, po_number="PO-X")), actor="api"
    )
    already = judged(2)
    store.verdicts.record_one(already.invoice, already.verdict, already.payload, actor="api")
    late_for_lock = judged(3, po_number="PO-X")
    review_on_locked_po = judged(4, EntryStatus.MANUAL_REVIEW, po_number="PO-X")  # does not need the lock
    fresh = judged(5)
    store.inbox.record_pull("marketplace", [late_for_lock.invoice], [], None, actor="flow:poll-marketplace")

    record = store.verdicts.record_batch([already, late_for_lock, review_on_locked_po, fresh], actor="flow:test")

    assert record.already_judged == (already.invoice.key,)
    assert record.waiting_on_lock == (late_for_lock.invoice.key,)
    assert set(record.recorded) == {review_on_locked_po.invoice.key, fresh.invoice.key}
    assert store.entries.find(late_for_lock.invoice.key) is None
    assert [i.invoice.key for i in store.inbox.waiting(limit=10)] == [late_for_lock.invoice.key]
    assert store.entries.po_lock_holder("PO-X") == holder.id


def test_two_writers_at_once_never_give_a_po_two_live_entries(postgres_url: str) -> None:
    upgrade(postgres_url)
    engine = make_engine(postgres_url)
    writers = [ProcessStore(sessionmaker(bind=engine, expire_on_commit=False)) for _ in range(2)]
    # Both runs judged the same backlog: invoices 1-40 on 20 POs (two invoices per PO).
    backlog = [judged(n, po_number=f"PO-{n % 20}") for n in range(1, 41)]
    barrier = threading.Barrier(2)
    results, failures = {}, []

    def run(name: str, store: ProcessStore, batch: list[Judged]) -> None:
        barrier.wait()
        try:
            results[name] = store.verdicts.record_batch(batch, actor=f"flow:{name}")
        except Exception as error:  # reported below: a writer must never fail (e.g. deadlock)
            failures.append(error)

    threads = [
        threading.Thread(target=run, args=("a", writers[0], backlog)),
        threading.Thread(target=run, args=("b", writers[1], list(reversed(backlog)))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    with engine.connect() as conn:
        live_per_po = (
            conn.execute(
                sa.text(
                    "SELECT po_number, count(*) FROM process_scheduler WHERE status = 'ready_to_process' GROUP BY po_number"
                )
            )
            .tuples()
            .all()
        )
        entries = conn.execute(sa.text("SELECT count(*) FROM process_scheduler")).scalar_one()
        events = conn.execute(sa.text("SELECT count(*) FROM entry_events")).scalar_one()
    engine.dispose()
    assert failures == []
    assert dict(live_per_po) == {f"PO-{n}": 1 for n in range(20)}
    assert entries == events == 20
    recorded = [key for result in results.values() for key in result.recorded]
    assert len(recorded) == len(set(recorded)) == 20


def bill(number: int, po_number: str, invoice_number: str, **overrides: object) -> Judged:
    """Marketplace invoice `number` billing `invoice_number` on `po_number`, judged ready."""
    invoice = make_invoice(
        source_invoice_id=str(number), po_number=po_number, invoice_number=invoice_number, **overrides
    )
    return Judged(invoice, make_verdict(EntryStatus.READY_TO_PROCESS), make_payload(invoice))


def copy_of_bill(number: int, po_number: str) -> Judged:
    """Invoice `number` on its own PO, billing what every copy bills: invoice number INV-77."""
    return bill(number, po_number, "INV-77")


def test_an_invoice_whose_possible_original_was_recorded_meanwhile_waits_to_be_judged_again(
    store: ProcessStore,
) -> None:
    seen = store.verdicts.record_one(
        invoice_for(1, po_number="PO-1"), make_verdict(), make_payload(invoice_for(1, po_number="PO-1")), actor="api"
    )
    copy, other_vendor = copy_of_bill(2, "PO-2"), bill(3, "PO-3", "INV-77", vendor_id="V002")
    store.inbox.record_pull(
        "marketplace", [copy.invoice, other_vendor.invoice], [], None, actor="flow:poll-marketplace"
    )
    seen_ids = {e.id for e in store.entries.duplicate_candidates([copy.invoice, other_vendor.invoice])}
    # judged against `seen_ids`; meanwhile another writer records an earlier copy of the bill
    original = copy_of_bill(4, "PO-4")
    store.verdicts.record_one(original.invoice, original.verdict, original.payload, actor="api")

    record = store.verdicts.record_batch([copy, other_vendor], actor="flow:test", seen_entry_ids=seen_ids)

    assert seen.id in seen_ids
    assert record.judged_again == (copy.invoice.key,)
    assert set(record.recorded) == {other_vendor.invoice.key}
    assert record.already_judged == record.waiting_on_lock == ()
    assert store.entries.find(copy.invoice.key) is None
    assert [i.invoice.key for i in store.inbox.waiting(limit=10)] == [copy.invoice.key]


def test_the_same_invoice_recorded_meanwhile_is_already_judged_not_judged_again(store: ProcessStore) -> None:
    copy = copy_of_bill(1, "PO-1")
    store.inbox.record_pull("marketplace", [copy.invoice], [], None, actor="flow:poll-marketplace")
    store.verdicts.record_one(copy.invoice, copy.verdict, copy.payload, actor="flow:other-run")

    record = store.verdicts.record_batch([copy], actor="flow:test", seen_entry_ids=set())

    assert (record.already_judged, record.judged_again, record.recorded) == ((copy.invoice.key,), (), {})


def test_a_single_verdict_judged_against_an_outdated_picture_is_refused(store: ProcessStore) -> None:
    copy = copy_of_bill(1, "PO-1")
    store.inbox.record_pull("marketplace", [copy.invoice], [], None, actor="flow:poll-marketplace")
    original = copy_of_bill(2, "PO-2")
    recorded_meanwhile = store.verdicts.record_one(original.invoice, original.verdict, original.payload, actor="api")

    with pytest.raises(DuplicateCheckOutdatedError, match=f"while entries {recorded_meanwhile.id} of its vendor"):
        store.verdicts.record_one(copy.invoice, copy.verdict, copy.payload, actor="api", seen_entry_ids=set())

    assert store.entries.find(copy.invoice.key) is None
    # judged again, against the entry it missed, it is recorded
    entry = store.verdicts.record_one(
        copy.invoice, copy.verdict, copy.payload, actor="api", seen_entry_ids={recorded_meanwhile.id}
    )
    assert entry.status is EntryStatus.READY_TO_PROCESS


def test_two_writers_at_once_never_record_copies_of_a_bill_both_unseen(db_url: str) -> None:
    """Two runs judged copies of the same bills (on different POs) at the same moment, neither
    seeing the other's: whichever records second finds the first's entries and leaves its own
    copies for the next batch, which judges them as duplicates."""
    upgrade(db_url)
    engine = make_engine(db_url)
    writers = [ProcessStore(sessionmaker(bind=engine, expire_on_commit=False)) for _ in range(2)]
    bills = 20
    batches = {
        name: [bill(offset + n, f"PO-{offset + n}", f"INV-{n}") for n in range(bills)]
        for name, offset in (("a", 100), ("b", 200))
    }
    for store, batch in zip(writers, batches.values(), strict=True):
        store.inbox.record_pull("marketplace", [j.invoice for j in batch], [], None, actor="flow:poll-marketplace")
    barrier = threading.Barrier(2)
    results, failures = {}, []

    def run(name: str, store: ProcessStore) -> None:
        barrier.wait()
        try:
            results[name] = store.verdicts.record_batch(batches[name], actor=f"flow:{name}", seen_entry_ids=set())
        except Exception as error:  # reported below: a writer must never fail (e.g. deadlock)
            failures.append(error)

    threads = [threading.Thread(target=run, args=(name, store)) for name, store in zip(batches, writers, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    with engine.connect() as conn:
        per_number = dict(
            conn.execute(
                sa.text(
                    "SELECT normalised_invoice_number, count(*) FROM process_scheduler GROUP BY normalised_invoice_number"
                )
            )
            .tuples()
            .all()
        )
    engine.dispose()
    assert failures == []
    assert per_number == {f"INV{n}": 1 for n in range(bills)}
    assert sorted(len(result.recorded) for result in results.values()) == [0, bills]
    assert sorted(len(result.judged_again) for result in results.values()) == [0, bills]


def test_an_unrecordable_verdict_fails_alone_and_the_inbox_counts_say_so(store: ProcessStore) -> None:
    good, broken, on_locked_po = judged(1), judged(2), judged(3, EntryStatus.MANUAL_REVIEW, po_number="PO-1")
    # a ready verdict without a payload cannot be handed to the bot
    broken = Judged(broken.invoice, broken.verdict, None)
    also_waiting = judged(4, po_number="PO-1")
    store.inbox.record_pull(
        "marketplace",
        [good.invoice, broken.invoice, on_locked_po.invoice, also_waiting.invoice],
        [],
        None,
        actor="flow:poll-marketplace",
    )

    record = store.verdicts.record_batch([good, broken, on_locked_po], actor="flow:test")

    assert set(record.recorded) == {good.invoice.key, on_locked_po.invoice.key}
    assert list(record.failed) == [broken.invoice.key]
    assert "has no RPA payload" in record.failed[broken.invoice.key]
    counts = store.inbox.counts()
    assert (counts.waiting, counts.waiting_on_lock, counts.failed) == (1, 1, 1)


def test_stale_dispatches_go_back_to_the_queue_with_an_audit_event(store: ProcessStore) -> None:
    stale, fresh = judged(1), judged(2)
    record = store.verdicts.record_batch([stale, fresh], actor="flow:test")
    for key in record.recorded.values():
        store.lifecycle.transition(key, EntryStatus.DISPATCHED, actor="bot", reason="claimed")
    cutoff = store.entries.get(record.recorded[fresh.invoice.key]).updated_at

    released = store.lifecycle.release_stale_dispatches(
        cutoff, actor="flow:release-stale-dispatches", reason="no callback for 2 h"
    )

    assert released == [record.recorded[stale.invoice.key]]
    assert store.entries.get(released[0]).status is EntryStatus.READY_TO_PROCESS
    last = store.entries.history(released[0])[-1]
    assert (last.from_status, last.to_status, last.actor, last.reason) == (
        EntryStatus.DISPATCHED,
        EntryStatus.READY_TO_PROCESS,
        "flow:release-stale-dispatches",
        "no callback for 2 h",
    )
    assert store.entries.get(record.recorded[fresh.invoice.key]).status is EntryStatus.DISPATCHED
