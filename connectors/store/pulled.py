"""Invoices this process pulled into the inbox, kept until a batch takes them.

A poll pulls its invoices, then judges them from the inbox. Reading them back means parsing
and validating every line a second time (~10 % of a 10,000-invoice poll), although each inbox
row's invoice is written once and never changed. So the store keeps what it has just inserted
and a batch takes those from here, reading from the database only what it does not hold: rows
pulled by another process, before a restart, or beyond the bound.
"""

import threading
from dataclasses import dataclass
from datetime import datetime

from domain import Invoice

# ~16 KB per invoice of 10 lines: this bound holds ~160 MB at most. Beyond it, new invoices are
# not kept (the oldest are judged first, so they are the ones worth keeping).
MAX_HELD_LINES = 100_000


@dataclass(frozen=True)
class InboxRowIdentity:
    """Enough to be sure a held invoice is the row's: its id alone could be reused by another
    database at the same URL (a demo reseeded under a running process)."""

    id: int
    source: str
    source_invoice_id: str
    version: int
    pulled_at: datetime


class PulledInvoices:
    def __init__(self, max_lines: int = MAX_HELD_LINES) -> None:
        self._max_lines = max_lines
        self._held: dict[InboxRowIdentity, Invoice] = {}
        self._lines = 0
        self._lock = threading.Lock()  # API and flow threads share one store

    def hold(self, rows: list[tuple[InboxRowIdentity, Invoice]]) -> None:
        """Keep these freshly committed inbox rows' invoices, as many as the bound allows."""
        with self._lock:
            for identity, invoice in rows:
                if self._lines + len(invoice.lines) > self._max_lines:
                    return
                self._held[identity] = invoice
                self._lines += len(invoice.lines)

    def take(self, identity: InboxRowIdentity) -> Invoice | None:
        """The row's invoice, no longer held; None when this process does not hold it."""
        with self._lock:
            invoice = self._held.pop(identity, None)
            if invoice is not None:
                self._lines -= len(invoice.lines)
            return invoice
