"""The Prefect flows under a real Prefect test harness, over the demo data.

One harness per test session (it costs ~10 s to start); the tests share one xdist worker.
"""

import json
import logging
import threading
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
import sqlalchemy as sa
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey, FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.objects import Artifact

from connectors.store import ProcessStore
from connectors.store.migrate import downgrade, upgrade
from connectors.store.pulled import MAX_HELD_LINES
from connectors.store.recording import VerdictRecorder
from demo import EXPECTED_RULES, SeedReport, seed_demo
from domain import EntryStatus, Severity
from flows.housekeeping import ReleaseParameters, release_stale_dispatches
from flows.poll import PollParameters, poll_marketplace
from rules.catalogue import REGISTRY
from services.poll_report import POLL_SUMMARY_KEY, PollReport
from services.runtime import services_for
from settings import get_settings
from tests.databases import scratch_database

pytestmark = [pytest.mark.xdist_group("prefect"), pytest.mark.usefixtures("prefect_harness")]
INVOICES = 120
PAGE_SIZE = 20
BACKLOG = 1000


@dataclass
class World:
    report: SeedReport
    process_url: str
    store: ProcessStore

    def expected_status(self, source_invoice_id: str) -> EntryStatus:
        severities = {
            REGISTRY[rule_id].severity for rule_id in EXPECTED_RULES[self.report.problems[int(source_invoice_id)]]
        }
        if Severity.HARD in severities:
            return EntryStatus.BAD_INVOICE
        return EntryStatus.MANUAL_REVIEW if severities else EntryStatus.READY_TO_PROCESS

    def entries_by_status(self) -> Counter[EntryStatus]:
        with sa.create_engine(self.process_url).connect() as conn:
            rows = conn.execute(sa.text("SELECT status, count(*) FROM process_scheduler GROUP BY status")).all()
        return Counter({EntryStatus(status): count for status, count in rows})

    def flow_run_ids(self) -> list[str | None]:
        with sa.create_engine(self.process_url).connect() as conn:
            return list(conn.execute(sa.text("SELECT DISTINCT flow_run_id FROM process_scheduler")).scalars())

    def judged_before_the_last_pull(self) -> bool:
        with sa.create_engine(self.process_url).connect() as conn:
            return bool(
                conn.execute(
                    sa.text(
                        "SELECT count(*) FROM inbox WHERE pulled_at > (SELECT min(created_at) FROM process_scheduler)"
                    )
                ).scalar_one()
            )

    def entry_rows(self) -> list[tuple[int, str, str, str]]:
        with sa.create_engine(self.process_url).connect() as conn:
            return [
                tuple(r)
                for r in conn.execute(
                    sa.text("SELECT id, source_invoice_id, po_number, status FROM process_scheduler ORDER BY id")
                )
            ]


def summary_artifact(flow_run_id: str) -> Artifact:
    with get_client(sync_client=True) as client:
        [artifact] = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[POLL_SUMMARY_KEY])),
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(flow_run_id)])),
        )
    return artifact


def _world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, process_url: str, *, invoices: int = INVOICES
) -> Iterator[World]:
    marketplace, erp = f"sqlite:///{tmp_path / 'marketplace.db'}", f"sqlite:///{tmp_path / 'erp.db'}"
    # The flows judge by the real clock, so the demo's "today" is the real one too.
    report = seed_demo(marketplace, erp, invoices=invoices, today=date.today())
    upgrade(process_url)
    for name, url in (("MARKETPLACE_DB_URL", marketplace), ("ERP_DB_URL", erp), ("PROCESS_DB_URL", process_url)):
        monkeypatch.setenv(name, url)
    # several pages, so that a run can pull them in slices
    monkeypatch.setenv("MARKETPLACE_PAGE_SIZE", str(PAGE_SIZE))
    get_settings.cache_clear()
    services_for.cache_clear()
    store = ProcessStore.from_url(process_url)
    yield World(report=report, process_url=process_url, store=store)
    store.close()
    services_for(get_settings()).close()
    services_for.cache_clear()
    get_settings.cache_clear()


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from _world(tmp_path, monkeypatch, f"sqlite:///{tmp_path / 'process.db'}")


