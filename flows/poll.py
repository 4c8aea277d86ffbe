"""`poll-marketplace`: every 10 minutes, pull new marketplace invoices into the inbox, judge the
waiting ones batch by batch, record verdicts, payloads and PO locks.

The flow only sequences steps; what each step does lives in flows/judging.py. A task per vendor
partition, each judging batch by batch (never a task per invoice): one partition unless
`judging_processes` asks for more, the others judged in worker processes
(flows/judging_workers.py). Connector failures are retried with backoff by Prefect.
"""

import time

import sqlalchemy as sa
from prefect import Task, flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import TaskRun
from prefect.runtime import flow_run
from prefect.states import State
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.tasks import exponential_backoff
from pydantic import BaseModel, Field

from connectors.settings import get_settings
from connectors.store import InboxCounts
from connectors.store.partitions import MAX_PARTITIONS, VendorPartition
from flows.judging import (
    BatchOutcome,
    PullOutcome,
    fewer_garbage_collections,
    judge_partition,
    judging_service,
    pull_into_inbox,
)
from flows.judging_workers import JudgingWorkers
from flows.report import PollReport, summarise_poll

ACTOR = "flow:poll-marketplace"


class PollParameters(BaseModel):
    batch_size: int = Field(default=500, ge=1, le=2000, description="Invoices judged and recorded per transaction.")
    max_batches: int = Field(default=200, ge=1, description="Upper bound on batches in one run; the rest waits for the next.")
    judging_processes: int = Field(
        default=1,
        ge=1,
        le=MAX_PARTITIONS,
        description="Processes judging at once, each a share of the vendors: the flow's own and the rest spawned "
        "for the run. Judging is CPU work, so up to the worker machine's cores; 1 spawns nothing.",
    )


def connector_failed(_task: Task, _run: TaskRun, state: State) -> bool:
    """Retry when a database did not answer or dropped the connection, not on a bug: a bug fails
    the run at once (its batch rolled back), to be seen and fixed rather than retried."""
    try:
        state.result()
    except sa.exc.DBAPIError as error:
        return isinstance(error, sa.exc.OperationalError | sa.exc.InterfaceError) or error.connection_invalidated
    except Exception:
        return False
    return False


CONNECTOR_RETRIES = {
    "retries": 3,
    "retry_delay_seconds": exponential_backoff(backoff_factor=10),
    "retry_jitter_factor": 0.5,
    "retry_condition_fn": connector_failed,
}


@task(**CONNECTOR_RETRIES)
def pull_marketplace(judged_here: VendorPartition) -> PullOutcome:
    service = judging_service(get_settings())
    return pull_into_inbox(service.marketplace, service.store, judged_here=judged_here)


# Never from a cache: the workers argument cannot be hashed, and a verdict is only worth what the
# database says now.
@task(**CONNECTOR_RETRIES, cache_policy=NO_CACHE)
def judge_vendor_partition(
    parameters: PollParameters, partition: VendorPartition, flow_run_id: str | None, workers: JudgingWorkers | None
) -> list[BatchOutcome]:
    """The partition's batches, judged in this process (workers None) or in a worker process."""
    batching = {
        "batch_size": parameters.batch_size,
        # the run's bound shared out (at least one batch each)
        "max_batches": max(1, parameters.max_batches // partition.count),
        "actor": ACTOR,
        "flow_run_id": flow_run_id,
    }
    if workers is None:
        return judge_partition(judging_service(get_settings()), partition, **batching)
    return workers.judge(partition, **batching)


@task(**CONNECTOR_RETRIES)
def count_inbox() -> InboxCounts:
    return judging_service(get_settings()).store.inbox_counts()


@flow(name="poll-marketplace", task_runner=ThreadPoolTaskRunner(max_workers=MAX_PARTITIONS))
def poll_marketplace(parameters: PollParameters = PollParameters()) -> PollReport:
    # Workers start now, so that their start overlaps the pull.
    with fewer_garbage_collections(), JudgingWorkers(parameters.judging_processes - 1, get_settings()) as workers:
        return _poll(parameters, workers)


def _poll(parameters: PollParameters, workers: JudgingWorkers) -> PollReport:
    started = time.perf_counter()
    partitions = VendorPartition.all_of(parameters.judging_processes)
    # The first partition is judged here, from the invoices the pull keeps in memory for it.
    pulled = pull_marketplace(partitions[0])
    run_id = flow_run.get_id()
    judging = [
        judge_vendor_partition.submit(parameters, partition, run_id, workers if partition.index else None)
        for partition in partitions
    ]
    batches = [batch for future in judging for batch in future.result()]
    report = summarise_poll(pulled, batches, count_inbox(), seconds=time.perf_counter() - started)
    create_markdown_artifact(
        key="poll-marketplace-summary", markdown=report.markdown(), description="Counts of one poll-marketplace run"
    )
    return report
