"""Judging invoices against the ERP and recording the verdicts: what the sync validation API
and the scheduled poll both do. Plain functions over connectors and rules, no Prefect here.

A batch of any size costs a constant number of queries: one ERP snapshot (four queries per
2000 POs) and one look-up of the live entries its invoices could duplicate.
"""

import gc
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache

from connectors.erp import ErpGateway
from connectors.marketplace import MarketplaceCursor, MarketplaceSource
from connectors.settings import Settings
from connectors.store.partitions import VendorPartition
from connectors.store import (
    DuplicateCheckOutdatedError,
    Entry,
    EntryExistsError,
    EntrySummary,
    InboxItem,
    POLockedError,
    ProcessStore,
)
from domain import EntryStatus, IntakeError, Invoice
from rules.config import load_rule_config
from rules.context import LiveEntry
from rules.engine import Judgement, RuleEngine


class InvoiceNotFoundError(Exception):
    def __init__(self, source: str, source_invoice_id: str) -> None:
        super().__init__(f"Invoice {source_invoice_id} does not exist in {source}.")
        self.source_invoice_id = source_invoice_id


class InvoiceUnreadableError(Exception):
    """The marketplace row cannot be read as an invoice; the vendor must correct it."""

    def __init__(self, intake_error: IntakeError) -> None:
        super().__init__(
            f"Invoice {intake_error.source_invoice_id} cannot be read from {intake_error.source}: {intake_error.reason}"
        )
        self.intake_error = intake_error


# A verdict whose duplicate check went out of date while it was judged is judged again, this often.
JUDGING_ATTEMPTS = 3


@dataclass(frozen=True)
class JudgedBatch:
    judgements: list[Judgement]
    # the live entries the duplicate check saw: recording re-checks for any recorded since
    seen_entry_ids: frozenset[int]


@dataclass(frozen=True)
class RecordedVerdict:
    entry: Entry
    # False when this invoice version had been judged before and its recorded verdict is returned
    created: bool


def live_entry(entry: EntrySummary) -> LiveEntry:
    return LiveEntry(
        entry_id=entry.id,
        source=entry.source,
        source_invoice_id=entry.source_invoice_id,
        version=entry.version,
        vendor_id=entry.vendor_id,
        invoice_number=entry.invoice_number,
        normalised_invoice_number=entry.normalised_invoice_number,
        invoice_date=entry.invoice_date,
        currency=entry.currency,
        total=entry.total,
        po_number=entry.po_number,
        status=entry.status,
    )


