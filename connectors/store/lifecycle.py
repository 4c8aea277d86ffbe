"""Entries and their lifecycle: legal status changes only, each one audited, with the PO lock
taken or released in the same transaction (`po_locks`' primary key decides between two writers)."""

from collections.abc import Collection
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from connectors.store.base import StorePart
from connectors.store.errors import (
    DuplicateCheckOutdatedError,
    EntryNotFoundError,
    EntrySupersededError,
    IllegalTransitionError,
    NoPayloadError,
    POLockedError,
)
from connectors.store.outbox import WebhookOutbox, entry_event
from connectors.store.read_models import Entry
from connectors.store.tables import NAME, EntryEventRow, EntryRow, ErpDocumentRow, POLockRow
from connectors.store.vendor_locks import ensure_vendor_locks, unseen_duplicate_candidates
from connectors.store.versions import release_version_lock
from domain import EntryStatus, Invoice, is_legal_transition
from domain.clock import Clock


class DuplicateRecheck(NamedTuple):
    """An entry's invoice judged again, and the live entries that judgement saw."""

    invoice: Invoice
    seen_entry_ids: Collection[int]


class EntryLifecycle(StorePart):
    def __init__(self, sessions: sessionmaker[Session], clock: Clock, outbox: WebhookOutbox) -> None:
        super().__init__(sessions, clock)
        self._outbox = outbox

    def transition(
        self,
        entry_id: int,
        to_status: EntryStatus,
        *,
        actor: str,
        reason: str,
        erp_document_id: str | None = None,
        flow_run_id: str | None = None,
        only_from: EntryStatus | None = None,
        recheck: DuplicateRecheck | None = None,
    ) -> Entry:
        """Move an entry to `to_status`, taking or releasing its PO lock, and audit the change.

        `only_from` narrows the legal moves to one starting status (approve moves manual_review
        to ready, requeue moves rpa_failed to ready). The entry row is locked first (SELECT ...
        FOR UPDATE), so of two concurrent moves of one entry the second sees the first's result.
        With `recheck` (an entry judged again before it goes to the bot), the move waits its turn
        on the vendor lock as recorders do, and raises DuplicateCheckOutdatedError when an entry
        the new judgement did not see could make it a duplicate.
        """
        if recheck is not None:
            ensure_vendor_locks(self._sessions, [recheck.invoice.vendor_id], self._clock())
        with self._sessions.begin() as session:
            if recheck is not None:  # vendor first, entry second: the order recorders lock in
                unseen = unseen_duplicate_candidates(session, [recheck.invoice], recheck.seen_entry_ids)
                if unseen:
                    raise DuplicateCheckOutdatedError(recheck.invoice.key, sorted(unseen[recheck.invoice.key]))
            entry = lock_entry(session, entry_id)
            if EntryStatus(entry.status) is EntryStatus.SUPERSEDED:
                raise EntrySupersededError(entry_id, EntryStatus(to_status), entry.superseded_by_version)
            if only_from is not None and EntryStatus(entry.status) is not only_from:
                raise IllegalTransitionError(
                    entry_id, EntryStatus(entry.status), EntryStatus(to_status), only_from=only_from
                )
            self.move(
                session,
                entry,
                EntryStatus(to_status),
                actor=actor,
                reason=reason,
                flow_run_id=flow_run_id,
                erp_document_id=erp_document_id,
            )
            return Entry.from_row(entry)

    def release_stale_dispatches(self, dispatched_before: datetime, *, actor: str, reason: str) -> list[int]:
        """Put entries dispatched before `dispatched_before` back to ready_to_process, one audited
        transaction each; returns their ids. An entry whose bot called back meanwhile is left alone."""
        query = select(EntryRow.id).where(
            EntryRow.status == EntryStatus.DISPATCHED.value, EntryRow.updated_at < dispatched_before
        )
        with self._sessions.begin() as session:
            stale = list(session.scalars(query.order_by(EntryRow.id)))
        released = []
        for entry_id in stale:
            try:
                self.transition(entry_id, EntryStatus.READY_TO_PROCESS, actor=actor, reason=reason)
            except IllegalTransitionError:
                continue  # the bot's callback came in between: nothing to release
            released.append(entry_id)
        return released

    def move(
        self,
        session: Session,
        entry: EntryRow,
        to_status: EntryStatus,
        *,
        actor: str,
        reason: str,
        flow_run_id: str | None = None,
        erp_document_id: str | None = None,
        dispatched_to: str | None = None,
        failure_reason: str | None = None,
    ) -> None:
        """The one way an entry changes status: legal moves only, the PO lock taken or released,
        one audit event and its webhooks, all in the caller's transaction on a locked entry."""
        from_status = EntryStatus(entry.status)
        if not is_legal_transition(from_status, to_status):
            raise IllegalTransitionError(entry.id, from_status, to_status)
        if to_status is EntryStatus.READY_TO_PROCESS and entry.payload is None:
            raise NoPayloadError(entry.id)
        now = self._clock()
        if to_status.locks_po and not from_status.locks_po:
            acquire_po_lock(session, entry, now)
        elif from_status.locks_po and not to_status.locks_po:
            session.execute(delete(POLockRow).where(POLockRow.entry_id == entry.id))
        if from_status.holds_version and not to_status.holds_version:
            release_version_lock(session, entry.id)
        entry.status = to_status.value
        entry.updated_at = now
        if to_status is EntryStatus.ENTERED:  # final: it becomes entered once
            entry.entered_at = now
        # who holds it and why the bot failed describe the current status only
        entry.dispatched_to = dispatched_to
        entry.failure_reason = failure_reason
        if erp_document_id is not None:
            entry.erp_document_id = erp_document_id
            session.add(
                ErpDocumentRow(entry_id=entry.id, erp_document_id=erp_document_id, reported_by=actor, reported_at=now)
            )
        event = event_row(entry, from_status, to_status, actor=actor, reason=reason, flow_run_id=flow_run_id, now=now)
        session.add(event)
        self._outbox.queue(session, lambda: [entry_event(entry, event)], now)
        session.flush()


def lock_entry(session: Session, entry_id: int) -> EntryRow:
    entry = session.scalars(select(EntryRow).where(EntryRow.id == entry_id).with_for_update()).one_or_none()
    if entry is None:
        raise EntryNotFoundError(entry_id)
    return entry


def acquire_po_lock(session: Session, entry: EntryRow, now: datetime) -> None:
    """Insert the PO's lock row; a concurrent holder makes this wait for its commit, then fail."""
    try:
        with session.begin_nested():
            session.add(POLockRow(po_number=entry.po_number, entry_id=entry.id, locked_at=now))
    except IntegrityError:
        # A locking read sees the holder's committed row even under MariaDB's REPEATABLE READ.
        holder = session.scalar(
            select(POLockRow.entry_id).where(POLockRow.po_number == entry.po_number).with_for_update(read=True)
        )
        status = None if holder is None else session.scalar(select(EntryRow.status).where(EntryRow.id == holder))
        raise POLockedError(entry.po_number, holder, None if status is None else EntryStatus(status)) from None


def event_row(
    entry: EntryRow,
    from_status: EntryStatus | None,
    to_status: EntryStatus,
    *,
    actor: str,
    reason: str,
    flow_run_id: str | None,
    now: datetime,
) -> EntryEventRow:
    return EntryEventRow(
        entry_id=entry.id,
        from_status=None if from_status is None else from_status.value,
        to_status=to_status.value,
        actor=actor[:NAME],
        reason=reason,
        flow_run_id=flow_run_id,
        occurred_at=now,
    )
