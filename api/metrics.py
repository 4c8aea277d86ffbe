"""The service's Prometheus metrics (GET /metrics, api/routes/metrics.py): the latency of the API's
requests, timed in this process, and counts of the process database, read when Prometheus scrapes.

The flows run in other processes and write what they do to the process database, so every count
comes from there, whichever API process is scraped; the latencies are the scraped process's own.
A database that does not answer leaves the scrape with `invoice_automation_database_up 0` and
the latencies, within a bounded wait, rather than no answer.
"""

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Self, TypeVar

from fastapi.routing import RouteContext, iter_route_contexts
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from connectors.store import MetricsSnapshot, ProcessStore
from settings import Settings

logger = logging.getLogger(__name__)

T = TypeVar("T")
Family = TypeVar("Family", GaugeMetricFamily, CounterMetricFamily)

# From a millisecond (most requests take a few) past the request deadline (REQUEST_DEADLINE_SECONDS, 15 s).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0)
# The route label of a request no route matches: its path is not a label, or any client could make
# series without end.
UNMATCHED = "unmatched"
# Likewise a method HTTP does not define is counted as "other".
_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"})

# The longest a scrape waits for the process database (and as long again to check the caller's
# credentials there), and at most a third of the request deadline, which would otherwise answer first.
DATABASE_WAIT_SECONDS = 5.0
# The metrics' own threads for reading the database, never the app's: a frozen database holds them
# until its engine's timeouts, and meanwhile a scrape gives up on its queued read after the wait.
_READING_THREADS = 2


class ApiMetrics:
    """What an API process measures itself, in a registry of the app's own (not the global one: a
    test process makes many apps)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.request_duration = Histogram(
            "invoice_automation_http_request_duration_seconds",
            "Time from a request's arrival to the end of its answer, by method, route template and status code.",
            labelnames=("method", "route", "status"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )


class RequestMetrics:
    """ASGI middleware timing every HTTP request into `ApiMetrics.request_duration`, labelled with the
    template of the route it matches (`/api/v1/entries/{entry_id}`), never the path it was sent to."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics
        self._routes: list[RouteContext] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        # Matched before the app runs: routing rewrites the scope (a mount's root_path).
        route = self._route_template(scope)
        method = scope["method"] if scope["method"] in _METHODS else "other"
        status = 500  # an exception escaping the app is answered 500 outside this middleware

        async def watched_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        finally:
            self.metrics.request_duration.labels(method, route, str(status)).observe(time.perf_counter() - started)

    def _route_template(self, scope: Scope) -> str:
        """The path template of the route the request matches; one matching the path but not the
        method (405, OPTIONS) if none matches both; else UNMATCHED."""
        if self._routes is None:  # the app's routes are all in place by its first request
            self._routes = list(iter_route_contexts(scope["app"].routes))
        partial: str | None = None
        for route in self._routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return route.path_format or UNMATCHED
            if match is Match.PARTIAL and partial is None:
                partial = route.path_format
        return partial or UNMATCHED


class DatabaseCollector:
    """The process database's counts as one scrape read them; `snapshot` None when it did not answer."""

    def __init__(self, snapshot: MetricsSnapshot | None) -> None:
        self.snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        snapshot = self.snapshot
        yield GaugeMetricFamily(
            "invoice_automation_database_up",
            "1 when the process database answered this scrape in time; 0 when not (its counts are then left out).",
            value=0 if snapshot is None else 1,
        )
        if snapshot is None:
            return
        yield _labelled(
            GaugeMetricFamily(
                "invoice_automation_entries", "Entries (judged invoice versions) per status.", labels=["status"]
            ),
            snapshot.entries_by_status.items(),
        )
        yield _labelled(
            CounterMetricFamily(
                "invoice_automation_entries_judged_total",
                "Invoice versions judged (entries created), per verdict: the status each entry started in.",
                labels=["verdict"],
            ),
            snapshot.judged_by_verdict.items(),
        )
        yield _labelled(
            CounterMetricFamily(
                "invoice_automation_rpa_callbacks_total",
                "RPA bots' callbacks that moved an entry: entered (success) or rpa_failed (failure).",
                labels=["outcome"],
            ),
            snapshot.bot_callbacks.items(),
        )
        yield GaugeMetricFamily(
            "invoice_automation_possible_double_entries",
            "Entries two different ERP documents were reported for: AP checks the ERP for a second posting.",
            value=snapshot.possible_double_entries,
        )
        yield GaugeMetricFamily(
            "invoice_automation_inbox_waiting",
            "Pulled invoices waiting in the inbox to be judged (those on a locked PO included).",
            value=snapshot.inbox.waiting,
        )
        yield GaugeMetricFamily(
            "invoice_automation_inbox_waiting_on_locked_po",
            "Of the invoices waiting in the inbox, those whose PO another entry holds.",
            value=snapshot.inbox.waiting_on_lock,
        )
        yield GaugeMetricFamily(
            "invoice_automation_inbox_failed",
            "Pulled invoices that could not be judged (inbox state failed, with the reason).",
            value=snapshot.inbox.failed,
        )
        yield _labelled(
            GaugeMetricFamily(
                "invoice_automation_webhook_deliveries", "Webhook deliveries per state.", labels=["state"]
            ),
            snapshot.webhook_deliveries.items(),
        )
        yield from _last_poll(snapshot)


