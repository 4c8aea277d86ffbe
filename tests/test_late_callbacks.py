"""A late success from a bot that held an earlier claim is taken as the truth (the invoice is in the
ERP), the other bot's callback is told so, and a second ERP document is kept and flagged for AP,
never dropped. On SQLite, PostgreSQL and MariaDB."""

import json

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from connectors.store import AlreadyEnteredError, CallbackConflictError, Entry, EntryFilter, ProcessStore
from demo.factories import invoice_for, make_payload, make_verdict
from domain import EntryStatus

RECEIVER = "https://ap.example/hooks"


@pytest.fixture
def store(connection: sa.Connection) -> ProcessStore:
    """The store, announcing every change to one webhook receiver."""
    return ProcessStore(
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint"), webhook_urls=[RECEIVER]
    )


def ready(store: ProcessStore, number: int) -> Entry:
    invoice = invoice_for(number, po_number=f"PO-{number}")
    return store.verdicts.record_one(
        invoice, make_verdict(EntryStatus.READY_TO_PROCESS), make_payload(invoice), actor="flow:test"
    )


def claimed_then_released(store: ProcessStore, number: int, bot: str) -> Entry:
    """An entry `bot` claimed and never called back on, given back to the queue by housekeeping."""
    entry = ready(store, number)
    assert store.bot.claim_next(bot) == store.entries.get(entry.id)
    return store.lifecycle.transition(
        entry.id, EntryStatus.READY_TO_PROCESS, actor="flow:release-stale-dispatches", reason="no callback"
    )


def documents(store: ProcessStore, entry_id: int) -> list[tuple[str, str]]:
    return [(document.erp_document_id, document.reported_by) for document in store.entries.erp_documents(entry_id)]


def test_a_late_success_while_the_entry_is_back_in_the_queue_enters_it(store: ProcessStore) -> None:
    entry = claimed_then_released(store, 1, "bot:a")

    entered = store.bot.record_success(entry.id, "AP-1", bot="bot:a")

    assert (entered.status, entered.erp_document_id, entered.possible_double_entry) == (
        EntryStatus.ENTERED,
        "AP-1",
        False,
    )
    assert store.entries.po_lock_holder(entry.po_number) is None
    last = store.entries.history(entry.id)[-1]
    assert (last.actor, last.from_status, last.to_status) == (
        "bot:a",
        EntryStatus.READY_TO_PROCESS,
        EntryStatus.ENTERED,
    )
    assert last.reason.startswith("entered in the ERP as document AP-1, reported late by bot:a")
    assert documents(store, entry.id) == [("AP-1", "bot:a")]
    assert store.bot.claim_next("bot:b") is None  # nobody keys it again


def test_a_late_success_while_another_bot_holds_it_wins_and_the_other_bot_is_told(store: ProcessStore) -> None:
    entry = claimed_then_released(store, 2, "bot:a")
    assert store.bot.claim_next("bot:b") is not None

    entered = store.bot.record_success(entry.id, "AP-2", bot="bot:a")
    with pytest.raises(AlreadyEnteredError, match="as ERP document AP-2") as failure:
        store.bot.record_failure(entry.id, "ERP screen timed out", bot="bot:b")

    assert (entered.status, entered.dispatched_to) == (EntryStatus.ENTERED, None)
    assert (failure.value.erp_document_id, failure.value.reported_document_id) == ("AP-2", None)
    assert store.entries.get(entry.id).possible_double_entry is False
    assert [event.to_status for event in store.entries.history(entry.id)][-1] is EntryStatus.ENTERED


