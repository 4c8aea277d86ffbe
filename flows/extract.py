"""`extract-documents`, every minute and right after each upload: extract the waiting documents.

Thin: the run claims and extracts through `DocumentService.extract_waiting`, which the database
keeps from extracting one document twice (two runs at once split the work; a crashed run's
documents are queued again when their lease runs out). Progress shows in the run's progress
artifact and in each document's `pages_done`.
"""

from typing import cast
from uuid import UUID

from prefect import flow, get_run_logger
from prefect.artifacts import create_progress_artifact, update_progress_artifact
from prefect.deployments import run_deployment
from prefect.exceptions import ObjectNotFound
from pydantic import BaseModel, Field

from connectors.store.document_reads import DocumentRecord
from flows.retries import connector_task
from services.extraction_runs import RunOutcome
from services.flow_runs import POLL_DEPLOYMENT
from services.runtime import services_for
from settings import get_settings

ACTOR = "flow:extract-documents"


class ExtractParameters(BaseModel):
    max_batches: int | None = Field(
        default=None, ge=1, description="Stop after this many batches (None: until nothing waits)."
    )


class ExtractReport(BaseModel):
    claimed: int
    by_status: dict[str, int]
    taken_over: int
    submitted: int
    summary: str


@connector_task(cached=False)
def extract_waiting_documents(max_batches: int | None) -> ExtractReport:
    services = services_for(get_settings())
    waiting = services.store.documents.count_waiting()
    # Called from sync code, Prefect's async_dispatch functions return their result, not a coroutine.
    progress_id = cast(
        UUID, create_progress_artifact(0.0, key="extract-documents-progress", description="Documents extracted")
    )

    def show_progress(_document: DocumentRecord, outcome: RunOutcome) -> None:
        done = sum(outcome.counts.values()) + outcome.lost
        update_progress_artifact(progress_id, min(100.0, 100.0 * done / max(waiting, outcome.claimed, 1)))

    outcome = services.documents.extract_waiting(actor=ACTOR, max_batches=max_batches, on_document=show_progress)
    update_progress_artifact(progress_id, 100.0)
    get_run_logger().info("extract-documents: %s", outcome.describe())
    return ExtractReport(
        claimed=outcome.claimed,
        by_status=outcome.counts,
        taken_over=outcome.lost,
        submitted=outcome.submitted,
        summary=outcome.describe(),
    )


@flow(name="extract-documents")
def extract_documents(parameters: ExtractParameters = ExtractParameters()) -> ExtractReport:
    report = extract_waiting_documents(parameters.max_batches)
    if report.submitted:
        judge_soon()
    return report


def judge_soon() -> None:
    """Documents were submitted (DOCUMENTS_AUTO_SUBMIT): start the poll that judges them rather than wait
    for its schedule. Without a poll deployment (a flow run outside the served deployments) they wait."""
    try:
        run = run_deployment(f"{POLL_DEPLOYMENT}/{POLL_DEPLOYMENT}", timeout=0)
    except ObjectNotFound:
        get_run_logger().info("no %s deployment: the submitted documents wait for its next run", POLL_DEPLOYMENT)
        return
    get_run_logger().info("submitted documents: %s requested", getattr(run, "name", POLL_DEPLOYMENT))
