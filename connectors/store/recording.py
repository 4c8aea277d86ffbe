"""Recording verdicts: an entry per judged invoice version, with its creation event, its findings'
rule ids, its PO lock when it locks one, and its inbox row marked judged, in one transaction.

The database settles every race: the entries' unique key (an invoice version judged twice),
`po_locks`' primary key (a PO locked by another writer meanwhile), and the vendor locks under
which a recorder looks again for duplicates its check did not see.
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, update
from sqlalchemy.orm import Session, sessionmaker

from connectors.store.base import INVOICE_KEY, StorePart, key_of, matches_key
from connectors.store.bulk import insert_returning_new
from connectors.store.entry_rows import copy_pulled_at, entry_values, insert_entry, record_findings
from connectors.store.errors import (
    DuplicateCheckOutdatedError,
    EarlierVersionDispatchedError,
    NewerVersionKnownError,
    VersionTakenError,
)
from connectors.store.inbox import mark_failed, update_inbox_rows
from connectors.store.lifecycle import acquire_po_lock, event_row
from connectors.store.outbox import WebhookOutbox, entry_event, event_data
from connectors.store.read_models import BatchRecord, Entry, JudgedInvoice
from connectors.store.tables import INBOX_JUDGED, NAME, EntryEventRow, EntryRow, InboxRow, POLockRow, VersionLockRow
from connectors.store.vendor_locks import ensure_vendor_locks, unseen_duplicate_candidates
from connectors.store.versions import (
    identity_of,
    newest_known_versions,
    settle_versions,
    take_version_locks,
    version_holders,
)
from domain import EntryStatus, Invoice, InvoiceKey, RpaPayload, Verdict
from domain.clock import Clock

_RECORDED = ("id", *INVOICE_KEY, "po_number", "status")


@dataclass(frozen=True)
class _Inserted:
    """What one batch's inserts gave: the entries recorded, and those withdrawn again because
    another entry took their PO lock or another version of their invoice became live."""

    recorded: Sequence[Mapping[str, Any]]
    lost_lock: Sequence[Mapping[str, Any]]
    lost_version: Sequence[Mapping[str, Any]]


class VerdictRecorder(StorePart):
    def __init__(self, sessions: sessionmaker[Session], clock: Clock, outbox: WebhookOutbox) -> None:
        super().__init__(sessions, clock)
        self._outbox = outbox

    def record_one(
        self,
        invoice: Invoice,
        verdict: Verdict,
        payload: RpaPayload | None,
        *,
        actor: str,
        flow_run_id: str | None = None,
        reason: str | None = None,
        seen_entry_ids: Collection[int] | None = None,
    ) -> Entry:
        """Record a verdict: the entry, its creation event, the PO lock when it locks, the inbox row judged.

        `seen_entry_ids`: the live entries the verdict's duplicate check saw (`duplicate_candidates`);
        if another of the vendor's entries with the same number or total was recorded since,
        DuplicateCheckOutdatedError. None for a verdict not judged against live entries.
        Raises EntryExistsError when this invoice version already has an entry, POLockedError
        when the verdict locks a PO another entry holds, NewerVersionKnownError when a newer
        version of the invoice is known, EarlierVersionDispatchedError when an earlier one is with
        the bot, VersionTakenError when another version became live meanwhile; in each case
        nothing is written. An earlier version that is live but not with the bot is superseded.
        """
        now = self._clock()
        if seen_entry_ids is not None:
            ensure_vendor_locks(self._sessions, [invoice.vendor_id], now)
        with self._sessions.begin() as session:
            if seen_entry_ids is not None:
                unseen = unseen_duplicate_candidates(session, [invoice], seen_entry_ids)
                if unseen:
                    raise DuplicateCheckOutdatedError(invoice.key, sorted(unseen[invoice.key]))
            self._settle_version(session, invoice.key, actor=actor, flow_run_id=flow_run_id, now=now)
            entry = insert_entry(session, invoice, verdict, payload, flow_run_id, now)
            if verdict.status.holds_version and take_version_locks(session, [_identity_columns(entry)], now):
                raise VersionTakenError(invoice.key)
            if verdict.status.locks_po:
                acquire_po_lock(session, entry, now)
            record_findings(session, [(entry.id, verdict.findings)])
            copy_pulled_at(session, [entry.id])
            event = event_row(
                entry,
                None,
                verdict.status,
                actor=actor,
                reason=reason or f"judged by rule set {verdict.rule_set_version}",
                flow_run_id=flow_run_id,
                now=now,
            )
            session.add(event)
            self._outbox.queue(session, lambda: [entry_event(entry, event)], now)
            session.execute(
                update(InboxRow)
                .where(*matches_key(InboxRow, invoice.key))
                .values(state=INBOX_JUDGED, judged_at=now, entry_id=entry.id)
            )
            return Entry.from_row(entry)

    def record_batch(
        self,
        verdicts: Sequence[JudgedInvoice],
        *,
        actor: str,
        flow_run_id: str | None = None,
        seen_entry_ids: Collection[int] | None = None,
    ) -> BatchRecord:
        """Record a batch of verdicts in one transaction and a constant number of statements.

        An invoice version another writer recorded meanwhile is left out (`already_judged`), and
        a locking verdict whose PO another entry locked meanwhile is not recorded at all
        (`waiting_on_lock`: it stays in the inbox, to be judged again once the lock is released).
        With `seen_entry_ids` (the live entries the batch's duplicate check saw), an invoice whose
        vendor got an entry with the same number or total since is not recorded either
        (`judged_again`: it stays in the inbox, and the next batch judges it against that entry).
        Everything else is recorded with its creation event, its PO lock and its inbox row marked
        judged; if anything fails, nothing is.
        """
        now = self._clock()
        by_key = {judged.invoice.key: judged for judged in verdicts}
        prepared = _prepare(by_key, flow_run_id, now)
        if seen_entry_ids is not None:
            ensure_vendor_locks(self._sessions, [j.invoice.vendor_id for j in by_key.values()], now)
        with self._sessions.begin() as session:
            outdated = (
                {}
                if seen_entry_ids is None
                else unseen_duplicate_candidates(session, [j.invoice for j in by_key.values()], seen_entry_ids)
            )
            versions = settle_versions(
                session, by_key.keys() - outdated.keys(), self._outbox, actor=actor, flow_run_id=flow_run_id, now=now
            )
            skipped = outdated.keys() | versions.withdrawn | versions.waiting
            # Rows go in key order (and locks in PO order): concurrent writers then take the unique
            # index's locks in the same order and wait for each other instead of deadlocking.
            ordered = sorted((key for key in by_key if key not in skipped), key=_sort_key)
            failed = {key: reason for key in ordered if isinstance(reason := prepared[key], str)}
            mark_failed(session, failed)
            inserted = _insert_and_lock(
                session, [entry for key in ordered if isinstance(entry := prepared[key], dict)], now
            )
            self._record_creations(session, inserted.recorded, by_key, actor=actor, flow_run_id=flow_run_id, now=now)
            # waiting on its PO under the ERP's spelling, so the next batch passes it over while it is locked
            waiting = [key_of(row) for row in inserted.lost_lock]
            update_inbox_rows(session, [(key, {"po_number": by_key[key].invoice.po_number}) for key in waiting])
        recorded = {key_of(row): row["id"] for row in inserted.recorded}
        lost_keys = {key_of(row) for row in inserted.lost_lock}
        judged_again = outdated.keys() | {key_of(row) for row in inserted.lost_version}
        settled = recorded.keys() | lost_keys | failed.keys() | judged_again | skipped
        return BatchRecord(
            recorded=recorded,
            already_judged=tuple(key for key in by_key if key not in settled),
            waiting_on_lock=tuple(sorted(lost_keys, key=str)),
            failed=failed,
            judged_again=tuple(sorted(judged_again, key=str)),
            withdrawn=tuple(sorted(versions.withdrawn, key=str)),
            waiting_on_version=tuple(sorted(versions.waiting, key=str)),
        )

    def _settle_version(
        self, session: Session, key: InvoiceKey, *, actor: str, flow_run_id: str | None, now: datetime
    ) -> None:
        settled = settle_versions(session, [key], self._outbox, actor=actor, flow_run_id=flow_run_id, now=now)
        if key in settled.withdrawn:
            newest = newest_known_versions(session, [identity_of(key)])[identity_of(key)]
            raise NewerVersionKnownError(key, newest)
        if key in settled.waiting:
            holder = version_holders(session, [identity_of(key)])[identity_of(key)]
            raise EarlierVersionDispatchedError(key, holder.entry_id, holder.version)

    def _record_creations(
        self,
        session: Session,
        recorded: Sequence[Mapping[str, Any]],
        by_key: Mapping[InvoiceKey, JudgedInvoice],
        *,
        actor: str,
        flow_run_id: str | None,
        now: datetime,
    ) -> None:
        """The creation events of freshly inserted entries, their findings' rule ids, their webhooks,
        their inbox rows marked judged and their pull times."""
        if not recorded:
            return
        record_findings(session, [(row["id"], by_key[key_of(row)].verdict.findings) for row in recorded])
        copy_pulled_at(session, [row["id"] for row in recorded])
        events = []
        for row in recorded:
            verdict = by_key[key_of(row)].verdict
            events.append(
                {
                    "entry_id": row["id"],
                    "from_status": None,
                    "to_status": verdict.status.value,
                    "actor": actor[:NAME],
                    "reason": f"judged by rule set {verdict.rule_set_version}",
                    "flow_run_id": flow_run_id,
                    "occurred_at": now,
                }
            )
        session.execute(insert(EntryEventRow.__table__), events)

        def announcements() -> list[dict[str, Any]]:
            return [
                event_data({**row, **_invoice_identity(by_key[key_of(row)].invoice), "erp_document_id": None}, event)
                for row, event in zip(recorded, events, strict=True)
            ]

        self._outbox.queue(session, announcements, now)
        update_inbox_rows(
            session, [(key_of(row), {"entry_id": row["id"]}) for row in recorded], state=INBOX_JUDGED, judged_at=now
        )


def _identity_columns(entry: EntryRow) -> dict[str, Any]:
    return {
        "id": entry.id,
        "source": entry.source,
        "source_invoice_id": entry.source_invoice_id,
        "version": entry.version,
    }


def _sort_key(key: InvoiceKey) -> tuple[str, str, int]:
    return (key.source, key.source_invoice_id, key.version)


def _prepare(
    by_key: Mapping[InvoiceKey, JudgedInvoice], flow_run_id: str | None, now: datetime
) -> dict[InvoiceKey, dict[str, Any] | str]:
    """Each verdict's entry row, or why it cannot be recorded (e.g. a payload breaking its schema:
    that invoice fails, not the batch). Built before the transaction: most of a batch's CPU time,
    which would otherwise hold its vendor locks (and SQLite's one writer lock)."""
    prepared: dict[InvoiceKey, dict[str, Any] | str] = {}
    for key, judged in by_key.items():
        try:
            prepared[key] = entry_values(judged.invoice, judged.verdict, judged.payload, flow_run_id, now)
        except ValueError as error:
            prepared[key] = str(error)
    return prepared


def _insert_and_lock(session: Session, values: Sequence[dict[str, Any]], now: datetime) -> _Inserted:
    """Insert the entries not recorded yet, the version locks of the live ones and the PO locks of
    the locking ones. An entry whose invoice another version holds, or whose PO another writer
    locked meanwhile, is deleted again (it waits in the inbox)."""
    inserted = insert_returning_new(session, EntryRow.__table__, values, INVOICE_KEY, returning=_RECORDED)
    lost_ids = take_version_locks(session, [row for row in inserted if EntryStatus(row["status"]).holds_version], now)
    lost_version = [row for row in inserted if row["id"] in lost_ids]
    if lost_version:
        session.execute(delete(EntryRow).where(EntryRow.id.in_(sorted(lost_ids))))
    inserted = [row for row in inserted if row["id"] not in lost_ids]
    locking = sorted((row for row in inserted if EntryStatus(row["status"]).locks_po), key=lambda r: r["po_number"])
    locked = insert_returning_new(
        session,
        POLockRow.__table__,
        [{"po_number": row["po_number"], "entry_id": row["id"], "locked_at": now} for row in locking],
        ("po_number",),
        returning=("entry_id",),
    )
    lock_holders = {row["entry_id"] for row in locked}
    lost_lock = [row for row in locking if row["id"] not in lock_holders]
    if lost_lock:
        lost = [row["id"] for row in lost_lock]
        session.execute(delete(VersionLockRow).where(VersionLockRow.entry_id.in_(lost)))
        session.execute(delete(EntryRow).where(EntryRow.id.in_(lost)))
    return _Inserted(
        recorded=[row for row in inserted if row not in lost_lock], lost_lock=lost_lock, lost_version=lost_version
    )


def _invoice_identity(invoice: Invoice) -> dict[str, str]:
    return {"vendor_id": invoice.vendor_id, "invoice_number": invoice.invoice_number}
