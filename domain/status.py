"""The life of a process_scheduler entry: statuses, which of them lock a PO, and the legal moves."""

from enum import StrEnum


class EntryStatus(StrEnum):
    READY_TO_PROCESS = "ready_to_process"
    DISPATCHED = "dispatched"
    ENTERED = "entered"
    RPA_FAILED = "rpa_failed"
    MANUAL_REVIEW = "manual_review"
    BAD_INVOICE = "bad_invoice"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"

    @property
    def locks_po(self) -> bool:
        return self in PO_LOCKING_STATUSES

    @property
    def holds_version(self) -> bool:
        """Live or entered: the one version of its invoice that may be paid."""
        return self in VERSION_HOLDING_STATUSES

    @property
    def is_final(self) -> bool:
        return not LEGAL_TRANSITIONS[self]


PO_LOCKING_STATUSES = frozenset({EntryStatus.READY_TO_PROCESS, EntryStatus.DISPATCHED, EntryStatus.RPA_FAILED})

# At most one version of an invoice (source, source invoice id) is in one of these at a time.
VERSION_HOLDING_STATUSES = PO_LOCKING_STATUSES | {EntryStatus.MANUAL_REVIEW, EntryStatus.ENTERED}

# An earlier version in one of these gives way to a newer one at once; a dispatched one is waited for.
SUPERSEDABLE_STATUSES = frozenset({EntryStatus.READY_TO_PROCESS, EntryStatus.MANUAL_REVIEW, EntryStatus.RPA_FAILED})

# Statuses a freshly judged invoice version may start in (the rule engine's outcomes).
INITIAL_STATUSES = frozenset({EntryStatus.READY_TO_PROCESS, EntryStatus.MANUAL_REVIEW, EntryStatus.BAD_INVOICE})

LEGAL_TRANSITIONS: dict[EntryStatus, frozenset[EntryStatus]] = {
    # claimed by (or mailed to) the bot; AP may still pull it back; a newer version replaces it; a bot
    # that held it before it went back to the queue reports late that it entered it after all
    EntryStatus.READY_TO_PROCESS: frozenset(
        {EntryStatus.DISPATCHED, EntryStatus.REJECTED, EntryStatus.SUPERSEDED, EntryStatus.ENTERED}
    ),
    # bot callbacks, or released back to the queue when the bot never called back
    EntryStatus.DISPATCHED: frozenset({EntryStatus.ENTERED, EntryStatus.RPA_FAILED, EntryStatus.READY_TO_PROCESS}),
    # AP requeues or rejects; a newer version replaces it; a bot that held it earlier reports late that
    # it entered it (another bot failed on it meanwhile)
    EntryStatus.RPA_FAILED: frozenset(
        {EntryStatus.READY_TO_PROCESS, EntryStatus.REJECTED, EntryStatus.SUPERSEDED, EntryStatus.ENTERED}
    ),
    # AP approves or rejects; a newer version replaces it
    EntryStatus.MANUAL_REVIEW: frozenset({EntryStatus.READY_TO_PROCESS, EntryStatus.REJECTED, EntryStatus.SUPERSEDED}),
    EntryStatus.ENTERED: frozenset(),
    EntryStatus.BAD_INVOICE: frozenset(),
    EntryStatus.REJECTED: frozenset(),
    EntryStatus.SUPERSEDED: frozenset(),
}


def is_legal_transition(from_status: EntryStatus, to_status: EntryStatus) -> bool:
    return to_status in LEGAL_TRANSITIONS[from_status]
