"""What a poll run reports: returned by the flow, logged, and published as its Prefect artifact, a
table the Prefect UI shows and the dashboard reads back (`PollReport.from_artifact`)."""

import json
from collections.abc import Mapping, Sequence

from pydantic import BaseModel

from connectors.store import InboxCounts
from domain import EntryStatus
from services.polling import BatchOutcome, PullOutcome

# The key of every poll run's artifact: the Prefect UI lists them under it, newest first.
POLL_SUMMARY_KEY = "poll-marketplace-summary"

TableRow = dict[str, str | int | float]


class PollReport(BaseModel):
    pulled: int  # new invoice versions taken into the inbox
    unreadable: int  # marketplace rows that could not be read (recorded with their reasons)
    statuses: dict[EntryStatus, int]  # entries recorded by this run, per status (statuses with none left out)
    waiting_on_lock: int  # still in the inbox because their PO is locked
    waiting: int  # still in the inbox for any reason (locked PO included)
    failed: int  # could not be recorded by this run (inbox 'failed', with the reason)
    batches: int
    seconds: float

    @property
    def recorded(self) -> int:
        return sum(self.statuses.values())

    def summary_line(self) -> str:
        """The run's closing line in Prefect's log, and its artifact's description."""
        recorded = ", ".join(f"{self.statuses.get(status, 0)} {status.value}" for status in _REPORTED_STATUSES)
        return (
            f"Pulled {self.pulled} new invoices ({self.unreadable} unreadable); recorded {self.recorded} in "
            f"{self.batches} batches: {recorded}; {self.failed} could not be judged; {self.waiting} still waiting, "
            f"{self.waiting_on_lock} of them on a locked PO; {self.seconds:.1f} s."
        )

    def table(self) -> list[TableRow]:
        """The rows of the run's table artifact: `what` for people, `count`, and `key`, which
        `from_table` reads the numbers back by."""
        numbers: list[tuple[str, str, int | float]] = [
            ("pulled", "pulled into the inbox", self.pulled),
            ("unreadable", "unreadable marketplace rows", self.unreadable),
        ]
        numbers += [
            (_status_key(status), f"recorded {status.value}", self.statuses.get(status, 0))
            for status in _REPORTED_STATUSES
        ]
        numbers += [
            ("waiting_on_lock", "waiting on a locked PO", self.waiting_on_lock),
            ("waiting", "waiting in all", self.waiting),
            ("failed", "errors (could not be judged)", self.failed),
            ("batches", "batches", self.batches),
            ("seconds", "duration (s)", self.seconds),
        ]
        return [{"what": what, "count": count, "key": key} for key, what, count in numbers]

    @classmethod
    def from_table(cls, rows: Sequence[Mapping[str, object]]) -> "PollReport":
        """The report whose `table()` these rows are; a ValueError when they are not one."""
        try:
            counts = {str(row["key"]): row["count"] for row in rows}
        except (KeyError, TypeError) as error:
            raise ValueError(f"not a poll report table: {error!r}") from error
        statuses = {status: counts.pop(_status_key(status), 0) for status in _REPORTED_STATUSES}
        # pydantic refuses what is not a number (ValidationError is a ValueError)
        return cls.model_validate({**counts, "statuses": {status: n for status, n in statuses.items() if n}})

    @classmethod
    def from_artifact(cls, data: object) -> "PollReport | None":
        """The report a poll run's artifact holds (its data: `table()` as JSON text); None when it
        holds none, as the markdown that runs published before the table does not."""
        if not isinstance(data, str):
            return None
        try:
            rows = json.loads(data)
            return cls.from_table(rows) if isinstance(rows, list) else None
        except ValueError:
            return None


# The statuses a run records entries in (the rule engine's outcomes), in the order people read them.
_REPORTED_STATUSES = (EntryStatus.READY_TO_PROCESS, EntryStatus.MANUAL_REVIEW, EntryStatus.BAD_INVOICE)


def _status_key(status: EntryStatus) -> str:
    return f"recorded_{status.value}"


def summarise_poll(
    pulled: PullOutcome, batches: Sequence[BatchOutcome], inbox: InboxCounts, *, seconds: float
) -> PollReport:
    statuses: dict[EntryStatus, int] = {}
    for batch in batches:
        for status, count in batch.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    return PollReport(
        pulled=pulled.new_invoices,
        unreadable=pulled.unreadable,
        statuses=statuses,
        waiting_on_lock=inbox.waiting_on_lock,
        waiting=inbox.waiting,
        failed=sum(batch.failed for batch in batches),
        batches=sum(1 for batch in batches if batch.selected),
        seconds=round(seconds, 3),
    )
