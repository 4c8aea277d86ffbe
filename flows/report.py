"""What a poll run reports: returned by the flow and published as a Prefect artifact."""

from collections.abc import Sequence

from pydantic import BaseModel

from connectors.store import InboxCounts
from domain import EntryStatus
from services.polling import BatchOutcome, PullOutcome


class PollReport(BaseModel):
    pulled: int  # new invoice versions taken into the inbox
    unreadable: int  # marketplace rows that could not be read (recorded with their reasons)
    statuses: dict[EntryStatus, int]  # entries recorded by this run, per status
    waiting_on_lock: int  # still in the inbox because their PO is locked
    waiting: int  # still in the inbox for any reason (locked PO included)
    failed: int  # could not be recorded by this run (inbox 'failed', with the reason)
    batches: int
    seconds: float

    @property
    def recorded(self) -> int:
        return sum(self.statuses.values())

    def summary_line(self) -> str:
        """The run's closing line in Prefect's log."""
        recorded = ", ".join(f"{self.statuses.get(status, 0)} {status.value}" for status in _REPORTED_STATUSES)
        return (
            f"Pulled {self.pulled} new invoices ({self.unreadable} unreadable); recorded {self.recorded} in "
            f"{self.batches} batches: {recorded}; {self.failed} could not be judged; {self.waiting} still waiting, "
            f"{self.waiting_on_lock} of them on a locked PO; {self.seconds:.1f} s."
        )

    def markdown(self) -> str:
        rows: list[tuple[str, int | str]] = [
            ("pulled into the inbox", self.pulled),
            ("unreadable marketplace rows", self.unreadable),
        ]
        rows += [(f"recorded `{status.value}`", self.statuses.get(status, 0)) for status in _REPORTED_STATUSES]
        rows += [
            ("waiting on a locked PO", self.waiting_on_lock),
            ("waiting in all", self.waiting),
            ("errors (could not be judged)", self.failed),
            ("batches", self.batches),
            ("duration (s)", f"{self.seconds:.1f}"),
        ]
        lines = [
            "# poll-marketplace",
            "",
            "| | count |",
            "|---|---:|",
            *(f"| {label} | {value} |" for label, value in rows),
        ]
        return "\n".join(lines) + "\n"


_REPORTED_STATUSES = (EntryStatus.READY_TO_PROCESS, EntryStatus.MANUAL_REVIEW, EntryStatus.BAD_INVOICE)


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
