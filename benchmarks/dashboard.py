"""The dashboard at production size (#14): 100,000 entries and 1,000,000 audit events in the process
database (SQLite, then PostgreSQL), written by `dashboard_seed`; the app served by `python -m api`
(uvicorn, 1 worker) in a process of its own and asked over HTTP by a clerk signed in with the
session cookie (an admin for the admin pages).

Each page and JSON route: 200 requests one after another (after one that is not counted), p50, p95
and the slowest, against the target p95 ≤ 300 ms; a route that answers 404 is "not built" (yet).
Then the CSV export of all 100,000 entries, streamed, against ≤ 5 s, and the server's peak RSS
above what it held before, beside the same for a 10,000-row export: memory that does not grow with
the rows is flat.
"""

import random
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import sqlalchemy as sa

from api.security import SESSION_COOKIE
from benchmarks.api_server import api_process
from benchmarks.dashboard_seed import DashboardSize, SeededDashboard, seed_dashboard
from benchmarks.databases import SERVERS, bench_database
from connectors.marketplace.schema import metadata as marketplace_metadata
from connectors.store import ProcessStore
from connectors.store.migrate import upgrade
from connectors.store.tables import EntryRow

PORT = 8769
REQUESTS = 200
P95_TARGET_MS = 300.0
EXPORT_TARGET_SECONDS = 5.0
DEEP_PAGES = 50
SMALL_EXPORT = 10_000
PASSWORD = "dashboard benchmark 2026"
SAMPLE_SECONDS = 0.05


@dataclass(frozen=True)
class PageTiming:
    label: str
    path: str
    latencies_ms: tuple[float, ...]  # empty: not built (404)

    @property
    def built(self) -> bool:
        return bool(self.latencies_ms)

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms)

    @property
    def p95(self) -> float:
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[94]

    @property
    def slowest(self) -> float:
        return max(self.latencies_ms)


@dataclass(frozen=True)
class ExportRun:
    rows: int
    megabytes: float
    seconds: float
    rss_before_mb: float
    rss_peak_mb: float

    @property
    def growth_mb(self) -> float:
        return self.rss_peak_mb - self.rss_before_mb


def run(size: DashboardSize | None = None) -> dict[str, tuple[SeededDashboard, list[PageTiming], list[ExportRun]]]:
    size = size or DashboardSize()
    now = datetime.now(UTC)
    figures = {}
    with tempfile.TemporaryDirectory() as folder:
        sqlite = f"sqlite:///{Path(folder) / 'process.db'}"
        figures["sqlite"] = bench_on("sqlite", sqlite, Path(folder) / "sqlite", size, now)
        with bench_database(SERVERS["postgresql"], name="ia_bench_dashboard") as postgres:
            if postgres is not None:
                figures["postgresql"] = bench_on("postgresql", postgres, Path(folder) / "postgresql", size, now)
    return figures


