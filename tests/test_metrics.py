"""GET /metrics: the counts of a process database populated here, on SQLite, PostgreSQL and MariaDB;
the API latency histogram by route template; who may scrape; and a scrape while the process
database refuses connections or is frozen (a prompt answer with invoice_automation_database_up 0)."""

import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from prometheus_client import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from api.main import create_app
from chaos.private_postgres import PrivatePostgres
from connectors.store import AlreadyEnteredError, ProcessStore
from demo.factories import invoice_for, make_line, make_verdict
from domain import EntryStatus
from tests.api_fixtures import (
    EARLIER_BOT,
    ApiWorld,
    api_world,
    credentials_for,
    entry_in,
    prepare_databases,
    settings_in,
)
from tests.fakes import FakeClock

# sample name → its labels (sorted (name, value) pairs) → value
Samples = dict[str, dict[tuple[tuple[str, str], ...], float]]

DURATION = "invoice_automation_http_request_duration_seconds"
DATABASE_UP = "invoice_automation_database_up"


def samples_of(response: httpx.Response) -> Samples:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == CONTENT_TYPE_LATEST
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return samples


def by_label(samples: Samples, name: str) -> dict[str, float]:
    """The samples of a metric with one label, by that label's value."""
    return {labels[0][1]: value for labels, value in samples[name].items()}


def value(samples: Samples, name: str) -> float:
    return samples[name][()]


def requests_counted(samples: Samples) -> dict[tuple[str, str, str], float]:
    """The latency histogram's request counts by (method, route, status)."""
    return {
        (labels["method"], labels["route"], labels["status"]): count
        for labels, count in ((dict(pairs), count) for pairs, count in samples.get(f"{DURATION}_count", {}).items())
    }


# ---------------------------------------------------------------------- the process database's counts

WEBHOOK_URL = "https://hooks.example.test/invoice-automation"
POLL_CLOCK = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def populate(world: ApiWorld) -> None:
    """Entries in every status, bots' callbacks and what only looks like one, inbox rows, webhook
    deliveries and two poll runs; the expected counts are spelled out in the test."""
    made = {
        status: [entry_in(world, status) for _ in range(count)]
        for status, count in [
            (EntryStatus.READY_TO_PROCESS, 2),
            (EntryStatus.MANUAL_REVIEW, 1),
            (EntryStatus.BAD_INVOICE, 1),
            (EntryStatus.DISPATCHED, 2),
            (EntryStatus.ENTERED, 2),  # by a bot's callback
            (EntryStatus.RPA_FAILED, 1),  # by a bot's callback
            (EntryStatus.REJECTED, 1),
            (EntryStatus.SUPERSEDED, 1),  # by a version 2, recorded bad_invoice
        ]
    }
    store = world.store()
    try:
        # Entered by housekeeping, which found it in the ERP: no callback.
        store.lifecycle.transition(
            made[EntryStatus.DISPATCHED][0].id,
            EntryStatus.ENTERED,
            actor="flow:release-stale-dispatches",
            reason="found in the ERP",
            erp_document_id="AP-70001",
        )
        # A second document from the bot that entered it: a possible double entry, audited, no move.
        with pytest.raises(AlreadyEnteredError):
            store.bot.record_success(made[EntryStatus.ENTERED][0].id, "AP-70002", bot=EARLIER_BOT)
        # Three invoices in the inbox, one on a PO a ready entry holds; one of them could not be judged.
        locked_po = made[EntryStatus.READY_TO_PROCESS][0].po_number
        pulled = [
            invoice_for(8001, po_number=locked_po),
            invoice_for(8002, po_number="PO-FREE-1"),
            invoice_for(8003, po_number="PO-FREE-2"),
        ]
        store.inbox.record_pull("marketplace", pulled, [], None, actor="flow:test")
    finally:
        store.close()
    with world.process.begin() as connection:
        connection.execute(
            sa.text("UPDATE inbox SET state = 'failed', error = 'a test' WHERE source_invoice_id = '8003'")
        )

    # Three entries of a store with a webhook receiver: one delivery each, delivered, failed, pending.
    hooked = ProcessStore.from_url(world.settings.process_db_url, webhook_urls=(WEBHOOK_URL,))
    try:
        for number in (9001, 9002, 9003):
            invoice = invoice_for(number, po_number=f"PO-W{number}", lines=(make_line(1, quantity=Decimal(number)),))
            hooked.verdicts.record_one(invoice, make_verdict(EntryStatus.BAD_INVOICE), None, actor="flow:test")
        delivered, failed, _pending = hooked.outbox.due(10)
        hooked.outbox.record_attempt(delivered.id, status_code=200, error=None, delivered=True, retry_at=None)
        hooked.outbox.record_attempt(failed.id, status_code=500, error="HTTP 500", delivered=False, retry_at=None)
    finally:
        hooked.close()

    clock = FakeClock(POLL_CLOCK)
    polls = ProcessStore.from_url(world.settings.process_db_url, clock=clock)
    try:
        counts = {"pulled": 40, "unreadable": 2, "recorded": 30, "failed": 1, "waiting": 7, "waiting_on_lock": 5}
        polls.poll_runs.record(flow_run_id="run-1", duration_ms=9000, batches=1, **counts)
        clock.advance(timedelta(minutes=10))
        later = {"pulled": 7, "unreadable": 1, "recorded": 5, "failed": 0, "waiting": 3, "waiting_on_lock": 3}
        polls.poll_runs.record(flow_run_id="run-2", duration_ms=4321, batches=2, **later)
    finally:
        polls.close()


