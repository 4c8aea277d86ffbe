"""Marketplace pull into the store's inbox: idempotent, resumable, garbled rows kept aside."""

from datetime import timedelta

import sqlalchemy as sa

from connectors.marketplace import MarketplaceSource
from connectors.marketplace.schema import metadata as marketplace_metadata
from connectors.store import ProcessStore
from connectors.store.migrate import upgrade
from flows.judging import pull_into_inbox
from tests.test_marketplace_source import T0, add_invoice


def pull_into(store: ProcessStore, source: MarketplaceSource) -> tuple[int, int, int]:
    outcome = pull_into_inbox(source, store)
    return outcome.new_invoices, outcome.already_known, outcome.unreadable


def test_pulls_into_the_inbox_once_and_resume_from_the_stored_cursor(db_url: str) -> None:
    engine = sa.create_engine(db_url)
    marketplace_metadata.create_all(engine)
    upgrade(db_url)
    store = ProcessStore.from_url(db_url)
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

    waiting = store.waiting_invoices(limit=100)
    assert sorted((int(i.invoice.source_invoice_id), i.invoice.version) for i in waiting) == sorted(
        [(n, 1) for n in range(1, 11)] + [(12, 1), (3, 2)]
    )
    store.close()
    engine.dispose()
