"""Entries made the way the service makes them, each step at a moment of the test's FakeClock:
pulled into the inbox, judged with a chosen verdict, dispatched, entered, failed, moved by AP."""

from dataclasses import dataclass, field
from datetime import datetime
from itertools import count
from typing import Any

from connectors.store import AlreadyEnteredError, ProcessStore
from demo.factories import make_invoice, make_payload, make_verdict
from domain import EntryStatus, Finding
from tests.fakes import FakeClock

BOT = "bot:factory"


@dataclass
class EntryFactory:
    store: ProcessStore
    clock: FakeClock
    _numbers: "count[int]" = field(default_factory=lambda: count(1))

    def judged(
        self,
        verdict: EntryStatus,
        *,
        at: datetime,
        pulled_at: datetime | None = None,
        findings: tuple[Finding, ...] | None = None,
        **invoice_fields: Any,
    ) -> int:
        """A new invoice (its own id, number and PO unless given), pulled at `pulled_at` when
        given, judged `verdict` at `at`; its entry's id."""
        number = next(self._numbers)
        fields = {"source_invoice_id": str(number), "invoice_number": f"INV-{number}", "po_number": f"PO-{number}"}
        invoice = make_invoice(**fields | invoice_fields)
        if pulled_at is not None:
            self.clock.now = pulled_at
            self.store.inbox.record_pull(invoice.source, [invoice], [], None, actor="flow:test")
        self.clock.now = at
        payload = None if verdict is EntryStatus.BAD_INVOICE else make_payload(invoice)
        return self.store.verdicts.record_one(invoice, make_verdict(verdict, findings), payload, actor="flow:test").id

    def dispatched(self, entry_id: int, *, at: datetime) -> None:
        self.clock.now = at
        self.store.bot.dispatch(entry_id, to=BOT, actor=BOT, reason="claimed", hand_over=lambda _entry: None)

    def entered(self, entry_id: int, *, at: datetime, document: str = "AP-1") -> None:
        """Reported entered by the bot; an entry entered already is flagged a possible double entry."""
        self.clock.now = at
        try:
            self.store.bot.record_success(entry_id, document, bot=BOT)
        except AlreadyEnteredError:
            pass

    def failed(self, entry_id: int, reason: str, *, at: datetime) -> None:
        self.clock.now = at
        self.store.bot.record_failure(entry_id, reason, bot=BOT)

    def moved(self, entry_id: int, to: EntryStatus, *, at: datetime) -> None:
        """AP's move (approve or requeue to ready_to_process, reject)."""
        self.clock.now = at
        self.store.lifecycle.transition(entry_id, to, actor="user:clerk", reason="decided")
