"""The PO lock under concurrency: two writers with their own connections, at the same time.

The PostgreSQL tests are deterministic: one writer's transaction is held open with its lock
row inserted, the other is shown to be waiting on it, then the first commits (or rolls back).
The Barrier tests start several writers at once on every kind of database.
"""

import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from connectors.store import (
    Entry,
    IllegalTransitionError,
    POLockedError,
    ProcessStore,
    make_engine,
)
from connectors.store.migrate import upgrade
from connectors.store.tables import EntryEventRow, EntryRow, POLockRow
from demo.factories import make_invoice, make_payload, make_verdict
from domain import EntryStatus
from tests.concurrency import WAIT_SECONDS, all_at_once, held_open

S = EntryStatus
WRITERS = 4


@pytest.fixture
def engine(postgres_url: str) -> Iterator[sa.Engine]:
    upgrade(postgres_url)
    engine = make_engine(postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        yield pool


def store_on(engine: sa.Engine) -> ProcessStore:
    return ProcessStore(sessionmaker(bind=engine))


def assert_waiting_for_a_lock(engine: sa.Engine, attempt: Future[Any]) -> None:
    """Fail unless `attempt` is blocked on a row lock of this database (and has not finished)."""
    waiting = sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + WAIT_SECONDS
    with engine.connect() as observer:
        while time.monotonic() < deadline and not attempt.done():
            if observer.execute(waiting).scalar_one():
                return
            observer.rollback()
            time.sleep(0.01)
    if attempt.done():
        pytest.fail(f"the second writer did not wait for the first one's lock; it returned {attempt.result()!r}")
    pytest.fail(f"the second writer was not seen waiting for a lock within {WAIT_SECONDS}s")


def judge(store: ProcessStore, number: int, status: EntryStatus = S.READY_TO_PROCESS) -> Entry:
    """Record a verdict for invoice `number`; every invoice here is on PO-1001."""
    invoice = make_invoice(source_invoice_id=str(number), invoice_number=f"INV-{number}")
    return store.verdicts.record_one(invoice, make_verdict(status), make_payload(invoice), actor=f"flow:run-{number}")


def approve(store: ProcessStore, entry_id: int) -> Entry:
    return store.lifecycle.transition(entry_id, S.READY_TO_PROCESS, actor="ap:clerk", reason="price agreed")


def entries_of_po(engine: sa.Engine) -> list[tuple[int, str]]:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(EntryRow.id, EntryRow.status).order_by(EntryRow.id))
        return [(row.id, row.status) for row in rows]


def lock_holder(engine: sa.Engine) -> int | None:
    with engine.connect() as connection:
        return connection.scalar(sa.select(POLockRow.entry_id).where(POLockRow.po_number == "PO-1001"))


def event_count(engine: sa.Engine, entry_id: int) -> int:
    with engine.connect() as connection:
        return connection.execute(
            sa.select(sa.func.count()).select_from(EntryEventRow).where(EntryEventRow.entry_id == entry_id)
        ).scalar_one()


# ---------------------------------------------------------------------- deterministic, PostgreSQL


def test_second_invoice_waits_for_the_lock_holder_then_is_refused(engine: sa.Engine, pool: ThreadPoolExecutor) -> None:
    with held_open(engine) as first_run:
        held = judge(first_run, 1)
        attempt = pool.submit(judge, store_on(engine), 2)
        assert_waiting_for_a_lock(engine, attempt)

    with pytest.raises(POLockedError) as refused:
        attempt.result(timeout=WAIT_SECONDS)
    assert refused.value.holding_entry_id == held.id
    assert entries_of_po(engine) == [(held.id, "ready_to_process")]
    assert lock_holder(engine) == held.id


def test_the_waiting_writer_gets_the_po_when_the_holder_rolls_back(engine: sa.Engine, pool: ThreadPoolExecutor) -> None:
    with held_open(engine, commit=False) as failed_run:
        judge(failed_run, 1)
        attempt = pool.submit(judge, store_on(engine), 2)
        assert_waiting_for_a_lock(engine, attempt)

    winner = attempt.result(timeout=WAIT_SECONDS)
    assert entries_of_po(engine) == [(winner.id, "ready_to_process")]
    assert lock_holder(engine) == winner.id