def bench_on(
    label: str,
    process_url: str,
    folder: Path,
    size: DashboardSize,
    now: datetime,
    *,
    requests: int = REQUESTS,
    port: int = PORT,
) -> tuple[SeededDashboard, list[PageTiming], list[ExportRun]]:
    """Seed the (empty) database `process_url`, with the ERP and marketplace as SQLite files in the
    new folder `folder`, serve the app over it and measure; prints the figures and returns them."""
    folder.mkdir()
    erp_url, marketplace_url = f"sqlite:///{folder / 'erp.db'}", f"sqlite:///{folder / 'marketplace.db'}"
    upgrade(process_url)
    seeded = seed_dashboard(process_url, erp_url, size, now=now)
    print(
        f"dashboard [{label}]: seeded {seeded.entries:,} entries and {seeded.events:,} events in "
        f"{seeded.seconds:.0f} s ({', '.join(f'{s} {n:,}' for s, n in sorted(seeded.statuses.items()))})",
        flush=True,
    )
    marketplace = sa.create_engine(marketplace_url)
    marketplace_metadata.create_all(marketplace)
    marketplace.dispose()
    _create_people(process_url)
    with api_process(marketplace_url=marketplace_url, erp_url=erp_url, process_url=process_url, port=port) as (
        base_url,
        server,
    ):
        with _signed_in(base_url, "bench.clerk") as clerk, _signed_in(base_url, "bench.admin") as admin:
            timings = [
                _timed(admin if path_of(0).startswith("/admin") else clerk, page, path_of, requests)
                for page, path_of in _pages(clerk, seeded, size, requests).items()
            ]
            _print_pages(label, timings, requests)
            small_since = _judged_since(process_url, min(SMALL_EXPORT, size.entries // 10))
            exports = [
                _export(clerk, server.pid, f"/api/v1/entries/export.csv?judged_from={small_since}"),
                _export(clerk, server.pid, "/api/v1/entries/export.csv"),
            ]
    _print_exports(label, exports, size.entries)
    return seeded, timings, exports


def _create_people(process_url: str) -> None:
    store = ProcessStore.from_url(process_url)
    try:
        store.accounts.create_user("bench.clerk", PASSWORD, "clerk")
        store.accounts.create_user("bench.admin", PASSWORD, "admin")
    finally:
        store.close()


def _signed_in(base_url: str, username: str) -> httpx.Client:
    """A client sending the session cookie of `username`, signed in through POST /api/v1/auth/login."""
    answer = httpx.post(f"{base_url}/api/v1/auth/login", json={"username": username, "password": PASSWORD}, timeout=60)
    answer.raise_for_status()
    return httpx.Client(base_url=base_url, timeout=60, cookies={SESSION_COOKIE: answer.json()["token"]})


def _pages(
    clerk: httpx.Client, seeded: SeededDashboard, size: DashboardSize, requests: int
) -> dict[str, Callable[[int], str]]:
    """Label → the path of request n."""
    pages = min(DEEP_PAGES, size.entries // 50 - 1)
    deep = _cursor_after_pages(clerk, pages)
    entry_ids = random.Random(14).choices(range(1, size.entries + 1), k=requests + 1)
    return {
        "/ (overview)": lambda _n: "/",
        "/queue": lambda _n: "/queue",
        "/queue?status=manual_review": lambda _n: "/queue?status=manual_review",
        "/queue?vendor_id=<busiest vendor>": lambda _n: f"/queue?vendor_id={seeded.busiest_vendor}",
        "/queue?rule_id=<commonest rule>&sort=total&order=asc": (
            lambda _n: f"/queue?rule_id={seeded.commonest_rule}&sort=total&order=asc"
        ),
        f"/queue?after=<cursor {pages} pages deep>": lambda _n: f"/queue?after={deep}",
        "/entries/<random id>": lambda n: f"/entries/{entry_ids[n]}",
        "/flow-runs": lambda _n: "/flow-runs",
        "/admin/users (admin)": lambda _n: "/admin/users",
        "/api/v1/kpis": lambda _n: "/api/v1/kpis",
        "/api/v1/entries": lambda _n: "/api/v1/entries",
    }


def _cursor_after_pages(client: httpx.Client, pages: int) -> str:
    """The cursor of the queue's default order after `pages` pages of 50, followed through the list API."""
    cursor = None
    for _ in range(pages):
        answer = client.get("/api/v1/entries", params={"limit": 50} | ({"cursor": cursor} if cursor else {}))
        answer.raise_for_status()
        cursor = answer.json()["next_cursor"]
    if not isinstance(cursor, str):
        raise AssertionError(f"the queue has fewer than {pages} pages")
    return cursor


def _timed(client: httpx.Client, label: str, path_of: Callable[[int], str], requests: int) -> PageTiming:
    first = client.get(path_of(0))  # not counted: it may fill caches
    if first.status_code == 404:
        return PageTiming(label, path_of(0), ())
    latencies = []
    for n in range(1, requests + 1):
        started = time.perf_counter()
        answer = client.get(path_of(n))
        latencies.append((time.perf_counter() - started) * 1000)
        if answer.status_code != 200:
            raise AssertionError(f"GET {path_of(n)} answered {answer.status_code}: {answer.text[:300]}")
    return PageTiming(label, path_of(0), tuple(latencies))


def _print_pages(label: str, timings: list[PageTiming], requests: int) -> None:
    print(f"  {'page [' + label + ', ' + str(requests) + ' requests each]':<58}{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}")
    for timing in timings:
        if not timing.built:
            print(f"  {timing.label:<58}{'not built (404)':>24}")
            continue
        verdict = "ok" if timing.p95 <= P95_TARGET_MS else f"OVER {P95_TARGET_MS:.0f}"
        print(f"  {timing.label:<58}{timing.p50:8.0f}{timing.p95:8.0f}{timing.slowest:8.0f}  p95 {verdict}")


def _judged_since(process_url: str, newest: int) -> str:
    """The judged_from that selects the `newest` entries judged last."""
    engine = sa.create_engine(process_url)
    try:
        with engine.connect() as connection:
            moment = connection.scalar(
                sa.select(EntryRow.created_at).order_by(EntryRow.created_at.desc()).offset(newest - 1).limit(1)
            )
    finally:
        engine.dispose()
    if moment is None:
        raise AssertionError(f"fewer than {newest} entries")
    return moment.isoformat().replace("+00:00", "Z")


class _PeakRss:
    """The peak resident memory of process `pid` over a with-block, and what it held before."""

    def __init__(self, pid: int) -> None:
        self._status = Path(f"/proc/{pid}/status")
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, name="peak-rss", daemon=True)
        self.before_mb = self.peak_mb = 0.0

    def _read_mb(self, field: str) -> float:
        for line in self._status.read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(f"no {field} in {self._status}")

    def __enter__(self) -> "_PeakRss":
        (self._status.parent / "clear_refs").write_text("5")  # the high-water mark starts again from now
        self.before_mb = self.peak_mb = self._read_mb("VmRSS")
        self._sampler.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._sampler.join()
        self.peak_mb = max(self.peak_mb, self._read_mb("VmHWM"))

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self.peak_mb = max(self.peak_mb, self._read_mb("VmRSS"))


def _export(client: httpx.Client, server_pid: int, path: str) -> ExportRun:
    size = lines = 0
    with _PeakRss(server_pid) as rss:
        started = time.perf_counter()
        with client.stream("GET", path) as answer:
            if answer.status_code != 200:
                raise AssertionError(f"GET {path} answered {answer.status_code}")
            for chunk in answer.iter_bytes():
                size += len(chunk)
                lines += chunk.count(b"\n")
        seconds = time.perf_counter() - started
    return ExportRun(lines - 1, size / 1e6, seconds, rss.before_mb, rss.peak_mb)


def _print_exports(label: str, exports: list[ExportRun], entries: int) -> None:
    small, whole = exports
    if whole.rows != entries:
        raise AssertionError(f"the export had {whole.rows} rows, not {entries}")
    verdict = "ok" if whole.seconds <= EXPORT_TARGET_SECONDS else f"OVER {EXPORT_TARGET_SECONDS:.0f} s"
    print(
        f"  CSV export [{label}]: {whole.rows:,} rows ({whole.megabytes:.1f} MB) streamed in {whole.seconds:.1f} s "
        f"({verdict}); server RSS {whole.rss_before_mb:.0f} MB before, peak +{whole.growth_mb:.1f} MB; "
        f"{small.rows:,} rows: {small.seconds:.1f} s, peak +{small.growth_mb:.1f} MB",
        flush=True,
    )


if __name__ == "__main__":
    run()