def test_the_counts_are_the_process_databases(tmp_path: Path, db_url: str) -> None:
    with api_world(tmp_path, process_db_url=db_url) as world:
        populate(world)

        samples = samples_of(world.client.get("/metrics"))

    assert value(samples, DATABASE_UP) == 1
    assert by_label(samples, "invoice_automation_entries") == {
        "ready_to_process": 2,
        "dispatched": 1,
        "entered": 3,
        "rpa_failed": 1,
        "manual_review": 1,
        "bad_invoice": 5,
        "rejected": 1,
        "superseded": 1,
    }
    assert by_label(samples, "invoice_automation_entries_judged_total") == {
        "ready_to_process": 7,
        "manual_review": 3,
        "bad_invoice": 5,
    }
    # Not housekeeping's move to entered, nor the bot's second document (no move).
    assert by_label(samples, "invoice_automation_rpa_callbacks_total") == {"entered": 2, "rpa_failed": 1}
    assert value(samples, "invoice_automation_possible_double_entries") == 1
    assert [
        value(samples, f"invoice_automation_inbox_{name}") for name in ("waiting", "waiting_on_locked_po", "failed")
    ] == [2, 1, 1]
    assert by_label(samples, "invoice_automation_webhook_deliveries") == {"pending": 1, "delivered": 1, "failed": 1}
    assert value(samples, "invoice_automation_poll_duration_seconds") == 4.321
    assert (
        value(samples, "invoice_automation_poll_last_finished_timestamp_seconds")
        == (POLL_CLOCK + timedelta(minutes=10)).timestamp()
    )
    assert by_label(samples, "invoice_automation_poll_last_run_invoices") == {
        "pulled": 7,
        "unreadable": 1,
        "recorded": 5,
        "failed": 0,
    }


# ---------------------------------------------------------------------- the API's latencies


@pytest.fixture
def world(tmp_path: Path) -> Iterator[ApiWorld]:
    with api_world(tmp_path) as world:
        yield world


def test_requests_are_timed_under_their_route_template(world: ApiWorld) -> None:
    entry = entry_in(world, EntryStatus.MANUAL_REVIEW)
    client = world.client
    assert client.get(f"/api/v1/entries/{entry.id}").status_code == 200
    assert client.get("/api/v1/entries/424242").status_code == 404
    assert client.get(f"/api/v1/entries/{entry.id}").status_code == 200
    assert client.get("/api/v1/no-such-thing/7").status_code == 404
    assert client.options("/api/v1/entries").status_code == 204
    assert client.delete("/api/v1/entries").status_code == 405
    assert client.request("BREW", "/api/v1/entries").status_code == 405
    assert client.get("/health").status_code == 200

    first = samples_of(client.get("/metrics"))
    second = samples_of(client.get("/metrics"))

    requests = {
        ("GET", "/api/v1/entries/{entry_id}", "200"): 2,
        ("GET", "/api/v1/entries/{entry_id}", "404"): 1,
        ("GET", "unmatched", "404"): 1,
        ("OPTIONS", "/api/v1/entries", "204"): 1,
        ("DELETE", "/api/v1/entries", "405"): 1,
        ("other", "/api/v1/entries", "405"): 1,
        ("GET", "/health", "200"): 1,
    }
    assert requests_counted(first) == requests
    assert requests_counted(second) == requests | {("GET", "/metrics", "200"): 1}  # the first scrape
    # every request fell in the last bucket, and took some time
    assert {dict(labels)["le"] for labels in first[f"{DURATION}_bucket"]} >= {"0.001", "15.0", "+Inf"}
    infinite = {labels: count for labels, count in first[f"{DURATION}_bucket"].items() if dict(labels)["le"] == "+Inf"}
    assert sorted(infinite.values()) == sorted(requests.values())
    assert all(seconds > 0 for seconds in first[f"{DURATION}_sum"].values())


