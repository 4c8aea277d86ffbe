"""`ProcessStore`: the only writer of the service's own tables.

Every public method is one transaction; every status change writes exactly one audit event
in that transaction. The PO lock lives in `po_locks`, whose primary key lets the database,
not this process, decide which of two concurrent writers gets a PO.
"""

import json
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Self

from sqlalchemy import Engine, Select, and_, bindparam, case, delete, func, insert, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from connectors.store.accounts import AccountStore
from connectors.store.bulk import insert_new_rows, insert_returning_new, upsert_rows
from connectors.store.column_types import MONEY_QUANTUM
from connectors.store.engine import READ_ONLY, is_deadlock, make_engine
from connectors.store.partitions import VendorPartition, vendor_hash
from connectors.store.pulled import InboxRowIdentity, PulledInvoices
from connectors.store.errors import (
    CallbackConflictError,
    DuplicateCheckOutdatedError,
    EntryExistsError,
    EntryNotFoundError,
    IllegalTransitionError,
    NoPayloadError,
    POLockedError,
)
from connectors.store.read_models import (
    BatchRecord,
    Entry,
    EntryEvent,
    EntryPage,
    EntrySummary,
    InboxCounts,
    InboxItem,
    JudgedInvoice,
    PullRecord,
    WebhookDelivery,
)
from connectors.store.tables import (
    CODE,
    INBOX_FAILED,
    INBOX_JUDGED,
    INBOX_WAITING,
    NAME,
    WEBHOOK_DELIVERED,
    WEBHOOK_FAILED,
    WEBHOOK_PENDING,
    EntryEventRow,
    EntryRow,
    InboxRow,
    IntakeErrorRow,
    POLockRow,
    PullCursorRow,
    VendorLockRow,
    WebhookDeliveryRow,
)
from domain.payload_schema import payload_json
from domain import (
    EntryStatus,
    IntakeError,
    Invoice,
    InvoiceKey,
    RpaPayload,
    Verdict,
    duplicate_keys,
    is_legal_transition,
)
from domain.models import DuplicateKey

_INVOICE_KEY = ("source", "source_invoice_id", "version")
_DEADLOCK_RETRIES = 3
_RECORDED = ("id", *_INVOICE_KEY, "po_number", "status")
# Entered invoices are in the ERP, where the gateway finds them for duplicate checks; keeping
# them here too would make every batch read a vendor's whole history.
_NOT_LIVE = (EntryStatus.REJECTED.value, EntryStatus.BAD_INVOICE.value, EntryStatus.ENTERED.value)
# Lists read only these columns: the JSON documents stay in the database.
_SUMMARY_COLUMNS = tuple(getattr(EntryRow, name) for name in EntrySummary.model_fields)


