"""Webhook delivery: send the outbox rows the store wrote with each change (signed, by
connectors/webhooks.py), log every attempt, and retry failures with a doubling backoff."""

from datetime import timedelta

from pydantic import BaseModel

from connectors.store import ProcessStore
from connectors.webhooks import WebhookSender
from domain.clock import Clock, system_clock


class DeliveryReport(BaseModel):
    """What one pass over the due deliveries did."""

    delivered: int = 0
    retrying: int = 0  # failed this time, pending again
    failed: int = 0  # failed this time for the last allowed time


def deliver_due_webhooks(
    store: ProcessStore,
    sender: WebhookSender,
    *,
    max_attempts: int,
    retry_seconds: float,
    limit: int = 100,
    clock: Clock = system_clock,
) -> DeliveryReport:
    """Attempt each due delivery once and log the outcome on its row. A failed attempt is retried
    `retry_seconds` later, then twice as long after each further failure, until `max_attempts`."""
    report = DeliveryReport()
    for delivery in store.outbox.due(limit):
        outcome = sender.send(delivery)
        retry_at = None
        if outcome.delivered:
            report.delivered += 1
        elif delivery.attempts + 1 >= max_attempts:  # this attempt was the last one allowed
            report.failed += 1
        else:
            retry_at = clock() + timedelta(seconds=retry_seconds * 2**delivery.attempts)
            report.retrying += 1
        store.outbox.record_attempt(
            delivery.id,
            status_code=outcome.status_code,
            error=outcome.error,
            delivered=outcome.delivered,
            retry_at=retry_at,
        )
    return report