def test_each_app_counts_its_own_requests(tmp_path: Path) -> None:
    """Registries are per app: a second app of the process starts from nothing."""
    settings = settings_in(tmp_path, metrics_public=True)
    prepare_databases(settings)
    with TestClient(create_app(settings)) as one, TestClient(create_app(settings)) as other:
        one.get("/health")

        assert requests_counted(samples_of(other.get("/metrics"))) == {}
        assert requests_counted(samples_of(one.get("/metrics"))) == {("GET", "/health", "200"): 1}


# ---------------------------------------------------------------------- who may scrape


def test_metrics_want_credentials_of_any_user_or_bot(world: ApiWorld) -> None:
    anonymous = world.anonymous_client()
    for headers in ({}, {"Authorization": "Bearer iak_deadbeef_not-a-key"}, {"Authorization": "Bearer ias_no"}):
        refused = anonymous.get("/metrics", headers=headers)

        assert refused.status_code == 401
        assert refused.headers["www-authenticate"] == "Bearer"
        assert refused.json()["error"]["code"] == "not_authenticated"
    for role in ("admin", "clerk", "bot"):
        samples = samples_of(anonymous.get("/metrics", headers=world.headers(role)))

        assert value(samples, DATABASE_UP) == 1
        assert sum(by_label(samples, "invoice_automation_entries").values()) == 0
        assert "invoice_automation_poll_duration_seconds" not in samples  # no poll has run


def test_with_metrics_public_anyone_may_scrape(tmp_path: Path) -> None:
    with api_world(tmp_path, metrics_public=True) as world:
        entry_in(world, EntryStatus.BAD_INVOICE)

        samples = samples_of(world.anonymous_client().get("/metrics"))

    assert value(samples, DATABASE_UP) == 1
    assert by_label(samples, "invoice_automation_entries")["bad_invoice"] == 1


# ---------------------------------------------------------------------- a database that does not answer


def sample_names(samples: Samples) -> set[str]:
    return {name for name, values in samples.items() if values}


LATENCY_SAMPLES = {f"{DURATION}_{part}" for part in ("bucket", "count", "sum", "created")}


def test_a_database_refusing_connections_is_database_up_0(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    stopped = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port}/test"
    with (
        TestClient(create_app(settings_in(tmp_path, stopped, metrics_public=True))) as public,
        TestClient(create_app(settings_in(tmp_path, stopped))) as guarded,
    ):
        public.get("/api/v1/schemas/rpa-payload")
        served = samples_of(public.get("/metrics"))
        # its key cannot be checked: only what /health tells anyone
        unchecked = samples_of(guarded.get("/metrics", headers={"Authorization": "Bearer iak_deadbeef_unchecked"}))
        anonymous = guarded.get("/metrics")

    assert value(served, DATABASE_UP) == 0
    assert sample_names(served) == {DATABASE_UP} | LATENCY_SAMPLES
    assert unchecked == {DATABASE_UP: {(): 0}}
    assert anonymous.status_code == 401


# The request deadline the frozen-database test runs with; the scrape waits a third of it for the database.
DEADLINE_SECONDS = 3.0
WAIT_SECONDS = DEADLINE_SECONDS / 3
# What a busy machine adds to a request.
LEEWAY_SECONDS = 1.5


def timed_scrape(client: TestClient, headers: dict[str, str] | None = None) -> tuple[Samples, float]:
    started = time.monotonic()
    response = client.get("/metrics", headers=headers or {})
    return samples_of(response), time.monotonic() - started


def test_a_frozen_database_is_database_up_0_within_the_wait(tmp_path: Path, own_postgres: PrivatePostgres) -> None:
    settings = settings_in(tmp_path, own_postgres.url, request_deadline_seconds=DEADLINE_SECONDS)
    prepare_databases(settings)
    bot = credentials_for(settings, "bot")
    with (
        TestClient(create_app(settings.model_copy(update={"metrics_public": True}))) as public,
        TestClient(create_app(settings)) as guarded,
    ):
        before, _ = timed_scrape(public)
        own_postgres.freeze()
        try:
            frozen, frozen_took = timed_scrape(public)
            unchecked, unchecked_took = timed_scrape(guarded, bot)
        finally:
            own_postgres.thaw()
        after, _ = timed_scrape(guarded, bot)

    assert value(before, DATABASE_UP) == 1
    assert value(frozen, DATABASE_UP) == 0 and frozen_took < WAIT_SECONDS + LEEWAY_SECONDS
    assert sample_names(frozen) == {DATABASE_UP} | LATENCY_SAMPLES
    assert unchecked == {DATABASE_UP: {(): 0}} and unchecked_took < WAIT_SECONDS + LEEWAY_SECONDS
    assert value(after, DATABASE_UP) == 1