def test_second_approval_waits_for_the_first_then_is_refused(engine: sa.Engine, pool: ThreadPoolExecutor) -> None:
    store = store_on(engine)
    first, second = judge(store, 1, S.MANUAL_REVIEW), judge(store, 2, S.MANUAL_REVIEW)

    with held_open(engine) as clerk_a:
        approve(clerk_a, first.id)
        attempt = pool.submit(approve, store_on(engine), second.id)
        assert_waiting_for_a_lock(engine, attempt)

    with pytest.raises(POLockedError) as refused:
        attempt.result(timeout=WAIT_SECONDS)
    assert refused.value.holding_entry_id == first.id
    assert entries_of_po(engine) == [(first.id, "ready_to_process"), (second.id, "manual_review")]
    assert (event_count(engine, first.id), event_count(engine, second.id)) == (2, 1)


def test_two_moves_of_one_entry_are_serialised(engine: sa.Engine, pool: ThreadPoolExecutor) -> None:
    store = store_on(engine)
    entry = judge(store, 1)
    store.lifecycle.transition(entry.id, S.DISPATCHED, actor="api-key:rpa-bot", reason="claimed")

    with held_open(engine) as success_callback:
        success_callback.lifecycle.transition(
            entry.id, S.ENTERED, actor="api-key:rpa-bot", reason="entered", erp_document_id="AP-1"
        )
        failure_callback = pool.submit(
            store_on(engine).lifecycle.transition, entry.id, S.RPA_FAILED, actor="api-key:rpa-bot", reason="timeout"
        )
        assert_waiting_for_a_lock(engine, failure_callback)

    with pytest.raises(IllegalTransitionError) as refused:
        failure_callback.result(timeout=WAIT_SECONDS)
    assert refused.value.current_status is S.ENTERED
    assert [e.to_status for e in store.entries.history(entry.id)] == [S.READY_TO_PROCESS, S.DISPATCHED, S.ENTERED]
    assert lock_holder(engine) is None


# ---------------------------------------------------------------------- all at once, every database


def test_concurrent_verdicts_on_one_po_leave_exactly_one_live(race_engine: sa.Engine, pool: ThreadPoolExecutor) -> None:
    store = store_on(race_engine)

    outcomes = all_at_once(pool, [partial(judge, store, n) for n in range(1, WRITERS + 1)])

    winners = [outcome for outcome in outcomes if isinstance(outcome, Entry)]
    refusals = [outcome for outcome in outcomes if isinstance(outcome, POLockedError)]
    assert (len(winners), len(refusals)) == (1, WRITERS - 1), outcomes
    assert entries_of_po(race_engine) == [(winners[0].id, "ready_to_process")]
    assert lock_holder(race_engine) == winners[0].id
    assert {refusal.holding_entry_id for refusal in refusals} == {winners[0].id}


def test_concurrent_approvals_on_one_po_let_exactly_one_through(
    race_engine: sa.Engine, pool: ThreadPoolExecutor
) -> None:
    store = store_on(race_engine)
    waiting = [judge(store, n, S.MANUAL_REVIEW) for n in range(1, WRITERS + 1)]

    outcomes = all_at_once(pool, [partial(approve, store, entry.id) for entry in waiting])

    winners = [outcome for outcome in outcomes if isinstance(outcome, Entry)]
    assert len(winners) == 1, outcomes
    assert all(isinstance(outcome, POLockedError) for outcome in outcomes if outcome is not winners[0]), outcomes
    assert lock_holder(race_engine) == winners[0].id
    assert sorted(status for _, status in entries_of_po(race_engine)) == ["manual_review"] * (WRITERS - 1) + [
        "ready_to_process"
    ]
    assert [event_count(race_engine, entry.id) for entry in waiting] == [
        2 if entry.id == winners[0].id else 1 for entry in waiting
    ]
