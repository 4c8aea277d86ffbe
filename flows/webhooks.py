"""`deliver-webhooks`, every minute: send the webhook deliveries that are due (new ones and
retries), signed, and log each attempt on its row. What a delivery is lives in connectors/webhooks.py."""

from prefect import flow, task
from pydantic import BaseModel, Field

from connectors.settings import get_settings
from connectors.webhooks import DeliveryReport, WebhookSender, deliver_due_webhooks
from flows.judging import judging_service
from flows.poll import CONNECTOR_RETRIES


class DeliveryParameters(BaseModel):
    limit: int = Field(
        default=100, ge=1, le=1000, description="Deliveries attempted per run; the rest waits for the next."
    )


@task(**CONNECTOR_RETRIES)
def deliver_due(limit: int) -> DeliveryReport:
    settings = get_settings()
    # Without a secret there are no receivers (settings require one with WEBHOOK_URLS): nothing to send.
    if settings.webhook_secret is None:
        return DeliveryReport()
    with WebhookSender.from_settings(settings) as sender:
        return deliver_due_webhooks(
            judging_service(settings).store,
            sender,
            max_attempts=settings.webhook_max_attempts,
            retry_seconds=settings.webhook_retry_seconds,
            limit=limit,
        )


@flow(name="deliver-webhooks")
def deliver_webhooks(parameters: DeliveryParameters = DeliveryParameters()) -> DeliveryReport:
    return deliver_due(parameters.limit)
