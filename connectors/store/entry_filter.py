"""Which entries the work queue shows, and in which order: `EntryFilter` and `EntrySort`, their
URL query parameters (a dashboard figure links to the queue filtered to exactly its entries), and
the SQL conditions they stand for."""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Self

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict
from sqlalchemy import ColumnElement, and_, exists, not_, or_, select

from connectors.store.tables import EntryEventRow, EntryFindingRow, EntryRow
from domain import EntryStatus, Severity, normalise_invoice_number

# What AP counts as exceptions: invoices the rules stopped, and those the bot failed on.
EXCEPTION_VERDICTS = (EntryStatus.MANUAL_REVIEW, EntryStatus.BAD_INVOICE)

# Stored moments lie between these; a filter's bounds are clamped to them before they reach a
# database that cannot hold every datetime Python can (MariaDB's DATETIME starts at year 1000).
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)


def _utc_unless_told(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _listed(value: Any) -> Any:
    """A list as a URL query parameter writes it: comma-separated."""
    return tuple(value.split(",")) if isinstance(value, str) else value


Moment = Annotated[datetime, AfterValidator(_utc_unless_told)]

SortKey = Literal["id", "invoice_date", "total", "vendor_id", "updated_at"]
SORT_KEYS: tuple[SortKey, ...] = ("id", "invoice_date", "total", "vendor_id", "updated_at")


class EntryFilter(BaseModel):
    """Entries matching every field given; a field left None does not filter.

    - `status_in`: its status is one of these (a vendor's stage is several statuses).
    - `status`, `verdict` (the status the rules gave when it was judged), `vendor_id`,
      `po_number`, `currency`, `possible_double_entry`: equal.
    - `invoice_number`: equal once normalised as duplicates are compared ("inv-0123" finds "INV123").
    - `rule_id`: it has a finding of that rule (of `rule_severity`, when given).
    - `judged_from`, `judged_to`: judged (created) in [from, to).
    - `reached`, `reached_from`, `reached_to`: an audit event moved it to `reached` within
      [from, to) (creation counts; an event that left the status as it was does not). Without
      `reached`, any such event: entries that changed status in the window.
    - `failure_reason`: the bot reported it failed with exactly this reason (an event to
      rpa_failed with this reason, within the window when `reached` is rpa_failed).
    - `exception`: an exception as AP counts them, i.e. judged manual_review or bad_invoice, or the
      bot failed on it at least once (an event to rpa_failed); False: none of these.

    Datetimes without a time zone are taken as UTC.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: EntryStatus | None = None
    status_in: Annotated[tuple[EntryStatus, ...], BeforeValidator(_listed)] | None = None
    verdict: EntryStatus | None = None
    vendor_id: str | None = None
    po_number: str | None = None
    invoice_number: str | None = None
    currency: str | None = None
    rule_id: str | None = None
    rule_severity: Severity | None = None
    possible_double_entry: bool | None = None
    judged_from: Moment | None = None
    judged_to: Moment | None = None
    reached: EntryStatus | None = None
    reached_from: Moment | None = None
    reached_to: Moment | None = None
    failure_reason: str | None = None
    exception: bool | None = None

    def query_params(self) -> dict[str, str]:
        """The URL query parameters that give this filter back through `from_query_params`."""
        return {name: _param(value) for name, value in self.model_dump(exclude_none=True).items()}

    @classmethod
    def from_query_params(cls, params: Mapping[str, str]) -> Self:
        """The filter in these query parameters; others (sort, cursor, limit) are left alone."""
        return cls.model_validate({name: value for name, value in params.items() if name in cls.model_fields})


class EntrySort(BaseModel):
    """The queue's order: by `key`, ties broken by id in the same direction; newest first by default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: SortKey = "id"
    descending: bool = True

    def query_params(self) -> dict[str, str]:
        return {"sort": self.key, "order": "desc" if self.descending else "asc"}

    @classmethod
    def from_query_params(cls, params: Mapping[str, str]) -> Self:
        return cls.model_validate({"key": params.get("sort", "id"), "descending": params.get("order", "desc") != "asc"})


def _param(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(str(each) for each in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def bounded(moment: datetime) -> datetime:
    return min(max(moment, _EARLIEST), _LATEST)


def moved_to(status: EntryStatus | None = None) -> ColumnElement[bool]:
    """An audit event that moved its entry to `status` (any status when None): creation counts,
    a refusal or flag that left the status as it was does not."""
    changed = or_(EntryEventRow.from_status.is_(None), EntryEventRow.from_status != EntryEventRow.to_status)
    return changed if status is None else and_(EntryEventRow.to_status == status.value, changed)


def within(column: Any, start: datetime | None, end: datetime | None) -> list[ColumnElement[bool]]:
    """`column` in [start, end): the bounds given."""
    return [
        *([column >= bounded(start)] if start is not None else []),
        *([column < bounded(end)] if end is not None else []),
    ]


def conditions(entry_filter: EntryFilter) -> list[ColumnElement[bool]]:
    """The WHERE conditions on process_scheduler (EntryRow) that select the filter's entries."""
    f = entry_filter
    equal = {
        EntryRow.status: f.status,
        EntryRow.verdict: f.verdict,
        EntryRow.vendor_id: f.vendor_id,
        EntryRow.po_number: f.po_number,
        EntryRow.currency: f.currency,
    }
    where = [column == str(value) for column, value in equal.items() if value is not None]
    if f.status_in is not None:
        where.append(EntryRow.status.in_([status.value for status in f.status_in]))
    if f.invoice_number is not None:
        where.append(EntryRow.normalised_invoice_number == normalise_invoice_number(f.invoice_number))
    if f.possible_double_entry is not None:
        where.append(EntryRow.possible_double_entry.is_(f.possible_double_entry))
    where += within(EntryRow.created_at, f.judged_from, f.judged_to)
    if f.rule_id is not None:
        severity = [] if f.rule_severity is None else [EntryFindingRow.severity == f.rule_severity.value]
        where.append(
            exists().where(EntryFindingRow.entry_id == EntryRow.id, EntryFindingRow.rule_id == f.rule_id, *severity)
        )
    window = within(EntryEventRow.occurred_at, f.reached_from, f.reached_to)
    if f.reached is not None or window:
        reason = [EntryEventRow.reason == f.failure_reason] if _reason_in_window(f) else []
        where.append(_has_event(moved_to(f.reached), *window, *reason))
    if f.failure_reason is not None and not _reason_in_window(f):
        where.append(_has_event(moved_to(EntryStatus.RPA_FAILED), EntryEventRow.reason == f.failure_reason))
    if f.exception is not None:
        # An entry's events come after its creation: for entries judged since a moment, only the
        # failures since then need looking at (a small part of the audit trail, not all of it).
        since = within(EntryEventRow.occurred_at, f.judged_from, None)
        exceptional = or_(
            EntryRow.verdict.in_([status.value for status in EXCEPTION_VERDICTS]),
            _has_event(moved_to(EntryStatus.RPA_FAILED), *since),
        )
        where.append(exceptional if f.exception else not_(exceptional))
    return where


def _reason_in_window(entry_filter: EntryFilter) -> bool:
    return entry_filter.failure_reason is not None and entry_filter.reached is EntryStatus.RPA_FAILED


def _has_event(*event_conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    # IN over the matching events' entry ids, not a correlated EXISTS: without statistics SQLite ran
    # the EXISTS once per entry through the (to_status, occurred_at) index, minutes at 1M events.
    return EntryRow.id.in_(select(EntryEventRow.entry_id).where(*event_conditions))