@pytest.mark.parametrize(
    ("judging_processes", "slice_lines"),
    [(1, MAX_HELD_LINES), (2, MAX_HELD_LINES), (1, 200), (2, 200)],
    ids=["one-process", "two-processes", "one-process-in-slices", "two-processes-in-slices"],
)
def test_one_poll_judges_the_demo_data_and_a_second_creates_nothing(
    world: World, judging_processes: int, slice_lines: int
) -> None:
    parameters = PollParameters(batch_size=25, judging_processes=judging_processes, pull_slice_lines=slice_lines)
    started = datetime.now(UTC)
    report = poll_marketplace(parameters)

    garbled = sum(1 for problem in world.report.problems.values() if problem.startswith("garbled."))
    assert report.pulled == INVOICES - garbled
    assert report.unreadable == garbled
    assert report.statuses == dict(world.entries_by_status())
    assert set(report.statuses) == {EntryStatus.READY_TO_PROCESS, EntryStatus.MANUAL_REVIEW, EntryStatus.BAD_INVOICE}
    # every entry got the status its planted problem calls for
    for _, source_invoice_id, _, status in world.entry_rows():
        assert EntryStatus(status) is world.expected_status(source_invoice_id), source_invoice_id
    # what was not judged waits for a PO queued for the bot
    assert report.recorded + report.waiting == report.pulled
    assert report.waiting == report.waiting_on_lock > 0
    assert report.failed == 0

    # every entry names the run that judged it, and the run published its counts
    [run_id] = set(world.flow_run_ids())
    assert run_id is not None
    artifact = summary_artifact(run_id)
    assert (artifact.type, artifact.description) == ("table", report.summary_line())
    assert PollReport.from_table(json.loads(str(artifact.data))) == report

    # in slices (~20 invoices of ~10 lines), the first were judged before the last were pulled
    assert world.judged_before_the_last_pull() is (slice_lines < MAX_HELD_LINES)
    # and recorded its duration and counts where the API's metrics read them
    run = world.store.poll_runs.latest()
    assert run is not None
    assert run.model_dump(exclude={"finished_at"}) == {
        "flow_run_id": run_id,
        "duration_ms": round(report.seconds * 1000),
        "pulled": report.pulled,
        "unreadable": report.unreadable,
        "recorded": report.recorded,
        "failed": report.failed,
        "waiting": report.waiting,
        "waiting_on_lock": report.waiting_on_lock,
        "batches": report.batches,
    }
    assert started < run.finished_at < datetime.now(UTC)

    again = poll_marketplace(parameters)

    assert (again.pulled, again.recorded, again.waiting_on_lock) == (0, 0, report.waiting_on_lock)
    assert len(world.entry_rows()) == report.recorded
    last = world.store.poll_runs.latest()
    assert last is not None and (last.pulled, last.recorded) == (0, 0) and last.finished_at > run.finished_at


@pytest.fixture
def backlog_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    yield from _world(tmp_path, monkeypatch, f"sqlite:///{tmp_path / 'process.db'}", invoices=BACKLOG)


def test_a_poll_holds_a_slice_of_its_backlog_in_memory_not_the_backlog(backlog_world: World) -> None:
    """Not a timing: the most Python memory a run had allocated at once (tracemalloc), for the same
    backlog in slices of ~50 invoices and in one slice (what every run did before slices)."""

    def peak_of_a_run(slice_lines: int) -> tuple[int, PollReport]:
        downgrade(backlog_world.process_url, "base")  # the same backlog, never pulled
        upgrade(backlog_world.process_url)
        services_for(get_settings()).close()
        services_for.cache_clear()  # nothing held from the run before
        tracemalloc.start()
        try:
            report = poll_marketplace(PollParameters(batch_size=25, pull_slice_lines=slice_lines))
            return tracemalloc.get_traced_memory()[1], report
        finally:
            tracemalloc.stop()

    # what the first run of a process allocates once (imports, clients) must count in neither
    poll_marketplace(PollParameters(batch_size=25, max_batches=1))
    in_slices, sliced = peak_of_a_run(500)
    at_once, whole = peak_of_a_run(MAX_HELD_LINES)

    assert (sliced.pulled, sliced.statuses) == (whole.pulled, whole.statuses)
    assert in_slices < at_once / 2


