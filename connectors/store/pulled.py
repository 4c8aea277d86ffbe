"""Invoices this process pulled into the inbox, kept until a batch takes them.

A poll pulls a slice of its invoices, then judges them from the inbox, then pulls the next
slice. Reading them back means parsing and validating every line a second time (~10 % of a
10,000-invoice poll), although each inbox row's invoice is written once and never changed. So
the store keeps what it has just inserted and a batch takes those from here, reading from the
database only what it does not hold: rows pulled by another process, before a restart, or
dropped by the bound.
"""

import threading
from dataclasses import dataclass
from datetime import datetime

from domain import Invoice

# ~2.2 KB per line held (measured: 100,000 lines, 10 per invoice, grow a process by ~220 MB), so
# ~130 MB at most: a poll's slice (50,000 lines by default, flows/poll.py) and the page ending it.
MAX_HELD_LINES = 60_000


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
        """Keep these freshly committed inbox rows' invoices. Past the bound, those held longest go:
        a poll judges each slice right after pulling it, so an invoice still held from an earlier
        slice waits for something (a locked PO) and can be read back when its turn comes."""
        with self._lock:
            for identity, invoice in rows:
                self._held[identity] = invoice
                self._lines += len(invoice.lines)
            while self._lines > self._max_lines:
                self._lines -= len(self._held.pop(next(iter(self._held))).lines)

    def release(self) -> None:
        """Hold nothing more."""
        with self._lock:
            self._held.clear()
            self._lines = 0

    @property
    def lines(self) -> int:
        """Invoice lines held now."""
        return self._lines

    def take(self, identity: InboxRowIdentity) -> Invoice | None:
        """The row's invoice, no longer held; None when this process does not hold it."""
        with self._lock:
            invoice = self._held.pop(identity, None)
            if invoice is not None:
                self._lines -= len(invoice.lines)
            return invoice
