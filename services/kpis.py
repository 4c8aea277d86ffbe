"""The ops dashboard's overview of a period: what was judged and how, what waits for AP, what the
RPA bot entered and failed, how long invoices take, the money involved, who causes exceptions.

Every count comes with the `EntryFilter` that selects exactly its entries (`filter`; in JSON its
query parameters, `queue_params`), so each figure links to the work queue. Periods are half-open,
[from, to); days and hours are UTC.
"""

import statistics
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from connectors.store import EntryFilter, ProcessStore
from connectors.store.kpis import Group
from domain import INITIAL_STATUSES, EntryStatus, Severity
from domain.clock import Clock

DEFAULT_PERIOD = timedelta(days=7)
MAX_PERIOD = timedelta(days=366)
# Periods lie within these: older or later moments are not stored, and MariaDB cannot hold every datetime.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
TOP = 10
VERDICTS = tuple(status for status in EntryStatus if status in INITIAL_STATUSES)
_HOUR, _DAY = timedelta(hours=1), timedelta(days=1)


class InvalidPeriodError(ValueError):
    """A period the overview cannot cover; `field` is the bound at fault ("from" or "to")."""

    def __init__(self, field: Literal["from", "to"], message: str, value: datetime) -> None:
        super().__init__(message)
        self.field = field
        self.value = value


class Counted(BaseModel):
    """How many entries, and the filter that selects exactly them."""

    model_config = ConfigDict(frozen=True)

    count: int
    filter: EntryFilter = Field(exclude=True)

    @computed_field(description="The work queue's query parameters that list exactly these entries.")  # type: ignore[prop-decorator]
    @property
    def queue_params(self) -> dict[str, str]:
        return self.filter.query_params()


class RuleCount(Counted):
    rule_id: str


class ReasonCount(Counted):
    reason: str


class HourCount(Counted):
    hour: datetime  # its first moment


class Amount(Counted):
    currency: str
    amount: Decimal  # the sum of the entries' totals


class VendorCount(Counted):
    vendor_id: str
    vendor_name: str


class DayVerdicts(BaseModel):
    day: date
    verdicts: dict[EntryStatus, Counted]


class DayBacklog(BaseModel):
    day: date
    backlog: int = Field(description="Entries in manual_review at the end of the day (of the period, if sooner).")


class Kpis(BaseModel):
    """The overview of [period_from, period_to) as of `now`."""

    period_from: datetime
    period_to: datetime
    now: datetime
    judged: Counted = Field(description="Invoices judged in the period.")
    judged_by_verdict: dict[EntryStatus, Counted]
    first_pass_rate: float | None = Field(description="Judged ready_to_process ÷ judged; null when none was judged.")
    review_backlog: Counted = Field(description="Entries in manual_review now.")
    oldest_review_seconds: float | None = Field(description="How long the oldest of them has waited there.")
    bad_invoice_rules: list[RuleCount] = Field(
        description="Hard rules of the invoices judged bad, most frequent first."
    )
    entered: Counted = Field(description="Entries that became entered in the period.")
    failed: Counted = Field(description="Entries the bot failed on in the period.")
    failure_reasons: list[ReasonCount] = Field(description="The bot's reasons for failing, most frequent first.")
    rpa_success_rate: float | None = Field(description="entered ÷ (entered + failed); null when both are 0.")
    rpa_active_hours: int = Field(description="UTC hours in which an entry was dispatched, entered or failed.")
    entered_per_active_hour: float | None
    entered_by_hour: list[HourCount] = Field(description="Per active hour, the entries entered in it.")
    pull_to_entered_median_seconds: float | None = Field(description="Over the entries entered in the period.")
    pull_to_entered_p90_seconds: float | None = Field(description="90th percentile, linearly interpolated.")
    ready_amounts: list[Amount] = Field(description="Per currency, the totals ready_to_process now.")
    entered_amounts: list[Amount] = Field(description="Per currency, the totals entered in the period.")
    exception_vendors: list[VendorCount] = Field(
        description="The vendors with the most exceptions among the invoices judged in the period."
    )
    verdicts_by_day: list[DayVerdicts]
    review_backlog_by_day: list[DayBacklog]


