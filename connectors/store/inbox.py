"""Intake: pulled invoices waiting in the inbox, the rows that could not be read, the pull cursors."""

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from connectors.store.base import INVOICE_KEY, StorePart, how_many, key_of
from connectors.store.bulk import insert_returning_new, upsert_rows
from connectors.store.outbox import WebhookOutbox
from connectors.store.partitions import VendorPartition, vendor_hash
from connectors.store.pulled import InboxRowIdentity, PulledInvoices
from connectors.store.read_models import InboxCounts, InboxItem, PullRecord
from connectors.store.tables import (
    CODE,
    INBOX_FAILED,
    INBOX_WAITING,
    EntryRow,
    InboxRow,
    IntakeErrorRow,
    POLockRow,
    PullCursorRow,
)
from connectors.store.versions import identity_of, supersede_earlier, withdraw_earlier_waiting
from domain import EntryStatus, IntakeError, Invoice, InvoiceKey
from domain.clock import Clock


class InboxStore(StorePart):
    def __init__(self, sessions: sessionmaker[Session], clock: Clock, outbox: WebhookOutbox) -> None:
        super().__init__(sessions, clock)
        self._outbox = outbox
        self._pulled = PulledInvoices()

    def record_pull(
        self,
        source: str,
        invoices: Sequence[Invoice],
        errors: Sequence[IntakeError],
        cursor: str | None,
        *,
        actor: str,
        judged_here: VendorPartition | None = None,
    ) -> PullRecord:
        """Queue the invoices not seen before, record the unreadable ones, move the cursor (None: keep it).

        A new version of an invoice withdraws its earlier versions still waiting and supersedes
        an earlier one that is live but not with the bot, in the same transaction (`actor` is
        audited for that). The new invoices are also kept in memory for `waiting` to hand out
        without reading them back; with `judged_here`, only those of the vendors this process judges.
        """
        _require_source(source, [*invoices, *errors])
        now = self._clock()
        # Keyed dicts drop repeats within the batch (PostgreSQL refuses to upsert one row twice in a statement).
        by_key = {invoice.key: invoice for invoice in invoices}
        inbox_rows = [_inbox_row(invoice, now) for invoice in by_key.values()]
        error_rows = list({error.key: _intake_error_row(error, now) for error in errors}.values())
        with self._sessions.begin() as session:
            inserted = insert_returning_new(
                session, InboxRow.__table__, inbox_rows, INVOICE_KEY, returning=("id", *INVOICE_KEY)
            )
            upsert_rows(
                session,
                IntakeErrorRow.__table__,
                error_rows,
                INVOICE_KEY,
                update=("po_number", "vendor_id", "errors", "last_seen_at"),
            )
            if cursor is not None:
                cursor_row = {"source": source, "cursor": cursor, "updated_at": now}
                upsert_rows(
                    session, PullCursorRow.__table__, [cursor_row], ("source",), update=("cursor", "updated_at")
                )
            newer = {identity_of(key_of(row)): row["version"] for row in inserted if row["version"] > 1}
            withdraw_earlier_waiting(session, newer)
            supersede_earlier(session, newer, self._outbox, actor=actor, flow_run_id=None, now=now)
        # only once committed: a rolled-back row's id may be given to another invoice
        held = [(InboxRowIdentity(pulled_at=now, **row), by_key[key_of(row)]) for row in inserted]
        self._pulled.hold(
            [(row, invoice) for row, invoice in held if judged_here is None or judged_here.contains(invoice.vendor_id)]
        )
        return PullRecord(
            new_invoices=len(inserted),
            already_known=len(inbox_rows) - len(inserted),
            errors_recorded=len(error_rows),
        )

    def release_held(self) -> None:
        """Let go of the pulled invoices held in memory: judging found none of them it could take,
        so they wait for a locked PO, or were withdrawn; they are read back when their turn comes."""
        self._pulled.release()

    @property
    def held_lines(self) -> int:
        """Invoice lines of pulled invoices held in memory now."""
        return self._pulled.lines

    def load_cursor(self, source: str) -> str | None:
        with self._reading() as session:
            return session.scalar(select(PullCursorRow.cursor).where(PullCursorRow.source == source))

    def newest(self, source: str, source_invoice_id: str) -> Invoice | None:
        """The newest version of an invoice in the inbox, whatever its state."""
        query = (
            select(InboxRow.invoice)
            .where(InboxRow.source == source, InboxRow.source_invoice_id == source_invoice_id)
            .order_by(InboxRow.version.desc())
            .limit(1)
        )
        with self._reading() as session:
            found = session.scalar(query)
            return None if found is None else Invoice.model_validate(found)

    def waiting(
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
            # Locked by another invoice; a lock of its own earlier version goes when that is superseded.
            locked_by_another = (
                select(POLockRow.po_number)
                .join(EntryRow, EntryRow.id == POLockRow.entry_id)
                .where(
                    POLockRow.po_number == InboxRow.po_number,
                    or_(EntryRow.source != InboxRow.source, EntryRow.source_invoice_id != InboxRow.source_invoice_id),
                )
            )
            query = query.where(~locked_by_another.exists())
        # An invoice whose earlier version is with the bot waits for the bot's callback.
        earlier_dispatched = select(EntryRow.id).where(
            EntryRow.source == InboxRow.source,
            EntryRow.source_invoice_id == InboxRow.source_invoice_id,
            EntryRow.version < InboxRow.version,
            EntryRow.status == EntryStatus.DISPATCHED.value,
        )
        query = query.where(~earlier_dispatched.exists())
        if partition is not None and partition.count > 1:
            query = query.where(InboxRow.vendor_hash % partition.count == partition.index)
        with self._reading() as session:
            rows = [InboxRowIdentity(**row) for row in session.execute(query).mappings()]
            invoices: dict[int, Invoice | dict[str, Any] | None] = {row.id: self._pulled.take(row) for row in rows}
            unheld = [row_id for row_id, invoice in invoices.items() if invoice is None]
            if unheld:  # pulled by another process or before a restart: read and validate its JSON
                read_back = session.execute(select(InboxRow.id, InboxRow.invoice).where(InboxRow.id.in_(unheld)))
                invoices.update(read_back.tuples().all())
        return [
            InboxItem.model_validate({"id": row.id, "invoice": invoices[row.id], "pulled_at": row.pulled_at})
            for row in rows
        ]

    def counts(self) -> InboxCounts:
        """How many pulled invoices wait (and how many of those on a locked PO), and how many failed."""
        with self._reading() as session:
            return count_inbox(session)


def count_inbox(session: Session) -> InboxCounts:
    locked = select(POLockRow.po_number).where(POLockRow.po_number == InboxRow.po_number).exists()
    query = select(
        how_many(InboxRow.state == INBOX_WAITING),
        how_many(InboxRow.state == INBOX_WAITING, locked),
        how_many(InboxRow.state == INBOX_FAILED),
    )
    waiting, on_locked_po, failed = session.execute(query).one()
    return InboxCounts(waiting=int(waiting), waiting_on_lock=int(on_locked_po), failed=int(failed))


def mark_failed(session: Session, failures: Mapping[InvoiceKey, str]) -> None:
    """Inbox rows that could not be recorded: failed, with the reason."""
    update_inbox_rows(session, [(key, {"error": reason}) for key, reason in failures.items()], state=INBOX_FAILED)


def update_inbox_rows(
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
            {
                "b_source": key.source,
                "b_source_invoice_id": key.source_invoice_id,
                "b_version": key.version,
                **{f"b_{column}": value for column, value in own.items()},
            }
            for key, own in rows
        ],
    )


def _require_source(source: str, items: Sequence[Invoice | IntakeError]) -> None:
    strangers = sorted({item.source for item in items} - {source})
    if strangers:
        raise ValueError(f"A pull of source {source!r} cannot record invoices of {', '.join(strangers)}.")


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
