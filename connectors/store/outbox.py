"""The webhook outbox: one row per event and receiver, written in the transaction of the change
it reports, then sent (and its attempts logged) by `services.webhooks`."""

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from connectors.store.base import INVOICE_KEY, StorePart
from connectors.store.read_models import WebhookDelivery
from connectors.store.tables import (
    WEBHOOK_DELIVERED,
    WEBHOOK_FAILED,
    WEBHOOK_PENDING,
    EntryEventRow,
    EntryRow,
    WebhookDeliveryRow,
)
from domain.clock import Clock

# What receivers learn of the entry in every event.
_ENTRY_IDENTITY = (*INVOICE_KEY, "vendor_id", "invoice_number", "po_number", "erp_document_id")


class WebhookOutbox(StorePart):
    def __init__(self, sessions: sessionmaker[Session], clock: Clock, *, webhook_urls: Sequence[str] = ()) -> None:
        super().__init__(sessions, clock)
        # Every entry creation and status change is queued for each of these.
        self._webhook_urls = tuple(webhook_urls)

    def queue(self, session: Session, events: Callable[[], Sequence[Mapping[str, Any]]], now: datetime) -> None:
        """One outbox row per event and receiver, in the caller's transaction (`events` is only
        built when there are receivers)."""
        if not self._webhook_urls:
            return
        rows: list[dict[str, Any]] = []
        for event in events():
            body = json.dumps(event, separators=(",", ":"), sort_keys=True)
            rows.extend(
                {
                    "event_id": event["id"],
                    "event_type": event["type"],
                    "entry_id": event["data"]["entry_id"],
                    "url": url,
                    "body": body,
                    "state": WEBHOOK_PENDING,
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for url in self._webhook_urls
            )
        session.execute(insert(WebhookDeliveryRow.__table__), rows)

    def due(self, limit: int) -> list[WebhookDelivery]:
        """Pending deliveries whose next attempt is due, oldest first."""
        query = (
            select(WebhookDeliveryRow)
            .where(WebhookDeliveryRow.state == WEBHOOK_PENDING, WebhookDeliveryRow.next_attempt_at <= self._clock())
            .order_by(WebhookDeliveryRow.next_attempt_at, WebhookDeliveryRow.id)
            .limit(limit)
        )
        with self._sessions.begin() as session:
            return [WebhookDelivery.model_validate(row, from_attributes=True) for row in session.scalars(query)]

    def record_attempt(
        self,
        delivery_id: int,
        *,
        status_code: int | None,
        error: str | None,
        delivered: bool,
        retry_at: datetime | None,
    ) -> None:
        """Log one attempt: delivered, or pending again at `retry_at`, or failed for good (no `retry_at`)."""
        now = self._clock()
        state = WEBHOOK_DELIVERED if delivered else WEBHOOK_PENDING if retry_at is not None else WEBHOOK_FAILED
        with self._sessions.begin() as session:
            session.execute(
                update(WebhookDeliveryRow)
                .where(WebhookDeliveryRow.id == delivery_id)
                .values(
                    state=state,
                    attempts=WebhookDeliveryRow.attempts + 1,
                    last_status_code=status_code,
                    last_error=error,
                    next_attempt_at=retry_at or now,
                    delivered_at=now if delivered else None,
                )
            )

    def deliveries(self, *, entry_id: int | None = None, limit: int = 100) -> list[WebhookDelivery]:
        """The delivery log, newest first."""
        query = select(WebhookDeliveryRow).order_by(WebhookDeliveryRow.id.desc()).limit(limit)
        if entry_id is not None:
            query = query.where(WebhookDeliveryRow.entry_id == entry_id)
        with self._sessions.begin() as session:
            return [WebhookDelivery.model_validate(row, from_attributes=True) for row in session.scalars(query)]


def entry_event(entry: EntryRow, event: EntryEventRow) -> dict[str, Any]:
    """The webhook event announcing an audited change of this entry."""
    columns = {name: getattr(entry, name) for name in ("id", *_ENTRY_IDENTITY)}
    return event_data(
        columns,
        {
            "from_status": event.from_status,
            "to_status": event.to_status,
            "actor": event.actor,
            "reason": event.reason,
            "occurred_at": event.occurred_at,
        },
    )


def double_entry_event(entry: EntryRow, event: EntryEventRow, erp_document_ids: Sequence[str]) -> dict[str, Any]:
    """The webhook event flagging an entered entry that another ERP document was reported for."""
    announced = entry_event(entry, event)
    announced["type"] = "entry.possible_double_entry"
    announced["data"]["erp_document_ids"] = list(erp_document_ids)
    return announced


def event_data(entry: Mapping[str, Any], event: Mapping[str, Any]) -> dict[str, Any]:
    """What receivers get: `entry.created` or `entry.status_changed`, with the entry's identity."""
    return {
        "id": str(uuid.uuid4()),
        "type": "entry.created" if event["from_status"] is None else "entry.status_changed",
        "occurred_at": event["occurred_at"].isoformat(),
        "data": {
            "entry_id": entry["id"],
            **{name: entry[name] for name in _ENTRY_IDENTITY},
            **{name: event[name] for name in ("from_status", "to_status", "actor", "reason")},
        },
    }
