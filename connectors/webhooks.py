"""Outbound webhooks: sign and send the outbox rows the process store wrote with each change.

Every request is a POST of the stored JSON body with these headers:

- `X-Invoice-Automation-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`;
  the timestamp is signed too, so a receiver that checks it (`verify_signature`) rejects a
  request replayed later;
- `X-Invoice-Automation-Event`: the event type (`entry.created`, `entry.status_changed`,
  `entry.possible_double_entry`);
- `X-Invoice-Automation-Delivery`: the delivery's id, the same on every retry of it.

Delivery is at least once and in no guaranteed order: a receiver de-duplicates on the body's
event `id` and orders by its `occurred_at`.
"""

import hashlib
import hmac
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import httpx

from connectors.store import WebhookDelivery
from domain.clock import Clock, system_clock
from settings import Settings

SIGNATURE_HEADER = "X-Invoice-Automation-Signature"
EVENT_HEADER = "X-Invoice-Automation-Event"
DELIVERY_HEADER = "X-Invoice-Automation-Delivery"
SIGNATURE_VERSION = "v1"


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def _as_bytes(body: str | bytes) -> bytes:
    return body.encode() if isinstance(body, str) else body


def sign(secret: str, body: str | bytes, *, timestamp: int) -> str:
    """The signature header's value for `body` sent at `timestamp` (unix seconds)."""
    return f"t={timestamp},{SIGNATURE_VERSION}={_digest(secret, timestamp, _as_bytes(body))}"


def verify_signature(
    secret: str, header: str, body: str | bytes, *, tolerance_seconds: int = 300, now: float | None = None
) -> bool:
    """Whether `header` signs exactly `body` with `secret`, at most `tolerance_seconds` from `now`
    (unix seconds; the clock by default). For receivers: pass the raw request body, not re-encoded JSON."""
    timestamp, signatures = None, []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isascii() and value.isdigit():  # not int("²"), which raises
            timestamp = int(value)
        elif name == SIGNATURE_VERSION:
            signatures.append(value)
    if timestamp is None or not signatures:
        return False
    if abs((system_clock().timestamp() if now is None else now) - timestamp) > tolerance_seconds:
        return False
    expected = _digest(secret, timestamp, _as_bytes(body))
    # compare_digest: how long the comparison takes says nothing about how close a forgery came.
    return any(hmac.compare_digest(expected, signature) for signature in signatures)


@dataclass(frozen=True)
class AttemptOutcome:
    """What one attempt gave: the receiver's status code, or why there was none."""

    status_code: int | None = None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class WebhookSender:
    """Signs and POSTs deliveries over one HTTP client (one connection pool per receiver)."""

    def __init__(self, secret: str, client: httpx.Client, *, clock: Clock = system_clock) -> None:
        self._secret = secret
        self._client = client
        self._clock = clock

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Clock = system_clock) -> Self:
        if settings.webhook_secret is None:
            raise ValueError("WEBHOOK_SECRET is not set: webhooks cannot be signed")
        # No redirects: a signed body goes to the configured receiver only; a 3xx is retried like any non-2xx.
        client = httpx.Client(timeout=settings.webhook_timeout_seconds, follow_redirects=False)
        return cls(settings.webhook_secret.get_secret_value(), client, clock=clock)

    def send(self, delivery: WebhookDelivery) -> AttemptOutcome:
        """One attempt; a receiver that cannot be reached is an outcome, not an exception."""
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self._secret, delivery.body, timestamp=int(self._clock().timestamp())),
            EVENT_HEADER: delivery.event_type,
            DELIVERY_HEADER: str(delivery.id),
        }
        try:
            response = self._client.post(delivery.url, content=delivery.body.encode(), headers=headers)
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            return AttemptOutcome(error=f"{type(error).__name__}: {error}")
        return AttemptOutcome(status_code=response.status_code)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, _type: type[BaseException] | None, _error: BaseException | None, _traceback: TracebackType | None
    ) -> None:
        self.close()
