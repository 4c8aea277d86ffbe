"""The work queue (store.entry_search) on every database: each filter, both orders of each sort
key with ties, keyset pages that list each entry once, counts per status, the export."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from connectors.store import (
    EXPORT_COLUMNS,
    EntryFilter,
    EntrySort,
    InvalidCursorError,
    ProcessStore,
    QueueEntry,
    entry_search,
)
from connectors.store.entry_filter import SORT_KEYS
from connectors.store.search_cursor import encode_cursor
from demo.factories import invoice_for, make_finding, make_line, make_payload, make_verdict
from domain import EntryStatus, Invoice, RpaPayload, Severity, Verdict
from tests.entry_factory import EntryFactory
from tests.fakes import FakeClock

S = EntryStatus
T = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
H, D = timedelta(hours=1), timedelta(days=1)
PRICE = make_finding(Severity.SOFT, rule_id="price.unit_mismatch")
FUTURE = make_finding(Severity.SOFT, rule_id="date.future")
DUPLICATE = make_finding(Severity.HARD, rule_id="duplicate.exact")


@dataclass(frozen=True)
class Judgement:
    invoice: Invoice
    verdict: Verdict
    payload: RpaPayload | None


def queue_ids(store: ProcessStore, entry_filter: EntryFilter | None = None, **sort: Any) -> list[int]:
    """Every entry of the search, following its pages (2 entries each)."""
    ids, cursor = [], None
    while True:
        page = store.entry_search.search(entry_filter, EntrySort(**sort), limit=2, after=cursor)
        ids += [entry.id for entry in page.entries]
        if page.next_cursor is None:
            return ids
        cursor = page.next_cursor


@pytest.fixture
def world(clocked_store: ProcessStore, clock: FakeClock) -> dict[str, int]:
    """Six entries, by name; T is 2026-12-01 09:00 UTC."""
    make = EntryFactory(clocked_store, clock)
    e1 = make.judged(S.READY_TO_PROCESS, at=T, pulled_at=T - H, invoice_number="INV-0001")
    make.dispatched(e1, at=T + H)
    make.entered(e1, at=T + 2 * H)
    e2 = make.judged(S.MANUAL_REVIEW, at=T + H, findings=(PRICE,), invoice_number="inv 2")
    e3 = make.judged(S.BAD_INVOICE, at=T + 2 * H, findings=(DUPLICATE, FUTURE), vendor_id="V002", currency="EUR")
    e4 = make.judged(S.READY_TO_PROCESS, at=T + 3 * H, vendor_id="V002")
    make.dispatched(e4, at=T + 4 * H)
    make.failed(e4, "ERP timeout", at=T + 5 * H)
    make.moved(e4, S.READY_TO_PROCESS, at=T + 6 * H)
    make.dispatched(e4, at=T + 7 * H)
    make.failed(e4, "Vendor blocked", at=T + 8 * H)
    e5 = make.judged(S.READY_TO_PROCESS, at=T + D, vendor_id="V003")
    make.dispatched(e5, at=T + D + H)
    make.failed(e5, "ERP timeout", at=T + D + 2 * H)
    make.moved(e5, S.READY_TO_PROCESS, at=T + D + 3 * H)
    make.dispatched(e5, at=T + D + 4 * H)
    make.entered(e5, at=T + D + 5 * H, document="AP-5")
    make.entered(e5, at=T + D + 6 * H, document="AP-5-BIS")  # a second document: possible double entry
    e6 = make.judged(S.MANUAL_REVIEW, at=T + D + H, findings=(FUTURE,), vendor_id="V003")
    make.moved(e6, S.REJECTED, at=T + 2 * D)
    return {"e1": e1, "e2": e2, "e3": e3, "e4": e4, "e5": e5, "e6": e6}


FILTERS: dict[str, tuple[EntryFilter, list[str]]] = {
    "none": (EntryFilter(), ["e6", "e5", "e4", "e3", "e2", "e1"]),
    "status": (EntryFilter(status=S.ENTERED), ["e5", "e1"]),
    "verdict": (EntryFilter(verdict=S.READY_TO_PROCESS), ["e5", "e4", "e1"]),
    "vendor and status": (EntryFilter(vendor_id="V001", status=S.MANUAL_REVIEW), ["e2"]),
    "vendor": (EntryFilter(vendor_id="V002"), ["e4", "e3"]),
    "po": (EntryFilter(po_number="PO-3"), ["e3"]),
    "invoice number, normalised": (EntryFilter(invoice_number="INV-0002"), ["e2"]),
    "currency": (EntryFilter(currency="EUR"), ["e3"]),
    "rule": (EntryFilter(rule_id="date.future"), ["e6", "e3"]),
    "rule of a severity it is not": (EntryFilter(rule_id="date.future", rule_severity=Severity.HARD), []),
    "rule and severity": (EntryFilter(rule_id="duplicate.exact", rule_severity=Severity.HARD), ["e3"]),
    "double entry": (EntryFilter(possible_double_entry=True), ["e5"]),
    "no double entry": (EntryFilter(possible_double_entry=False), ["e6", "e4", "e3", "e2", "e1"]),
    "judged in a window": (EntryFilter(judged_from=T + H, judged_to=T + 3 * H), ["e3", "e2"]),
    "judged from": (EntryFilter(judged_from=T + D), ["e6", "e5"]),
    "reached": (EntryFilter(reached=S.ENTERED), ["e5", "e1"]),
    "reached at creation": (EntryFilter(reached=S.MANUAL_REVIEW), ["e6", "e2"]),
    "reached in a window": (EntryFilter(reached=S.RPA_FAILED, reached_from=T + 5 * H, reached_to=T + D), ["e4"]),
    # the second document's event leaves the entry entered: not a move to entered
    "reached only by a flag": (EntryFilter(reached=S.ENTERED, reached_from=T + D + 6 * H), []),
    "any move in a window": (EntryFilter(reached_from=T + D + 5 * H), ["e6", "e5"]),
    "failure reason": (EntryFilter(failure_reason="ERP timeout"), ["e5", "e4"]),
    "failure reason, the latest": (EntryFilter(failure_reason="Vendor blocked"), ["e4"]),
    "failure reason in a window": (
        EntryFilter(failure_reason="ERP timeout", reached=S.RPA_FAILED, reached_from=T + D),
        ["e5"],
    ),
    "exception": (EntryFilter(exception=True), ["e6", "e5", "e4", "e3", "e2"]),
    "no exception": (EntryFilter(exception=False), ["e1"]),
    "far bounds": (
        EntryFilter(judged_from=datetime(1, 1, 2, tzinfo=UTC), judged_to=datetime(9999, 1, 1)),
        ["e6", "e5", "e4", "e3", "e2", "e1"],
    ),
}


def test_every_filter_selects_exactly_its_entries(clocked_store: ProcessStore, world: dict[str, int]) -> None:
    names = {entry_id: name for name, entry_id in world.items()}
    listed = {
        case: [names[entry_id] for entry_id in queue_ids(clocked_store, entry_filter)]
        for case, (entry_filter, _) in FILTERS.items()
    }

    assert listed == {case: names for case, (_, names) in FILTERS.items()}


def test_a_filter_goes_through_its_query_params_unchanged(world: dict[str, int]) -> None:
    for entry_filter, _ in FILTERS.values():
        assert EntryFilter.from_query_params(entry_filter.query_params() | {"sort": "total"}) == entry_filter
    assert EntryFilter(judged_from=T, exception=False).query_params() == {
        "judged_from": "2026-12-01T09:00:00+00:00",
        "exception": "false",
    }
    assert EntryFilter.from_query_params({"judged_to": "2026-12-01T10:00"}).judged_to == T + H  # UTC unless told


def test_a_queue_entry_has_its_verdict_times_and_failure(clocked_store: ProcessStore, world: dict[str, int]) -> None:
    [e4] = clocked_store.entry_search.search(EntryFilter(status=S.RPA_FAILED)).entries
    [e1] = clocked_store.entry_search.search(EntryFilter(po_number="PO-1")).entries

    assert (e4.id, e4.verdict, e4.failure_reason, e4.pulled_at, e4.entered_at) == (
        world["e4"],
        S.READY_TO_PROCESS,
        "Vendor blocked",
        None,
        None,
    )
    assert (e1.pulled_at, e1.created_at, e1.entered_at, e1.updated_at) == (T - H, T, T + 2 * H, T + 2 * H)
    assert e1.total == Decimal("424.9700")


@pytest.fixture
def ties(clocked_store: ProcessStore, clock: FakeClock) -> list[QueueEntry]:
    """Nine entries sharing totals, invoice dates, vendors and change times in threes."""
    make = EntryFactory(clocked_store, clock)
    for n in range(9):
        make.judged(
            S.MANUAL_REVIEW,
            at=T + (n % 3) * H,
            vendor_id=f"V00{n % 3 + 1}",
            invoice_date=date(2026, 11, 1 + n // 3),
            due_date=date(2026, 12, 31),
            lines=(make_line(1, quantity=Decimal(1), unit_price=Decimal((n * 2) % 3 + 1)),),
        )
    return list(clocked_store.entry_search.search(limit=100).entries)


@pytest.mark.parametrize("descending", [True, False], ids=["descending", "ascending"])
@pytest.mark.parametrize("key", SORT_KEYS)
def test_each_sort_pages_through_every_entry_once_in_order(
    clocked_store: ProcessStore, ties: list[QueueEntry], key: str, descending: bool
) -> None:
    expected = sorted(ties, key=lambda entry: (getattr(entry, key), entry.id), reverse=descending)

    assert queue_ids(clocked_store, key=key, descending=descending) == [entry.id for entry in expected]


def test_a_cursor_continues_under_another_sort_from_its_entry(
    clocked_store: ProcessStore, ties: list[QueueEntry]
) -> None:
    by_id = clocked_store.entry_search.search(limit=4)
    by_total = sorted(ties, key=lambda entry: (entry.total, entry.id))
    anchor = next(index for index, entry in enumerate(by_total) if entry.id == by_id.entries[-1].id)

    page = clocked_store.entry_search.search(
        sort=EntrySort(key="total", descending=False), limit=100, after=by_id.next_cursor
    )

    assert [entry.id for entry in page.entries] == [entry.id for entry in by_total[anchor + 1 :]]


def test_cursors_the_store_never_issued_are_refused_or_lead_nowhere(
    clocked_store: ProcessStore, world: dict[str, int]
) -> None:
    search = clocked_store.entry_search.search
    for foreign in ("garbage!", "", "YWZ0ZXI6MQ"):  # "after:1"
        with pytest.raises(InvalidCursorError):
            search(after=foreign)
    unknown = encode_cursor(10**9, T)
    assert search(sort=EntrySort(key="total"), after=unknown).entries == ()
    assert [entry.id for entry in search(after=unknown).entries] == sorted(world.values(), reverse=True)
    with pytest.raises(ValueError, match="limit must be at least 1"):
        search(limit=0)


def test_status_counts_leave_the_filters_status_out(clocked_store: ProcessStore, world: dict[str, int]) -> None:
    counts = clocked_store.entry_search.status_counts(EntryFilter(status=S.ENTERED, judged_from=T + H))

    assert counts == dict.fromkeys(S, 0) | {
        S.MANUAL_REVIEW: 1,
        S.BAD_INVOICE: 1,
        S.RPA_FAILED: 1,
        S.ENTERED: 1,
        S.REJECTED: 1,
    }


def test_the_export_reads_every_entry_of_the_filter_in_chunks(
    clocked_store: ProcessStore, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(entry_search, "EXPORT_CHUNK", 3)
    make = EntryFactory(clocked_store, clock)
    made = [make.judged(S.READY_TO_PROCESS if n % 2 else S.MANUAL_REVIEW, at=T) for n in range(14)]
    reviewed = [entry_id for n, entry_id in enumerate(made) if not n % 2]

    chunks = clocked_store.entry_search.export_chunks(EntryFilter(status=S.MANUAL_REVIEW), EntrySort(descending=False))

    id_at = EXPORT_COLUMNS.index("id")
    assert [[row[id_at] for row in chunk] for chunk in chunks] == [reviewed[:3], reviewed[3:6], reviewed[6:]]


def test_a_recorded_batch_has_its_rule_rows_verdicts_and_pull_times(
    clocked_store: ProcessStore, clock: FakeClock
) -> None:
    invoices = [invoice_for(n, po_number=f"PO-{n}") for n in range(1, 5)]
    verdicts = [
        make_verdict(S.MANUAL_REVIEW, (PRICE, FUTURE)),
        make_verdict(),
        make_verdict(S.BAD_INVOICE),
        make_verdict(),
    ]
    clock.now = T - H
    clocked_store.inbox.record_pull("marketplace", invoices[:3], [], None, actor="flow:test")  # the 4th: by the API
    clock.now = T
    judged = [Judgement(i, v, make_payload(i)) for i, v in zip(invoices, verdicts, strict=True)]
    recorded = clocked_store.verdicts.record_batch(judged, actor="flow:test").recorded
    ids = [recorded[invoice.key] for invoice in invoices]

    rows = {entry.id: (entry.verdict, entry.pulled_at) for entry in clocked_store.entry_search.search().entries}

    assert rows == {
        ids[0]: (S.MANUAL_REVIEW, T - H),
        ids[1]: (S.READY_TO_PROCESS, T - H),
        ids[2]: (S.BAD_INVOICE, T - H),
        ids[3]: (S.READY_TO_PROCESS, None),
    }
    assert queue_ids(clocked_store, EntryFilter(rule_id="date.future", rule_severity=Severity.SOFT)) == [ids[0]]
    assert queue_ids(clocked_store, EntryFilter(rule_id="po.exists", rule_severity=Severity.HARD)) == [ids[2]]
