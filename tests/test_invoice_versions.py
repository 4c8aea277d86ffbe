"""One bill is paid once across versions: a newer version of an invoice supersedes the earlier
ones, waits for one that is with the bot, and never becomes live next to another; on SQLite,
PostgreSQL and MariaDB."""

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from connectors.store import (
    EarlierVersionDispatchedError,
    Entry,
    EntrySupersededError,
    NewerVersionKnownError,
    ProcessStore,
    VersionTakenError,
)
from connectors.store.migrate import upgrade
from connectors.store.tables import INBOX_WITHDRAWN, InboxRow, POLockRow, VersionLockRow
from demo.factories import invoice_for, make_payload, make_verdict
from domain import EntryStatus, Invoice, RpaPayload, Verdict
from tests.api_fixtures import api_world
from tests.concurrency import all_at_once

S = EntryStatus
PULL = "flow:poll-marketplace"


def version(number: int, of: int = 1, po_number: str = "PO-1001") -> Invoice:
    return invoice_for(of, version=number, po_number=po_number)


def record(store: ProcessStore, invoice: Invoice, status: EntryStatus = S.READY_TO_PROCESS) -> Entry:
    return store.verdicts.record_one(invoice, make_verdict(status), make_payload(invoice), actor="flow:test")


@dataclass(frozen=True)
class Judged:
    invoice: Invoice
    verdict: Verdict
    payload: RpaPayload | None


def judged(invoice: Invoice) -> Judged:
    return Judged(invoice, make_verdict(S.READY_TO_PROCESS), make_payload(invoice))


def dispatched(store: ProcessStore, invoice: Invoice) -> Entry:
    entry = record(store, invoice)
    claimed = store.bot.claim_next("bot:rpa-1")
    assert claimed is not None and claimed.id == entry.id
    return claimed


def version_lock_holders(connection: sa.Connection) -> list[tuple[str, int]]:
    return [
        tuple(row) for row in connection.execute(sa.select(VersionLockRow.source_invoice_id, VersionLockRow.entry_id))
    ]


def po_lock_holders(connection: sa.Connection) -> dict[str, int]:
    return dict(connection.execute(sa.select(POLockRow.po_number, POLockRow.entry_id)).tuples().all())


def test_a_pulled_version_supersedes_the_live_earlier_one_and_frees_its_po(
    store: ProcessStore, connection: sa.Connection
) -> None:
    first = record(store, version(1, po_number="PO-A"))

    store.inbox.record_pull("marketplace", [version(2, po_number="PO-B")], [], None, actor=PULL)

    superseded = store.entries.get(first.id)
    assert (superseded.status, superseded.superseded_by_version) == (S.SUPERSEDED, 2)
    last = store.entries.history(first.id)[-1]
    assert (last.from_status, last.to_status, last.actor, last.reason) == (
        S.READY_TO_PROCESS,
        S.SUPERSEDED,
        PULL,
        "superseded by version 2 of the invoice",
    )
    assert po_lock_holders(connection) == {} and version_lock_holders(connection) == []

    second = record(store, version(2, po_number="PO-B"))

    assert po_lock_holders(connection) == {"PO-B": second.id}
    assert version_lock_holders(connection) == [("1", second.id)]


def test_an_earlier_version_still_waiting_is_withdrawn_neverjudged(
    store: ProcessStore, connection: sa.Connection
) -> None:
    store.inbox.record_pull("marketplace", [version(1)], [], None, actor=PULL)
    store.inbox.record_pull("marketplace", [version(2, po_number="PO-2002")], [], None, actor=PULL)

    assert [item.invoice.key for item in store.inbox.waiting(10)] == [version(2).key]
    states = dict(connection.execute(sa.select(InboxRow.version, InboxRow.state)).tuples().all())
    assert states == {1: INBOX_WITHDRAWN, 2: "waiting"}
    with pytest.raises(NewerVersionKnownError, match="version 2 of it is known"):
        record(store, version(1))
    outcome = store.verdicts.record_batch([judged(version(1))], actor="flow:test", seen_entry_ids=None)
    assert (outcome.recorded, outcome.withdrawn) == ({}, (version(1).key,))


