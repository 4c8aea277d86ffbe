"""Stale dispatches: after the allowed wait (on a clock the test moves), the ERP is asked first. An
invoice the bot keyed but never reported is entered with the document found there, not queued again
for a second bot to key twice; one not found goes back to the queue."""

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from connectors.erp import ErpGateway
from connectors.erp.demo_schema import ap_invoice
from connectors.store import Entry, ProcessStore
from demo.factories import invoice_for, make_payload, make_verdict
from domain import EntryStatus
from services.rpa import StaleDispatches, release_stale_dispatches
from settings import Settings
from tests.api_fixtures import add_to_erp, prepare_databases, settings_in
from tests.fakes import FakeClock

ACTOR = "flow:release-stale-dispatches"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    configured = settings_in(tmp_path)
    prepare_databases(configured)
    return configured


@pytest.fixture
def store(settings: Settings, clock: FakeClock) -> Iterator[ProcessStore]:
    store = ProcessStore.from_url(settings.process_db_url, clock=clock)
    yield store
    store.close()


@pytest.fixture
def erp(settings: Settings) -> Iterator[ErpGateway]:
    gateway = ErpGateway.from_settings(settings)
    yield gateway
    gateway.close()


def dispatched(store: ProcessStore, settings: Settings, number: int) -> Entry:
    invoice = invoice_for(
        number, po_number=f"PO-{number}", invoice_date=date(2026, 11, 20), due_date=date(2026, 12, 20)
    )
    add_to_erp(settings, invoice)
    entry = store.verdicts.record_one(
        invoice, make_verdict(EntryStatus.READY_TO_PROCESS), make_payload(invoice), actor="flow:test"
    )
    assert store.bot.claim_next("bot:rpa-1") is not None
    return entry


def keyed_in_erp(settings: Settings, entry: Entry, document: str) -> None:
    engine = sa.create_engine(settings.erp_db_url)
    with engine.begin() as connection:
        connection.execute(
            ap_invoice.insert().values(
                ap_doc_id=document, vendor_id=entry.vendor_id, vendor_invoice_no=entry.invoice_number,
                invoice_date=entry.invoice_date, po_number=entry.po_number, currency_code=entry.currency,
                invoice_total=entry.total, entered_at=datetime(2026, 12, 1, 9, 30),
            )
        )  # fmt: skip
    engine.dispose()


def release(store: ProcessStore, erp: ErpGateway, clock: FakeClock) -> StaleDispatches:
    return release_stale_dispatches(store, erp, clock, stale_after_minutes=120, actor=ACTOR)


def test_a_dispatch_not_in_the_erp_goes_back_to_the_queue_once_older_than_allowed(
    store: ProcessStore, erp: ErpGateway, settings: Settings, clock: FakeClock
) -> None:
    entry = dispatched(store, settings, 1)

    clock.advance(timedelta(minutes=120))
    assert release(store, erp, clock) == StaleDispatches(entered=(), released=())
    clock.advance(timedelta(seconds=1))
    assert release(store, erp, clock) == StaleDispatches(entered=(), released=(entry.id,))

    released = store.entries.get(entry.id)
    last = store.entries.history(entry.id)[-1]
    assert released.status is EntryStatus.READY_TO_PROCESS and released.dispatched_to is None
    assert (last.actor, last.reason, last.occurred_at) == (
        ACTOR,
        "no callback from the RPA bot within 120 minutes of dispatch, and not in the ERP",
        clock(),
    )


def test_a_dispatch_the_bot_keyed_but_never_reported_is_entered_not_queued_again(
    store: ProcessStore, erp: ErpGateway, settings: Settings, clock: FakeClock
) -> None:
    keyed, not_keyed = dispatched(store, settings, 1), dispatched(store, settings, 2)
    keyed_in_erp(settings, keyed, "AP-777")

    clock.advance(timedelta(minutes=121))
    outcome = release(store, erp, clock)

    assert outcome == StaleDispatches(entered=(keyed.id,), released=(not_keyed.id,))
    entered = store.entries.get(keyed.id)
    assert (entered.status, entered.erp_document_id) == (EntryStatus.ENTERED, "AP-777")
    last = store.entries.history(keyed.id)[-1]
    assert (last.from_status, last.to_status, last.actor) == (EntryStatus.DISPATCHED, EntryStatus.ENTERED, ACTOR)
    assert last.reason.startswith("found in the ERP as document AP-777")
    # the next bot gets the one the ERP does not have, and never the one it has
    claimed = store.bot.claim_next("bot:rpa-2")
    assert claimed is not None and claimed.id == not_keyed.id
    assert store.bot.claim_next("bot:rpa-2") is None
