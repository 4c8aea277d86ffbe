"""Outbound webhooks end to end: a migrated SQLite process store writes the outbox with each
change, and deliveries go over real HTTP to a receiver listening on 127.0.0.1."""

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from connectors.store import Entry, ProcessStore, WebhookDelivery
from connectors.store.migrate import upgrade
from connectors.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    WebhookSender,
    verify_signature,
)
from demo.factories import make_invoice, make_payload, make_verdict
from domain import EntryStatus
from flows.webhooks import deliver_due
from services.runtime import services_for
from services.webhooks import DeliveryReport, deliver_due_webhooks
from settings import Settings, get_settings
from tests.fakes import FakeClock

SECRET = "webhook-test-secret"


@dataclass(frozen=True)
class Request:
    headers: dict[str, str]  # names lower-cased
    body: bytes

    def header(self, name: str) -> str:
        return self.headers[name.lower()]

    @property
    def event(self) -> dict[str, Any]:
        event: dict[str, Any] = json.loads(self.body)
        return event


class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST and answers 500 to the first `failures`
    of them (200 after), each after `delay` seconds."""

    def __init__(self, *, failures: int = 0, delay: float = 0) -> None:
        self.requests: list[Request] = []
        self._failures = failures
        lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                time.sleep(delay)
                with lock:
                    headers = {name.lower(): value for name, value in self.headers.items()}
                    receiver.requests.append(Request(headers, body))
                    status = 500 if len(receiver.requests) <= receiver._failures else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: object) -> None:  # no access log in the test output
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, *_args: object) -> None:  # a client that timed out hung up: expected here
                pass

        self._server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/hooks"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@pytest.fixture
def start_receiver() -> Iterator[Callable[..., Receiver]]:
    receivers: list[Receiver] = []

    def start(**behaviour: Any) -> Receiver:
        receivers.append(Receiver(**behaviour))
        return receivers[-1]

    yield start
    for receiver in receivers:
        receiver.stop()


@pytest.fixture
def receiver(start_receiver: Callable[..., Receiver]) -> Receiver:
    return start_receiver()


@pytest.fixture
def closed_port_url() -> str:
    """A URL nothing listens on: connections to it are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/hooks"


@pytest.fixture
def process_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'process.db'}"
    upgrade(url)
    return url


@pytest.fixture
def open_store(process_url: str, clock: FakeClock) -> Iterator[Callable[[list[str]], ProcessStore]]:
    stores: list[ProcessStore] = []

    def open_with(webhook_urls: list[str]) -> ProcessStore:
        stores.append(ProcessStore.from_url(process_url, webhook_urls=webhook_urls, clock=clock))
        return stores[-1]

    yield open_with
    for store in stores:
        store.close()


@pytest.fixture
def sender() -> Iterator[WebhookSender]:
    with WebhookSender.from_settings(settings(webhook_timeout_seconds=2)) as sender:
        yield sender


def settings(**overrides: Any) -> Settings:
    return Settings(webhook_secret=SECRET, **overrides)


def create_and_dispatch(store: ProcessStore) -> Entry:
    """An entry judged ready, then claimed: one entry.created and one entry.status_changed event."""
    invoice = make_invoice()
    verdict = make_verdict(EntryStatus.READY_TO_PROCESS)
    entry = store.verdicts.record_one(invoice, verdict, make_payload(invoice), actor="flow:test")
    return store.lifecycle.transition(entry.id, EntryStatus.DISPATCHED, actor="bot:test", reason="claimed")


def deliveries_to(store: ProcessStore, url: str) -> list[WebhookDelivery]:
    return sorted((delivery for delivery in store.outbox.deliveries() if delivery.url == url), key=lambda d: d.id)


def logged(delivery: WebhookDelivery) -> tuple[str, int, int | None, str | None]:
    return delivery.state, delivery.attempts, delivery.last_status_code, delivery.last_error


def wait_until_due(store: ProcessStore, clock: FakeClock) -> None:
    pending = [delivery.next_attempt_at for delivery in store.outbox.deliveries() if delivery.state == "pending"]
    clock.advance(max(pending) - clock())


# ---------------------------------------------------------------------- delivered, signed


