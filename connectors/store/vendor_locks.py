"""Vendor locks: recorders of one vendor take turns, and under the lock look again for entries
the duplicate check did not see (copies of one bill judged by two writers at once)."""

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors.store.bulk import insert_new_rows
from connectors.store.queries import duplicate_candidates_query
from connectors.store.tables import VendorLockRow
from domain import Invoice, InvoiceKey, duplicate_keys
from domain.models import DuplicateKey


def ensure_vendor_locks(sessions: sessionmaker[Session], vendor_ids: Iterable[str], now: datetime) -> None:
    """The vendors' lock rows, created (and committed) before a recording transaction locks them:
    inserting them there would have concurrent recorders wait on each other's inserts, which
    MariaDB resolves by deadlock."""
    rows = [{"vendor_id": vendor_id, "created_at": now} for vendor_id in sorted(set(vendor_ids))]
    with sessions.begin() as session:
        insert_new_rows(session, VendorLockRow.__table__, rows, ("vendor_id",))


def unseen_duplicate_candidates(
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
        select(VendorLockRow.vendor_id)
        .where(VendorLockRow.vendor_id.in_(vendors))
        .order_by(VendorLockRow.vendor_id)
        .with_for_update()
    )
    seen = set(seen_entry_ids)
    # duplicate key → the unseen entries with it, by id, with their invoice
    unseen_by_key: dict[DuplicateKey, dict[int, tuple[str, str]]] = {}
    for row in session.execute(duplicate_candidates_query(invoices).with_for_update(read=True)).mappings():
        if row["id"] in seen:
            continue
        for key in duplicate_keys(row["vendor_id"], row["normalised_invoice_number"], row["total"]):
            unseen_by_key.setdefault(key, {})[row["id"]] = (row["source"], row["source_invoice_id"])
    unseen: dict[InvoiceKey, set[int]] = {}
    for invoice in invoices:
        own = (invoice.source, invoice.source_invoice_id)  # its own versions are no duplicates of it
        entry_ids = {
            entry_id
            for key in invoice.duplicate_keys
            for entry_id, of in unseen_by_key.get(key, {}).items()
            if of != own
        }
        if entry_ids:
            unseen[invoice.key] = entry_ids
    return unseen
