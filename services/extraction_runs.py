"""One extract-documents run: claim waiting documents a batch at a time, extract several at once,
record each result; one document failing never stops the others.

The database decides who extracts what (`DocumentStore.claim`), so two runs at once never extract a
document twice, and a document whose run crashed is queued again when its lease expires.
"""

import logging
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from connectors.documents import DocumentStorage
from connectors.store import ProcessStore, StoreError
from connectors.store.document_reads import DocumentRecord
from domain.documents import DocumentKind, DocumentStatus, Extraction
from services.document_submission import DocumentIncompleteError
from services.extraction import ExtractionPolicy, extract
from settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunPolicy:
    batch_size: int
    concurrency: int
    lease: timedelta
    max_attempts: int
    auto_submit: bool

    @classmethod
    def from_settings(cls, settings: Settings) -> "RunPolicy":
        return cls(
            batch_size=settings.extraction_batch_size,
            concurrency=settings.extraction_concurrency,
            lease=timedelta(seconds=settings.extraction_lease_seconds),
            max_attempts=settings.extraction_max_attempts,
            auto_submit=settings.documents_auto_submit,
        )


@dataclass
class RunOutcome:
    claimed: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # by the status each document ended in
    lost: int = 0  # held too long: another run took the document over, this run's result was dropped
    submitted: int = 0

    def describe(self) -> str:
        if not self.claimed:
            return "no document waited"
        ended = ", ".join(f"{count} {status}" for status, count in sorted(self.counts.items()))
        extra = (f", {self.lost} taken over by another run" if self.lost else "") + (
            f", {self.submitted} submitted" if self.submitted else ""
        )
        return f"{self.claimed} documents: {ended}{extra}"


Submit = Callable[[int, str], object]  # (document id, actor): put an extracted document into the inbox
Progress = Callable[[DocumentRecord, RunOutcome], None]


def extract_waiting(
    store: ProcessStore,
    storage: DocumentStorage,
    policy: ExtractionPolicy,
    run: RunPolicy,
    *,
    actor: str,
    submit: Submit | None = None,
    max_batches: int | None = None,
    on_document: Progress | None = None,
) -> RunOutcome:
    """Extract waiting documents until none is left (or `max_batches` batches were taken)."""
    outcome = RunOutcome()
    token = uuid.uuid4().hex
    batches = 0
    with ThreadPoolExecutor(max_workers=run.concurrency, thread_name_prefix="extract") as pool:
        while max_batches is None or batches < max_batches:
            claimed = store.document_runs.claim(
                token, limit=run.batch_size, lease=run.lease, max_attempts=run.max_attempts, actor=actor
            )
            if not claimed:
                break
            batches += 1
            outcome.claimed += len(claimed)
            for document, status in zip(
                claimed, pool.map(lambda d: _extract_one(store, storage, policy, d, token, actor), claimed), strict=True
            ):
                if status is None:
                    outcome.lost += 1
                    continue
                if status is DocumentStatus.EXTRACTED and run.auto_submit and submit is not None:
                    try:
                        submit(document.id, actor)
                        outcome.submitted += 1
                    except (DocumentIncompleteError, StoreError) as refused:
                        store.documents.hand_to_a_person(document.id, f"not submitted: {refused}", actor=actor)
                        status = DocumentStatus.NEEDS_REVIEW
                outcome.counts[status.value] = outcome.counts.get(status.value, 0) + 1
                if on_document is not None:
                    on_document(document, outcome)
    return outcome


def _extract_one(
    store: ProcessStore,
    storage: DocumentStorage,
    policy: ExtractionPolicy,
    document: DocumentRecord,
    token: str,
    actor: str,
) -> DocumentStatus | None:
    """Extract and record one document; the status it ended in, None when another run took it over."""
    extraction: Extraction | None = None
    try:
        data = storage.read(document.sha256)
        extraction = extract(
            data,
            DocumentKind(document.kind),
            policy,
            requested=document.requested_engine,
            progress=lambda done, pages: store.document_runs.progress(document.id, token, pages_done=done, pages=pages),
        )
        status, reason = policy.status_of(extraction)
        if extraction.notes:
            reason = "; ".join([*([reason] if reason else []), *extraction.notes])
    except ValueError as unreadable:  # the input's fault: the reason is for the uploader
        status, reason = DocumentStatus.FAILED, str(unreadable)
    except Exception as error:  # an engine's fault: recorded, logged, and the batch goes on
        log.exception("extracting document %s failed", document.id)
        status, reason = DocumentStatus.FAILED, f"extraction failed ({type(error).__name__}: {error})"
    recorded = store.document_runs.finish(
        document.id,
        token,
        status=status,
        reason=reason,
        extraction=extraction,
        calls=extraction.calls if extraction else (),
        actor=actor,
    )
    return status if recorded else None