def _labelled(family: Family, counts: Iterable[tuple[str, int]]) -> Family:
    """`family` with a sample per (label value, count)."""
    for label, count in counts:
        family.add_metric([label], count)
    return family


def _last_poll(snapshot: MetricsSnapshot) -> Iterator[Metric]:
    """The last poll-marketplace run that finished; nothing before the first."""
    run = snapshot.last_poll
    if run is None:
        return
    yield GaugeMetricFamily(
        "invoice_automation_poll_duration_seconds",
        "How long the last poll-marketplace run that finished took.",
        value=run.duration_ms / 1000,
    )
    yield GaugeMetricFamily(
        "invoice_automation_poll_last_finished_timestamp_seconds",
        "When the last poll-marketplace run finished (Unix time).",
        value=run.finished_at.timestamp(),
    )
    yield _labelled(
        GaugeMetricFamily(
            "invoice_automation_poll_last_run_invoices",
            "What the last poll-marketplace run did: invoices pulled, unreadable rows, entries recorded, "
            "invoices that could not be judged.",
            labels=["outcome"],
        ),
        [("pulled", run.pulled), ("unreadable", run.unreadable), ("recorded", run.recorded), ("failed", run.failed)],
    )


class _Together:
    """Several collectors exposed as one."""

    def __init__(self, collectors: Sequence[Collector]) -> None:
        self.collectors = collectors

    def collect(self) -> Iterator[Metric]:
        for collector in self.collectors:
            yield from collector.collect()


class DatabaseSilentError(Exception):
    """The process database failed, or did not answer within the wait."""


class MetricsExporter:
    """What GET /metrics serves, made by the app's lifespan (its threads end with the app)."""

    def __init__(self, metrics: ApiMetrics, store: ProcessStore, *, public: bool, wait_seconds: float) -> None:
        self.public = public
        self.wait_seconds = wait_seconds
        self._metrics = metrics
        self._store = store
        self._threads = ThreadPoolExecutor(_READING_THREADS, thread_name_prefix="metrics-database")

    @classmethod
    def from_settings(cls, metrics: ApiMetrics, store: ProcessStore, settings: Settings) -> Self:
        wait = min(DATABASE_WAIT_SECONDS, settings.request_deadline_seconds / 3)
        return cls(metrics, store, public=settings.metrics_public, wait_seconds=wait)

    async def read(self, query: Callable[[], T]) -> T:
        """`query`'s answer, asked of the process database on the exporter's threads; raises
        DatabaseSilentError when the database fails or gives none within the wait."""
        running = self._threads.submit(query)
        try:
            # Given up on, a query not yet started is dropped; one that is waits for the engine's timeouts.
            return await asyncio.wait_for(asyncio.wrap_future(running), self.wait_seconds)
        except TimeoutError as timeout:
            logger.warning("Metrics: no answer from the process database within %s s", self.wait_seconds)
            raise DatabaseSilentError(f"no answer within {self.wait_seconds:g} s") from timeout
        except SQLAlchemyError as error:
            logger.warning("Metrics: the process database failed", exc_info=error)
            raise DatabaseSilentError(type(error).__name__) from error

    async def exposition(self) -> bytes:
        """Every metric, in Prometheus' text format."""
        try:
            snapshot: MetricsSnapshot | None = await self.read(self._store.metrics.snapshot)
        except DatabaseSilentError:
            snapshot = None
        return generate_latest(_Together([self._metrics.registry, DatabaseCollector(snapshot)]))

    @staticmethod
    def database_down() -> bytes:
        """Only that the process database does not answer: what GET /health tells anyone."""
        return generate_latest(DatabaseCollector(None))

    def close(self) -> None:
        self._threads.shutdown(wait=False, cancel_futures=True)
