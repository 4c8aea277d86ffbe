"""`deliver-webhooks`, every minute: send the webhook deliveries that are due (new ones and
retries), signed, and log each attempt on its row: services/webhooks.py."""

from prefect import flow
from pydantic import BaseModel, Field

from connectors.webhooks import WebhookSender
from flows.retries import connector_task
from services.runtime import services_for
from services.webhooks import DeliveryReport, deliver_due_webhooks
from settings import get_settings


class DeliveryParameters(BaseModel):
    limit: int = Field(
        default=100, ge=1, le=1000, description="Deliveries attempted per run; the rest waits for the next."
    )


@connector_task()
def deliver_due(limit: int) -> DeliveryReport:
    settings = get_settings()
    # Without a secret there are no receivers (settings require one with WEBHOOK_URLS): nothing to send.
    if settings.webhook_secret is None:
        return DeliveryReport()
    services = services_for(settings)
    with WebhookSender.from_settings(settings, clock=services.clock) as sender:
        return deliver_due_webhooks(
            services.store,
            sender,
            max_attempts=settings.webhook_max_attempts,
            retry_seconds=settings.webhook_retry_seconds,
            limit=limit,
            clock=services.clock,
        )


@flow(name="deliver-webhooks")
def deliver_webhooks(parameters: DeliveryParameters = DeliveryParameters()) -> DeliveryReport:
    return deliver_due(parameters.limit)
