"""`extract-documents`, every minute and right after each upload: extract the waiting documents.

Thin: the run claims and extracts through `DocumentService.extract_waiting`, which the database
keeps from extracting one document twice (two runs at once split the work; a crashed run's
documents are queued again when their lease runs out). Progress shows in the run's progress
artifact and in each document's `pages_done`.
"""

from prefect import flow, get_run_logger
from prefect.artifacts import create_progress_artifact, update_progress_artifact
from pydantic import BaseModel, Field

from connectors.store.document_reads import DocumentRecord
from flows.retries import connector_task
from services.extraction_runs import RunOutcome
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
    progress_id = create_progress_artifact(0.0, key="extract-documents-progress", description="Documents extracted")

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
    return extract_waiting_documents(parameters.max_batches)
