"""Stale dispatches go back to the queue after the allowed wait, measured on a clock the test moves."""

from datetime import timedelta
from pathlib import Path

from connectors.store import ProcessStore
from connectors.store.migrate import upgrade
from demo.factories import invoice_for, make_payload, make_verdict
from domain import EntryStatus
from services.rpa import release_stale_dispatches
from tests.fakes import FakeClock

ACTOR = "flow:release-stale-dispatches"


def test_a_dispatch_is_released_once_it_is_older_than_allowed_not_before(tmp_path: Path, clock: FakeClock) -> None:
    url = f"sqlite:///{tmp_path / 'process.db'}"
    upgrade(url)
    store = ProcessStore.from_url(url, clock=clock)
    try:
        invoice = invoice_for(1)
        entry = store.verdicts.record_one(
            invoice, make_verdict(EntryStatus.READY_TO_PROCESS), make_payload(invoice), actor="flow:test"
        )
        store.bot.claim_next("bot:rpa-1")

        clock.advance(timedelta(minutes=120))
        assert release_stale_dispatches(store, clock, stale_after_minutes=120, actor=ACTOR) == []

        clock.advance(timedelta(seconds=1))
        assert release_stale_dispatches(store, clock, stale_after_minutes=120, actor=ACTOR) == [entry.id]
        released = store.entries.get(entry.id)
        last = store.entries.history(entry.id)[-1]
    finally:
        store.close()

    assert released.status is EntryStatus.READY_TO_PROCESS and released.dispatched_to is None
    assert (last.actor, last.reason, last.occurred_at) == (
        ACTOR,
        "no callback from the RPA bot within 120 minutes of dispatch",
        clock(),
    )