def test_creation_and_status_change_are_delivered_signed(
    open_store: Callable[[list[str]], ProcessStore], receiver: Receiver, sender: WebhookSender
) -> None:
    store = open_store([receiver.url])
    entry = create_and_dispatch(store)

    report = deliver_due_webhooks(store, sender, max_attempts=3, retry_seconds=60)

    assert report == DeliveryReport(delivered=2)
    created, changed = receiver.requests
    assert [request.header(EVENT_HEADER) for request in receiver.requests] == ["entry.created", "entry.status_changed"]
    assert [request.event["type"] for request in receiver.requests] == ["entry.created", "entry.status_changed"]
    assert (
        created.event["data"].items()
        >= {"entry_id": entry.id, "from_status": None, "to_status": "ready_to_process"}.items()
    )
    assert (
        changed.event["data"].items()
        >= {
            "entry_id": entry.id,
            "from_status": "ready_to_process",
            "to_status": "dispatched",
            "actor": "bot:test",
        }.items()
    )
    log = deliveries_to(store, receiver.url)
    for request, delivery in zip(receiver.requests, log, strict=True):
        assert request.header("Content-Type") == "application/json"
        assert request.header(DELIVERY_HEADER) == str(delivery.id)
        assert request.body == delivery.body.encode()  # the stored text, byte for byte
        assert verify_signature(SECRET, request.header(SIGNATURE_HEADER), request.body)
        assert logged(delivery) == ("delivered", 1, 200, None)
        assert delivery.delivered_at is not None

    # delivered is done: a second pass sends nothing
    assert deliver_due_webhooks(store, sender, max_attempts=3, retry_seconds=60) == DeliveryReport()
    assert len(receiver.requests) == 2


def test_the_signature_fails_with_another_secret_a_changed_body_or_an_old_timestamp(
    open_store: Callable[[list[str]], ProcessStore], receiver: Receiver, sender: WebhookSender
) -> None:
    store = open_store([receiver.url])
    create_and_dispatch(store)
    deliver_due_webhooks(store, sender, max_attempts=3, retry_seconds=60)
    request = receiver.requests[-1]
    header, body = request.header(SIGNATURE_HEADER), request.body
    sent_at = int(header.split(",")[0].removeprefix("t="))

    assert verify_signature(SECRET, header, body, now=sent_at + 300)
    assert not verify_signature("another-secret", header, body)
    assert not verify_signature(SECRET, header, body.replace(b'"dispatched"', b'"entered"'))
    assert not verify_signature(SECRET, header, body, now=sent_at + 301)  # replayed six minutes later
    # a replayer who moves the timestamp forward breaks the signature
    assert not verify_signature(SECRET, header.replace(f"t={sent_at}", f"t={sent_at + 60}"), body, now=sent_at + 60)
    assert not verify_signature(SECRET, header.split(",")[1], body)  # no timestamp
    assert not verify_signature(SECRET, header.replace(f"t={sent_at}", "t=²"), body)  # garbage is False, not an error


# ---------------------------------------------------------------------- failures and retries


def test_a_receiver_answering_500_gets_the_delivery_again_after_the_retry_wait(
    open_store: Callable[[list[str]], ProcessStore],
    start_receiver: Callable[..., Receiver],
    sender: WebhookSender,
    clock: FakeClock,
) -> None:
    receiver = start_receiver(failures=1)
    store = open_store([receiver.url])
    invoice = make_invoice()
    store.verdicts.record_one(
        invoice, make_verdict(EntryStatus.MANUAL_REVIEW), make_payload(invoice), actor="flow:test"
    )

    attempted_at = clock()
    assert deliver_due_webhooks(store, sender, max_attempts=3, retry_seconds=0.3, clock=clock) == DeliveryReport(
        retrying=1
    )
    [delivery] = deliveries_to(store, receiver.url)
    assert logged(delivery) == ("pending", 1, 500, None)
    assert delivery.next_attempt_at == attempted_at + timedelta(seconds=0.3)
    # not due yet: nothing is sent before the wait is over
    clock.advance(timedelta(seconds=0.299))
    assert deliver_due_webhooks(store, sender, max_attempts=3, retry_seconds=0.3, clock=clock) == DeliveryReport()

    wait_until_due(store, clock)
    assert deliver_due_webhooks(store, sender, max_attempts=3, retry_seconds=0.3, clock=clock) == DeliveryReport(
        delivered=1
    )

    [delivery] = deliveries_to(store, receiver.url)
    assert logged(delivery) == ("delivered", 2, 200, None)
    first, second = receiver.requests
    assert first.body == second.body
    assert first.header(DELIVERY_HEADER) == second.header(DELIVERY_HEADER) == str(delivery.id)


