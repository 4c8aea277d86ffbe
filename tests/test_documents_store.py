"""The document store: one document per file and scope, claims the database decides, leases that
expire when a run crashed, and every change audited."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from connectors.store import ProcessStore
from connectors.store.document_audit import DocumentNotFoundError, DocumentStateError
from connectors.store.documents import NewDocument
from domain.documents import DocumentStatus, Engine, ExtractedField, Extraction, ProviderCall
from tests.fakes import FakeClock

LEASE = timedelta(minutes=10)


def new_document(number: int, *, scope: str = "ap", vendor_id: str | None = None) -> NewDocument:
    return NewDocument(
        sha256=f"{number:064x}",
        dedupe_scope=scope,
        kind="pdf",
        file_name=f"invoice-{number}.pdf",
        size=1000 + number,
        purpose="invoice",
        status=DocumentStatus.QUEUED,
        pages=1,
        vendor_id=vendor_id,
        po_number=None,
        note=None,
    )


def extraction(total: str = "24.60") -> Extraction:
    return Extraction(
        engine=Engine.TEXT_LAYER,
        engine_reason="the PDF has a text layer",
        pages=1,
        fields={
            "total": ExtractedField(value=total, confidence=0.9),
            "currency": ExtractedField(value="USD", confidence=0.9),
        },
    )


def test_the_same_file_is_one_document_within_a_scope_and_two_across_vendors(store: ProcessStore) -> None:
    first = store.documents.add(new_document(1), actor="user:clerk")
    again = store.documents.add(new_document(1), actor="user:clerk")
    vendors_copy = store.documents.add(new_document(1, scope="vendor:V1", vendor_id="V1"), actor="user:v1")

    assert first.created and not again.created and vendors_copy.created
    assert again.document.id == first.document.id
    assert vendors_copy.document.id != first.document.id
    assert [event.action for event in store.documents.history(first.document.id)] == ["uploaded"]


def test_a_vendor_finds_its_own_documents_and_no_others(store: ProcessStore) -> None:
    own = store.documents.add(new_document(1, scope="vendor:V1", vendor_id="V1"), actor="user:v1").document
    theirs = store.documents.add(new_document(2, scope="vendor:V2", vendor_id="V2"), actor="user:v2").document
    staffs = store.documents.add(new_document(3), actor="user:clerk").document

    assert store.documents.get(own.id, for_vendor="V1") == own
    for hidden in (theirs.id, staffs.id, 999_999):
        with pytest.raises(DocumentNotFoundError):
            store.documents.get(hidden, for_vendor="V1")
    assert store.documents.get(theirs.id) == theirs  # AP staff see every document


def test_a_claim_takes_the_oldest_queued_documents_once(clocked_store: ProcessStore) -> None:
    ids = [clocked_store.documents.add(new_document(n), actor="user:clerk").document.id for n in range(1, 4)]

    first = clocked_store.document_runs.claim("run-1", limit=2, lease=LEASE, max_attempts=3, actor="flow:test")
    second = clocked_store.document_runs.claim("run-2", limit=5, lease=LEASE, max_attempts=3, actor="flow:test")

    assert [d.id for d in first] == ids[:2] and [d.id for d in second] == ids[2:]
    assert {d.status for d in [*first, *second]} == {DocumentStatus.EXTRACTING}
    assert clocked_store.document_runs.claim("run-3", limit=5, lease=LEASE, max_attempts=3, actor="flow:test") == []


def test_a_crashed_runs_documents_are_queued_again_then_failed_after_the_attempts(
    clocked_store: ProcessStore, clock: FakeClock
) -> None:
    document = clocked_store.documents.add(new_document(1), actor="user:clerk").document
    documents, runs = clocked_store.documents, clocked_store.document_runs

    [claimed] = runs.claim("crashed-1", limit=5, lease=LEASE, max_attempts=2, actor="flow:test")
    clock.advance(LEASE + timedelta(seconds=1))
    [again] = runs.claim("crashed-2", limit=5, lease=LEASE, max_attempts=2, actor="flow:test")
    assert again.id == claimed.id == document.id and again.attempts == 2
    # The first run wakes up late: its result is dropped, the second run's claim stands.
    assert not runs.finish(
        document.id, "crashed-1", status=DocumentStatus.EXTRACTED, reason=None, extraction=extraction(), actor="t"
    )

    clock.advance(LEASE + timedelta(seconds=1))
    assert runs.claim("run-3", limit=5, lease=LEASE, max_attempts=2, actor="flow:test") == []
    failed = documents.get(document.id)
    assert failed.status is DocumentStatus.FAILED
    assert failed.status_reason == "extraction did not finish in 2 attempts (the run crashed or was stopped)"
    assert [(e.action, e.from_status, e.to_status) for e in documents.history(document.id)] == [
        ("uploaded", None, "queued"),
        ("extracting", "queued", "extracting"),
        ("claim_expired", "extracting", "queued"),
        ("extracting", "queued", "extracting"),
        ("claim_expired", "extracting", "failed"),
    ]


def test_finishing_records_the_extraction_its_cost_and_calls(store: ProcessStore) -> None:
    document = store.documents.add(new_document(1), actor="user:clerk").document
    store.document_runs.claim("run", limit=1, lease=LEASE, max_attempts=3, actor="flow:test")
    call = ProviderCall(
        provider=Engine.GEMINI,
        model="gemini-2.5-flash",
        input_tokens=1000,
        output_tokens=200,
        cost=Decimal("0.0008"),
        latency_ms=812.4,
        ok=True,
    )
    read = extraction().model_copy(update={"calls": (call,)})

    assert store.document_runs.finish(
        document.id,
        "run",
        status=DocumentStatus.NEEDS_REVIEW,
        reason="low confidence",
        extraction=read,
        calls=read.calls,
        actor="flow:test",
    )

    done = store.documents.get(document.id)
    assert done.status is DocumentStatus.NEEDS_REVIEW and done.status_reason == "low confidence"
    assert done.extraction == read and done.claim_token is None
    assert done.cost == Decimal("0.0008")


def test_corrections_are_applied_over_the_extraction_and_audited_with_old_and_new(store: ProcessStore) -> None:
    document = store.documents.add(new_document(1), actor="user:clerk").document
    with pytest.raises(DocumentStateError):
        store.documents.correct(document.id, {"total": "25.00"}, actor="user:clerk")
    store.document_runs.claim("run", limit=1, lease=LEASE, max_attempts=3, actor="flow:test")
    store.document_runs.finish(
        document.id, "run", status=DocumentStatus.EXTRACTED, reason=None, extraction=extraction(), actor="flow:test"
    )

    corrected = store.documents.correct(document.id, {"total": "25.00", "currency": "USD"}, actor="user:clerk")

    reviewed = corrected.reviewed_extraction
    assert reviewed is not None
    assert reviewed.field("total") == ExtractedField(value="25.00", confidence=1.0)
    assert reviewed.field("currency") == ExtractedField(value="USD", confidence=0.9)  # unchanged: not a correction
    [event] = [e for e in store.documents.history(document.id) if e.action == "corrected"]
    assert event.actor == "user:clerk"
    assert event.details == {"changes": {"total": {"old": "24.60", "new": "25.00"}}}


def test_extracting_again_queues_the_document_with_the_engine_and_keeps_what_was_read(store: ProcessStore) -> None:
    document = store.documents.add(new_document(1), actor="user:clerk").document
    with pytest.raises(DocumentStateError):  # queued: a run will take it anyway
        store.documents.request_reextraction(document.id, Engine.OCR, actor="user:clerk")
    store.document_runs.claim("run", limit=1, lease=LEASE, max_attempts=3, actor="flow:test")
    store.document_runs.finish(
        document.id, "run", status=DocumentStatus.EXTRACTED, reason=None, extraction=extraction(), actor="flow:test"
    )

    queued = store.documents.request_reextraction(document.id, Engine.OCR, actor="user:clerk")

    assert queued.status is DocumentStatus.QUEUED and queued.requested_engine is Engine.OCR
    [event] = [e for e in store.documents.history(document.id) if e.action == "reextract"]
    assert event.details is not None and event.details["previous"]["total"] == "24.60"


RUNS = 3
DOCUMENTS = 30


def test_runs_claiming_at_once_extract_each_document_exactly_once(race_engine: sa.Engine) -> None:
    store = ProcessStore(sessionmaker(bind=race_engine, expire_on_commit=False))
    ids = {store.documents.add(new_document(n), actor="user:clerk").document.id for n in range(1, DOCUMENTS + 1)}
    barrier = threading.Barrier(RUNS)

    def run(token: str) -> list[int]:
        mine: list[int] = []
        barrier.wait(timeout=10)
        while claimed := store.document_runs.claim(token, limit=2, lease=LEASE, max_attempts=3, actor=f"flow:{token}"):
            for document in claimed:
                assert store.document_runs.finish(
                    document.id,
                    token,
                    status=DocumentStatus.EXTRACTED,
                    reason=None,
                    extraction=extraction(),
                    actor=f"flow:{token}",
                )
                mine.append(document.id)
        return mine

    with ThreadPoolExecutor(max_workers=RUNS) as pool:
        results = list(pool.map(run, [f"run-{n}" for n in range(RUNS)]))

    extracted = Counter(document_id for result in results for document_id in result)
    assert set(extracted) == ids and set(extracted.values()) == {1}
    assert {d.status for d in store.documents.page(limit=100)} == {DocumentStatus.EXTRACTED}
