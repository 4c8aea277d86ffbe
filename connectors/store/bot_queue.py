"""The RPA bot's queue: claims (each entry handed out once), dispatch by other means (mail),
and the bot's callbacks, which may be repeated safely."""

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from connectors.store.base import StorePart
from connectors.store.engine import is_deadlock
from connectors.store.errors import CallbackConflictError, IllegalTransitionError, NotClaimHolderError
from connectors.store.lifecycle import EntryLifecycle, event_row, lock_entry
from connectors.store.read_models import Entry
from connectors.store.tables import EntryRow
from domain import EntryStatus
from domain.clock import Clock

_DEADLOCK_RETRIES = 3
# A claim's holder is a bot (its API key's actor); an entry mailed to a mailbox may be reported by any bot.
BOT_ACTOR_PREFIX = "bot:"


class BotQueue(StorePart):
    def __init__(self, sessions: sessionmaker[Session], clock: Clock, lifecycle: EntryLifecycle) -> None:
        super().__init__(sessions, clock)
        self._lifecycle = lifecycle

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
        """The bot entered the invoice as `erp_document_id`: entered, its PO released."""
        return self._callback(
            entry_id,
            EntryStatus.ENTERED,
            bot=bot,
            reason=f"entered in the ERP as document {erp_document_id}",
            erp_document_id=erp_document_id,
        )

    def record_failure(self, entry_id: int, reason: str, *, bot: str) -> Entry:
        """The bot could not enter the invoice: rpa_failed, its PO still locked until AP decides."""
        return self._callback(entry_id, EntryStatus.RPA_FAILED, bot=bot, reason=reason, failure_reason=reason)

    def _callback(self, entry_id: int, outcome: EntryStatus, *, bot: str, reason: str, **reported: str) -> Entry:
        """Move a dispatched entry to the outcome the bot reports. `reported` is the one column the
        callback sets (erp_document_id, failure_reason): the same callback again changes nothing and
        returns the entry as it is; one reporting another value contradicts it."""
        [(column, value)] = reported.items()
        refused: NotClaimHolderError | None = None
        with self._sessions.begin() as session:
            entry = lock_entry(session, entry_id)
            status = EntryStatus(entry.status)
            if status is outcome:
                recorded = getattr(entry, column)
                if recorded != value:
                    raise CallbackConflictError(
                        entry_id,
                        status,
                        f"it was already reported {outcome} with {column} {recorded!r}, not {value!r}.",
                    )
                return Entry.from_row(entry)
            if status is not EntryStatus.DISPATCHED:
                raise CallbackConflictError(entry_id, status, f"only a dispatched entry can be reported {outcome}.")
            holder = entry.dispatched_to
            if holder is None or not holder.startswith(BOT_ACTOR_PREFIX) or holder == bot:
                self._lifecycle.move(session, entry, outcome, actor=bot, reason=reason, **reported)
                return Entry.from_row(entry)
            # Audited, the entry unchanged: the refusal is committed, then raised.
            refusal = f"refused: {bot} reported {outcome} ({column} {value!r}) on an entry {holder} holds"
            session.add(
                event_row(entry, status, status, actor=bot, reason=refusal, flow_run_id=None, now=self._clock())
            )
            refused = NotClaimHolderError(entry_id, bot, holder)
        raise refused