def test_a_superseded_entry_can_no_longer_be_approved(store: ProcessStore) -> None:
    in_review = record(store, version(1), S.MANUAL_REVIEW)
    record(store, version(2))

    with pytest.raises(EntrySupersededError, match="version 2 of the same invoice replaced it"):
        store.lifecycle.transition(in_review.id, S.READY_TO_PROCESS, actor="user:clerk", reason="ok")
    assert store.entries.get(in_review.id).status is S.SUPERSEDED


def test_a_version_failed_by_the_bot_is_superseded_and_its_po_lock_goes_to_the_new_one(
    store: ProcessStore, connection: sa.Connection
) -> None:
    failed = dispatched(store, version(1))
    store.bot.record_failure(failed.id, "ERP screen timed out", bot="bot:rpa-1")

    second = record(store, version(2))

    assert store.entries.get(failed.id).status is S.SUPERSEDED
    assert po_lock_holders(connection) == {"PO-1001": second.id}


def test_a_new_version_waits_while_the_earlier_one_is_with_the_bot(store: ProcessStore) -> None:
    with_the_bot = dispatched(store, version(1))
    store.inbox.record_pull("marketplace", [version(2)], [], None, actor=PULL)

    assert store.entries.get(with_the_bot.id).status is S.DISPATCHED  # the bot may be keying it now
    assert store.inbox.waiting(10, exclude_locked_pos=True) == []
    with pytest.raises(EarlierVersionDispatchedError, match="Version 1 of this invoice"):
        record(store, version(2))
    outcome = store.verdicts.record_batch([judged(version(2))], actor="flow:test", seen_entry_ids=None)
    assert (outcome.recorded, outcome.waiting_on_version) == ({}, (version(2).key,))

    store.bot.record_failure(with_the_bot.id, "ERP screen timed out", bot="bot:rpa-1")

    # failed by the bot: the new version is judged now and replaces it
    assert [item.invoice.key for item in store.inbox.waiting(10, exclude_locked_pos=True)] == [version(2).key]
    second = store.verdicts.record_batch([judged(version(2))], actor="flow:test", seen_entry_ids=None)
    assert list(second.recorded) == [version(2).key]
    assert store.entries.get(with_the_bot.id).status is S.SUPERSEDED


def test_a_new_version_of_an_entered_invoice_cannot_become_live(store: ProcessStore) -> None:
    entered = dispatched(store, version(1))
    store.bot.record_success(entered.id, "AP-1", bot="bot:rpa-1")

    # judged without knowing of the entered version (a race): the database refuses it
    with pytest.raises(VersionTakenError):
        record(store, version(2))
    # judged against it, it is a bad invoice (a duplicate: credit note), which holds nothing
    assert record(store, version(2), S.BAD_INVOICE).status is S.BAD_INVOICE
    assert store.entries.get(entered.id).status is S.ENTERED


# ---------------------------------------------------------------------- writers racing


def assert_one_live_version(engine: sa.Engine) -> None:
    """Invoice 1 has one live entry, which holds its version lock and its PO's lock."""
    with engine.connect() as connection:
        live_statuses = "('ready_to_process', 'manual_review')"
        live = connection.execute(
            sa.text(f"SELECT id FROM process_scheduler WHERE status IN {live_statuses}")
        ).scalars()
        [entry_id] = live.all()
        assert version_lock_holders(connection) == [("1", entry_id)]
        assert list(po_lock_holders(connection).values()) == [entry_id]


def test_versions_recorded_at_once_leave_one_live(race_engine: sa.Engine) -> None:
    """Versions 2 to 5 of one invoice, each on a PO of its own, recorded by four writers at once."""
    store = ProcessStore(sessionmaker(bind=race_engine))
    record(store, version(1, po_number="PO-1"), S.MANUAL_REVIEW)

    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = all_at_once(pool, [partial(record, store, version(n, po_number=f"PO-{n}")) for n in range(2, 6)])

    assert all(isinstance(outcome, Entry | VersionTakenError | NewerVersionKnownError) for outcome in outcomes), (
        outcomes
    )
    assert_one_live_version(race_engine)


