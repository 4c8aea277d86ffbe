"""ProcessStore on SQLite, PostgreSQL and MariaDB.

One migrated database per kind per module; every test runs inside an outer transaction that
is rolled back (the store's own transactions become savepoints), so tests stay independent.
"""

from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from connectors.store import (
    Entry,
    EntryExistsError,
    EntryNotFoundError,
    IllegalTransitionError,
    POLockedError,
    ProcessStore,
    PullRecord,
    StoreError,
    make_engine,
)
from connectors.store.migrate import upgrade
from connectors.store.partitions import VendorPartition
from connectors.store.pulled import InboxRowIdentity, PulledInvoices
from connectors.store.tables import Base, InboxRow, IntakeErrorRow, POLockRow
from demo.factories import invoice_for, make_finding, make_invoice, make_line, make_payload, make_verdict
from domain import (
    INITIAL_STATUSES,
    LEGAL_TRANSITIONS,
    EntryStatus,
    FieldError,
    IntakeError,
    Invoice,
    InvoiceLine,
)

S = EntryStatus
LEGAL_MOVES = sorted(
    (from_status, to_status) for from_status, targets in LEGAL_TRANSITIONS.items() for to_status in targets
)
ILLEGAL_MOVES = sorted(
    (from_status, to_status) for from_status in S for to_status in S if to_status not in LEGAL_TRANSITIONS[from_status]
)


# ---------------------------------------------------------------------- helpers


def intake_error(number: int, message: str = "not a number") -> IntakeError:
    return IntakeError(
        source="marketplace",
        source_invoice_id=str(number),
        version=1,
        po_number="PO-1001",
        vendor_id="V001",
        errors=(FieldError(field="total", message=message, value="12,5O"),),
    )


def judge(store: ProcessStore, invoice: Invoice, status: EntryStatus) -> Entry:
    """Record a verdict of `status` for `invoice` (with its payload, as the flow would)."""
    return store.verdicts.record_one(invoice, make_verdict(status), make_payload(invoice), actor="flow:test")


def path_to(target: EntryStatus) -> list[EntryStatus]:
    """The shortest legal life from an initial status to `target`."""
    paths = deque([status] for status in sorted(INITIAL_STATUSES))
    while paths:
        path = paths.popleft()
        if path[-1] is target:
            return path
        paths.extend([*path, step] for step in sorted(LEGAL_TRANSITIONS[path[-1]]) if step not in path)
    raise AssertionError(f"{target} cannot be reached from an initial status")


def entry_in(store: ProcessStore, invoice: Invoice, status: EntryStatus) -> Entry:
    first, *moves = path_to(status)
    entry = judge(store, invoice, first)
    for step in moves:
        entry = store.lifecycle.transition(entry.id, step, actor="test", reason=f"on the way to {status}")
    return entry


def row_counts(connection: sa.Connection) -> dict[str, int]:
    return {
        table.name: connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        for table in Base.metadata.sorted_tables
    }


