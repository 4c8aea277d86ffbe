"""A bot acts only on what it claimed; an entry mailed to the bot's mailbox may be reported by any bot.
On SQLite, PostgreSQL and MariaDB."""

import pytest

from connectors.store import Entry, NotClaimHolderError, ProcessStore
from demo.factories import invoice_for, make_payload, make_verdict
from domain import EntryStatus


def ready(store: ProcessStore, number: int) -> Entry:
    invoice = invoice_for(number, po_number=f"PO-{number}")
    return store.verdicts.record_one(
        invoice, make_verdict(EntryStatus.READY_TO_PROCESS), make_payload(invoice), actor="flow:test"
    )


def test_a_callback_from_another_bot_is_refused_and_audited(store: ProcessStore) -> None:
    entry = ready(store, 1)
    store.bot.claim_next("bot:a")

    with pytest.raises(NotClaimHolderError, match="claimed by bot:a, not bot:b"):
        store.bot.record_failure(entry.id, "ERP screen timed out", bot="bot:b")

    assert (store.entries.get(entry.id).status, store.entries.get(entry.id).dispatched_to) == (
        EntryStatus.DISPATCHED,
        "bot:a",
    )
    last = store.entries.history(entry.id)[-1]
    assert (last.actor, last.from_status, last.to_status) == ("bot:b", EntryStatus.DISPATCHED, EntryStatus.DISPATCHED)
    assert (
        last.reason
        == "refused: bot:b reported rpa_failed (failure_reason 'ERP screen timed out') on an entry bot:a holds"
    )
    assert store.bot.record_success(entry.id, "AP-1", bot="bot:a").status is EntryStatus.ENTERED


def test_an_entry_mailed_to_the_mailbox_may_be_reported_by_any_bot(store: ProcessStore) -> None:
    entry = ready(store, 2)
    store.bot.dispatch(
        entry.id, to="rpa-bot@example.com", actor="user:clerk", reason="mailed", hand_over=lambda _entry: None
    )

    assert store.bot.record_success(entry.id, "AP-2", bot="bot:reads-the-mailbox").status is EntryStatus.ENTERED