def period_of(period_from: datetime | None, period_to: datetime | None, now: datetime) -> tuple[datetime, datetime]:
    """The period asked for, in UTC (without a time zone: UTC): `to` defaults to now, `from` to 7
    days before `to`. InvalidPeriodError unless from < to, at most 366 days apart, within 1970..9000."""
    end = now if period_to is None else _utc_unless_told(period_to)
    if not EARLIEST < end <= LATEST:
        raise InvalidPeriodError("to", f"must be after {EARLIEST:%Y-%m-%d} and at most {LATEST:%Y-%m-%d}", end)
    start = end - DEFAULT_PERIOD if period_from is None else _utc_unless_told(period_from)
    if start >= end:
        raise InvalidPeriodError("from", "must be before to", start)
    if end - start > MAX_PERIOD:
        raise InvalidPeriodError("from", f"must be at most {MAX_PERIOD.days} days before to", start)
    if start < EARLIEST:
        raise InvalidPeriodError("from", f"must be {EARLIEST:%Y-%m-%d} or later", start)
    return start.astimezone(UTC), end.astimezone(UTC)


def overview(store: ProcessStore, period_from: datetime | None, period_to: datetime | None, now: datetime) -> Kpis:
    start, end = period_of(period_from, period_to, now)
    kpis = store.kpis
    judged = EntryFilter(judged_from=start, judged_to=end)
    verdict_counts = {group.key: group.count for group in kpis.grouped(judged, "verdict")}
    by_verdict = {v: Counted(count=verdict_counts.get(v.value, 0), filter=_with(judged, verdict=v)) for v in VERDICTS}
    review = EntryFilter(status=EntryStatus.MANUAL_REVIEW)
    backlog = kpis.count(review)
    oldest = kpis.oldest_in_review_since()
    entered = _reached(EntryStatus.ENTERED, start, end)
    failed = _reached(EntryStatus.RPA_FAILED, start, end)
    entered_count, failed_count = kpis.count(entered), kpis.count(failed)
    ready = EntryFilter(status=EntryStatus.READY_TO_PROCESS)
    hours = kpis.rpa_hours(start, end)
    median, p90 = _median_and_p90(kpis.pull_to_entered_seconds(start, end))
    total = sum(verdict_counts.values())
    return Kpis(
        period_from=start,
        period_to=end,
        now=now,
        judged=Counted(count=total, filter=judged),
        judged_by_verdict=by_verdict,
        first_pass_rate=_ratio(by_verdict[EntryStatus.READY_TO_PROCESS].count, total),
        review_backlog=Counted(count=backlog, filter=review),
        oldest_review_seconds=None if oldest is None else (now - oldest).total_seconds(),
        bad_invoice_rules=[
            RuleCount(
                rule_id=rule.key,
                count=rule.count,
                filter=_with(judged, verdict=EntryStatus.BAD_INVOICE, rule_id=rule.key, rule_severity=Severity.HARD),
            )
            for rule in kpis.hard_rules_of_bad_invoices(start, end, limit=TOP)
        ],
        entered=Counted(count=entered_count, filter=entered),
        failed=Counted(count=failed_count, filter=failed),
        failure_reasons=[
            ReasonCount(reason=reason.key, count=reason.count, filter=_with(failed, failure_reason=reason.key))
            for reason in kpis.failure_reasons(start, end, limit=TOP)
        ],
        rpa_success_rate=_ratio(entered_count, entered_count + failed_count),
        rpa_active_hours=len(hours),
        entered_per_active_hour=_ratio(sum(hour.entered for hour in hours), len(hours)),
        entered_by_hour=[
            HourCount(
                hour=hour.hour,
                count=hour.entered,
                filter=_reached(EntryStatus.ENTERED, max(hour.hour, start), min(hour.hour + _HOUR, end)),
            )
            for hour in hours
        ],
        pull_to_entered_median_seconds=median,
        pull_to_entered_p90_seconds=p90,
        ready_amounts=_amounts(kpis.grouped(ready, "currency"), ready),
        entered_amounts=_amounts(kpis.grouped(entered, "currency"), entered),
        exception_vendors=[
            VendorCount(
                vendor_id=group.key,
                vendor_name=group.name or "",
                count=group.count,
                filter=_with(judged, vendor_id=group.key, exception=True),
            )
            for group in kpis.grouped(_with(judged, exception=True), "vendor_id", limit=TOP)
        ],
        verdicts_by_day=_verdicts_by_day(store, start, end),
        review_backlog_by_day=_backlog_by_day(store, backlog, start, end),
    )


