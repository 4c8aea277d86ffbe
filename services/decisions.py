"""AP's decisions on an entry, the same from the API and (later) the dashboard: each one audited
with who decided and why."""

from connectors.store import Entry, ProcessStore
from domain import EntryStatus


def approve(store: ProcessStore, entry_id: int, *, actor: str, reason: str) -> Entry:
    """manual_review → ready_to_process: queued for the bot (its PO locked)."""
    return store.lifecycle.transition(
        entry_id, EntryStatus.READY_TO_PROCESS, actor=actor, reason=reason, only_from=EntryStatus.MANUAL_REVIEW
    )


def reject(store: ProcessStore, entry_id: int, *, actor: str, reason: str) -> Entry:
    """→ rejected, from manual review, ready, or failed by the bot; its PO is released."""
    return store.lifecycle.transition(entry_id, EntryStatus.REJECTED, actor=actor, reason=reason)


def requeue(store: ProcessStore, entry_id: int, *, actor: str, reason: str) -> Entry:
    """rpa_failed → ready_to_process: the bot tries again."""
    return store.lifecycle.transition(
        entry_id, EntryStatus.READY_TO_PROCESS, actor=actor, reason=reason, only_from=EntryStatus.RPA_FAILED
    )