def test_an_invoice_waiting_on_a_locked_po_is_judged_once_the_lock_is_released(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="prefect.flow_runs"):
        first = poll_marketplace(PollParameters())
    # the run's log says what each batch did, and closes with the report's line
    logged = [record.getMessage() for record in caplog.records if record.name == "prefect.flow_runs"]
    assert any(message.startswith("Vendor share 1 of 1: Batch of ") for message in logged), logged
    assert first.summary_line() in logged
    waiting = world.store.inbox.waiting(limit=1)[0].invoice
    holder = world.store.entries.po_lock_holder(waiting.po_number)
    assert holder is not None
    world.store.lifecycle.transition(holder, EntryStatus.DISPATCHED, actor="bot", reason="claimed")
    world.store.lifecycle.transition(holder, EntryStatus.ENTERED, actor="bot", reason="entered", erp_document_id="AP-1")

    second = poll_marketplace(PollParameters())

    assert world.store.entries.find(waiting.key) is not None
    assert second.recorded >= 1
    assert second.waiting_on_lock <= first.waiting_on_lock


def test_a_failure_in_the_middle_of_a_batch_leaves_nothing_half_written(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail_after_the_entries_are_inserted(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("injected: the database went away mid-batch")

    monkeypatch.setattr(VerdictRecorder, "_record_creations", staticmethod(fail_after_the_entries_are_inserted))
    with pytest.raises(RuntimeError, match="injected"):
        poll_marketplace(PollParameters(batch_size=25))
    assert world.entry_rows() == []
    with sa.create_engine(world.process_url).connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM po_locks")).scalar_one() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM entry_events")).scalar_one() == 0

    monkeypatch.undo()
    report = poll_marketplace(PollParameters(batch_size=25))

    assert report.recorded == len(world.entry_rows()) > 0


def test_stale_dispatches_are_released_by_the_housekeeping_flow(world: World) -> None:
    poll_marketplace(PollParameters())
    [entry_id, *_] = [row[0] for row in world.entry_rows() if row[3] == EntryStatus.READY_TO_PROCESS]
    world.store.lifecycle.transition(entry_id, EntryStatus.DISPATCHED, actor="bot", reason="claimed")

    assert release_stale_dispatches(ReleaseParameters(stale_after_minutes=60)).released_entry_ids == []
    with sa.create_engine(world.process_url).begin() as conn:  # the bot went quiet two hours ago
        conn.execute(
            sa.text("UPDATE process_scheduler SET updated_at = :t WHERE id = :id"),
            {"t": (datetime.now(UTC) - timedelta(hours=2)).replace(tzinfo=None), "id": entry_id},
        )

    assert release_stale_dispatches(ReleaseParameters(stale_after_minutes=60)).released_entry_ids == [entry_id]
    assert world.store.entries.get(entry_id).status is EntryStatus.READY_TO_PROCESS


@pytest.fixture
def postgres_world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    with scratch_database("postgresql", tmp_path_factory) as url:
        yield from _world(tmp_path, monkeypatch, url)


@pytest.mark.parametrize("judging_processes", [1, 2], ids=["one-process-each", "two-processes-each"])
def test_two_polls_at_once_on_postgresql_never_double_a_po_or_an_invoice(
    postgres_world: World, judging_processes: int
) -> None:
    reports, failures = [], []

    def poll() -> None:
        try:
            reports.append(poll_marketplace(PollParameters(batch_size=10, judging_processes=judging_processes)))
        except Exception as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=poll) for _ in range(2)]
    for thread in threads:
        thread.start()
    # Seconds as a rule; now and then the harness's SQLite-backed Prefect server makes a request
    # wait out its 60 s busy timeout when two runs write to it at once.
    for thread in threads:
        thread.join(timeout=300)

    assert not any(thread.is_alive() for thread in threads), "a poll run did not finish within 5 minutes"
    assert failures == []
    rows = postgres_world.entry_rows()
    invoices = [source_invoice_id for _, source_invoice_id, _, _ in rows]
    assert len(invoices) == len(set(invoices))
    live = Counter(po for _, _, po, status in rows if EntryStatus(status).locks_po)
    assert [po for po, count in live.items() if count > 1] == []
    assert sum(report.recorded for report in reports) == len(rows)