def test_an_approval_and_a_new_version_at_once_leave_one_live(race_engine: sa.Engine) -> None:
    """A clerk approves version 1 while version 2 is recorded: one of them wins, never both."""
    store = ProcessStore(sessionmaker(bind=race_engine))
    in_review = record(store, version(1, po_number="PO-1"), S.MANUAL_REVIEW)

    def approve() -> Entry:
        return store.lifecycle.transition(in_review.id, S.READY_TO_PROCESS, actor="user:clerk", reason="price agreed")

    record_version_2: Callable[[], Entry] = partial(record, store, version(2, po_number="PO-2"))
    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = all_at_once(pool, [approve, record_version_2])

    assert all(isinstance(outcome, Entry | EntrySupersededError) for outcome in outcomes), outcomes
    assert_one_live_version(race_engine)


# ---------------------------------------------------------------------- through the API


def test_a_correction_of_an_invoice_with_the_bot_waits_then_is_judged_against_what_was_entered(
    tmp_path: Path,
) -> None:
    with api_world(tmp_path) as world:
        world.add_invoice(1)
        first = world.validate(1).json()["entry_id"]
        claimed = world.client.post("/api/v1/rpa/claim", headers=world.headers("bot")).json()
        assert claimed["entry_id"] == first
        world.add_invoice(1, version=2)

        waiting = world.validate(1)

        assert waiting.status_code == 409, waiting.text
        assert waiting.json()["error"]["code"] == "earlier_version_dispatched"
        assert waiting.json()["error"]["details"] == [{"entry_id": first, "current_status": "dispatched"}]

        entered = world.client.post(
            f"/api/v1/rpa/{first}/success", json={"erp_document_id": "AP-9"}, headers=world.headers("bot")
        )
        assert entered.status_code == 200, entered.text
        judged = world.validate(1)

    assert judged.status_code == 400, judged.text
    [verdict] = judged.json()["error"]["details"]
    assert verdict["status"] == "bad_invoice"
    [finding] = verdict["findings"]
    assert (finding["rule_id"], finding["severity"], finding["actual"]) == (
        "duplicate.exact",
        "hard",
        "version 1 entered",
    )
    assert finding["message"].startswith(
        f"Version 1 of invoice INV-00001 was already entered in the ERP (entry {first}); version 2 corrects it"
    )


def test_superseding_is_announced_to_webhook_receivers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'process.db'}"
    upgrade(url)
    store = ProcessStore.from_url(url, webhook_urls=["http://127.0.0.1:9/hooks"])
    try:
        first = record(store, version(1))
        store.inbox.record_pull("marketplace", [version(2)], [], None, actor=PULL)
        events = [json.loads(delivery.body) for delivery in store.outbox.deliveries() if delivery.entry_id == first.id]
    finally:
        store.close()

    changed = [event for event in events if event["type"] == "entry.status_changed"]
    assert [event["data"]["to_status"] for event in changed] == ["superseded"]
    assert (
        changed[0]["data"].items()
        >= {
            "entry_id": first.id,
            "version": 1,
            "from_status": "ready_to_process",
            "actor": PULL,
            "reason": "superseded by version 2 of the invoice",
        }.items()
    )


def test_a_version_validated_through_the_api_withdraws_the_earlier_ones_waiting(
    store: ProcessStore, connection: sa.Connection
) -> None:
    """Version 3 comes through the validation API (not the inbox) while version 2 waits in the inbox."""
    store.inbox.record_pull("marketplace", [version(2)], [], None, actor=PULL)

    record(store, version(3))

    states = dict(connection.execute(sa.select(InboxRow.version, InboxRow.state)).tuples().all())
    assert states == {2: INBOX_WITHDRAWN}
    assert store.inbox.waiting(10) == []
