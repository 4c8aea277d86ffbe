"""Two bots claiming at the same time never receive the same entry.

On PostgreSQL deterministically: a claim held open (its row locked, uncommitted) does not make the
other bot wait nor hand it the same entry; it gets the next one (FOR UPDATE SKIP LOCKED). Then on
every database: bots claiming in a loop at once share the ready entries, each exactly once.
"""

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from connectors.store import Entry, ProcessStore, make_engine
from connectors.store.engine import is_deadlock
from connectors.store.migrate import upgrade
from connectors.store.tables import EntryEventRow
from demo.factories import make_invoice, make_payload, make_verdict
from domain import EntryStatus
from tests.concurrency import held_open
from tests.databases import scratch_database

BOTS = 3
ENTRIES = 45


def ready_entries(store: ProcessStore, how_many: int) -> list[Entry]:
    entries = []
    for number in range(1, how_many + 1):
        invoice = make_invoice(source_invoice_id=str(number), invoice_number=f"INV-{number}", po_number=f"PO-{number}")
        entries.append(
            store.verdicts.record_one(
                invoice, make_verdict(EntryStatus.READY_TO_PROCESS), make_payload(invoice), actor="flow:test"
            )
        )
    return entries


@pytest.fixture
def postgres_engine(postgres_url: str) -> Iterator[sa.Engine]:
    upgrade(postgres_url)
    engine = make_engine(postgres_url)
    yield engine
    engine.dispose()


def test_a_claim_in_progress_is_skipped_not_waited_for_on_postgresql(postgres_engine: sa.Engine) -> None:
    store = ProcessStore(sessionmaker(bind=postgres_engine))
    first, second = ready_entries(store, 2)

    with held_open(postgres_engine) as slow_bot:
        held = slow_bot.bot.claim_next("bot:slow")
        # The slow bot's claim is not committed: its row stays locked while the other bot claims.
        with ThreadPoolExecutor(max_workers=1) as pool:
            other = pool.submit(store.bot.claim_next, "bot:fast").result(timeout=10)

    assert held is not None and other is not None
    assert (held.id, other.id) == (first.id, second.id)
    assert store.bot.claim_next("bot:late") is None  # both committed: nothing left


def test_bots_claiming_at_once_get_each_entry_exactly_once(race_engine: sa.Engine) -> None:
    store = ProcessStore(sessionmaker(bind=race_engine))
    entries = ready_entries(store, ENTRIES)
    start = threading.Barrier(BOTS)

    def bot(name: str) -> list[int]:
        mine = ProcessStore(sessionmaker(bind=race_engine))
        start.wait()
        claimed = []
        while (entry := mine.bot.claim_next(name)) is not None:
            claimed.append(entry.id)
        return claimed

    with ThreadPoolExecutor(max_workers=BOTS) as pool:
        claims = [future.result(timeout=120) for future in [pool.submit(bot, f"bot:{n}") for n in range(BOTS)]]

    handed_out = Counter(entry_id for claimed in claims for entry_id in claimed)
    assert sorted(handed_out) == sorted(entry.id for entry in entries)
    assert set(handed_out.values()) == {1}
    with race_engine.connect() as connection:
        dispatch_events = connection.scalar(
            sa.select(sa.func.count()).select_from(EntryEventRow).where(EntryEventRow.to_status == "dispatched")
        )
    assert dispatch_events == ENTRIES


@pytest.mark.parametrize("kind", ["postgresql", "mariadb"])
def test_a_deadlock_victim_is_recognised_as_safe_to_run_again(
    kind: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Two transactions locking two rows in opposite order: the server rolls one back, and
    `is_deadlock` (which makes a claim run again) recognises its error on each server's driver."""
    with scratch_database(kind, tmp_path_factory) as url:
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(sa.text("CREATE TABLE pair (id INTEGER PRIMARY KEY)"))
                conn.execute(sa.text("INSERT INTO pair (id) VALUES (1), (2)"))
            both_hold_one = threading.Barrier(2)
            errors: list[sa.exc.DBAPIError] = []

            def lock(first: int, second: int) -> None:
                try:
                    with engine.begin() as conn:
                        conn.execute(sa.text("SELECT id FROM pair WHERE id = :id FOR UPDATE"), {"id": first})
                        both_hold_one.wait(timeout=10)
                        conn.execute(sa.text("SELECT id FROM pair WHERE id = :id FOR UPDATE"), {"id": second})
                except sa.exc.DBAPIError as error:
                    errors.append(error)

            threads = [threading.Thread(target=lock, args=pair) for pair in ((1, 2), (2, 1))]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
        finally:
            engine.dispose()

    [victim] = errors
    assert is_deadlock(victim)
    assert not is_deadlock(sa.exc.DBAPIError("SELECT 1", None, Exception("42P01", "no such table")))
