"""Counts for the service's metrics (GET /metrics): SQL aggregates over the store's tables, read
in one transaction at scrape time. Nothing is kept in this process: the flows write in others."""

from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connectors.store.base import StorePart, how_many
from connectors.store.bot_queue import BOT_ACTOR_PREFIX
from connectors.store.inbox import count_inbox
from connectors.store.poll_runs import latest_poll_run
from connectors.store.read_models import MetricsSnapshot
from connectors.store.tables import (
    WEBHOOK_DELIVERED,
    WEBHOOK_FAILED,
    WEBHOOK_PENDING,
    EntryEventRow,
    EntryRow,
    WebhookDeliveryRow,
)
from domain import INITIAL_STATUSES, EntryStatus

# The bots' callbacks that move an entry: success and failure. (Their refused callbacks and second
# documents are audited too, as events that leave the status as it was.)
CALLBACK_OUTCOMES = (EntryStatus.ENTERED, EntryStatus.RPA_FAILED)
WEBHOOK_STATES = (WEBHOOK_PENDING, WEBHOOK_DELIVERED, WEBHOOK_FAILED)
VERDICTS = tuple(status for status in EntryStatus if status in INITIAL_STATUSES)

Key = TypeVar("Key", bound=str)


class MetricQueries(StorePart):
    def snapshot(self) -> MetricsSnapshot:
        with self._reading() as session:
            judged, callbacks = _judged_and_called_back(session)
            return MetricsSnapshot(
                entries_by_status=_counted(session, EntryRow.status, list(EntryStatus)),
                judged_by_verdict=judged,
                bot_callbacks=callbacks,
                possible_double_entries=session.scalar(
                    select(func.count()).select_from(EntryRow).where(EntryRow.possible_double_entry)
                )
                or 0,
                inbox=count_inbox(session),
                webhook_deliveries=_counted(session, WebhookDeliveryRow.state, list(WEBHOOK_STATES)),
                last_poll=latest_poll_run(session),
            )


def _counted(session: Session, column: Any, keys: list[Key]) -> dict[Key, int]:
    """Rows per value of `column`, for each of `keys` (0 for a value no row has)."""
    counts = dict(session.execute(select(column, func.count()).group_by(column)).tuples().all())
    return {key: counts.get(str(key), 0) for key in keys}


def _judged_and_called_back(session: Session) -> tuple[dict[EntryStatus, int], dict[EntryStatus, int]]:
    """Entries created per initial status (their creation events) and the bots' callbacks per
    outcome, from the audit trail in one pass."""
    created = EntryEventRow.from_status.is_(None)
    by_bot = EntryEventRow.actor.startswith(BOT_ACTOR_PREFIX, autoescape=True)
    moved = EntryEventRow.from_status != EntryEventRow.to_status
    query = select(EntryEventRow.to_status, how_many(created), how_many(by_bot, moved)).group_by(
        EntryEventRow.to_status
    )
    rows = {status: (int(judged), int(called_back)) for status, judged, called_back in session.execute(query)}
    judged = {status: rows.get(status.value, (0, 0))[0] for status in VERDICTS}
    callbacks = {status: rows.get(status.value, (0, 0))[1] for status in CALLBACK_OUTCOMES}
    return judged, callbacks
