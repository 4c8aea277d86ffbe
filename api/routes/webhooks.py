"""The webhook delivery log: what was sent where, how many attempts, what the receiver answered."""

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import MAX_ID, MIN_ID, StoreDep
from api.schemas import WebhookDeliveryView
from api.security import AdminDep

router = APIRouter(prefix="/webhook-deliveries", tags=["webhooks"])


@router.get("", response_model=list[WebhookDeliveryView], summary="Webhook deliveries, newest first")
def list_webhook_deliveries(
    _admin: AdminDep,
    store: StoreDep,
    entry_id: Annotated[int | None, Query(ge=MIN_ID, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[WebhookDeliveryView]:
    return [
        WebhookDeliveryView.model_validate(delivery, from_attributes=True)
        for delivery in store.outbox.deliveries(entry_id=entry_id, limit=limit)
    ]
