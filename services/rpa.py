"""Housekeeping of the RPA loop: an entry handed to the bot with no callback for too long.

Before it goes back to the queue, the ERP is asked: a bot that keyed the invoice but whose callback
never came (it crashed, the API was down) leaves the document in the ERP, and queueing the entry
again would have the next bot key the same invoice twice. Found there, the entry is entered with
that document; not found, it goes back to the queue.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from connectors.erp import ErpGateway
from connectors.store import EntrySummary, IllegalTransitionError, ProcessStore
from domain import EnteredInvoice, EntryStatus
from domain.clock import Clock


@dataclass(frozen=True)
class StaleDispatches:
    entered: tuple[int, ...]  # found in the ERP: entered with the document found there
    released: tuple[int, ...]  # not found: back to ready_to_process


def release_stale_dispatches(
    store: ProcessStore, erp: ErpGateway, clock: Clock, *, stale_after_minutes: int, actor: str
) -> StaleDispatches:
    """Entries dispatched more than `stale_after_minutes` ago: entered if the ERP has them, else ready again."""
    now = clock()
    cutoff = now - timedelta(minutes=stale_after_minutes)
    stale = store.entries.dispatched_before(cutoff)
    in_erp = erp.entered_since_lookback({entry.vendor_id for entry in stale}, today=now.date()) if stale else {}
    entered = []
    for entry in stale:
        document = _entered_as(entry, in_erp.get(entry.vendor_id, ()))
        if document is None:
            continue
        reason = (
            f"found in the ERP as document {document.erp_document_id} after {stale_after_minutes} minutes "
            "without a callback: the bot entered it, its callback never came"
        )
        try:
            store.lifecycle.transition(
                entry.id,
                EntryStatus.ENTERED,
                actor=actor,
                reason=reason,
                erp_document_id=document.erp_document_id,
                only_from=EntryStatus.DISPATCHED,
            )
        except IllegalTransitionError:
            continue  # the bot's callback came in between
        entered.append(entry.id)
    # What is still stale was not found in the ERP (an entry can only leave the stale set, never join it).
    reason = f"no callback from the RPA bot within {stale_after_minutes} minutes of dispatch, and not in the ERP"
    released = store.lifecycle.release_stale_dispatches(cutoff, actor=actor, reason=reason)
    return StaleDispatches(entered=tuple(entered), released=tuple(released))


def _entered_as(entry: EntrySummary, documents: Iterable[EnteredInvoice]) -> EnteredInvoice | None:
    """The ERP document of this invoice: the vendor's with its normalised number, on its PO if several."""
    same_number = [d for d in documents if d.normalised_invoice_number == entry.normalised_invoice_number]
    on_its_po = [d for d in same_number if d.po_number == entry.po_number]
    candidates = on_its_po or same_number
    return candidates[0] if candidates else None
