"""`poll-marketplace`: every 10 minutes, pull new marketplace invoices into the inbox, judge the
waiting ones batch by batch, record verdicts, payloads and PO locks. A large backlog is pulled and
judged slice by slice (`pull_slice_lines`), so a process's memory does not grow with it.

The flow only sequences steps; what each step does lives in services/polling.py. A task per vendor
partition, each judging batch by batch (never a task per invoice): one partition unless
`judging_processes` asks for more, the others judged in worker processes
(services/judging_workers.py). Connector failures are retried with backoff by Prefect (flows/retries.py).
"""

import time
from typing import TypedDict

from prefect import flow, get_run_logger
from prefect.artifacts import create_table_artifact
from prefect.runtime import flow_run
from prefect.task_runners import ThreadPoolTaskRunner
from pydantic import BaseModel, Field

from connectors.marketplace import MarketplaceCursor
from connectors.store import InboxCounts, PollRun
from connectors.store.partitions import MAX_PARTITIONS, VendorPartition
from connectors.store.pulled import MAX_HELD_LINES
from flows.retries import connector_task
from services.judging_workers import JudgingWorkers
from services.poll_report import POLL_SUMMARY_KEY, PollReport, summarise_poll
from services.polling import BatchOutcome, PullOutcome, fewer_garbage_collections, judge_partition, pull_into_inbox
from services.runtime import services_for
from settings import get_settings

ACTOR = "flow:poll-marketplace"


class PollParameters(BaseModel):
    batch_size: int = Field(default=500, ge=1, le=2000, description="Invoices judged and recorded per transaction.")
    max_batches: int = Field(
        default=200, ge=1, description="Upper bound on batches in one run; the rest waits for the next."
    )
    pull_slice_lines: int = Field(
        default=50_000,
        ge=1,
        le=MAX_HELD_LINES,
        description="Invoice lines pulled before they are judged, then the next slice: what the flow's process "
        "holds (~2.2 KB a line) is one slice, whatever the backlog.",
    )
    judging_processes: int = Field(
        default=1,
        ge=1,
        le=MAX_PARTITIONS,
        description="Processes judging at once, each a share of the vendors: the flow's own and the rest spawned "
        "for the run. Judging is CPU work, so up to the worker machine's cores; 1 spawns nothing.",
    )


class _Batching(TypedDict):
    """The keyword arguments of judge_partition and JudgingWorkers.judge."""

    batch_size: int
    max_batches: int
    actor: str
    flow_run_id: str | None


@connector_task()
def pull_marketplace(
    judged_here: VendorPartition, slice_lines: int, resume_after: MarketplaceCursor | None
) -> PullOutcome:
    """The next slice of the run's pull: about `slice_lines` invoice lines."""
    services = services_for(get_settings())
    return pull_into_inbox(
        services.marketplace,
        services.store,
        actor=ACTOR,
        judged_here=judged_here,
        max_lines=slice_lines,
        resume_after=resume_after,
    )


# Never from a cache: the workers argument cannot be hashed, and a verdict is only worth what the
# database says now.
@connector_task(cached=False)
def judge_vendor_partition(
    parameters: PollParameters,
    partition: VendorPartition,
    max_batches: int,
    flow_run_id: str | None,
    workers: JudgingWorkers | None,
) -> list[BatchOutcome]:
    """The partition's batches, judged in this process (workers None) or in a worker process."""
    batching: _Batching = {
        "batch_size": parameters.batch_size,
        "max_batches": max_batches,
        "actor": ACTOR,
        "flow_run_id": flow_run_id,
    }
    if workers is None:
        return judge_partition(services_for(get_settings()).judging, partition, **batching)
    return workers.judge(partition, **batching)


@connector_task()
def count_inbox() -> InboxCounts:
    return services_for(get_settings()).store.inbox.counts()


@connector_task(cached=False)  # a write: never skipped for an earlier answer
def record_poll_run(report: PollReport, flow_run_id: str | None) -> PollRun:
    """The run's duration and counts, where the API's metrics read the last run (another process)."""
    return services_for(get_settings()).store.poll_runs.record(
        flow_run_id=flow_run_id,
        duration_ms=round(report.seconds * 1000),
        pulled=report.pulled,
        unreadable=report.unreadable,
        recorded=report.recorded,
        failed=report.failed,
        waiting=report.waiting,
        waiting_on_lock=report.waiting_on_lock,
        batches=report.batches,
    )


# Prefect's TaskRunner is invariant in its future type, so no concrete runner matches `task_runner` (prefect#16938).
@flow(name="poll-marketplace", task_runner=ThreadPoolTaskRunner(max_workers=MAX_PARTITIONS))  # type: ignore[arg-type]
def poll_marketplace(parameters: PollParameters = PollParameters()) -> PollReport:
    # Workers start now, so that their start overlaps the pull.
    with fewer_garbage_collections(), JudgingWorkers(parameters.judging_processes - 1, get_settings()) as workers:
        return _poll(parameters, workers)


def _poll(parameters: PollParameters, workers: JudgingWorkers) -> PollReport:
    """Pull a slice of the marketplace, judge what waits, and again until the pull has read it all:
    what a process holds is a slice and a batch, whatever the backlog."""
    started = time.perf_counter()
    logger = get_run_logger()
    partitions = VendorPartition.all_of(parameters.judging_processes)
    run_id = flow_run.get_id()
    # the run's bound shared out (at least one batch each); a batch that found nothing costs none
    batches_left = [max(1, parameters.max_batches // len(partitions))] * len(partitions)
    batches: list[BatchOutcome] = []  # those that judged something: at most max_batches
    pulled = PullOutcome(new_invoices=0, already_known=0, unreadable=0)
    while True:
        # The first partition is judged here, from the invoices the pull keeps in memory for it.
        pulled += pull_marketplace(partitions[0], parameters.pull_slice_lines, pulled.resume_after)
        judging = {
            partition.index: judge_vendor_partition.submit(
                parameters, partition, batches_left[partition.index], run_id, workers if partition.index else None
            )
            for partition in partitions
            if batches_left[partition.index]
        }
        for index, future in judging.items():
            judged = [batch for batch in future.result() if batch.selected]
            batches_left[index] -= len(judged)
            batches += judged
            for batch in judged:
                logger.info("Vendor share %d of %d: %s", index + 1, len(partitions), batch.describe())
        if pulled.resume_after is None:
            break
    report = summarise_poll(pulled, batches, count_inbox(), seconds=time.perf_counter() - started)
    logger.info(report.summary_line())
    # A table: the Prefect UI shows it, and the dashboard reads the numbers back (PollReport.from_artifact).
    create_table_artifact(key=POLL_SUMMARY_KEY, table=report.table(), description=report.summary_line())
    record_poll_run(report, run_id)
    return report
