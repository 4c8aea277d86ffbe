"""The extract-documents flow under a real Prefect harness: it extracts each waiting document once,
whatever runs at the same time, picks up what a crashed run left, and submits when told to."""

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from connectors.store.document_tables import DocumentRow
from demo.documents import render_benchmark_set
from flows.extract import ExtractParameters, extract_documents
from services.document_intake import IncomingFile, UploadDetails, Uploader
from services.runtime import Services, services_for
from settings import Settings, get_settings
from tests.api_fixtures import INVOICE_DATE, prepare_databases, settings_in
from tests.document_samples import external_entity_xml, ubl_invoice

pytestmark = [pytest.mark.xdist_group("prefect"), pytest.mark.usefixtures("prefect_harness")]
CLERK = Uploader(actor="user:clerk", vendor_id=None)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The flow reads its settings from the environment, as a deployed run does."""
    prepared = settings_in(tmp_path)
    prepare_databases(prepared)
    for name in ("marketplace_db_url", "erp_db_url", "process_db_url", "documents_dir"):
        monkeypatch.setenv(name.upper(), str(getattr(prepared, name)))
    monkeypatch.setenv("EXTRACTION_BATCH_SIZE", "3")
    get_settings.cache_clear()
    services_for.cache_clear()
    yield get_settings()
    services_for(get_settings()).close()
    services_for.cache_clear()
    get_settings.cache_clear()


def services() -> Services:
    return services_for(get_settings())


def upload(*files: tuple[str, bytes]) -> list[int]:
    added = services().documents.upload([IncomingFile(name, [data]) for name, data in files], UploadDetails(), CLERK)
    return [each.document.id for each in added]


def extractions_per_document(settings: Settings) -> Counter[int]:
    engine = sa.create_engine(settings.process_db_url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT document_id FROM document_events WHERE action = 'extracting'")
        ).scalars()
        counted = Counter(rows)
    engine.dispose()
    return counted


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, bytes]]:
    """Eight demo documents: every kind (text PDF, Factur-X, UBL, scan) and layout."""
    documents = render_benchmark_set(tmp_path_factory.mktemp("rendered"), count=8)
    return [(document.path.name, document.path.read_bytes()) for document in documents]


def test_a_run_extracts_every_waiting_document_and_a_second_run_finds_nothing(
    settings: Settings, rendered: list[tuple[str, bytes]]
) -> None:
    ids = upload(*rendered, ("xxe.xml", external_entity_xml()))

    first = extract_documents(ExtractParameters())
    second = extract_documents(ExtractParameters())

    assert first.claimed == len(ids) and second.claimed == 0
    statuses = {services().store.documents.get(document_id).status.value for document_id in ids}
    assert statuses <= {"extracted", "needs_review", "failed"}
    assert first.by_status.get("failed") == 1  # the XML with an external entity, refused
    assert extractions_per_document(settings) == Counter(dict.fromkeys(ids, 1))


def test_two_runs_at_once_extract_each_document_exactly_once(
    settings: Settings, rendered: list[tuple[str, bytes]]
) -> None:
    ids = upload(*rendered)

    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = list(pool.map(lambda _: extract_documents(ExtractParameters()), range(2)))

    assert sum(report.claimed for report in reports) == len(ids)
    assert extractions_per_document(settings) == Counter(dict.fromkeys(ids, 1))


def test_documents_a_crashed_run_held_are_extracted_by_the_next_run(settings: Settings) -> None:
    [document_id] = upload(("invoice.xml", ubl_invoice("INV-1", issue_date=INVOICE_DATE)))
    store = services().store
    # A run claimed it and died: nothing will ever finish it.
    store.document_runs.claim("crashed-run", limit=5, lease=timedelta(minutes=10), max_attempts=3, actor="flow:crashed")
    engine = sa.create_engine(settings.process_db_url)
    with engine.begin() as connection:  # its lease ran out long ago
        connection.execute(sa.update(DocumentRow.__table__).values(claimed_at=datetime.now(UTC) - timedelta(hours=1)))
    engine.dispose()

    report = extract_documents(ExtractParameters())

    assert report.claimed == 1 and report.by_status == {"extracted": 1}
    actions = [event.action for event in store.documents.history(document_id)]
    assert actions == ["uploaded", "extracting", "claim_expired", "extracting", "extracted"]


def test_with_auto_submit_confident_documents_go_into_the_inbox(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCUMENTS_AUTO_SUBMIT", "true")
    get_settings.cache_clear()
    services_for.cache_clear()
    [document_id] = upload(("invoice.xml", ubl_invoice("INV-2", issue_date=INVOICE_DATE)))

    report = extract_documents(ExtractParameters())

    assert report.submitted == 1
    assert services().store.inbox.newest("upload", str(document_id)) is not None
    assert services().store.documents.get(document_id).status.value == "submitted"