def test_two_documents_for_one_entry_are_both_kept_and_flagged_once(store: ProcessStore) -> None:
    entry = claimed_then_released(store, 3, "bot:a")
    assert store.bot.claim_next("bot:b") is not None
    store.bot.record_success(entry.id, "AP-3", bot="bot:a")
    events_before = len(store.entries.history(entry.id))

    for _ in range(2):  # the bot retries its callback: recorded once
        with pytest.raises(AlreadyEnteredError) as refused:
            store.bot.record_success(entry.id, "AP-3-BIS", bot="bot:b")
        assert (refused.value.erp_document_id, refused.value.reported_document_id) == ("AP-3", "AP-3-BIS")

    flagged = store.entries.get(entry.id)
    assert (flagged.status, flagged.erp_document_id, flagged.possible_double_entry) == (
        EntryStatus.ENTERED,
        "AP-3",
        True,
    )
    assert documents(store, entry.id) == [("AP-3", "bot:a"), ("AP-3-BIS", "bot:b")]
    history = store.entries.history(entry.id)
    assert len(history) == events_before + 1
    assert (history[-1].actor, history[-1].from_status, history[-1].to_status) == (
        "bot:b",
        EntryStatus.ENTERED,
        EntryStatus.ENTERED,
    )
    assert "possible double entry" in history[-1].reason and "AP-3-BIS" in history[-1].reason
    assert store.entry_search.search(EntryFilter(possible_double_entry=True)).entries[0].id == entry.id
    flag_events = [
        json.loads(delivery.body)
        for delivery in store.outbox.deliveries(entry_id=entry.id)
        if delivery.event_type == "entry.possible_double_entry"
    ]
    assert len(flag_events) == 1
    assert flag_events[0]["data"]["erp_document_ids"] == ["AP-3", "AP-3-BIS"]
    assert flag_events[0]["data"]["entry_id"] == entry.id


def test_a_late_success_after_another_bot_failed_enters_it(store: ProcessStore) -> None:
    entry = claimed_then_released(store, 4, "bot:a")
    store.bot.claim_next("bot:b")
    store.bot.record_failure(entry.id, "ERP screen timed out", bot="bot:b")

    entered = store.bot.record_success(entry.id, "AP-4", bot="bot:a")

    assert (entered.status, entered.failure_reason) == (EntryStatus.ENTERED, None)
    assert store.entries.po_lock_holder(entry.po_number) is None


def test_a_success_after_the_bots_own_failure_is_refused_but_its_document_is_audited(store: ProcessStore) -> None:
    entry = ready(store, 5)
    store.bot.claim_next("bot:a")
    store.bot.record_failure(entry.id, "ERP screen timed out", bot="bot:a")

    with pytest.raises(CallbackConflictError):
        store.bot.record_success(entry.id, "AP-5", bot="bot:a")

    assert store.entries.get(entry.id).status is EntryStatus.RPA_FAILED
    last = store.entries.history(entry.id)[-1]
    assert (last.from_status, last.to_status) == (EntryStatus.RPA_FAILED, EntryStatus.RPA_FAILED)
    assert "AP-5" in last.reason


def test_a_bot_that_never_held_the_entry_cannot_enter_it(store: ProcessStore) -> None:
    entry = claimed_then_released(store, 6, "bot:a")
    events_before = len(store.entries.history(entry.id))

    with pytest.raises(CallbackConflictError):
        store.bot.record_success(entry.id, "AP-6", bot="bot:stranger")
    store.bot.record_success(entry.id, "AP-6", bot="bot:a")
    with pytest.raises(AlreadyEnteredError) as refused:
        store.bot.record_success(entry.id, "AP-6-BIS", bot="bot:stranger")

    assert refused.value.reported_document_id is None
    assert store.entries.get(entry.id).possible_double_entry is False
    assert len(store.entries.history(entry.id)) == events_before + 1
    assert documents(store, entry.id) == [("AP-6", "bot:a")]


def test_the_document_housekeeping_found_is_the_first_a_bot_reporting_another_is_flagged(
    store: ProcessStore,
) -> None:
    entry = ready(store, 7)
    store.bot.claim_next("bot:a")
    store.lifecycle.transition(
        entry.id,
        EntryStatus.ENTERED,
        actor="flow:release-stale-dispatches",
        reason="found in the ERP",
        erp_document_id="AP-7",
    )

    assert store.bot.record_success(entry.id, "AP-7", bot="bot:a").status is EntryStatus.ENTERED
    with pytest.raises(AlreadyEnteredError):
        store.bot.record_success(entry.id, "AP-7-BIS", bot="bot:a")

    assert documents(store, entry.id) == [("AP-7", "flow:release-stale-dispatches"), ("AP-7-BIS", "bot:a")]
    assert store.entries.get(entry.id).possible_double_entry is True
