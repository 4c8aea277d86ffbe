"""Judging invoices against the ERP and recording the verdicts: what the validation API and the
scheduled poll (services/polling.py) both do. Plain Python over connectors and rules.

Judging a batch of any size costs a constant number of queries: one ERP snapshot (four queries
per 2000 POs) and one look-up of the live entries its invoices could duplicate.
"""

from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass

from connectors.erp import ErpGateway, ErpSnapshot
from connectors.marketplace import MarketplaceSource
from connectors.store import (
    DuplicateCheckOutdatedError,
    EarlierVersionDispatchedError,
    Entry,
    EntryExistsError,
    POLockedError,
    ProcessStore,
    VersionTakenError,
)
from domain import EntryStatus, IntakeError, Invoice
from domain.clock import Clock, system_clock
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


class JudgingService:
    def __init__(
        self,
        *,
        marketplace: MarketplaceSource,
        erp: ErpGateway,
        store: ProcessStore,
        engine: RuleEngine,
        clock: Clock = system_clock,
    ) -> None:
        self.marketplace = marketplace
        self.erp = erp
        self.store = store
        self.engine = engine
        self._clock = clock

    def judge(self, invoices: Sequence[Invoice]) -> JudgedBatch:
        """Judge without recording anything (dry runs; batches record the result themselves).

        No in-flight quantities are passed: an invoice is only judged while its PO is unlocked (or
        locked by an earlier version of it, which it supersedes), and an unlocked PO has, by the
        lock's definition, nothing queued for the bot. An earlier version that was entered is
        passed along: the new one corrects it, which the duplicate rule reports.
        """
        now = self._clock()
        snapshot = self.erp.fetch_snapshot(
            {i.po_number for i in invoices}, {i.vendor_id for i in invoices}, today=now.date()
        )
        # A PO written in other case than the ERP's is that PO: judged, locked and paid under the ERP's spelling.
        invoices = [_with_erp_po_number(invoice, snapshot) for invoice in invoices]
        candidates = self.store.entries.duplicate_candidates(invoices)
        # only a later version can correct an entered one
        corrections = [i.key for i in invoices if i.version > 1]
        entered_versions = {
            holder.id: holder
            for holder in self.store.entries.version_holders(corrections).values()
            if holder.status is EntryStatus.ENTERED
        }
        live = [LiveEntry.of(e, entry_id=e.id, status=e.status) for e in [*candidates, *entered_versions.values()]]
        judgements = self.engine.judge_batch(invoices, snapshot, today=now.date(), live_entries=live, judged_at=now)
        return JudgedBatch(judgements, frozenset(e.id for e in candidates))

    def validate_marketplace_invoice(self, source_invoice_id: str, *, actor: str) -> RecordedVerdict:
        """Judge one marketplace invoice now and record it, or return its recorded verdict.

        Raises InvoiceNotFoundError, InvoiceUnreadableError, POLockedError when another invoice's
        entry holds its PO (the invoice then waits for the lock to be released), or
        EarlierVersionDispatchedError when an earlier version of it is with the bot. An earlier
        version that is live but not with the bot is superseded by this one.
        """
        found = self.marketplace.fetch_invoice(source_invoice_id)
        if found is None:
            raise InvoiceNotFoundError(self.marketplace.source_name, source_invoice_id)
        if isinstance(found, IntakeError):
            raise InvoiceUnreadableError(found)
        return self.validate_invoice(found, actor=actor)

    def validate_inbox_invoice(self, source: str, source_invoice_id: str, *, actor: str) -> RecordedVerdict:
        """Judge now the newest version of an invoice that reached the inbox by another way than a
        pull (an uploaded document, source `upload`); the same refusals as a marketplace invoice."""
        found = self.store.inbox.newest(source, source_invoice_id)
        if found is None:
            raise InvoiceNotFoundError(source, source_invoice_id)
        return self.validate_invoice(found, actor=actor)

    def validate_invoice(self, found: Invoice, *, actor: str) -> RecordedVerdict:
        """Judge one invoice now and record it, or return the verdict recorded for this version."""
        recorded = self.store.entries.find(found.key)
        if recorded is not None:
            return RecordedVerdict(recorded, created=False)
        earlier = self.store.entries.version_holders([found.key]).get(found.key) if found.version > 1 else None
        earlier_id = None
        if earlier is not None and earlier.version < found.version:
            if earlier.status is EntryStatus.DISPATCHED:
                raise EarlierVersionDispatchedError(found.key, earlier.id, earlier.version)
            earlier_id = earlier.id
        holder = self.store.entries.po_lock_holder(found.po_number)
        if holder is not None and holder != earlier_id:
            raise POLockedError(found.po_number, holder, self.store.entries.get(holder).status)
        for _ in range(JUDGING_ATTEMPTS - 1):
            # a possible original, or another version, recorded meanwhile: judge again, against it
            with suppress(DuplicateCheckOutdatedError, VersionTakenError):
                return self._judge_and_record(found, actor=actor)
        return self._judge_and_record(found, actor=actor)

    def _judge_and_record(self, invoice: Invoice, *, actor: str) -> RecordedVerdict:
        judged = self.judge([invoice])
        [judgement] = judged.judgements
        try:
            entry = self.store.verdicts.record_one(
                judgement.invoice,  # with the ERP's spelling of its PO number
                judgement.verdict,
                judgement.payload,
                actor=actor,
                seen_entry_ids=judged.seen_entry_ids,
            )
        except EntryExistsError as exists:  # judged by a concurrent caller meanwhile
            return RecordedVerdict(self.store.entries.get(exists.entry_id), created=False)
        return RecordedVerdict(entry, created=True)


def _with_erp_po_number(invoice: Invoice, snapshot: ErpSnapshot) -> Invoice:
    spelling = snapshot.po_number_as_in_erp(invoice.po_number)
    return invoice if spelling == invoice.po_number else invoice.model_copy(update={"po_number": spelling})