def _verdicts_by_day(store: ProcessStore, start: datetime, end: datetime) -> list[DayVerdicts]:
    counts = store.kpis.verdicts_by_day(start, end)
    return [
        DayVerdicts(
            day=day,
            verdicts={
                verdict: Counted(
                    count=counts.get((day, verdict), 0),
                    filter=EntryFilter(verdict=verdict, judged_from=first, judged_to=last),
                )
                for verdict in VERDICTS
            },
        )
        for day, first, last in _days(start, end)
    ]


def _backlog_by_day(store: ProcessStore, backlog_now: int, start: datetime, end: datetime) -> list[DayBacklog]:
    """The manual-review backlog at the end of each day: the backlog at the start of the period
    (now's, less the moves in and out since), plus each day's moves in, less its moves out."""
    backlog = backlog_now - store.kpis.review_moves_since(start)
    moves = store.kpis.review_moves_by_day(start, end)
    series = []
    for day, _first, _last in _days(start, end):
        backlog += moves.get(day, 0)
        series.append(DayBacklog(day=day, backlog=backlog))
    return series


def _days(start: datetime, end: datetime) -> list[tuple[date, datetime, datetime]]:
    """Each UTC day the period touches, with the part of it in the period: [first, last)."""
    days = []
    day = start.date()
    while (midnight := datetime.combine(day, time(), UTC)) < end:
        days.append((day, max(midnight, start), min(midnight + _DAY, end)))
        day += _DAY
    return days


def _reached(status: EntryStatus, start: datetime, end: datetime) -> EntryFilter:
    return EntryFilter(reached=status, reached_from=start, reached_to=end)


def _with(entry_filter: EntryFilter, **fields: object) -> EntryFilter:
    return entry_filter.model_copy(update=fields)


def _amounts(groups: Sequence[Group], of: EntryFilter) -> list[Amount]:
    """Per currency (in code order), the entries of `of` and the sum of their totals."""
    return [
        Amount(currency=group.key, amount=group.amount, count=group.count, filter=_with(of, currency=group.key))
        for group in sorted(groups, key=lambda group: group.key)
    ]


def _ratio(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def _median_and_p90(seconds: Sequence[float]) -> tuple[float | None, float | None]:
    if len(seconds) < 2:
        return (seconds[0], seconds[0]) if seconds else (None, None)
    return statistics.median(seconds), statistics.quantiles(seconds, n=10, method="inclusive")[-1]


def _utc_unless_told(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class KpiCache:
    """The overview's figures of each period, computed at most once per `seconds`.

    Every open overview refreshes itself, and at a million audit events one computation takes a
    few hundred milliseconds on SQLite (README, "The dashboard at production size"): people asking
    for the same period within the same `seconds` (by the clock, rounded down) share one
    computation. A period is named by `key` and its bounds come from `bounds(now)`, so that "the
    last 7 days" is one period however its end moves; the figures say as of when (`Kpis.now`).
    """

    def __init__(self, store: ProcessStore, clock: Clock, *, seconds: int = 15, periods: int = 32) -> None:
        self._store = store
        self._clock = clock
        self._seconds = seconds
        self._periods = periods
        self._computed: OrderedDict[tuple[Hashable, int], Kpis] = OrderedDict()
        self._lock = threading.Lock()

    def overview(self, key: Hashable, bounds: Callable[[datetime], tuple[datetime | None, datetime | None]]) -> Kpis:
        """services.kpis.overview of the period `bounds(now)`; InvalidPeriodError as it raises it."""
        now = self._clock()
        cache_key = (key, int(now.timestamp()) // self._seconds)
        with self._lock:
            cached = self._computed.get(cache_key)
        if cached is not None:
            return cached
        # Computed outside the lock: a slow period does not hold up another one.
        figures = overview(self._store, *bounds(now), now)
        with self._lock:
            self._computed[cache_key] = figures
            while len(self._computed) > self._periods:
                self._computed.popitem(last=False)
        return figures
