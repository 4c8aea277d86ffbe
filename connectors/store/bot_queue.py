"""The RPA bot's queue: claims (each entry handed out once), dispatch by other means (mail),
and the bot's callbacks, which may be repeated safely."""

from collections.abc import Callable
from datetime import datetime
from enum import Enum

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from connectors.store.base import StorePart
from connectors.store.engine import is_deadlock
from connectors.store.errors import (
    AlreadyEnteredError,
    CallbackConflictError,
    IllegalTransitionError,
    NotClaimHolderError,
)
from connectors.store.lifecycle import EntryLifecycle, event_row, lock_entry
from connectors.store.outbox import WebhookOutbox, double_entry_event
from connectors.store.read_models import Entry
from connectors.store.tables import EntryEventRow, EntryRow, ErpDocumentRow
from domain import EntryStatus
from domain.clock import Clock

_DEADLOCK_RETRIES = 3
# A claim's holder is a bot (its API key's actor); an entry mailed to a mailbox may be reported by any bot.
BOT_ACTOR_PREFIX = "bot:"


class BotQueue(StorePart):
    def __init__(
        self, sessions: sessionmaker[Session], clock: Clock, lifecycle: EntryLifecycle, outbox: WebhookOutbox
    ) -> None:
        super().__init__(sessions, clock)
        self._lifecycle = lifecycle
        self._outbox = outbox

    def claim_next(self, bot: str) -> Entry | None:
        """Hand the entry ready the longest to `bot`, now dispatched to it; None when none is ready.

        Concurrent claimers skip rows another claimer holds (FOR UPDATE SKIP LOCKED; SQLite's
        BEGIN IMMEDIATE lets one writer at a time), so no entry is handed out twice.
        """
        # MariaDB may still pick one of two claims as a deadlock victim (the claimed row's status
        # index entry is locked by the update while the other claim scans that index): it rolled
        # back in full, so it is simply claimed again.
        for _ in range(_DEADLOCK_RETRIES):
            try:
                return self._claim_once(bot)
            except DBAPIError as error:
                if not is_deadlock(error):
                    raise
        return self._claim_once(bot)

    def _claim_once(self, bot: str) -> Entry | None:
        query = (
            select(EntryRow)
            .where(EntryRow.status == EntryStatus.READY_TO_PROCESS.value)
            .order_by(EntryRow.updated_at, EntryRow.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        with self._sessions.begin() as session:
            entry = session.scalars(query).first()
            if entry is None:
                return None
            self._lifecycle.move(
                session, entry, EntryStatus.DISPATCHED, actor=bot, reason=f"claimed by {bot}", dispatched_to=bot
            )
            return Entry.from_row(entry)

    def ready_entry_ids(self, limit: int) -> list[int]:
        """Ids of up to `limit` entries ready for the bot, the one ready the longest first (as claimed)."""
        query = (
            select(EntryRow.id)
            .where(EntryRow.status == EntryStatus.READY_TO_PROCESS.value)
            .order_by(EntryRow.updated_at, EntryRow.id)
            .limit(limit)
        )
        with self._sessions.begin() as session:
            return list(session.scalars(query))

    def dispatch(self, entry_id: int, *, to: str, actor: str, reason: str, hand_over: Callable[[Entry], None]) -> Entry:
        """Dispatch a ready entry by other means than a claim (mail): `hand_over` runs while the
        entry is locked, and the entry is marked dispatched only when it returned; if it raises,
        nothing changes."""
        with self._sessions.begin() as session:
            entry = lock_entry(session, entry_id)
            if EntryStatus(entry.status) is not EntryStatus.READY_TO_PROCESS:
                raise IllegalTransitionError(entry_id, EntryStatus(entry.status), EntryStatus.DISPATCHED)
            hand_over(Entry.from_row(entry))
            self._lifecycle.move(session, entry, EntryStatus.DISPATCHED, actor=actor, reason=reason, dispatched_to=to)
            return Entry.from_row(entry)

    def record_success(self, entry_id: int, erp_document_id: str, *, bot: str) -> Entry:
        """The bot entered the invoice as `erp_document_id`: entered, its PO released.

        Reported by the claim holder, or late by a bot that held an earlier claim: accepted while
        the entry is back in the queue, with another bot, or failed by another bot, since the
        invoice is in the ERP whatever happened since (the other bot's callback then gets
        AlreadyEnteredError). Another document for an entered entry is recorded beside the first
        and flags the entry as a possible double entry, then raises AlreadyEnteredError.
        """
        refused: Exception | None = None
        with self._sessions.begin() as session:
            entry = lock_entry(session, entry_id)
            status = EntryStatus(entry.status)
            reporter = _reporter_of(session, entry, bot)
            if status is EntryStatus.ENTERED and erp_document_id == entry.erp_document_id:
                return Entry.from_row(entry)  # the same callback again
            reason = f"entered in the ERP as document {erp_document_id}"
            if reporter is _Reporter.STRANGER and status is EntryStatus.DISPATCHED:
                refused = self._refuse_stranger(
                    session, entry, bot, f"{EntryStatus.ENTERED} (erp_document_id {erp_document_id!r})"
                )
            elif status is EntryStatus.ENTERED and reporter is _Reporter.STRANGER:
                # it never held the entry, so it cannot have keyed it
                raise AlreadyEnteredError(entry_id, entry.erp_document_id, None)
            elif status is EntryStatus.ENTERED:
                self._record_another_document(session, entry, erp_document_id, bot=bot)
                refused = AlreadyEnteredError(entry_id, entry.erp_document_id, erp_document_id)
            elif reporter is _Reporter.HOLDER and status is EntryStatus.DISPATCHED:
                self._lifecycle.move(
                    session, entry, EntryStatus.ENTERED, actor=bot, reason=reason, erp_document_id=erp_document_id
                )
                return Entry.from_row(entry)
            elif (
                reporter is _Reporter.EARLIER_HOLDER
                and status in _LATE_SUCCESS_FROM
                and _failed_by(session, entry) != bot
            ):
                late = f"{reason}, reported late by {bot}, which held an earlier claim (the entry was {status} since)"
                self._lifecycle.move(
                    session, entry, EntryStatus.ENTERED, actor=bot, reason=late, erp_document_id=erp_document_id
                )
                return Entry.from_row(entry)
            else:
                why = f"only a dispatched entry can be reported {EntryStatus.ENTERED}."
                if reporter is not _Reporter.STRANGER:
                    # It held the entry once: the document it reports stays in the audit trail for AP.
                    _audit_refusal(session, entry, bot, f"refused: {bot} reported it {reason}: {why}", self._clock())
                refused = CallbackConflictError(entry_id, status, why)
        raise refused

    def record_failure(self, entry_id: int, reason: str, *, bot: str) -> Entry:
        """The bot could not enter the invoice: rpa_failed, its PO still locked until AP decides."""
        refused: Exception | None = None
        with self._sessions.begin() as session:
            entry = lock_entry(session, entry_id)
            status = EntryStatus(entry.status)
            if status is EntryStatus.RPA_FAILED:
                if entry.failure_reason != reason:
                    raise CallbackConflictError(
                        entry_id,
                        status,
                        f"it was already reported {status} with failure_reason {entry.failure_reason!r}, not {reason!r}.",
                    )
                return Entry.from_row(entry)  # the same callback again
            if status is EntryStatus.ENTERED:
                raise AlreadyEnteredError(entry_id, entry.erp_document_id, None)
            if status is not EntryStatus.DISPATCHED:
                raise CallbackConflictError(
                    entry_id, status, f"only a dispatched entry can be reported {EntryStatus.RPA_FAILED}."
                )
            if _reporter_of(session, entry, bot) is _Reporter.HOLDER:
                self._lifecycle.move(
                    session, entry, EntryStatus.RPA_FAILED, actor=bot, reason=reason, failure_reason=reason
                )
                return Entry.from_row(entry)
            refused = self._refuse_stranger(
                session, entry, bot, f"{EntryStatus.RPA_FAILED} (failure_reason {reason!r})"
            )
        raise refused

    def _refuse_stranger(self, session: Session, entry: EntryRow, bot: str, report: str) -> NotClaimHolderError:
        """Audit a callback from a bot that never held the entry; the entry is unchanged."""
        holder = entry.dispatched_to or "another bot"
        _audit_refusal(
            session, entry, bot, f"refused: {bot} reported {report} on an entry {holder} holds", self._clock()
        )
        return NotClaimHolderError(entry.id, bot, holder)

    def _record_another_document(self, session: Session, entry: EntryRow, erp_document_id: str, *, bot: str) -> None:
        """Keep a second document reported for an entered entry and flag the entry for AP, once."""
        known = (
            select(ErpDocumentRow.erp_document_id)
            .where(ErpDocumentRow.entry_id == entry.id)
            .order_by(ErpDocumentRow.id)
        )
        documents = list(session.scalars(known))
        if erp_document_id in documents:
            return  # recorded and flagged by the same report before
        now = self._clock()
        session.add(
            ErpDocumentRow(entry_id=entry.id, erp_document_id=erp_document_id, reported_by=bot, reported_at=now)
        )
        entry.possible_double_entry = True
        entry.updated_at = now
        reason = (
            f"possible double entry: {bot} reported it entered as document {erp_document_id}, but it was entered "
            f"as {entry.erp_document_id}; check the ERP for a second posting"
        )
        event = event_row(
            entry, EntryStatus.ENTERED, EntryStatus.ENTERED, actor=bot, reason=reason, flow_run_id=None, now=now
        )
        session.add(event)
        self._outbox.queue(session, lambda: [double_entry_event(entry, event, [*documents, erp_document_id])], now)


class _Reporter(Enum):
    HOLDER = "holds the claim (or the entry is with a mailbox any bot reports for)"
    EARLIER_HOLDER = "held an earlier claim of the entry"
    STRANGER = "never held the entry"


# Where a late success of an earlier claim holder may find the entry: the invoice is in the ERP.
_LATE_SUCCESS_FROM = frozenset({EntryStatus.DISPATCHED, EntryStatus.READY_TO_PROCESS, EntryStatus.RPA_FAILED})


def _reporter_of(session: Session, entry: EntryRow, bot: str) -> _Reporter:
    holder = entry.dispatched_to
    if entry.status == EntryStatus.DISPATCHED.value and (holder == bot or not _is_bot(holder)):
        return _Reporter.HOLDER
    claims = select(EntryEventRow.actor).where(
        EntryEventRow.entry_id == entry.id, EntryEventRow.to_status == EntryStatus.DISPATCHED.value
    )
    earlier = set(session.scalars(claims.distinct()))
    # an earlier dispatch not claimed by a bot went to a mailbox, which any bot may have keyed from
    if bot in earlier or any(not _is_bot(actor) for actor in earlier):
        return _Reporter.EARLIER_HOLDER
    return _Reporter.STRANGER


def _is_bot(actor: str | None) -> bool:
    return actor is not None and actor.startswith(BOT_ACTOR_PREFIX)


def _failed_by(session: Session, entry: EntryRow) -> str | None:
    """The bot that reported the entry's last failure, if it is rpa_failed: its own success after that contradicts it."""
    if entry.status != EntryStatus.RPA_FAILED.value:
        return None
    last_failure = (
        select(EntryEventRow.actor)
        .where(EntryEventRow.entry_id == entry.id, EntryEventRow.to_status == EntryStatus.RPA_FAILED.value)
        .order_by(EntryEventRow.id.desc())
        .limit(1)
    )
    return session.scalar(last_failure)


def _audit_refusal(session: Session, entry: EntryRow, bot: str, reason: str, now: datetime) -> None:
    status = EntryStatus(entry.status)
    session.add(event_row(entry, status, status, actor=bot, reason=reason, flow_run_id=None, now=now))