@contextmanager
def selects_sent(engine: sa.Engine) -> Iterator[list[str]]:
    """The SELECT statements `engine` sends while the block runs (savepoints left out)."""
    selects: list[str] = []

    def _keep_selects(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    sa.event.listen(engine, "before_cursor_execute", _keep_selects)
    try:
        yield selects
    finally:
        sa.event.remove(engine, "before_cursor_execute", _keep_selects)


def lock_holder(connection: sa.Connection, po_number: str) -> int | None:
    return connection.scalar(sa.select(POLockRow.entry_id).where(POLockRow.po_number == po_number))


# ---------------------------------------------------------------------- intake


def test_record_pull_queues_each_invoice_version_once(store: ProcessStore) -> None:
    first = store.inbox.record_pull(
        "marketplace", [invoice_for(1), invoice_for(2), invoice_for(3)], [], cursor="c1", actor="flow:poll-marketplace"
    )
    again = store.inbox.record_pull(
        "marketplace",
        [invoice_for(1), invoice_for(2), invoice_for(3), invoice_for(3, version=2), invoice_for(4), invoice_for(4)],
        [],
        cursor="c2",
        actor="flow:poll-marketplace",
    )

    assert first == PullRecord(new_invoices=3, already_known=0, errors_recorded=0)
    assert again == PullRecord(new_invoices=2, already_known=3, errors_recorded=0)
    waiting = store.inbox.waiting(limit=100)
    # version 2 of invoice 3 withdrew version 1, which was never judged
    assert [(item.invoice.source_invoice_id, item.invoice.version) for item in waiting] == [
        ("1", 1),
        ("2", 1),
        ("3", 2),
        ("4", 1),
    ]
    assert waiting[0].invoice == invoice_for(1)


def test_record_pull_refreshes_a_known_intake_error(store: ProcessStore, connection: sa.Connection) -> None:
    first = store.inbox.record_pull(
        "marketplace", [], [intake_error(7, "not a number")], cursor=None, actor="flow:poll-marketplace"
    )
    again = store.inbox.record_pull(
        "marketplace",
        [],
        [intake_error(7, "still not a number"), intake_error(8)],
        cursor=None,
        actor="flow:poll-marketplace",
    )

    assert (first.errors_recorded, again.errors_recorded) == (1, 2)
    rows = connection.execute(sa.select(IntakeErrorRow).order_by(IntakeErrorRow.source_invoice_id)).all()
    assert [(row.source_invoice_id, row.errors) for row in rows] == [
        ("7", [{"field": "total", "message": "still not a number", "value": "12,5O"}]),
        ("8", [{"field": "total", "message": "not a number", "value": "12,5O"}]),
    ]
    refreshed = rows[0]
    assert refreshed.last_seen_at > refreshed.first_seen_at
    assert refreshed.po_number == "PO-1001"
    assert store.inbox.waiting(limit=10) == []


def test_cursor_is_saved_per_source_and_kept_when_none(store: ProcessStore) -> None:
    assert store.inbox.load_cursor("marketplace") is None

    store.inbox.record_pull(
        "marketplace", [], [], cursor='{"updated_at": "2024-03-01T00:00:00", "id": 1}', actor="flow:poll-marketplace"
    )
    store.inbox.record_pull(
        "marketplace", [], [], cursor='{"updated_at": "2024-03-02T00:00:00", "id": 9}', actor="flow:poll-marketplace"
    )
    store.inbox.record_pull("marketplace", [], [], cursor=None, actor="flow:poll-marketplace")
    store.inbox.record_pull("other-market", [], [], cursor="x", actor="flow:poll-marketplace")

    assert store.inbox.load_cursor("marketplace") == '{"updated_at": "2024-03-02T00:00:00", "id": 9}'
    assert store.inbox.load_cursor("other-market") == "x"


def test_record_pull_takes_as_many_statements_for_1500_invoices_as_for_3(
    store: ProcessStore, connection: sa.Connection
) -> None:
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    sa.event.listen(connection, "before_cursor_execute", count)
    try:
        small = store.inbox.record_pull(
            "marketplace",
            [invoice_for(n) for n in range(3)],
            [intake_error(1)],
            cursor="a",
            actor="flow:poll-marketplace",
        )
        small_count = len(statements)
        statements.clear()
        big = store.inbox.record_pull(
            "marketplace",
            [invoice_for(n) for n in range(100, 1600)],
            [intake_error(n) for n in range(2, 300)],
            cursor="b",
            actor="flow:poll-marketplace",
        )
    finally:
        sa.event.remove(connection, "before_cursor_execute", count)

    assert (small.new_invoices, big.new_invoices, big.errors_recorded) == (3, 1500, 298)
    assert len(statements) == small_count


def test_record_pull_refuses_invoices_of_another_source(store: ProcessStore, connection: sa.Connection) -> None:
    with pytest.raises(ValueError, match="other"):
        store.inbox.record_pull(
            "marketplace", [invoice_for(1, source="other")], [], cursor="c", actor="flow:poll-marketplace"
        )
    assert row_counts(connection)["inbox"] == 0


def test_waiting_invoices_are_oldest_first_and_leave_judged_ones_out(store: ProcessStore) -> None:
    store.inbox.record_pull(
        "marketplace", [invoice_for(1), invoice_for(2)], [], cursor=None, actor="flow:poll-marketplace"
    )
    store.inbox.record_pull("marketplace", [invoice_for(3)], [], cursor=None, actor="flow:poll-marketplace")
    judge(store, invoice_for(1), S.BAD_INVOICE)

    assert [item.invoice.source_invoice_id for item in store.inbox.waiting(limit=10)] == ["2", "3"]
    assert [item.invoice.source_invoice_id for item in store.inbox.waiting(limit=1)] == ["2"]
    assert all(item.pulled_at.tzinfo is UTC for item in store.inbox.waiting(limit=10))


def test_waiting_invoices_take_what_this_store_pulled_and_read_the_rest_from_the_database(
    store: ProcessStore, connection: sa.Connection
) -> None:
    """A batch does not parse and validate again what this process has just pulled."""
    pulled_here = [invoice_for(1), invoice_for(2)]
    store.inbox.record_pull("marketplace", pulled_here, [], cursor=None, actor="flow:poll-marketplace")
    another_process = ProcessStore(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
    pulled_elsewhere = invoice_for(3)
    another_process.inbox.record_pull("marketplace", [pulled_elsewhere], [], cursor=None, actor="flow:poll-marketplace")

    with selects_sent(connection.engine) as selects:
        waiting = [item.invoice for item in store.inbox.waiting(limit=10)]

    assert waiting == [*pulled_here, pulled_elsewhere]
    assert [a is b for a, b in zip(waiting, pulled_here, strict=False)] == [True, True]
    assert waiting[2] is not pulled_elsewhere
    assert len(selects) == 2  # the waiting rows, then the JSON of the one not held here
    # taken once: asked again, the store reads every invoice from the database, unchanged
    with selects_sent(connection.engine) as selects:
        again = [item.invoice for item in store.inbox.waiting(limit=10)]
    assert again == waiting and not any(a is b for a, b in zip(again, waiting, strict=True))
    assert len(selects) == 2
    with selects_sent(connection.engine) as selects:
        assert [item.invoice for item in another_process.inbox.waiting(limit=10)] == waiting
    assert len(selects) == 2


def test_a_known_invoice_version_pulled_again_is_judged_as_first_stored(store: ProcessStore) -> None:
    store.inbox.record_pull(
        "marketplace", [invoice_for(1, vendor_name="First name")], [], cursor=None, actor="flow:poll-marketplace"
    )
    store.inbox.record_pull(
        "marketplace",
        [invoice_for(1, vendor_name="Changed without a new version")],
        [],
        cursor=None,
        actor="flow:poll-marketplace",
    )

    assert [item.invoice.vendor_name for item in store.inbox.waiting(limit=10)] == ["First name"]


def test_vendor_partitions_share_the_waiting_invoices_out_without_overlap(store: ProcessStore) -> None:
    invoices = [invoice_for(n, vendor_id=f"V{n % 7:03d}", po_number=f"PO-{n}") for n in range(1, 43)]
    store.inbox.record_pull("marketplace", invoices, [], cursor=None, actor="flow:poll-marketplace")

    shares = {p: [i.invoice for i in store.inbox.waiting(100, partition=p)] for p in VendorPartition.all_of(3)}

    assert sorted((i for share in shares.values() for i in share), key=lambda i: int(i.source_invoice_id)) == invoices
    assert all(p.contains(invoice.vendor_id) for p, share in shares.items() for invoice in share)
    assert all(shares.values()), "seven vendors over three partitions: none is empty"
    whole = VendorPartition(0, 1)
    assert [i.invoice for i in store.inbox.waiting(100, partition=whole)] == invoices


def test_a_pull_keeps_in_memory_only_what_this_process_judges(store: ProcessStore) -> None:
    invoices = [invoice_for(n, vendor_id=f"V{n:03d}", po_number=f"PO-{n}") for n in range(1, 21)]
    mine = VendorPartition(0, 2)
    store.inbox.record_pull("marketplace", invoices, [], cursor=None, judged_here=mine, actor="flow:poll-marketplace")

    waiting = [item.invoice for item in store.inbox.waiting(100)]
    assert {mine.contains(i.vendor_id) for i in invoices} == {True, False}

    assert waiting == invoices
    assert [any(w is i for i in invoices) for w in waiting] == [mine.contains(i.vendor_id) for i in invoices]


def test_a_partition_needs_an_index_below_its_count() -> None:
    for index, count in ((2, 2), (-1, 2), (0, 0), (0, 17)):
        with pytest.raises(ValueError, match="need 0 <= index < count <= 16"):
            VendorPartition(index, count)


def test_held_invoices_are_bounded_dropping_the_longest_held_and_taken_once_by_their_exact_row() -> None:
    held = PulledInvoices(max_lines=3)
    at = datetime(2024, 3, 1, tzinfo=UTC)
    first, second = (
        invoice_for(1, lines=(make_line(1), make_line(2))),
        invoice_for(2, lines=(make_line(1), make_line(2))),
    )
    earlier = InboxRowIdentity(id=1, source="marketplace", source_invoice_id="1", version=1, pulled_at=at)
    identity = InboxRowIdentity(id=2, source="marketplace", source_invoice_id="2", version=1, pulled_at=at)

    held.hold([(earlier, first)])
    held.hold([(identity, second)])

    # the bound let go of the invoice held longest (an earlier slice's, waiting for its PO)
    assert held.lines == 2
    assert held.take(earlier) is None
    assert (
        held.take(
            InboxRowIdentity(id=2, source="marketplace", source_invoice_id="2", version=1, pulled_at=datetime.now(UTC))
        )
        is None
    )
    assert held.take(identity) is second
    assert held.take(identity) is None
    assert held.lines == 0


def test_waiting_invoices_can_pass_over_locked_pos(store: ProcessStore) -> None:
    blocked, free = invoice_for(2), invoice_for(3, po_number="PO-2002")
    store.inbox.record_pull("marketplace", [blocked, free], [], cursor=None, actor="flow:poll-marketplace")
    judge(store, invoice_for(1), S.READY_TO_PROCESS)

    assert [item.invoice for item in store.inbox.waiting(limit=10)] == [blocked, free]
    assert [item.invoice for item in store.inbox.waiting(limit=10, exclude_locked_pos=True)] == [free]


def test_locked_po_numbers_answers_in_one_query(store: ProcessStore, connection: sa.Connection) -> None:
    judge(store, invoice_for(1, po_number="PO-A"), S.READY_TO_PROCESS)
    judge(store, invoice_for(2, po_number="PO-B"), S.MANUAL_REVIEW)
    judge(store, invoice_for(3, po_number="PO-C"), S.BAD_INVOICE)
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    sa.event.listen(connection, "before_cursor_execute", record)
    locked = store.entries.locked_po_numbers(["PO-A", "PO-B", "PO-C", "PO-X", "PO-A"])
    sa.event.remove(connection, "before_cursor_execute", record)

    assert locked == {"PO-A"}
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
    assert store.entries.locked_po_numbers([]) == set()


# ---------------------------------------------------------------------- creating entries


@pytest.mark.parametrize("status", sorted(INITIAL_STATUSES))
def test_create_entry_records_verdict_event_lock_and_inbox(
    store: ProcessStore, connection: sa.Connection, status: EntryStatus
) -> None:
    invoice = invoice_for(1)
    verdict = make_verdict(status)
    store.inbox.record_pull("marketplace", [invoice], [], cursor=None, actor="flow:poll-marketplace")

    entry = store.verdicts.record_one(
        invoice, verdict, make_payload(invoice), actor="flow:poll-marketplace", flow_run_id="run-1"
    )

    assert entry == store.entries.get(entry.id)
    assert (entry.key, entry.status, entry.findings, entry.rule_set_version) == (
        invoice.key,
        status,
        verdict.findings,
        verdict.rule_set_version,
    )
    assert (entry.vendor_id, entry.invoice_number, entry.normalised_invoice_number, entry.po_number) == (
        "V001",
        "INV-1",
        "INV1",
        "PO-1001",
    )
    assert (entry.invoice_date, entry.currency, entry.total, entry.flow_run_id) == (
        invoice.invoice_date,
        "USD",
        invoice.total,
        "run-1",
    )
    assert entry.payload == make_payload(invoice)
    [event] = store.entries.history(entry.id)
    assert (event.from_status, event.to_status, event.actor, event.reason, event.flow_run_id) == (
        None,
        status,
        "flow:poll-marketplace",
        "judged by rule set test-1",
        "run-1",
    )
    assert lock_holder(connection, "PO-1001") == (entry.id if status.locks_po else None)
    assert store.inbox.waiting(limit=10) == []
    inbox = connection.execute(sa.select(InboxRow)).one()
    assert (inbox.state, inbox.entry_id, inbox.judged_at is not None) == ("judged", entry.id, True)


def test_create_entry_keeps_an_absent_payload_absent(store: ProcessStore) -> None:
    entry = store.verdicts.record_one(invoice_for(1), make_verdict(S.MANUAL_REVIEW), None, actor="api:validate")

    assert store.entries.get(entry.id).payload is None


def test_ready_entry_without_payload_is_refused(store: ProcessStore, connection: sa.Connection) -> None:
    with pytest.raises(ValueError, match="no RPA payload"):
        store.verdicts.record_one(invoice_for(1), make_verdict(S.READY_TO_PROCESS), None, actor="flow:test")
    assert row_counts(connection)["process_scheduler"] == 0


def test_create_entry_on_a_locked_po_is_refused_and_writes_nothing(
    store: ProcessStore, connection: sa.Connection
) -> None:
    holder = judge(store, invoice_for(1), S.READY_TO_PROCESS)
    store.inbox.record_pull("marketplace", [invoice_for(2)], [], cursor=None, actor="flow:poll-marketplace")
    before = row_counts(connection)

    with pytest.raises(POLockedError) as refused:
        judge(store, invoice_for(2), S.READY_TO_PROCESS)

    assert (refused.value.po_number, refused.value.holding_entry_id, refused.value.holding_status) == (
        "PO-1001",
        holder.id,
        S.READY_TO_PROCESS,
    )
    assert row_counts(connection) == before
    assert [item.invoice.source_invoice_id for item in store.inbox.waiting(limit=10)] == ["2"]


def test_verdicts_that_do_not_lock_are_recorded_on_a_locked_po(store: ProcessStore) -> None:
    judge(store, invoice_for(1), S.READY_TO_PROCESS)

    assert judge(store, invoice_for(2), S.MANUAL_REVIEW).status is S.MANUAL_REVIEW
    assert judge(store, invoice_for(3), S.BAD_INVOICE).status is S.BAD_INVOICE


def test_judging_one_version_twice_is_refused_with_the_existing_entry(
    store: ProcessStore, connection: sa.Connection
) -> None:
    first = judge(store, invoice_for(1), S.BAD_INVOICE)
    before = row_counts(connection)

    with pytest.raises(EntryExistsError) as refused:
        judge(store, invoice_for(1), S.MANUAL_REVIEW)

    assert refused.value.entry_id == first.id
    assert refused.value.key == invoice_for(1).key
    assert row_counts(connection) == before
    corrected = judge(store, invoice_for(1, version=2), S.READY_TO_PROCESS)
    assert corrected.id != first.id


def test_judging_again_is_refused_as_existing_even_when_the_po_is_locked(store: ProcessStore) -> None:
    first = judge(store, invoice_for(1), S.READY_TO_PROCESS)

    with pytest.raises(EntryExistsError) as refused:
        judge(store, invoice_for(1), S.READY_TO_PROCESS)

    assert refused.value.entry_id == first.id


@pytest.mark.parametrize(
    "total, stored",
    [
        (Decimal("0.1") + Decimal("0.2"), "0.3000"),
        (Decimal("99999999999999.9999"), "99999999999999.9999"),  # the largest amount
        (Decimal("-0.0001"), "-0.0001"),
        (Decimal("1999.99"), "1999.9900"),
    ],
)
def test_totals_come_back_as_exact_decimals(store: ProcessStore, total: Decimal, stored: str) -> None:
    entry = judge(store, invoice_for(1, total=total), S.MANUAL_REVIEW)

    read = store.entries.get(entry.id).total
    assert isinstance(read, Decimal)
    assert read == total
    assert str(read) == stored
    assert store.entries.duplicate_candidates([invoice_for(2, total=total)])[0].total == total


# ---------------------------------------------------------------------- transitions


@pytest.mark.parametrize("from_status, to_status", LEGAL_MOVES)
def test_every_legal_transition_moves_audits_and_keeps_the_lock_right(
    store: ProcessStore, connection: sa.Connection, from_status: EntryStatus, to_status: EntryStatus
) -> None:
    entry = entry_in(store, invoice_for(1), from_status)
    events_before = len(store.entries.history(entry.id))

    moved = store.lifecycle.transition(
        entry.id, to_status, actor="ap:alice", reason="checked with the vendor", flow_run_id="run-9"
    )

    assert moved.status is to_status
    assert moved == store.entries.get(entry.id)
    assert moved.updated_at >= entry.updated_at
    history = store.entries.history(entry.id)
    assert len(history) == events_before + 1
    assert (history[-1].from_status, history[-1].to_status, history[-1].actor) == (from_status, to_status, "ap:alice")
    assert (history[-1].reason, history[-1].flow_run_id) == ("checked with the vendor", "run-9")
    assert lock_holder(connection, "PO-1001") == (entry.id if to_status.locks_po else None)


def test_illegal_transitions_are_refused_and_write_nothing(store: ProcessStore, connection: sa.Connection) -> None:
    entries = {status: entry_in(store, invoice_for(n), status) for n, status in enumerate(S) if not status.locks_po}
    entries[S.READY_TO_PROCESS] = entry_in(store, invoice_for(10, po_number="PO-R"), S.READY_TO_PROCESS)
    entries[S.DISPATCHED] = entry_in(store, invoice_for(11, po_number="PO-D"), S.DISPATCHED)
    entries[S.RPA_FAILED] = entry_in(store, invoice_for(12, po_number="PO-F"), S.RPA_FAILED)
    before = row_counts(connection)

    for from_status, to_status in ILLEGAL_MOVES:
        with pytest.raises(IllegalTransitionError) as refused:
            store.lifecycle.transition(entries[from_status].id, to_status, actor="ap:alice", reason="try")
        assert (refused.value.current_status, refused.value.requested_status) == (from_status, to_status)
        assert store.entries.get(entries[from_status].id) == entries[from_status]

    assert row_counts(connection) == before


def test_the_lock_follows_an_entry_through_its_life(store: ProcessStore, connection: sa.Connection) -> None:
    entry = judge(store, invoice_for(1), S.READY_TO_PROCESS)
    for step, reason in [
        (S.DISPATCHED, "claimed by the bot"),
        (S.RPA_FAILED, "ERP screen timed out"),
        (S.READY_TO_PROCESS, "requeued by AP"),
        (S.DISPATCHED, "claimed by the bot again"),
    ]:
        store.lifecycle.transition(entry.id, step, actor="test", reason=reason)
        assert lock_holder(connection, "PO-1001") == entry.id
        with pytest.raises(POLockedError):
            judge(store, invoice_for(2), S.READY_TO_PROCESS)

    entered = store.lifecycle.transition(entry.id, S.ENTERED, actor="bot", reason="entered", erp_document_id="AP-77")

    assert entered.erp_document_id == "AP-77"
    assert lock_holder(connection, "PO-1001") is None
    assert judge(store, invoice_for(2), S.READY_TO_PROCESS).status is S.READY_TO_PROCESS


def test_approval_on_a_po_another_entry_holds_is_refused_and_writes_nothing(
    store: ProcessStore, connection: sa.Connection
) -> None:
    waiting = judge(store, invoice_for(1), S.MANUAL_REVIEW)
    holder = judge(store, invoice_for(2), S.READY_TO_PROCESS)
    before = row_counts(connection)

    with pytest.raises(POLockedError) as refused:
        store.lifecycle.transition(waiting.id, S.READY_TO_PROCESS, actor="ap:alice", reason="price agreed")

    assert refused.value.holding_entry_id == holder.id
    assert row_counts(connection) == before
    assert store.entries.get(waiting.id).status is S.MANUAL_REVIEW

    store.lifecycle.transition(holder.id, S.REJECTED, actor="ap:alice", reason="sent twice")
    approved = store.lifecycle.transition(waiting.id, S.READY_TO_PROCESS, actor="ap:alice", reason="price agreed")
    assert approved.status is S.READY_TO_PROCESS
    assert lock_holder(connection, "PO-1001") == waiting.id


def test_every_change_is_one_audit_event_in_order(store: ProcessStore) -> None:
    entry = store.verdicts.record_one(
        invoice_for(1),
        make_verdict(S.MANUAL_REVIEW, (make_finding(), make_finding(rule_id="qty.open", message="Too many."))),
        make_payload(invoice_for(1)),
        actor="flow:poll-marketplace",
        flow_run_id="run-1",
        reason="judged in the 10:00 run",
    )
    store.lifecycle.transition(entry.id, S.READY_TO_PROCESS, actor="ap:alice", reason="price agreed by phone")
    store.lifecycle.transition(entry.id, S.DISPATCHED, actor="api-key:rpa-bot", reason="claimed")
    store.lifecycle.transition(entry.id, S.ENTERED, actor="api-key:rpa-bot", reason="entered", erp_document_id="AP-1")

    history = store.entries.history(entry.id)

    assert [(e.from_status, e.to_status, e.actor, e.reason) for e in history] == [
        (None, S.MANUAL_REVIEW, "flow:poll-marketplace", "judged in the 10:00 run"),
        (S.MANUAL_REVIEW, S.READY_TO_PROCESS, "ap:alice", "price agreed by phone"),
        (S.READY_TO_PROCESS, S.DISPATCHED, "api-key:rpa-bot", "claimed"),
        (S.DISPATCHED, S.ENTERED, "api-key:rpa-bot", "entered"),
    ]
    assert [e.flow_run_id for e in history] == ["run-1", None, None, None]
    assert all(e.entry_id == entry.id for e in history)
    assert [e.occurred_at for e in history] == sorted(e.occurred_at for e in history)
    assert len(store.entries.get(entry.id).findings) == 2


def test_unknown_entries_are_reported_as_not_found(store: ProcessStore) -> None:
    with pytest.raises(EntryNotFoundError, match="no process entry with id 404"):
        store.entries.get(404)
    with pytest.raises(EntryNotFoundError):
        store.lifecycle.transition(404, S.REJECTED, actor="ap:alice", reason="?")
    with pytest.raises(EntryNotFoundError):
        store.entries.history(404)


# ---------------------------------------------------------------------- reads


def test_duplicate_candidates_leave_out_rejected_bad_and_other_vendors(store: ProcessStore) -> None:
    ready = judge(store, invoice_for(1), S.READY_TO_PROCESS)
    review = judge(store, invoice_for(2, po_number="PO-2"), S.MANUAL_REVIEW)
    judge(store, invoice_for(3, po_number="PO-3"), S.BAD_INVOICE)
    rejected = judge(store, invoice_for(4, po_number="PO-4"), S.MANUAL_REVIEW)
    store.lifecycle.transition(rejected.id, S.REJECTED, actor="ap:alice", reason="not ours")
    other_vendor = judge(store, invoice_for(5, po_number="PO-5", vendor_id="V002"), S.MANUAL_REVIEW)
    judge(store, invoice_for(6, po_number="PO-6", vendor_id="V003"), S.MANUAL_REVIEW)

    # all of the same total: each is a candidate of the same vendor's invoices
    live = store.entries.duplicate_candidates([invoice_for(7), invoice_for(8, vendor_id="V002")])

    assert [entry.id for entry in live] == [ready.id, review.id, other_vendor.id]
    assert store.entries.duplicate_candidates([]) == []


def test_duplicate_candidates_share_a_normalised_number_or_a_total(store: ProcessStore) -> None:
    def costing(units: int) -> tuple[InvoiceLine, ...]:
        return (make_line(1, quantity=Decimal(units)),)

    same_number = judge(store, invoice_for(1, lines=costing(1)), S.MANUAL_REVIEW)
    same_total = judge(store, invoice_for(2, po_number="PO-2", lines=costing(2)), S.MANUAL_REVIEW)
    judge(store, invoice_for(3, po_number="PO-3", lines=costing(3)), S.MANUAL_REVIEW)  # neither
    judge(store, invoice_for(4, po_number="PO-4", vendor_id="V002", lines=costing(2)), S.MANUAL_REVIEW)  # other vendor

    batch = [
        make_invoice(source_invoice_id="10", invoice_number="inv 0001", lines=costing(7)),  # normalised INV1, as INV-1
        make_invoice(source_invoice_id="11", invoice_number="INV-11", lines=costing(2)),
    ]

    assert [entry.id for entry in store.entries.duplicate_candidates(batch)] == [same_number.id, same_total.id]


def test_entries_are_detached_with_utc_timestamps(store: ProcessStore) -> None:
    before = datetime.now(UTC)
    entry = judge(store, invoice_for(1), S.MANUAL_REVIEW)
    after = datetime.now(UTC)

    assert entry.created_at.tzinfo is UTC
    assert before <= entry.created_at == entry.updated_at <= after
    assert store.entries.get(entry.id).created_at == entry.created_at
    assert entry.model_dump(mode="json")["total"] == "424.9700"


def test_store_errors_explain_themselves(store: ProcessStore) -> None:
    holder = judge(store, invoice_for(1), S.READY_TO_PROCESS)
    with pytest.raises(StoreError, match=f"PO PO-1001 is locked by entry {holder.id}"):
        judge(store, invoice_for(2), S.READY_TO_PROCESS)
    with pytest.raises(StoreError, match=f"marketplace:1#v1 has already been judged: see process entry {holder.id}"):
        judge(store, invoice_for(1), S.READY_TO_PROCESS)
    store.lifecycle.transition(holder.id, S.REJECTED, actor="ap:alice", reason="duplicate")
    with pytest.raises(StoreError, match="is rejected and cannot move to ready_to_process \\(rejected is final\\)"):
        store.lifecycle.transition(holder.id, S.READY_TO_PROCESS, actor="ap:alice", reason="oops")


# ---------------------------------------------------------------------- committed, through from_url


def test_from_url_commits_each_call_and_rolls_back_refusals(db_url: str) -> None:
    upgrade(db_url)
    writer, reader = ProcessStore.from_url(db_url), ProcessStore.from_url(db_url)
    try:
        writer.inbox.record_pull(
            "marketplace",
            [invoice_for(1), invoice_for(2)],
            [intake_error(3)],
            cursor="c1",
            actor="flow:poll-marketplace",
        )
        entry = judge(writer, invoice_for(1), S.READY_TO_PROCESS)
        with pytest.raises(POLockedError):
            judge(writer, invoice_for(2), S.READY_TO_PROCESS)
        writer.lifecycle.transition(entry.id, S.DISPATCHED, actor="api-key:rpa-bot", reason="claimed")

        assert reader.inbox.load_cursor("marketplace") == "c1"
        assert reader.entries.get(entry.id).status is S.DISPATCHED
        assert [e.to_status for e in reader.entries.history(entry.id)] == [S.READY_TO_PROCESS, S.DISPATCHED]
        assert reader.entries.locked_po_numbers(["PO-1001"]) == {"PO-1001"}
        assert [item.invoice.source_invoice_id for item in reader.inbox.waiting(limit=10)] == ["2"]
        assert [e.id for e in reader.entries.duplicate_candidates([invoice_for(9)])] == [entry.id]
    finally:
        writer.close()
        reader.close()


def test_on_sqlite_reads_go_on_while_another_process_is_writing(tmp_path: Path) -> None:
    """The poll's judging processes and the API read without the write lock: a write transaction
    elsewhere does not make them wait, and what it has not committed is not seen."""
    url = f"sqlite:///{tmp_path / 'process.db'}"
    upgrade(url)
    writer = ProcessStore.from_url(url)
    writer.inbox.record_pull("marketplace", [invoice_for(1)], [], cursor="c1", actor="flow:poll-marketplace")
    entry = judge(writer, invoice_for(1), S.READY_TO_PROCESS)
    # a busy timeout of 0.2 s: a read that waited for the write lock would fail with "database is locked"
    reader = ProcessStore(sessionmaker(bind=make_engine(url, connect_args={"timeout": 0.2})))
    other_process = make_engine(url)
    try:
        with other_process.begin() as connection:  # BEGIN IMMEDIATE: holds the write lock
            connection.execute(sa.update(InboxRow).values(vendor_id="V-uncommitted"))

            assert reader.entries.get(entry.id).status is S.READY_TO_PROCESS
            assert reader.inbox.load_cursor("marketplace") == "c1"
            assert [e.id for e in reader.entries.duplicate_candidates([invoice_for(9)])] == [entry.id]
            assert reader.inbox.waiting(limit=10) == []
            with pytest.raises(sa.exc.OperationalError, match="database is locked"):
                reader.inbox.record_pull(
                    "marketplace", [invoice_for(2)], [], cursor="c2", actor="flow:poll-marketplace"
                )
    finally:
        writer.close()
        other_process.dispose()


def test_find_entry_and_the_lock_holder(store: ProcessStore) -> None:
    invoice = make_invoice()
    assert store.entries.find(invoice.key) is None
    assert store.entries.po_lock_holder(invoice.po_number) is None

    entry = store.verdicts.record_one(invoice, make_verdict(), make_payload(invoice), actor="test")

    assert store.entries.find(invoice.key) == entry
    assert store.entries.po_lock_holder(invoice.po_number) == entry.id


def test_ping_answers(store: ProcessStore) -> None:
    store.ping()


def test_entries_by_run_counts_each_runs_entries_by_status_now_in_one_query(
    store: ProcessStore, connection: sa.Connection
) -> None:
    def judged_by(run: str | None, number: int, status: EntryStatus) -> Entry:
        invoice = invoice_for(number, po_number=f"PO-{number}")
        return store.verdicts.record_one(
            invoice, make_verdict(status), make_payload(invoice), actor="flow:test", flow_run_id=run
        )

    for number, status in enumerate([S.READY_TO_PROCESS, S.READY_TO_PROCESS, S.MANUAL_REVIEW, S.BAD_INVOICE], 1):
        judged_by("run-1", number, status)
    dispatched = judged_by("run-1", 5, S.READY_TO_PROCESS)
    store.lifecycle.transition(dispatched.id, S.DISPATCHED, actor="bot", reason="claimed")
    judged_by("run-2", 6, S.MANUAL_REVIEW)
    judged_by(None, 7, S.MANUAL_REVIEW)  # by the API, in no run

    with selects_sent(connection.engine) as selects:
        counts = store.entries.entries_by_run(["run-1", "run-2", "run-3", "run-1"])

    assert len(selects) == 1
    assert counts == {
        "run-1": {S.READY_TO_PROCESS: 2, S.MANUAL_REVIEW: 1, S.BAD_INVOICE: 1, S.DISPATCHED: 1},
        "run-2": {S.MANUAL_REVIEW: 1},
    }
    assert store.entries.entries_by_run([]) == {}
