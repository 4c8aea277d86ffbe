"""The dashboard's figures as SQL aggregates: counts and sums of the entries an `EntryFilter`
selects (so each figure's entries are the queue's for that filter), and what the audit trail
tells per period, day or hour. Each method is one read transaction; none walks rows in Python.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, case, func, select

from connectors.store.base import StorePart
from connectors.store.column_types import MONEY_QUANTUM
from connectors.store.entry_filter import EntryFilter, conditions, moved_to, within
from connectors.store.tables import EntryEventRow, EntryFindingRow, EntryRow
from connectors.store.time_buckets import bucket_start, day_of, hour_of, seconds_between
from domain import LEGAL_TRANSITIONS, EntryStatus, Severity

GroupKey = Literal["verdict", "currency", "vendor_id"]
# Where the RPA loop acts: the bot (or a mailbox) takes an entry, enters it or fails on it.
RPA_STATUSES = (EntryStatus.DISPATCHED, EntryStatus.ENTERED, EntryStatus.RPA_FAILED)
_REVIEW = EntryStatus.MANUAL_REVIEW


@dataclass(frozen=True)
class Group:
    """The entries of a filter sharing one value of the grouping column."""

    key: str
    count: int
    amount: Decimal  # the sum of their totals (meaningful per currency)
    name: str | None  # the vendor's name, when grouped by vendor


@dataclass(frozen=True)
class Ranked:
    """A rule id or a failure reason, and how many entries it concerns."""

    key: str
    count: int


@dataclass(frozen=True)
class HourActivity:
    hour: datetime
    entered: int  # entries that became entered in that hour


class KpiQueries(StorePart):
    def count(self, entry_filter: EntryFilter) -> int:
        with self._reading() as session:
            return session.scalar(select(func.count()).select_from(EntryRow).where(*conditions(entry_filter))) or 0

    def grouped(self, entry_filter: EntryFilter, by: GroupKey, *, limit: int | None = None) -> list[Group]:
        """The filter's entries per value of `by`, the largest groups first (ties by value)."""
        column = getattr(EntryRow, by)
        count = func.count()
        query = (
            select(column, count, func.sum(EntryRow.total), func.max(EntryRow.vendor_name))
            .where(*conditions(entry_filter))
            .group_by(column)
            .order_by(count.desc(), column)
            .limit(limit)
        )
        with self._reading() as session:
            rows = session.execute(query).tuples().all()
        return [
            Group(
                key=key,
                count=n,
                amount=Decimal(amount).quantize(MONEY_QUANTUM),
                name=name if by == "vendor_id" else None,
            )
            for key, n, amount, name in rows
        ]

    def hard_rules_of_bad_invoices(self, judged_from: datetime, judged_to: datetime, *, limit: int) -> list[Ranked]:
        """The rules with hard findings on the invoices judged bad in [from, to), by how many invoices each stopped."""
        count = func.count()
        query = (
            select(EntryFindingRow.rule_id, count)
            .join(EntryRow, EntryRow.id == EntryFindingRow.entry_id)
            .where(
                EntryRow.verdict == EntryStatus.BAD_INVOICE.value,
                EntryFindingRow.severity == Severity.HARD.value,
                *within(EntryRow.created_at, judged_from, judged_to),
            )
            .group_by(EntryFindingRow.rule_id)
            .order_by(count.desc(), EntryFindingRow.rule_id)
            .limit(limit)
        )
        return self._ranked(query)

    def failure_reasons(self, start: datetime, end: datetime, *, limit: int) -> list[Ranked]:
        """The reasons the bot gave for failing in [start, end), by how many entries failed with each."""
        entries = func.count(EntryEventRow.entry_id.distinct())
        query = (
            select(EntryEventRow.reason, entries)
            .where(moved_to(EntryStatus.RPA_FAILED), *within(EntryEventRow.occurred_at, start, end))
            .group_by(EntryEventRow.reason)
            .order_by(entries.desc(), EntryEventRow.reason)
            .limit(limit)
        )
        return self._ranked(query)

    def oldest_in_review_since(self) -> datetime | None:
        """When the entry in manual_review the longest (now) moved there."""
        latest_move = (
            select(func.max(EntryEventRow.occurred_at).label("moved_at"))
            .join(EntryRow, EntryRow.id == EntryEventRow.entry_id)
            .where(EntryRow.status == _REVIEW.value, moved_to(_REVIEW))
            .group_by(EntryEventRow.entry_id)
            .subquery()
        )
        with self._reading() as session:
            oldest: datetime | None = session.scalar(select(func.min(latest_move.c.moved_at)))
            return oldest

    def review_moves_since(self, start: datetime) -> int:
        """Entries moved into manual_review minus those moved out of it since `start` (up to now)."""
        with self._reading() as session:
            return int(
                session.scalar(select(func.coalesce(func.sum(_review_move()), 0)).where(*_review_events(start))) or 0
            )

    def review_moves_by_day(self, start: datetime, end: datetime) -> dict[date, int]:
        """Per UTC day of [start, end): entries moved into manual_review minus those moved out."""
        day = day_of(EntryEventRow.occurred_at)
        query = select(day, func.sum(_review_move())).where(*_review_events(start, end)).group_by(day)
        with self._reading() as session:
            return {bucket_start(bucket).date(): int(net) for bucket, net in session.execute(query).tuples()}

    def verdicts_by_day(self, start: datetime, end: datetime) -> dict[tuple[date, EntryStatus], int]:
        """Per UTC day of [start, end) and verdict, the invoices judged."""
        day = day_of(EntryRow.created_at)
        query = (
            select(day, EntryRow.verdict, func.count())
            .where(*within(EntryRow.created_at, start, end))
            .group_by(day, EntryRow.verdict)
        )
        with self._reading() as session:
            rows = session.execute(query).tuples().all()
        return {(bucket_start(bucket).date(), EntryStatus(verdict)): n for bucket, verdict, n in rows}

    def rpa_hours(self, start: datetime, end: datetime) -> list[HourActivity]:
        """The UTC hours of [start, end) in which the RPA loop acted (an entry was dispatched,
        entered or failed), oldest first, each with the entries that became entered in it."""
        hour = hour_of(EntryEventRow.occurred_at)
        entered = func.sum(case((EntryEventRow.to_status == EntryStatus.ENTERED.value, 1), else_=0))
        query = (
            select(hour, entered)
            .where(
                EntryEventRow.to_status.in_([status.value for status in RPA_STATUSES]),
                moved_to(),
                *within(EntryEventRow.occurred_at, start, end),
            )
            .group_by(hour)
            .order_by(hour)
        )
        with self._reading() as session:
            rows = session.execute(query).tuples().all()
        return [HourActivity(hour=bucket_start(bucket), entered=int(n)) for bucket, n in rows]

    def pull_to_entered_seconds(self, start: datetime, end: datetime) -> list[float]:
        """For each entry entered in [start, end) whose invoice was pulled, the seconds from pull to entered."""
        query = select(seconds_between(EntryRow.pulled_at, EntryRow.entered_at)).where(
            EntryRow.pulled_at.is_not(None), *within(EntryRow.entered_at, start, end)
        )
        with self._reading() as session:
            return [float(seconds) for seconds in session.scalars(query)]

    def _ranked(self, query: Any) -> list[Ranked]:
        with self._reading() as session:
            return [Ranked(key=key, count=n) for key, n in session.execute(query).tuples()]


def _review_move() -> ColumnElement[int]:
    """+1 for an event moving an entry into manual_review, -1 for one moving it out, else 0."""
    out_of = and_(EntryEventRow.from_status == _REVIEW.value, EntryEventRow.to_status != _REVIEW.value)
    return case((moved_to(_REVIEW), 1), (out_of, -1), else_=0)


def _review_events(start: datetime, end: datetime | None = None) -> list[ColumnElement[bool]]:
    """Events in [start, end) that may move an entry into or out of manual_review: by to_status,
    so that the (to_status, occurred_at) index finds them (there is none on from_status)."""
    statuses = {_REVIEW, *LEGAL_TRANSITIONS[_REVIEW]}
    return [
        EntryEventRow.to_status.in_(sorted(status.value for status in statuses)),
        *within(EntryEventRow.occurred_at, start, end),
    ]