class JudgingService:
    def __init__(
        self,
        *,
        marketplace: MarketplaceSource,
        erp: ErpGateway,
        store: ProcessStore,
        engine: RuleEngine,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.marketplace = marketplace
        self.erp = erp
        self.store = store
        self.engine = engine
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Settings) -> "JudgingService":
        return cls(
            marketplace=MarketplaceSource.from_settings(settings),
            erp=ErpGateway.from_settings(settings),
            store=ProcessStore.from_url(settings.process_db_url, webhook_urls=settings.webhook_urls),
            engine=RuleEngine(load_rule_config(settings.rules_config_path)),
        )

    def health_checks(self) -> dict[str, Callable[[], None]]:
        """One round trip per database, by name; each raises when its database does not answer."""
        return {"marketplace": self.marketplace.ping, "erp": self.erp.ping, "process": self.store.ping}

    def close(self) -> None:
        self.store.close()
        self.marketplace.close()
        self.erp.close()

    def today(self) -> date:
        return self._clock().date()

    def judge(self, invoices: Sequence[Invoice]) -> JudgedBatch:
        """Judge without recording anything (dry runs; batches record the result themselves).

        No in-flight quantities are passed: an invoice is only judged while its PO is unlocked,
        and an unlocked PO has, by the lock's definition, nothing queued for the bot.
        """
        now = self._clock()
        snapshot = self.erp.fetch_snapshot(
            {i.po_number for i in invoices}, {i.vendor_id for i in invoices}, today=now.date()
        )
        candidates = self.store.duplicate_candidates(invoices)
        live = [live_entry(e) for e in candidates]
        judgements = self.engine.judge_batch(invoices, snapshot, today=now.date(), live_entries=live, judged_at=now)
        return JudgedBatch(judgements, frozenset(e.id for e in candidates))

    def validate_marketplace_invoice(self, source_invoice_id: str, *, actor: str) -> RecordedVerdict:
        """Judge one marketplace invoice now and record it, or return its recorded verdict.

        Raises InvoiceNotFoundError, InvoiceUnreadableError, or POLockedError when another
        entry holds its PO (the invoice then waits for the lock to be released).
        """
        found = self.marketplace.fetch_invoice(source_invoice_id)
        if found is None:
            raise InvoiceNotFoundError(self.marketplace.source_name, source_invoice_id)
        if isinstance(found, IntakeError):
            raise InvoiceUnreadableError(found)
        recorded = self.store.find_entry(found.key)
        if recorded is not None:
            return RecordedVerdict(recorded, created=False)
        holder = self.store.po_lock_holder(found.po_number)
        if holder is not None:
            raise POLockedError(found.po_number, holder)
        for _ in range(JUDGING_ATTEMPTS - 1):
            # a possible original recorded meanwhile: judge again, against it
            with suppress(DuplicateCheckOutdatedError):
                return self._judge_and_record(found, actor=actor)
        return self._judge_and_record(found, actor=actor)

    def _judge_and_record(self, invoice: Invoice, *, actor: str) -> RecordedVerdict:
        judged = self.judge([invoice])
        [judgement] = judged.judgements
        try:
            entry = self.store.create_entry(
                invoice, judgement.verdict, judgement.payload, actor=actor, seen_entry_ids=judged.seen_entry_ids
            )
        except EntryExistsError as exists:  # judged by a concurrent caller meanwhile
            return RecordedVerdict(self.store.get_entry(exists.entry_id), created=False)
        return RecordedVerdict(entry, created=True)


@lru_cache(maxsize=4)
def judging_service(settings: Settings) -> JudgingService:
    """One service (and so one set of connection pools) per process and settings; tasks look it up
    rather than receive it, so nothing holding connections crosses a task boundary."""
    return JudgingService.from_settings(settings)


# ---------------------------------------------------------------- the scheduled poll's steps

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


def pull_into_inbox(
    marketplace: MarketplaceSource, store: ProcessStore, *, judged_here: VendorPartition | None = None
) -> PullOutcome:
    """Pull what changed on the marketplace since the stored cursor into the inbox.

    Each page and its cursor are stored in one transaction, so a pull that fails half way
    resumes after the last stored page, and a rerun stores nothing twice. `judged_here`: the
    vendors this process goes on to judge (their invoices are kept in memory for it).
    """
    source = marketplace.source_name
    stored = store.load_cursor(source)
    since = MarketplaceCursor.model_validate_json(stored) if stored else None
    new = known = unreadable = 0
    for page in marketplace.pull(since):
        record = store.record_pull(source, page.invoices, page.errors, page.cursor.model_dump_json(), judged_here=judged_here)
        new, known, unreadable = new + record.new_invoices, known + record.already_known, unreadable + record.errors_recorded
    return PullOutcome(new_invoices=new, already_known=known, unreadable=unreadable)


@dataclass(frozen=True)
class BatchOutcome:
    selected: int
    statuses: dict[EntryStatus, int]  # recorded entries per status
    deferred: int  # a second invoice of a PO in the batch: waits for that PO's first invoice
    waiting_on_lock: int  # judged, but another writer locked the PO meanwhile
    already_judged: int  # recorded by another writer meanwhile
    failed: int
    judged_again: int = 0  # a possible original of it was recorded meanwhile: judged by the next batch

    @property
    def recorded(self) -> int:
        return sum(self.statuses.values())


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
    items = service.store.waiting_invoices(batch_size, exclude_locked_pos=True, partition=partition)
    invoices, deferred = first_invoice_per_po(items)
    if not invoices:
        return BatchOutcome(selected=0, statuses={}, deferred=0, waiting_on_lock=0, already_judged=0, failed=0)
    judged = service.judge(invoices)
    record = service.store.record_verdicts(
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
        batch = judge_next_batch(service, batch_size=batch_size, actor=actor, flow_run_id=flow_run_id, partition=partition)
        batches.append(batch)
        if batch.selected == 0:
            break
    return batches
