"""Uploaded files become documents the same way from the API and from the dashboard's upload: read
in chunks, handed to the documents service, and the extract-documents run started right away."""

import logging
from collections.abc import Iterator, Sequence
from typing import BinaryIO

from fastapi import BackgroundTasks, UploadFile

from api.document_schemas import DocumentSummary, UploadedDocument, UploadResponse
from api.security import Principal
from connectors.prefect_api import PrefectApi, PrefectUnavailableError
from connectors.store.documents import AddedDocument
from domain.documents import DocumentStatus
from services.document_intake import IncomingFile, UploadDetails, Uploader
from services.flow_runs import EXTRACT_DEPLOYMENT, DeploymentNotFoundError, start_run
from services.runtime import Services

log = logging.getLogger(__name__)

CHUNK_BYTES = 1 << 20


def incoming_files(files: Sequence[UploadFile], *, supporting: bool = False) -> list[IncomingFile]:
    return [IncomingFile(file.filename, _chunks(file.file), supporting=supporting) for file in files]


def receive_uploads(
    services: Services,
    prefect: PrefectApi,
    background: BackgroundTasks,
    files: Sequence[IncomingFile],
    details: UploadDetails,
    uploader: Principal,
) -> UploadResponse:
    """Record the files as documents; when any new one waits to be extracted, start the run after
    the answer is sent."""
    added = services.documents.upload(files, details, Uploader(actor=uploader.actor, vendor_id=uploader.vendor_id))
    extract_soon(added, background, prefect)
    threshold = services.documents.extraction.confidence
    return UploadResponse(
        documents=[
            UploadedDocument(**DocumentSummary.of(each.document, threshold).model_dump(), created=each.created)
            for each in added
        ]
    )


def extract_soon(added: Sequence[AddedDocument], background: BackgroundTasks, prefect: PrefectApi) -> None:
    """After the answer is sent, start extracting the new documents that wait."""
    if any(each.created and each.document.status is DocumentStatus.QUEUED for each in added):
        background.add_task(start_extraction, prefect)


def start_extraction(prefect: PrefectApi) -> None:
    """Extract right away rather than at the next minute's sweep; without Prefect, the sweep does it."""
    try:
        start_run(prefect, EXTRACT_DEPLOYMENT)
    except (PrefectUnavailableError, DeploymentNotFoundError) as unavailable:
        log.info("extraction waits for the next sweep: %s", unavailable)


def _chunks(file: BinaryIO) -> Iterator[bytes]:
    while chunk := file.read(CHUNK_BYTES):
        yield chunk