class ProcessStore:
    """Inbox, intake errors, pull cursors, process entries, their audit trail and PO locks.

    Build it with `from_url`, or from a sessionmaker over an engine from `make_engine`
    (tests pass one bound to a connection with join_transaction_mode="create_savepoint").
    """

    def __init__(self, sessions: sessionmaker[Session], *, webhook_urls: Sequence[str] = ()) -> None:
        self._sessions = sessions
        self._own_engine: Engine | None = None
        # Every entry creation and status change is queued for each of these in its own transaction.
        self._webhook_urls = tuple(webhook_urls)
        self._pulled = PulledInvoices()
        self.accounts = AccountStore(sessions)

    @classmethod
    def from_url(cls, url: str, *, webhook_urls: Sequence[str] = ()) -> Self:
        engine = make_engine(url)
        store = cls(sessionmaker(bind=engine, expire_on_commit=False), webhook_urls=webhook_urls)
        store._own_engine = engine
        return store

    def close(self) -> None:
        """Close the connections of a store built by `from_url` (nothing to do otherwise)."""
        if self._own_engine is not None:
            self._own_engine.dispose()

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        """A transaction that only reads. On SQLite it takes no write lock, so the poll's judging
        processes and the API read while another process records (engine.READ_ONLY)."""
        with self._sessions.begin() as session:
            session.connection(execution_options={READ_ONLY: True})
            yield session

    # ------------------------------------------------------------------ intake

    def record_pull(
        self,
        source: str,
        invoices: Sequence[Invoice],
        errors: Sequence[IntakeError],
        cursor: str | None,
        *,
        judged_here: VendorPartition | None = None,
    ) -> PullRecord:
        """Queue the invoices not seen before, record the unreadable ones, move the cursor (None: keep it).

        The new invoices are also kept in memory for `waiting_invoices` to hand out without
        reading them back; with `judged_here`, only those of the vendors this process judges.
        """
        _require_source(source, [*invoices, *errors])
        now = _utc_now()
        # Keyed dicts drop repeats within the batch (PostgreSQL refuses to upsert one row twice in a statement).
        by_key = {invoice.key: invoice for invoice in invoices}
        inbox_rows = [_inbox_row(invoice, now) for invoice in by_key.values()]
        error_rows = list({error.key: _intake_error_row(error, now) for error in errors}.values())
        with self._sessions.begin() as session:
            inserted = insert_returning_new(session, InboxRow.__table__, inbox_rows, _INVOICE_KEY, returning=("id", *_INVOICE_KEY))
            upsert_rows(
                session,
                IntakeErrorRow.__table__,
                error_rows,
                _INVOICE_KEY,
                update=("po_number", "vendor_id", "errors", "last_seen_at"),
            )
            if cursor is not None:
                cursor_row = {"source": source, "cursor": cursor, "updated_at": now}
                upsert_rows(session, PullCursorRow.__table__, [cursor_row], ("source",), update=("cursor", "updated_at"))
        # only once committed: a rolled-back row's id may be given to another invoice
        held = [(InboxRowIdentity(pulled_at=now, **row), by_key[_key_of(row)]) for row in inserted]
        self._pulled.hold([(row, invoice) for row, invoice in held if judged_here is None or judged_here.contains(invoice.vendor_id)])
        return PullRecord(
            new_invoices=len(inserted),
            already_known=len(inbox_rows) - len(inserted),
            errors_recorded=len(error_rows),
        )

    def load_cursor(self, source: str) -> str | None:
        with self._reading() as session:
            return session.scalar(select(PullCursorRow.cursor).where(PullCursorRow.source == source))

    def waiting_invoices(
        self, limit: int, *, exclude_locked_pos: bool = False, partition: VendorPartition | None = None
    ) -> list[InboxItem]:
        """The oldest invoices still waiting to be judged (of the partition's vendors only, if given).

        With `exclude_locked_pos`, invoices whose PO is locked are passed over, so a run is not
        filled with invoices it cannot judge yet while newer ones wait behind them.
        """
        query = (
            select(InboxRow.id, InboxRow.source, InboxRow.source_invoice_id, InboxRow.version, InboxRow.pulled_at)
            .where(InboxRow.state == INBOX_WAITING)
            .order_by(InboxRow.pulled_at, InboxRow.id)
            .limit(limit)
        )
        if exclude_locked_pos:
            query = query.where(~select(POLockRow.po_number).where(POLockRow.po_number == InboxRow.po_number).exists())
        if partition is not None and partition.count > 1:
            query = query.where(InboxRow.vendor_hash % partition.count == partition.index)
        with self._reading() as session:
            rows = [InboxRowIdentity(**row) for row in session.execute(query).mappings()]
            invoices: dict[int, Invoice | dict[str, Any] | None] = {row.id: self._pulled.take(row) for row in rows}
            unheld = [row_id for row_id, invoice in invoices.items() if invoice is None]
            if unheld:  # pulled by another process or before a restart: read and validate its JSON
                invoices.update(session.execute(select(InboxRow.id, InboxRow.invoice).where(InboxRow.id.in_(unheld))).tuples().all())
        return [InboxItem(id=row.id, invoice=invoices[row.id], pulled_at=row.pulled_at) for row in rows]

    def locked_po_numbers(self, po_numbers: Iterable[str]) -> set[str]:
        """Which of these POs are locked right now."""
        query = select(POLockRow.po_number).where(POLockRow.po_number.in_(sorted(set(po_numbers))))
        with self._reading() as session:
            return set(session.scalars(query))

    def po_lock_holder(self, po_number: str) -> int | None:
        """The id of the entry holding this PO's lock, or None when the PO is free."""
        with self._reading() as session:
            return session.scalar(select(POLockRow.entry_id).where(POLockRow.po_number == po_number))

    # ------------------------------------------------------------------ entries

    def find_entry(self, key: InvoiceKey) -> Entry | None:
        """The entry of this invoice version, if it was judged already."""
        with self._reading() as session:
            row = session.scalars(select(EntryRow).where(*_matches_key(EntryRow, key))).one_or_none()
            return None if row is None else _entry_model(row)

    def create_entry(
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
        when the verdict locks a PO another entry holds; either way nothing is written.
        """
        now = _utc_now()
        if seen_entry_ids is not None:
            self._ensure_vendor_locks([invoice.vendor_id], now)
        with self._sessions.begin() as session:
            if seen_entry_ids is not None:
                unseen = _unseen_duplicate_candidates(session, [invoice], seen_entry_ids)
                if unseen:
                    raise DuplicateCheckOutdatedError(invoice.key, sorted(unseen[invoice.key]))
            entry = _insert_entry(session, invoice, verdict, payload, flow_run_id, now)
            if verdict.status.locks_po:
                _acquire_po_lock(session, entry, now)
            event = _event_row(
                entry,
                None,
                verdict.status,
                actor=actor,
                reason=reason or f"judged by rule set {verdict.rule_set_version}",
                flow_run_id=flow_run_id,
                now=now,
            )
            session.add(event)
            self._queue_webhooks(session, lambda: [_webhook_event(entry, event)], now)
            session.execute(
                update(InboxRow)
                .where(*_matches_key(InboxRow, invoice.key))
                .values(state=INBOX_JUDGED, judged_at=now, entry_id=entry.id)
            )
            return _entry_model(entry)

    def record_verdicts(
        self,
        verdicts: Sequence[JudgedInvoice],
        *,
        actor: str,
        flow_run_id: str | None = None,
        seen_entry_ids: Collection[int] | None = None,
    ) -> BatchRecord:
        """Record a batch of verdicts in one transaction and a constant number of statements.

        The database settles every race: an invoice version another writer recorded meanwhile
        is left out (`already_judged`), and a locking verdict whose PO another entry locked
        meanwhile is not recorded at all (`waiting_on_lock`: it stays in the inbox, to be judged
        again once the lock is released). With `seen_entry_ids` (the live entries the batch's
        duplicate check saw), an invoice whose vendor got an entry with the same number or total
        since is not recorded either (`judged_again`: it stays in the inbox, and the next batch
        judges it against that entry). Everything else is recorded with its creation event,
        its PO lock and its inbox row marked judged; if anything fails, nothing is.
        """
        now = _utc_now()
        by_key = {judged.invoice.key: judged for judged in verdicts}
        # Payloads and JSON documents are built before the transaction: most of a batch's CPU
        # time, which would otherwise hold its vendor locks (and SQLite's one writer lock).
        prepared: dict[InvoiceKey, dict[str, Any] | str] = {}
        for key, judged in by_key.items():
            try:
                prepared[key] = _entry_values(judged.invoice, judged.verdict, judged.payload, flow_run_id, now)
            except ValueError as error:  # e.g. a payload breaking its schema: that invoice fails, not the batch
                prepared[key] = str(error)
        if seen_entry_ids is not None:
            self._ensure_vendor_locks([j.invoice.vendor_id for j in by_key.values()], now)
        with self._sessions.begin() as session:
            outdated = (
                {}
                if seen_entry_ids is None
                else _unseen_duplicate_candidates(session, [j.invoice for j in by_key.values()], seen_entry_ids)
            )
            # Rows go in key order (and locks in PO order): concurrent writers then take the unique
            # index's locks in the same order and wait for each other instead of deadlocking.
            ordered = sorted(
                (key for key in by_key if key not in outdated), key=lambda k: (k.source, k.source_invoice_id, k.version)
            )
            values = [entry for key in ordered if isinstance(entry := prepared[key], dict)]
            failed = {key: reason for key in ordered if isinstance(reason := prepared[key], str)}
            _mark_failed(session, failed)
            inserted = insert_returning_new(session, EntryRow.__table__, values, _INVOICE_KEY, returning=_RECORDED)
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
                session.execute(delete(EntryRow).where(EntryRow.id.in_([row["id"] for row in lost_lock])))
            recorded = [row for row in inserted if row not in lost_lock]
            self._record_creations(session, recorded, by_key, actor=actor, flow_run_id=flow_run_id, now=now)
        recorded_keys = {_key_of(row) for row in recorded}
        lost_keys = {_key_of(row) for row in lost_lock}
        return BatchRecord(
            recorded={_key_of(row): row["id"] for row in recorded},
            already_judged=tuple(
                k for k in by_key if k not in recorded_keys | lost_keys and k not in failed and k not in outdated
            ),
            waiting_on_lock=tuple(sorted(lost_keys, key=str)),
            failed=failed,
            judged_again=tuple(sorted(outdated, key=str)),
        )

    def inbox_counts(self) -> InboxCounts:
        """How many pulled invoices wait (and how many of those on a locked PO), and how many failed."""
        locked = select(POLockRow.po_number).where(POLockRow.po_number == InboxRow.po_number).exists()
        def how_many(*conditions: Any) -> Any:  # SUM(CASE ...): MariaDB has no COUNT(*) FILTER
            return func.coalesce(func.sum(case((and_(*conditions), 1), else_=0)), 0)

        query = select(
            how_many(InboxRow.state == INBOX_WAITING),
            how_many(InboxRow.state == INBOX_WAITING, locked),
            how_many(InboxRow.state == INBOX_FAILED),
        )
        with self._reading() as session:
            waiting, on_locked_po, failed = session.execute(query).one()
        return InboxCounts(waiting=int(waiting), waiting_on_lock=int(on_locked_po), failed=int(failed))

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
        """The creation events of freshly inserted entries, and their inbox rows marked judged."""
        if not recorded:
            return
        events = []
        for row in recorded:
            verdict = by_key[_key_of(row)].verdict
            events.append({
                "entry_id": row["id"], "from_status": None, "to_status": verdict.status.value, "actor": actor[:NAME],
                "reason": f"judged by rule set {verdict.rule_set_version}", "flow_run_id": flow_run_id, "occurred_at": now,
            })
        session.execute(insert(EntryEventRow.__table__), events)

        def announcements() -> list[dict[str, Any]]:
            return [
                _webhook_event_data({**row, **_invoice_identity(by_key[_key_of(row)].invoice), "erp_document_id": None}, event)
                for row, event in zip(recorded, events, strict=True)
            ]

        self._queue_webhooks(session, announcements, now)
        _update_inbox_rows(
            session, [(_key_of(row), {"entry_id": row["id"]}) for row in recorded], state=INBOX_JUDGED, judged_at=now
        )

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
    ) -> Entry:
        """Move an entry to `to_status`, taking or releasing its PO lock, and audit the change.

        `only_from` narrows the legal moves to one starting status (approve moves manual_review
        to ready, requeue moves rpa_failed to ready). The entry row is locked first (SELECT ...
        FOR UPDATE), so of two concurrent moves of one entry the second sees the first's result.
        """
        with self._sessions.begin() as session:
            entry = _lock_entry(session, entry_id)
            if only_from is not None and EntryStatus(entry.status) is not only_from:
                raise IllegalTransitionError(entry_id, EntryStatus(entry.status), EntryStatus(to_status))
            self._move(session, entry, EntryStatus(to_status), actor=actor, reason=reason, flow_run_id=flow_run_id,
                       erp_document_id=erp_document_id)
            return _entry_model(entry)

    # ------------------------------------------------------------------ the RPA bot

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
            self._move(session, entry, EntryStatus.DISPATCHED, actor=bot, reason=f"claimed by {bot}", dispatched_to=bot)
            return _entry_model(entry)

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
            entry = _lock_entry(session, entry_id)
            if EntryStatus(entry.status) is not EntryStatus.READY_TO_PROCESS:
                raise IllegalTransitionError(entry_id, EntryStatus(entry.status), EntryStatus.DISPATCHED)
            hand_over(_entry_model(entry))
            self._move(session, entry, EntryStatus.DISPATCHED, actor=actor, reason=reason, dispatched_to=to)
            return _entry_model(entry)

    def record_bot_success(self, entry_id: int, erp_document_id: str, *, bot: str) -> Entry:
        """The bot entered the invoice as `erp_document_id`: entered, its PO released."""
        return self._bot_callback(
            entry_id, EntryStatus.ENTERED, bot=bot, reason=f"entered in the ERP as document {erp_document_id}",
            erp_document_id=erp_document_id,
        )

    def record_bot_failure(self, entry_id: int, reason: str, *, bot: str) -> Entry:
        """The bot could not enter the invoice: rpa_failed, its PO still locked until AP decides."""
        return self._bot_callback(entry_id, EntryStatus.RPA_FAILED, bot=bot, reason=reason, failure_reason=reason)

    def _bot_callback(self, entry_id: int, outcome: EntryStatus, *, bot: str, reason: str, **reported: str) -> Entry:
        """Move a dispatched entry to the outcome the bot reports. `reported` is the one column the
        callback sets (erp_document_id, failure_reason): the same callback again changes nothing and
        returns the entry as it is; one reporting another value contradicts it."""
        [(column, value)] = reported.items()
        with self._sessions.begin() as session:
            entry = _lock_entry(session, entry_id)
            status = EntryStatus(entry.status)
            if status is outcome:
                recorded = getattr(entry, column)
                if recorded != value:
                    raise CallbackConflictError(
                        entry_id, status, f"it was already reported {outcome} with {column} {recorded!r}, not {value!r}."
                    )
                return _entry_model(entry)
            if status is not EntryStatus.DISPATCHED:
                raise CallbackConflictError(entry_id, status, f"only a dispatched entry can be reported {outcome}.")
            self._move(session, entry, outcome, actor=bot, reason=reason, **reported)
            return _entry_model(entry)

    def _move(
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
        now = _utc_now()
        if to_status.locks_po and not from_status.locks_po:
            _acquire_po_lock(session, entry, now)
        elif from_status.locks_po and not to_status.locks_po:
            _release_po_lock(session, entry)
        entry.status = to_status.value
        entry.updated_at = now
        # who holds it and why the bot failed describe the current status only
        entry.dispatched_to = dispatched_to
        entry.failure_reason = failure_reason
        if erp_document_id is not None:
            entry.erp_document_id = erp_document_id
        event = _event_row(entry, from_status, to_status, actor=actor, reason=reason, flow_run_id=flow_run_id, now=now)
        session.add(event)
        self._queue_webhooks(session, lambda: [_webhook_event(entry, event)], now)
        session.flush()

    # ------------------------------------------------------------------ webhooks

    def _queue_webhooks(
        self, session: Session, events: Callable[[], Sequence[Mapping[str, Any]]], now: datetime
    ) -> None:
        """One outbox row per event and receiver, in the transaction of the change it reports
        (`events` is only built when there are receivers)."""
        if not self._webhook_urls:
            return
        rows = []
        for event in events():
            body = json.dumps(event, separators=(",", ":"), sort_keys=True)
            rows.extend(
                {"event_id": event["id"], "event_type": event["type"], "entry_id": event["data"]["entry_id"], "url": url,
                 "body": body, "state": WEBHOOK_PENDING, "attempts": 0, "next_attempt_at": now, "created_at": now}
                for url in self._webhook_urls
            )
        session.execute(insert(WebhookDeliveryRow.__table__), rows)

    def due_webhook_deliveries(self, limit: int) -> list[WebhookDelivery]:
        """Pending deliveries whose next attempt is due, oldest first."""
        query = (
            select(WebhookDeliveryRow)
            .where(WebhookDeliveryRow.state == WEBHOOK_PENDING, WebhookDeliveryRow.next_attempt_at <= _utc_now())
            .order_by(WebhookDeliveryRow.next_attempt_at, WebhookDeliveryRow.id)
            .limit(limit)
        )
        with self._sessions.begin() as session:
            return [WebhookDelivery.model_validate(row, from_attributes=True) for row in session.scalars(query)]

    def record_webhook_attempt(
        self, delivery_id: int, *, status_code: int | None, error: str | None, delivered: bool, retry_at: datetime | None
    ) -> None:
        """Log one attempt: delivered, or pending again at `retry_at`, or failed for good (no `retry_at`)."""
        now = _utc_now()
        state = WEBHOOK_DELIVERED if delivered else WEBHOOK_PENDING if retry_at is not None else WEBHOOK_FAILED
        with self._sessions.begin() as session:
            session.execute(
                update(WebhookDeliveryRow)
                .where(WebhookDeliveryRow.id == delivery_id)
                .values(
                    state=state,
                    attempts=WebhookDeliveryRow.attempts + 1,
                    last_status_code=status_code,
                    last_error=error,
                    next_attempt_at=retry_at or now,
                    delivered_at=now if delivered else None,
                )
            )

    def webhook_deliveries(self, *, entry_id: int | None = None, limit: int = 100) -> list[WebhookDelivery]:
        """The delivery log, newest first."""
        query = select(WebhookDeliveryRow).order_by(WebhookDeliveryRow.id.desc()).limit(limit)
        if entry_id is not None:
            query = query.where(WebhookDeliveryRow.entry_id == entry_id)
        with self._sessions.begin() as session:
            return [WebhookDelivery.model_validate(row, from_attributes=True) for row in session.scalars(query)]

    def get_entry(self, entry_id: int) -> Entry:
        with self._reading() as session:
            entry = session.get(EntryRow, entry_id)
            if entry is None:
                raise EntryNotFoundError(entry_id)
            return _entry_model(entry)

    def entry_history(self, entry_id: int) -> list[EntryEvent]:
        """The entry's status changes, oldest first (the first one is its creation)."""
        query = select(EntryEventRow).where(EntryEventRow.entry_id == entry_id).order_by(EntryEventRow.id)
        with self._reading() as session:
            events = [_event_model(row) for row in session.scalars(query)]
        # Every entry has its creation event, so no events means no entry.
        if not events:
            raise EntryNotFoundError(entry_id)
        return events

    def duplicate_candidates(self, invoices: Sequence[Invoice]) -> list[EntrySummary]:
        """Live entries (not rejected, bad or entered yet) of these invoices' vendors that share a
        normalised invoice number or a total with one of them: all the duplicate rules compare with.

        One query per batch whose answer grows with the duplicates, not with the vendors' history:
        asking for every live entry of the batch's vendors read a growing share of the table on
        every batch of a large backlog. Summary columns only (no documents).
        """
        if not invoices:
            return []
        with self._reading() as session:
            return [_summary_model(row._mapping) for row in session.execute(_duplicate_candidates_query(invoices))]

    def _ensure_vendor_locks(self, vendor_ids: Iterable[str], now: datetime) -> None:
        """The vendors' lock rows, created (and committed) before a recording transaction locks them:
        inserting them there would have concurrent recorders wait on each other's inserts, which
        MariaDB resolves by deadlock."""
        rows = [{"vendor_id": vendor_id, "created_at": now} for vendor_id in sorted(set(vendor_ids))]
        with self._sessions.begin() as session:
            insert_new_rows(session, VendorLockRow.__table__, rows, ("vendor_id",))

    def list_entries(
        self,
        *,
        status: EntryStatus | None = None,
        po_number: str | None = None,
        vendor_id: str | None = None,
        limit: int = 50,
        before_id: int | None = None,
    ) -> EntryPage:
        """Entries newest first (by id), filtered by whichever of status, PO and vendor are given.

        Keyset pagination: pass a page's `next_before_id` as `before_id` to get the next one.
        One query, which reads one entry more than `limit` to know whether a next page exists.
        """
        if limit < 1:
            raise ValueError(f"limit must be at least 1, not {limit}")
        query = select(*_SUMMARY_COLUMNS).order_by(EntryRow.id.desc()).limit(limit + 1)
        if status is not None:
            query = query.where(EntryRow.status == EntryStatus(status).value)
        if po_number is not None:
            query = query.where(EntryRow.po_number == po_number)
        if vendor_id is not None:
            query = query.where(EntryRow.vendor_id == vendor_id)
        if before_id is not None:
            query = query.where(EntryRow.id < before_id)
        with self._reading() as session:
            rows = session.execute(query).all()
        entries = tuple(_summary_model(row._mapping) for row in rows[:limit])
        return EntryPage(entries=entries, next_before_id=entries[-1].id if len(rows) > limit else None)

    # ------------------------------------------------------------------ health

    def ping(self) -> None:
        """A round trip to the process database; raises when it does not answer."""
        with self._sessions.begin() as session:
            session.execute(select(1))


# ---------------------------------------------------------------------- writes


def _duplicate_candidates_query(invoices: Sequence[Invoice]) -> Select[Any]:
    return (
        select(*_SUMMARY_COLUMNS)
        .where(
            EntryRow.vendor_id.in_(sorted({i.vendor_id for i in invoices})),
            EntryRow.status.not_in(_NOT_LIVE),
            or_(
                EntryRow.normalised_invoice_number.in_(sorted({i.normalised_invoice_number for i in invoices})),
                EntryRow.total.in_(sorted({i.total for i in invoices})),
            ),
        )
        .order_by(EntryRow.id)
    )


def _unseen_duplicate_candidates(
    session: Session, invoices: Sequence[Invoice], seen_entry_ids: Collection[int]
) -> dict[InvoiceKey, set[int]]:
    """Per invoice, the live entries its duplicate check did not see that could make it a duplicate.

    First locks the invoices' vendors (in vendor order, so recorders never wait in a circle): a
    concurrent recorder of the same vendor commits before this look-up or waits until this
    transaction ends. The look-up is a locking read, so MariaDB's REPEATABLE READ shows it the
    latest committed entries rather than an older snapshot.
    """
    if not invoices:
        return {}
    vendors = sorted({i.vendor_id for i in invoices})
    session.execute(
        select(VendorLockRow.vendor_id).where(VendorLockRow.vendor_id.in_(vendors)).order_by(VendorLockRow.vendor_id).with_for_update()
    )
    seen = set(seen_entry_ids)
    # duplicate key → the unseen entries with it, by id, with their invoice
    unseen_by_key: dict[DuplicateKey, dict[int, tuple[str, str]]] = {}
    for row in session.execute(_duplicate_candidates_query(invoices).with_for_update(read=True)).mappings():
        if row["id"] in seen:
            continue
        for key in duplicate_keys(row["vendor_id"], row["normalised_invoice_number"], row["total"]):
            unseen_by_key.setdefault(key, {})[row["id"]] = (row["source"], row["source_invoice_id"])
    unseen: dict[InvoiceKey, set[int]] = {}
    for invoice in invoices:
        own = (invoice.source, invoice.source_invoice_id)  # its own versions are no duplicates of it
        entry_ids = {
            entry_id for key in invoice.duplicate_keys for entry_id, of in unseen_by_key.get(key, {}).items() if of != own
        }
        if entry_ids:
            unseen[invoice.key] = entry_ids
    return unseen


def _entry_values(
    invoice: Invoice, verdict: Verdict, payload: RpaPayload | None, flow_run_id: str | None, now: datetime
) -> dict[str, Any]:
    if verdict.status is EntryStatus.READY_TO_PROCESS and payload is None:
        raise ValueError(f"Invoice {invoice.key} is ready to process but has no RPA payload for the bot.")
    return {
        "source": invoice.source,
        "source_invoice_id": invoice.source_invoice_id,
        "version": invoice.version,
        "vendor_id": invoice.vendor_id,
        "vendor_name": invoice.vendor_name[:NAME],  # display only; the payload keeps the full name
        "invoice_number": invoice.invoice_number,
        "normalised_invoice_number": invoice.normalised_invoice_number,
        "invoice_date": invoice.invoice_date,
        "po_number": invoice.po_number,
        "currency": invoice.currency,
        "total": invoice.total,
        "status": verdict.status.value,
        "invoice": invoice.model_dump(mode="json"),
        "payload": None if payload is None else payload_json(payload),
        "findings": [finding.model_dump(mode="json") for finding in verdict.findings],
        "rule_set_version": verdict.rule_set_version,
        "flow_run_id": flow_run_id,
        "created_at": now,
        "updated_at": now,
    }


def _insert_entry(
    session: Session,
    invoice: Invoice,
    verdict: Verdict,
    payload: RpaPayload | None,
    flow_run_id: str | None,
    now: datetime,
) -> EntryRow:
    entry = EntryRow(**_entry_values(invoice, verdict, payload, flow_run_id, now))
    # A savepoint, so that a refused insert leaves the transaction usable for the look-up below.
    try:
        with session.begin_nested():
            session.add(entry)
    except IntegrityError:
        existing_id = session.scalar(
            select(EntryRow.id).where(*_matches_key(EntryRow, invoice.key)).with_for_update(read=True)
        )
        if existing_id is None:
            raise
        raise EntryExistsError(invoice.key, existing_id) from None
    return entry


def _acquire_po_lock(session: Session, entry: EntryRow, now: datetime) -> None:
    """Insert the PO's lock row; a concurrent holder makes this wait for its commit, then fail."""
    try:
        with session.begin_nested():
            session.add(POLockRow(po_number=entry.po_number, entry_id=entry.id, locked_at=now))
    except IntegrityError:
        # A locking read sees the holder's committed row even under MariaDB's REPEATABLE READ.
        holder = session.scalar(
            select(POLockRow.entry_id).where(POLockRow.po_number == entry.po_number).with_for_update(read=True)
        )
        raise POLockedError(entry.po_number, holder) from None


def _release_po_lock(session: Session, entry: EntryRow) -> None:
    session.execute(delete(POLockRow).where(POLockRow.entry_id == entry.id))


def _lock_entry(session: Session, entry_id: int) -> EntryRow:
    entry = session.scalars(select(EntryRow).where(EntryRow.id == entry_id).with_for_update()).one_or_none()
    if entry is None:
        raise EntryNotFoundError(entry_id)
    return entry


# ---------------------------------------------------------------------- rows and models


def _mark_failed(session: Session, failures: Mapping[InvoiceKey, str]) -> None:
    _update_inbox_rows(session, [(key, {"error": reason}) for key, reason in failures.items()], state=INBOX_FAILED)


def _update_inbox_rows(
    session: Session, rows: Sequence[tuple[InvoiceKey, Mapping[str, Any]]], **same_for_all: Any
) -> None:
    """Update inbox rows found by invoice key, each with its own values plus `same_for_all`:
    one executemany, whatever the number of rows."""
    if not rows:
        return
    inbox = InboxRow.__table__
    own_columns = list(rows[0][1])
    statement = (
        update(inbox)
        .where(
            inbox.c.source == bindparam("b_source"),
            inbox.c.source_invoice_id == bindparam("b_source_invoice_id"),
            inbox.c.version == bindparam("b_version"),
        )
        .values(**same_for_all, **{column: bindparam(f"b_{column}") for column in own_columns})
    )
    session.execute(
        statement,
        [
            {"b_source": key.source, "b_source_invoice_id": key.source_invoice_id, "b_version": key.version,
             **{f"b_{column}": value for column, value in own.items()}}
            for key, own in rows
        ],
    )


def _key_of(row: Mapping[str, Any]) -> InvoiceKey:
    return InvoiceKey(source=row["source"], source_invoice_id=row["source_invoice_id"], version=row["version"])


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _require_source(source: str, items: Sequence[Invoice | IntakeError]) -> None:
    strangers = sorted({item.source for item in items} - {source})
    if strangers:
        raise ValueError(f"A pull of source {source!r} cannot record invoices of {', '.join(strangers)}.")


def _matches_key(row_class: type[InboxRow] | type[EntryRow], key: InvoiceKey) -> list[Any]:
    return [
        row_class.source == key.source,
        row_class.source_invoice_id == key.source_invoice_id,
        row_class.version == key.version,
    ]


def _inbox_row(invoice: Invoice, now: datetime) -> dict[str, Any]:
    return {
        "source": invoice.source,
        "source_invoice_id": invoice.source_invoice_id,
        "version": invoice.version,
        "po_number": invoice.po_number,
        "vendor_id": invoice.vendor_id,
        "vendor_hash": vendor_hash(invoice.vendor_id),
        "invoice": invoice.model_dump(mode="json"),
        "state": INBOX_WAITING,
        "pulled_at": now,
    }


def _intake_error_row(error: IntakeError, now: datetime) -> dict[str, Any]:
    return {
        "source": error.source,
        "source_invoice_id": error.source_invoice_id,
        "version": error.version,
        # Unreadable rows may carry garbage of any length; keep what fits rather than fail the pull.
        "po_number": _clip(error.po_number),
        "vendor_id": _clip(error.vendor_id),
        "errors": [field_error.model_dump(mode="json") for field_error in error.errors],
        "first_seen_at": now,
        "last_seen_at": now,
    }


def _clip(value: str | None) -> str | None:
    return None if value is None else value[:CODE]


def _event_row(
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


def _webhook_event(entry: EntryRow, event: EntryEventRow) -> dict[str, Any]:
    columns = {name: getattr(entry, name) for name in ("id", *_INVOICE_KEY, "vendor_id", "invoice_number", "po_number", "erp_document_id")}
    return _webhook_event_data(
        columns,
        {"from_status": event.from_status, "to_status": event.to_status, "actor": event.actor, "reason": event.reason,
         "occurred_at": event.occurred_at},
    )


def _invoice_identity(invoice: Invoice) -> dict[str, str]:
    return {"vendor_id": invoice.vendor_id, "invoice_number": invoice.invoice_number}


def _webhook_event_data(entry: Mapping[str, Any], event: Mapping[str, Any]) -> dict[str, Any]:
    """What receivers get: `entry.created` or `entry.status_changed`, with the entry's identity."""
    return {
        "id": str(uuid.uuid4()),
        "type": "entry.created" if event["from_status"] is None else "entry.status_changed",
        "occurred_at": event["occurred_at"].isoformat(),
        "data": {
            "entry_id": entry["id"],
            **{name: entry[name] for name in (*_INVOICE_KEY, "vendor_id", "invoice_number", "po_number", "erp_document_id")},
            **{name: event[name] for name in ("from_status", "to_status", "actor", "reason")},
        },
    }


def _entry_model(row: EntryRow) -> Entry:
    return Entry(
        id=row.id,
        source=row.source,
        source_invoice_id=row.source_invoice_id,
        version=row.version,
        vendor_id=row.vendor_id,
        vendor_name=row.vendor_name,
        invoice_number=row.invoice_number,
        normalised_invoice_number=row.normalised_invoice_number,
        invoice_date=row.invoice_date,
        po_number=row.po_number,
        currency=row.currency,
        total=row.total.quantize(MONEY_QUANTUM),  # as the database returns it: 4 decimals
        status=EntryStatus(row.status),
        invoice=Invoice.model_validate(row.invoice),
        payload=None if row.payload is None else RpaPayload.model_validate(row.payload),
        findings=row.findings,
        rule_set_version=row.rule_set_version,
        flow_run_id=row.flow_run_id,
        erp_document_id=row.erp_document_id,
        dispatched_to=row.dispatched_to,
        failure_reason=row.failure_reason,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _summary_model(columns: Mapping[str, Any]) -> EntrySummary:
    return EntrySummary.model_validate({**columns, "total": columns["total"].quantize(MONEY_QUANTUM)})


def _event_model(row: EntryEventRow) -> EntryEvent:
    return EntryEvent(
        id=row.id,
        entry_id=row.entry_id,
        from_status=None if row.from_status is None else EntryStatus(row.from_status),
        to_status=EntryStatus(row.to_status),
        actor=row.actor,
        reason=row.reason,
        flow_run_id=row.flow_run_id,
        occurred_at=row.occurred_at,
    )
