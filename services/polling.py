"""The scheduled poll's steps: pull the marketplace into the inbox, then judge the waiting
invoices batch by batch (one vendor partition at a time). No Prefect here: flows/poll.py
sequences these steps as tasks.

A batch of any size costs a constant number of queries: one ERP snapshot (four queries per
2000 POs), one look-up of the live entries its invoices could duplicate, one store transaction.
"""

import gc
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from connectors.marketplace import MarketplaceCursor, MarketplaceSource
from connectors.store import InboxItem, ProcessStore
from connectors.store.partitions import VendorPartition
from domain import EntryStatus, Invoice
from services.judging import JudgingService

# A batch allocates ~100 objects per invoice line and keeps them until it is recorded, so
# Python's default thresholds (a collection every 700 allocations) rescan an ever larger heap
# thousands of times per run: ~40 % of a 10,000-invoice poll, measured. Reference cycles are
# rare here, so a process judging collects far less often.
JUDGING_GC_THRESHOLDS = (100_000, 50, 100)


@contextmanager
def fewer_garbage_collections() -> Iterator[None]:
    previous = gc.get_threshold()
    gc.set_threshold(*JUDGING_GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


@dataclass(frozen=True)
class PullOutcome:
    new_invoices: int
    already_known: int
    unreadable: int
    # Where this pull stopped, the marketplace not read to its end: the next slice resumes there.
    resume_after: MarketplaceCursor | None = None

    def __add__(self, later: "PullOutcome") -> "PullOutcome":
        """This slice of a pull and the `later` one: both counted, resumed where the later one stopped."""
        return PullOutcome(
            new_invoices=self.new_invoices + later.new_invoices,
            already_known=self.already_known + later.already_known,
            unreadable=self.unreadable + later.unreadable,
            resume_after=later.resume_after,
        )


def pull_into_inbox(
    marketplace: MarketplaceSource,
    store: ProcessStore,
    *,
    actor: str,
    judged_here: VendorPartition | None = None,
    max_lines: int | None = None,
    resume_after: MarketplaceCursor | None = None,
) -> PullOutcome:
    """Pull what changed on the marketplace since the stored cursor into the inbox.

    Each page and its cursor are stored in one transaction, so a pull that fails half way
    resumes after the last stored page, and a rerun stores nothing twice. A new version of an
    invoice supersedes its earlier ones there and then (audited as `actor`). `judged_here`: the
    vendors this process goes on to judge (their invoices are kept in memory for it).

    `max_lines`: stop after the page that reaches this many invoice lines, so that a backlog of
    any size is pulled and judged slice by slice; the outcome's `resume_after` is then where the
    next slice (`resume_after=`) goes on.
    """
    source = marketplace.source_name
    stored = store.inbox.load_cursor(source)
    since = MarketplaceCursor.model_validate_json(stored) if stored else None
    new = known = unreadable = lines = 0
    for page in marketplace.pull(since, resume_after=resume_after):
        record = store.inbox.record_pull(
            source, page.invoices, page.errors, page.cursor.model_dump_json(), actor=actor, judged_here=judged_here
        )
        new, known, unreadable = (
            new + record.new_invoices,
            known + record.already_known,
            unreadable + record.errors_recorded,
        )
        lines += sum(len(invoice.lines) for invoice in page.invoices)
        if max_lines is not None and lines >= max_lines:
            return PullOutcome(new, known, unreadable, resume_after=page.last_read)
    return PullOutcome(new_invoices=new, already_known=known, unreadable=unreadable)


@dataclass(frozen=True)
class BatchOutcome:
    selected: int
    statuses: dict[EntryStatus, int]  # recorded entries per status
    deferred: int  # a second invoice of a PO in the batch: waits for that PO's first invoice
    waiting_on_lock: int  # judged, but another writer locked the PO meanwhile
    already_judged: int  # recorded by another writer meanwhile
    failed: int
    judged_again: int = 0  # a possible original or another version recorded meanwhile: judged by the next batch
    withdrawn: int = 0  # a newer version of it is known: never judged
    waiting_on_version: int = 0  # an earlier version is with the bot: waits for its callback

    @property
    def recorded(self) -> int:
        return sum(self.statuses.values())

    def describe(self) -> str:
        """One line for the run's log."""
        recorded = ", ".join(f"{count} {status.value}" for status, count in sorted(self.statuses.items())) or "none"
        held = [
            (self.deferred, "held for an earlier invoice of their PO"),
            (self.waiting_on_lock, "waiting on a PO locked meanwhile"),
            (self.waiting_on_version, "waiting for the bot on an earlier version"),
            (self.judged_again, "to be judged again"),
            (self.withdrawn, "withdrawn for a newer version"),
            (self.already_judged, "judged by another run"),
            (self.failed, "could not be recorded"),
        ]
        rest = "".join(f"; {count} {what}" for count, what in held if count)
        return f"Batch of {self.selected}: recorded {recorded}{rest}."


def first_invoice_per_po(items: Sequence[InboxItem]) -> tuple[list[Invoice], int]:
    """The oldest waiting invoice of each PO, and how many others were held back.

    A PO takes one invoice at a time: if the first is queued for the bot, its lock makes the
    others wait; if not, the next batch judges the next one against an up-to-date picture.
    """
    seen: set[str] = set()
    chosen = []
    for item in items:
        if item.invoice.po_number not in seen:
            seen.add(item.invoice.po_number)
            chosen.append(item.invoice)
    return chosen, len(items) - len(chosen)


def judge_next_batch(
    service: JudgingService,
    *,
    batch_size: int,
    actor: str,
    flow_run_id: str | None,
    partition: VendorPartition | None = None,
) -> BatchOutcome:
    """Judge the oldest waiting invoices (of the partition's vendors) whose PO is free and record
    them: one ERP snapshot, one look-up of live entries and one store transaction, whatever the
    batch size."""
    items = service.store.inbox.waiting(batch_size, exclude_locked_pos=True, partition=partition)
    invoices, deferred = first_invoice_per_po(items)
    if not invoices:
        return BatchOutcome(selected=0, statuses={}, deferred=0, waiting_on_lock=0, already_judged=0, failed=0)
    judged = service.judge(invoices)
    record = service.store.verdicts.record_batch(
        judged.judgements, actor=actor, flow_run_id=flow_run_id, seen_entry_ids=judged.seen_entry_ids
    )
    statuses = Counter(j.verdict.status for j in judged.judgements if j.invoice.key in record.recorded)
    return BatchOutcome(
        selected=len(items),
        statuses=dict(statuses),
        deferred=deferred,
        waiting_on_lock=len(record.waiting_on_lock),
        already_judged=len(record.already_judged),
        failed=len(record.failed),
        judged_again=len(record.judged_again),
        withdrawn=len(record.withdrawn),
        waiting_on_version=len(record.waiting_on_version),
    )


def judge_partition(
    service: JudgingService,
    partition: VendorPartition,
    *,
    batch_size: int,
    max_batches: int,
    actor: str,
    flow_run_id: str | None,
) -> list[BatchOutcome]:
    """Judge the partition's waiting invoices batch by batch, until none is left or `max_batches`."""
    batches: list[BatchOutcome] = []
    while len(batches) < max_batches:
        batch = judge_next_batch(
            service, batch_size=batch_size, actor=actor, flow_run_id=flow_run_id, partition=partition
        )
        batches.append(batch)
        if batch.selected == 0:
            # what this process still holds of its pull cannot be judged now (a locked PO...)
            service.store.inbox.release_held()
            break
    return batches
