"""Read queries over entries, their history and the PO locks: what the API, the dashboard and
judging look up. Lists read summary columns only; the JSON documents stay in the database."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select

from connectors.store.base import StorePart, matches_key
from connectors.store.errors import EntryNotFoundError
from connectors.store.read_models import Entry, EntryEvent, EntrySummary, ErpDocument
from connectors.store.tables import EntryEventRow, EntryRow, ErpDocumentRow, POLockRow, VersionLockRow
from connectors.store.versions import Identity, identity_of, newest_known_versions
from domain import EntryStatus, Invoice, InvoiceKey

# Entered invoices are in the ERP, where the gateway finds them for duplicate checks; keeping
# them here too would make every batch read a vendor's whole history.
_NOT_LIVE = tuple(status.value for status in EntryStatus if not status.holds_version or status is EntryStatus.ENTERED)
_SUMMARY_COLUMNS = tuple(getattr(EntryRow, name) for name in EntrySummary.model_fields)


class EntryQueries(StorePart):
    def get(self, entry_id: int) -> Entry:
        with self._reading() as session:
            entry = session.get(EntryRow, entry_id)
            if entry is None:
                raise EntryNotFoundError(entry_id)
            return Entry.from_row(entry)

    def find(self, key: InvoiceKey) -> Entry | None:
        """The entry of this invoice version, if it was judged already."""
        with self._reading() as session:
            row = session.scalars(select(EntryRow).where(*matches_key(EntryRow, key))).one_or_none()
            return None if row is None else Entry.from_row(row)

    def history(self, entry_id: int) -> list[EntryEvent]:
        """The entry's status changes, oldest first (the first one is its creation)."""
        query = select(EntryEventRow).where(EntryEventRow.entry_id == entry_id).order_by(EntryEventRow.id)
        with self._reading() as session:
            events = [EntryEvent.model_validate(row, from_attributes=True) for row in session.scalars(query)]
        # Every entry has its creation event, so no events means no entry.
        if not events:
            raise EntryNotFoundError(entry_id)
        return events

    def erp_documents(self, entry_id: int) -> list[ErpDocument]:
        """The ERP documents the entry was reported entered as, first reported first."""
        query = select(ErpDocumentRow).where(ErpDocumentRow.entry_id == entry_id).order_by(ErpDocumentRow.id)
        with self._reading() as session:
            return [ErpDocument.model_validate(row, from_attributes=True) for row in session.scalars(query)]

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
            return [
                EntrySummary.from_columns(row._mapping) for row in session.execute(duplicate_candidates_query(invoices))
            ]

    def version_holders(self, keys: Iterable[InvoiceKey]) -> dict[InvoiceKey, EntrySummary]:
        """Per invoice version, the entry holding its invoice's version lock (live or entered), if any."""
        keys = set(keys)
        if not keys:
            return {}
        query = (
            select(*_SUMMARY_COLUMNS)
            .join(VersionLockRow, VersionLockRow.entry_id == EntryRow.id)
            .where(EntryRow.source_invoice_id.in_(sorted({key.source_invoice_id for key in keys})))
        )
        with self._reading() as session:
            holders = [EntrySummary.from_columns(row._mapping) for row in session.execute(query)]
        by_invoice = {(holder.source, holder.source_invoice_id): holder for holder in holders}
        return {key: by_invoice[identity_of(key)] for key in keys if identity_of(key) in by_invoice}

    def newest_versions(self, keys: Iterable[InvoiceKey]) -> dict[Identity, int]:
        """Per invoice (source, source invoice id) of these keys, the newest version pulled or judged."""
        with self._reading() as session:
            return newest_known_versions(session, {identity_of(key) for key in keys})

    def dispatched_before(self, cutoff: datetime) -> list[EntrySummary]:
        """Entries dispatched (to the bot or its mailbox) before `cutoff` with no callback since."""
        query = (
            select(*_SUMMARY_COLUMNS)
            .where(EntryRow.status == EntryStatus.DISPATCHED.value, EntryRow.updated_at < cutoff)
            .order_by(EntryRow.id)
        )
        with self._reading() as session:
            return [EntrySummary.from_columns(row._mapping) for row in session.execute(query)]

    def locked_po_numbers(self, po_numbers: Iterable[str]) -> set[str]:
        """Which of these POs are locked right now."""
        query = select(POLockRow.po_number).where(POLockRow.po_number.in_(sorted(set(po_numbers))))
        with self._reading() as session:
            return set(session.scalars(query))

    def entries_by_run(self, flow_run_ids: Iterable[str]) -> dict[str, dict[EntryStatus, int]]:
        """Per flow run, how many of the entries it recorded are in each status now; a run that
        recorded none is left out. One query, on the index of (flow_run_id, status)."""
        flow_run_ids = sorted(set(flow_run_ids))
        if not flow_run_ids:
            return {}
        query = (
            select(EntryRow.flow_run_id, EntryRow.status, func.count())
            .where(EntryRow.flow_run_id.in_(flow_run_ids))
            .group_by(EntryRow.flow_run_id, EntryRow.status)
        )
        counts: dict[str, dict[EntryStatus, int]] = {}
        with self._reading() as session:
            for flow_run_id, status, count in session.execute(query):
                counts.setdefault(flow_run_id, {})[EntryStatus(status)] = count
        return counts

    def po_lock_holder(self, po_number: str) -> int | None:
        """The id of the entry holding this PO's lock, or None when the PO is free."""
        with self._reading() as session:
            return session.scalar(select(POLockRow.entry_id).where(POLockRow.po_number == po_number))


def duplicate_candidates_query(invoices: Sequence[Invoice]) -> Select[Any]:
    """The live entries of the invoices' vendors with one of their normalised numbers or totals."""
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
