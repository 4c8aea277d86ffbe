"""Housekeeping of the RPA loop: an entry handed to the bot with no callback for too long goes
back to the queue, so nothing waits forever on a bot that died."""

from datetime import timedelta

from connectors.store import ProcessStore
from domain.clock import Clock


def release_stale_dispatches(store: ProcessStore, clock: Clock, *, stale_after_minutes: int, actor: str) -> list[int]:
    """Entries dispatched more than `stale_after_minutes` ago back to ready_to_process (audited); their ids."""
    cutoff = clock() - timedelta(minutes=stale_after_minutes)
    reason = f"no callback from the RPA bot within {stale_after_minutes} minutes of dispatch"
    return store.lifecycle.release_stale_dispatches(cutoff, actor=actor, reason=reason)