def test_a_receiver_that_is_down_holds_up_neither_the_change_nor_other_receivers_and_fails_after_max_attempts(
    open_store: Callable[[list[str]], ProcessStore],
    receiver: Receiver,
    closed_port_url: str,
    sender: WebhookSender,
    clock: FakeClock,
) -> None:
    store = open_store([closed_port_url, receiver.url])
    entry = create_and_dispatch(store)
    assert store.entries.get(entry.id).status is EntryStatus.DISPATCHED  # committed, whatever the receivers do

    # max_attempts=3, retry_seconds=0.1: retried after 0.1 s, then after 0.2 s, then failed for good
    for attempt, expected, wait in [
        (1, DeliveryReport(delivered=2, retrying=2), 0.1),
        (2, DeliveryReport(retrying=2), 0.2),
        (3, DeliveryReport(failed=2), None),
    ]:
        attempted_at = clock()
        assert deliver_due_webhooks(store, sender, max_attempts=3, retry_seconds=0.1, clock=clock) == expected
        down = deliveries_to(store, closed_port_url)
        assert [(delivery.attempts, delivery.last_status_code) for delivery in down] == [(attempt, None)] * 2
        assert all(delivery.last_error and delivery.last_error.startswith("ConnectError") for delivery in down)
        if wait is None:
            assert {delivery.state for delivery in down} == {"failed"}
        else:
            assert {delivery.state for delivery in down} == {"pending"}
            assert all(delivery.next_attempt_at == attempted_at + timedelta(seconds=wait) for delivery in down)
            wait_until_due(store, clock)

    # the other receiver got each event once; a failed delivery is not tried again
    assert [delivery.state for delivery in deliveries_to(store, receiver.url)] == ["delivered"] * 2
    clock.advance(timedelta(days=1))
    assert deliver_due_webhooks(store, sender, max_attempts=3, retry_seconds=0.1, clock=clock) == DeliveryReport()
    assert len(receiver.requests) == 2


def test_a_receiver_slower_than_the_timeout_counts_as_a_failed_attempt(
    open_store: Callable[[list[str]], ProcessStore], start_receiver: Callable[..., Receiver]
) -> None:
    receiver = start_receiver(delay=1)
    store = open_store([receiver.url])
    create_and_dispatch(store)

    with WebhookSender.from_settings(settings(webhook_timeout_seconds=0.2)) as impatient:
        started = time.monotonic()
        report = deliver_due_webhooks(store, impatient, max_attempts=3, retry_seconds=60)

    assert report == DeliveryReport(retrying=2)
    assert time.monotonic() - started < 1.5  # gave up on each after 0.2 s, not the receiver's 1 s
    assert all(
        delivery.last_error is not None and delivery.last_error.startswith("ReadTimeout")
        for delivery in deliveries_to(store, receiver.url)
    )


def test_without_webhook_urls_nothing_is_queued(
    open_store: Callable[[list[str]], ProcessStore], receiver: Receiver, sender: WebhookSender
) -> None:
    store = open_store([])
    create_and_dispatch(store)

    assert store.outbox.deliveries() == []
    assert deliver_due_webhooks(store, sender, max_attempts=3, retry_seconds=60) == DeliveryReport()
    assert receiver.requests == []


# ---------------------------------------------------------------------- the flow's task, from settings


@pytest.fixture
def configure(monkeypatch: pytest.MonkeyPatch, process_url: str, tmp_path: Path) -> Iterator[Callable[..., None]]:
    """Point the service's settings (environment) at the test's databases and the given webhook settings."""

    def configure_with(**environment: str) -> None:
        for name, value in {
            "PROCESS_DB_URL": process_url,
            "MARKETPLACE_DB_URL": f"sqlite:///{tmp_path / 'marketplace.db'}",
            "ERP_DB_URL": f"sqlite:///{tmp_path / 'erp.db'}",
            **environment,
        }.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        services_for.cache_clear()

    yield configure_with
    services_for(get_settings()).close()
    services_for.cache_clear()
    get_settings.cache_clear()


def test_the_flow_task_sends_with_the_configured_secret_and_receivers(
    configure: Callable[..., None], start_receiver: Callable[..., Receiver]
) -> None:
    receiver = start_receiver(failures=1)
    configure(
        WEBHOOK_URLS=json.dumps([receiver.url]),
        WEBHOOK_SECRET="configured-secret",
        WEBHOOK_MAX_ATTEMPTS="1",
        WEBHOOK_RETRY_SECONDS="60",
    )
    create_and_dispatch(services_for(get_settings()).store)

    # WEBHOOK_MAX_ATTEMPTS=1: the first answer (500) fails that delivery for good
    assert deliver_due.fn(limit=10) == DeliveryReport(delivered=1, failed=1)
    assert all(
        verify_signature("configured-secret", request.header(SIGNATURE_HEADER), request.body)
        for request in receiver.requests
    )
    assert deliver_due.fn(limit=10) == DeliveryReport()


def test_the_flow_task_sends_nothing_without_a_secret(
    configure: Callable[..., None], open_store: Callable[[list[str]], ProcessStore], receiver: Receiver
) -> None:
    create_and_dispatch(open_store([receiver.url]))  # queued while webhooks were configured
    configure()  # and now they are not

    assert deliver_due.fn(limit=10) == DeliveryReport()
    # unsigned is never sent: they wait for a secret
    assert receiver.requests == []
    assert {delivery.state for delivery in services_for(get_settings()).store.outbox.deliveries()} == {"pending"}
