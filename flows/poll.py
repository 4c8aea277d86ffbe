"""`poll-marketplace`: every 10 minutes, pull new marketplace invoices into the inbox, judge the
waiting ones batch by batch, record verdicts, payloads and PO locks.

The flow only sequences steps; what each step does lives in flows/judging.py. A task per
batch (never per invoice); connector failures are retried with backoff by Prefect.
"""

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import sqlalchemy as sa
from prefect import Task, flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.client.schemas.objects import TaskRun
from prefect.runtime import flow_run
from prefect.states import State
from prefect.task_runners import ThreadPoolTaskRunner
from prefect.tasks import exponential_backoff
from pydantic import BaseModel, Field

from connectors.settings import Settings, get_settings
from connectors.store import InboxCounts
from flows.judging import BatchOutcome, JudgingService, PullOutcome, judge_next_batch, pull_into_inbox
from flows.report import PollReport, summarise_poll

ACTOR = "flow:poll-marketplace"


class PollParameters(BaseModel):
    batch_size: int = Field(default=500, ge=1, le=2000, description="Invoices judged and recorded per transaction.")
    max_batches: int = Field(default=200, ge=1, description="Upper bound on batches in one run; the rest waits for the next.")


@lru_cache(maxsize=4)
def judging_service(settings: Settings) -> JudgingService:
    """One service (and so one set of connection pools) per process and settings; tasks look it up
    rather than receive it, so nothing holding connections crosses a task boundary."""
    return JudgingService.from_settings(settings)


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
def pull_marketplace() -> PullOutcome:
    service = judging_service(get_settings())
    return pull_into_inbox(service.marketplace, service.store)


@task(**CONNECTOR_RETRIES)
def judge_batch(batch_size: int, flow_run_id: str | None) -> BatchOutcome:
    return judge_next_batch(judging_service(get_settings()), batch_size=batch_size, actor=ACTOR, flow_run_id=flow_run_id)


@task(**CONNECTOR_RETRIES)
def count_inbox() -> InboxCounts:
    return judging_service(get_settings()).store.inbox_counts()


@contextmanager
def fewer_garbage_collections() -> Iterator[None]:
    """A batch allocates ~100 objects per invoice line and keeps them until it is recorded, so
    Python's default thresholds (a collection every 700 allocations) rescan an ever larger heap
    thousands of times per run: ~40 % of a 10,000-invoice poll, measured. Reference cycles are
    rare here, so collect far less often while the run lasts."""
    previous = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


@flow(name="poll-marketplace", task_runner=ThreadPoolTaskRunner(max_workers=2))
def poll_marketplace(parameters: PollParameters = PollParameters()) -> PollReport:
    with fewer_garbage_collections():
        return _poll(parameters)


def _poll(parameters: PollParameters) -> PollReport:
    started = time.perf_counter()
    pulled = pull_marketplace()
    run_id = flow_run.get_id()
    batches: list[BatchOutcome] = []
    while len(batches) < parameters.max_batches:
        batch = judge_batch(parameters.batch_size, run_id)
        batches.append(batch)
        if batch.selected == 0:
            break
    report = summarise_poll(pulled, batches, count_inbox(), seconds=time.perf_counter() - started)
    create_markdown_artifact(
        key="poll-marketplace-summary", markdown=report.markdown(), description="Counts of one poll-marketplace run"
    )
    return report
