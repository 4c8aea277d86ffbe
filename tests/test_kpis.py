"""The dashboard's overview (services.kpis over store.kpis) on every database: a hand-counted
history gives exactly the figures expected, each figure's filter lists exactly its entries in the
work queue, and an empty database gives zeros and no ratios."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import BaseModel

from connectors.store import EntryFilter, EntrySort, ProcessStore
from demo.factories import make_finding, make_line
from domain import EntryStatus, Severity
from services.kpis import (
    Amount,
    Counted,
    DayBacklog,
    DayVerdicts,
    HourCount,
    InvalidPeriodError,
    KpiCache,
    Kpis,
    ReasonCount,
    RuleCount,
    VendorCount,
    overview,
    period_of,
)
from tests.entry_factory import EntryFactory
from tests.fakes import FakeClock

S = EntryStatus
START, END = datetime(2026, 12, 1, tzinfo=UTC), datetime(2026, 12, 4, tzinfo=UTC)
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
VENDORS = {"V001": "Acme Industrial Supply", "V002": "Beta GmbH", "V003": "Gamma Ltd"}
PRICE = make_finding(Severity.SOFT, rule_id="price.unit_mismatch")
FUTURE = make_finding(Severity.SOFT, rule_id="date.future")
DUPLICATE = make_finding(Severity.HARD, rule_id="duplicate.exact")
NO_PO = make_finding(Severity.HARD, rule_id="po.exists")
HUNDRED = (make_line(1, quantity=Decimal(1), unit_price=Decimal("100.00")),)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11 if day > 20 else 12, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def history(clocked_store: ProcessStore, clock: FakeClock) -> dict[str, int]:
    """Entries by name: b* judged before the period (Dec 1-3), a* in it, c1 at its very end."""
    make = EntryFactory(clocked_store, clock)

    def judged(name: str, verdict: EntryStatus, when: datetime, vendor: str = "V001", **fields: object) -> int:
        return make.judged(verdict, at=when, vendor_id=vendor, vendor_name=VENDORS[vendor], **fields)  # type: ignore[arg-type]

    b1 = judged("b1", S.MANUAL_REVIEW, at(30, 10), findings=(PRICE,))
    b2 = judged("b2", S.MANUAL_REVIEW, at(30, 11), findings=(PRICE,), pulled_at=at(30, 10, 30))
    a1 = judged("a1", S.READY_TO_PROCESS, START, pulled_at=at(30, 23))
    make.dispatched(a1, at=at(1, 9, 30))
    make.entered(a1, at=at(1, 10))
    a2 = judged("a2", S.READY_TO_PROCESS, at(1, 9, 10), "V002", currency="EUR", pulled_at=at(1, 8))
    make.dispatched(a2, at=at(1, 9, 40))
    make.failed(a2, "ERP timeout", at=at(1, 10, 15))
    make.moved(a2, S.READY_TO_PROCESS, at=at(1, 11))
    make.dispatched(a2, at=at(1, 11, 10))
    make.entered(a2, at=at(1, 11, 20))
    make.moved(b2, S.READY_TO_PROCESS, at=at(2, 9))
    make.dispatched(b2, at=at(2, 10))
    make.entered(b2, at=at(2, 10, 30))
    make.entered(b2, at=at(2, 11), document="AP-2")  # a second document: a flag, no move
    a3 = judged("a3", S.MANUAL_REVIEW, at(2, 8), "V002", findings=(PRICE,))
    a4 = judged("a4", S.BAD_INVOICE, at(2, 9), "V002", findings=(DUPLICATE, FUTURE))
    a9 = judged("a9", S.MANUAL_REVIEW, at(2, 15), findings=(FUTURE,))
    a5 = judged("a5", S.BAD_INVOICE, at(3, 10), "V003", findings=(NO_PO, DUPLICATE))
    a6 = judged("a6", S.MANUAL_REVIEW, at(3, 11), findings=(PRICE,))
    make.moved(a6, S.REJECTED, at=at(3, 12))
    a7 = judged("a7", S.READY_TO_PROCESS, at(3, 12), "V003")
    make.dispatched(a7, at=at(3, 13))
    make.failed(a7, "Vendor blocked", at=at(3, 13, 30))
    a8 = judged("a8", S.READY_TO_PROCESS, at(3, 14), lines=HUNDRED)
    c1 = judged("c1", S.MANUAL_REVIEW, END, findings=(PRICE,))
    names = ("b1", "b2", "a1", "a2", "a3", "a4", "a9", "a5", "a6", "a7", "a8", "c1")
    return dict(zip(names, (b1, b2, a1, a2, a3, a4, a9, a5, a6, a7, a8, c1), strict=True))


def counted(count: int, **fields: object) -> Counted:
    return Counted(count=count, filter=EntryFilter.model_validate(fields))


def test_the_overview_of_a_period_counts_what_happened(clocked_store: ProcessStore, history: dict[str, int]) -> None:
    judged = {"judged_from": START, "judged_to": END}
    entered = {"reached": S.ENTERED, "reached_from": START, "reached_to": END}
    failed = {"reached": S.RPA_FAILED, "reached_from": START, "reached_to": END}
    bad = {"verdict": S.BAD_INVOICE, **judged}

    def hour(day: int, at_hour: int, count: int) -> HourCount:
        first = at(day, at_hour)
        return HourCount(
            hour=first,
            count=count,
            filter=EntryFilter(reached=S.ENTERED, reached_from=first, reached_to=first + timedelta(hours=1)),
        )

    def day(on: int, ready: int, review: int, bad: int) -> DayVerdicts:
        bounds = {"judged_from": at(on, 0), "judged_to": at(on, 0) + timedelta(days=1)}
        counts = {S.READY_TO_PROCESS: ready, S.MANUAL_REVIEW: review, S.BAD_INVOICE: bad}
        return DayVerdicts(
            day=date(2026, 12, on), verdicts={v: counted(n, verdict=v, **bounds) for v, n in counts.items()}
        )

    kpis = overview(clocked_store, START, END, NOW)

    assert kpis == Kpis(
        period_from=START,
        period_to=END,
        now=NOW,
        judged=counted(9, **judged),
        judged_by_verdict={
            S.READY_TO_PROCESS: counted(4, verdict=S.READY_TO_PROCESS, **judged),  # a1 a2 a7 a8
            S.MANUAL_REVIEW: counted(3, verdict=S.MANUAL_REVIEW, **judged),  # a3 a6 a9
            S.BAD_INVOICE: counted(2, verdict=S.BAD_INVOICE, **judged),  # a4 a5
        },
        first_pass_rate=4 / 9,
        review_backlog=counted(4, status=S.MANUAL_REVIEW),  # b1 a3 a9 c1
        oldest_review_seconds=(NOW - at(30, 10)).total_seconds(),  # b1
        bad_invoice_rules=[
            RuleCount(rule_id=rule, count=n, filter=EntryFilter(rule_id=rule, rule_severity=Severity.HARD, **bad))
            for rule, n in [("duplicate.exact", 2), ("po.exists", 1)]  # a4 a5 · a5
        ],
        entered=counted(3, **entered),  # a1 a2 b2
        failed=counted(2, **failed),  # a2 a7
        failure_reasons=[
            ReasonCount(reason="ERP timeout", count=1, filter=EntryFilter(failure_reason="ERP timeout", **failed)),
            ReasonCount(reason="Vendor blocked", count=1, filter=EntryFilter(failure_reason="Vendor blocked", **failed)),
        ],
        rpa_success_rate=3 / 5,
        rpa_active_hours=5,
        entered_per_active_hour=3 / 5,
        entered_by_hour=[hour(1, 9, 0), hour(1, 10, 1), hour(1, 11, 1), hour(2, 10, 1), hour(3, 13, 0)],
        # a2 3 h 20 min, a1 11 h, b2 48 h; the 90th percentile interpolates between the last two
        pull_to_entered_median_seconds=39600.0,
        pull_to_entered_p90_seconds=39600.0 + 0.8 * (172800.0 - 39600.0),
        ready_amounts=[  # a8
            Amount(currency="USD", amount=Decimal("100.0000"), count=1, filter=counted(1, status=S.READY_TO_PROCESS, currency="USD").filter)
        ],
        entered_amounts=[
            Amount(currency="EUR", amount=Decimal("424.9700"), count=1, filter=EntryFilter(currency="EUR", **entered)),
            Amount(currency="USD", amount=Decimal("849.9400"), count=2, filter=EntryFilter(currency="USD", **entered)),
        ],
        exception_vendors=[
            VendorCount(vendor_id=v, vendor_name=VENDORS[v], count=n, filter=EntryFilter(vendor_id=v, exception=True, **judged))
            for v, n in [("V002", 3), ("V001", 2), ("V003", 2)]  # a2 a3 a4 · a6 a9 · a5 a7
        ],
        verdicts_by_day=[day(1, 2, 0, 0), day(2, 0, 2, 1), day(3, 2, 1, 1)],
        # b1 b2 at the start; Dec 2: a3 a9 in, b2 out; Dec 3: a6 in and out
        review_backlog_by_day=[DayBacklog(day=date(2026, 12, d), backlog=n) for d, n in [(1, 2), (2, 3), (3, 3)]],
    )  # fmt: skip


def every_count(model: object) -> list[Counted]:
    """Every Counted in the overview, however nested."""
    if isinstance(model, Counted):
        return [model]
    if isinstance(model, BaseModel):
        return [c for name in type(model).model_fields for c in every_count(getattr(model, name))]
    if isinstance(model, dict):
        return [c for value in model.values() for c in every_count(value)]
    if isinstance(model, list):
        return [c for item in model for c in every_count(item)]
    return []


def test_each_figures_queue_params_list_exactly_its_entries(
    clocked_store: ProcessStore, history: dict[str, int]
) -> None:
    kpis = overview(clocked_store, START, END, NOW)
    counts = every_count(kpis)

    listed = [
        sum(
            len(chunk)
            for chunk in clocked_store.entry_search.export_chunks(
                EntryFilter.from_query_params(c.queue_params), EntrySort()
            )
        )
        for c in counts
    ]

    assert listed == [c.count for c in counts]
    assert len(counts) == 1 + 3 + 1 + 2 + 2 + 2 + 5 + 1 + 2 + 3 + 3 * 3
    names = {entry_id: name for name, entry_id in history.items()}
    queue = clocked_store.entry_search.search
    assert sorted(names[e.id] for e in queue(kpis.entered.filter).entries) == ["a1", "a2", "b2"]
    assert sorted(names[e.id] for e in queue(kpis.exception_vendors[1].filter).entries) == ["a6", "a9"]


def test_an_empty_database_gives_zeros_and_no_ratios(clocked_store: ProcessStore) -> None:
    kpis = overview(clocked_store, START, END, NOW)

    assert (kpis.judged.count, kpis.first_pass_rate, kpis.rpa_success_rate, kpis.entered_per_active_hour) == (
        0,
        None,
        None,
        None,
    )
    assert (kpis.oldest_review_seconds, kpis.pull_to_entered_median_seconds, kpis.pull_to_entered_p90_seconds) == (
        None,
        None,
        None,
    )
    lists = (
        "bad_invoice_rules",
        "failure_reasons",
        "entered_by_hour",
        "ready_amounts",
        "entered_amounts",
        "exception_vendors",
    )
    assert kpis.model_dump(include=set(lists)) == {key: [] for key in lists}
    assert [(d.day, [c.count for c in d.verdicts.values()]) for d in kpis.verdicts_by_day] == [
        (date(2026, 12, n), [0, 0, 0]) for n in (1, 2, 3)
    ]
    assert [b.backlog for b in kpis.review_backlog_by_day] == [0, 0, 0]


def test_a_period_is_checked_and_defaults_to_the_last_seven_days() -> None:
    assert period_of(None, None, NOW) == (NOW - timedelta(days=7), NOW)
    assert period_of(None, datetime(2026, 12, 2), NOW) == (
        datetime(2026, 11, 25, tzinfo=UTC),
        datetime(2026, 12, 2, tzinfo=UTC),
    )
    refusals = {
        "from after to": (END, START),
        "empty": (START, START),
        "over 366 days": (START - timedelta(days=367), START),
        "before 1970": (datetime(1, 1, 1, tzinfo=UTC), datetime(1970, 6, 1, tzinfo=UTC)),
        "after 9000": (None, datetime(9999, 12, 31, 23, tzinfo=UTC)),
    }
    fields = {}
    for case, (start, end) in refusals.items():
        with pytest.raises(InvalidPeriodError) as refused:
            period_of(start, end, NOW)
        fields[case] = refused.value.field
    assert fields == {
        "from after to": "from",
        "empty": "from",
        "over 366 days": "from",
        "before 1970": "from",
        "after 9000": "to",
    }


def test_the_cache_shares_a_period_s_figures_for_15_seconds_then_computes_them_again(
    clocked_store: ProcessStore, clock: FakeClock
) -> None:
    clock.now = datetime(2026, 12, 5, 12, 0, 7, tzinfo=UTC)
    cache = KpiCache(clocked_store, clock)
    first = cache.overview("the days", lambda _now: (START, END))
    assert first.now == clock.now

    EntryFactory(clocked_store, clock).judged(S.MANUAL_REVIEW, at=at(2, 10), vendor_id="V001", vendor_name="x")
    clock.now = datetime(2026, 12, 5, 12, 0, 14, tzinfo=UTC)  # the same 15 s (the factory set the clock back)
    assert cache.overview("the days", lambda _now: (START, END)) is first
    assert cache.overview("another period", lambda _now: (START, END)).judged.count == first.judged.count + 1
    clock.advance(timedelta(seconds=1))  # 12:00:15
    again = cache.overview("the days", lambda _now: (START, END))
    assert (again.now, again.judged.count) == (clock.now, first.judged.count + 1)
