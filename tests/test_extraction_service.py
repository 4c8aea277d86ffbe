"""Which engine reads a document, and what happens when a paid provider fails: the offline result
stands, the document says so, and the failed call is recorded with its latency."""

import json
from datetime import date
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import httpx
import pytest
import respx
from pypdf import PdfReader, PdfWriter

from connectors.extraction.providers import ProviderConfig
from demo.documents import render_benchmark_set
from domain import ChargeKind
from domain.documents import DocumentKind, DocumentStatus, Engine, ExtractedField
from services.document_submission import invoice_of
from services.extract_cli import main as extract_cli
from services.extraction import EngineNotConfiguredError, ExtractionPolicy, extract
from tests.document_records import document_record
from tests.document_samples import ubl_invoice
from tests.layout_samples import uk_quantity_first_invoice
from tests.provider_responses import LLM_ANSWER, OPENAI_BASE_URL, openai_response
from tests.provider_samples import OPENAI_COMPLETIONS, openai_config

OFFLINE = ExtractionPolicy(confidence=0.8, max_pages=50, max_pixels=60_000_000, ocr_languages="eng", ocr_dpi=200)


@pytest.fixture(scope="module")
def text_pdf(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    [document] = render_benchmark_set(tmp_path_factory.mktemp("one"), count=1, kinds=("text_pdf",))
    return document.path.read_bytes()


def with_provider(config: ProviderConfig, *, always: bool) -> ExtractionPolicy:
    return ExtractionPolicy(**{**OFFLINE.__dict__, "provider": config, "provider_always": always})


def test_each_kind_goes_to_its_engine_with_the_reason(text_pdf: bytes) -> None:
    xml = extract(ubl_invoice("INV-1", issue_date=date(2026, 11, 1)), DocumentKind.XML, OFFLINE)
    pdf = extract(text_pdf, DocumentKind.PDF, OFFLINE)

    assert (xml.engine, pdf.engine) == (Engine.EINVOICE, Engine.TEXT_LAYER)
    assert pdf.engine_reason == "the PDF has a text layer" and pdf.pages == 1
    assert pdf.checks  # cross-checked like every result


def test_an_engine_not_configured_cannot_be_asked_for(text_pdf: bytes) -> None:
    with pytest.raises(EngineNotConfiguredError):
        extract(text_pdf, DocumentKind.PDF, OFFLINE, requested=Engine.GEMINI)


@respx.mock(assert_all_called=True)
def test_a_failing_provider_leaves_the_offline_result_and_says_so(
    respx_mock: respx.MockRouter, text_pdf: bytes
) -> None:
    respx_mock.post(OPENAI_COMPLETIONS).mock(return_value=httpx.Response(500, json={"error": {"message": "down"}}))
    policy = with_provider(openai_config(max_attempts=2, backoff_seconds=0), always=True)

    read = extract(text_pdf, DocumentKind.PDF, policy)

    assert read.engine is Engine.TEXT_LAYER
    [call] = read.calls
    assert (call.provider, call.ok) == (Engine.OPENAI, False) and call.latency_ms >= 0
    assert any("openai failed" in note and "the text_layer result stands" in note for note in read.notes)


@respx.mock(assert_all_called=True)
def test_a_provider_asked_for_reads_the_document_with_its_cost(respx_mock: respx.MockRouter, text_pdf: bytes) -> None:
    answer = openai_response(json.dumps(LLM_ANSWER))
    route = respx_mock.post(OPENAI_COMPLETIONS).mock(return_value=httpx.Response(200, json=answer))
    policy = with_provider(openai_config(), always=False)

    read = extract(text_pdf, DocumentKind.PDF, policy, requested=Engine.OPENAI)

    assert read.engine is Engine.OPENAI and read.field("total").value == "1212.31"
    [call] = read.calls
    assert call.ok and call.cost is not None and call.cost > 0
    # the model was sent the PDF's text, since OpenAI-compatible servers take no PDFs
    sent = json.loads(route.calls[0].request.content)
    assert any("Invoice" in json.dumps(message) or "INVOICE" in json.dumps(message) for message in sent["messages"])
    assert OPENAI_BASE_URL in str(route.calls[0].request.url)


def test_with_needs_review_mode_a_confident_offline_result_costs_no_call(text_pdf: bytes) -> None:
    policy = with_provider(openai_config(), always=False)
    offline = extract(text_pdf, DocumentKind.PDF, OFFLINE)
    assert policy.status_of(offline)[0] is DocumentStatus.EXTRACTED  # the rendering is read with confidence

    with respx.mock(assert_all_called=False) as router:
        route = router.post(OPENAI_COMPLETIONS)
        read = extract(text_pdf, DocumentKind.PDF, policy)

    assert read.engine is Engine.TEXT_LAYER and not route.called


def test_the_command_line_prints_one_json_object_per_file_and_nothing_else(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "invoice.xml"
    good.write_bytes(ubl_invoice("INV-9", issue_date=date(2026, 11, 2)))
    bad = tmp_path / "notes.pdf"
    bad.write_text("not a pdf")

    status = extract_cli([str(good), str(bad)])

    first, second = (json.loads(line) for line in capsys.readouterr().out.splitlines())
    assert status == 1
    assert first["invoice_number"] == "INV-9" and first["issue_date"] == "2026-11-02" and first["total"] == "20.00"
    assert first["seller"] == {"name": "Acme Fasteners", "vat_id": "US123456789"}
    assert first["confidence"]["total"] == 1.0 and first["engine"] == "einvoice" and first["status"] == "extracted"
    assert first["lines"] == [
        {
            "description": "Part HX-001",
            "part_number": "HX-001",
            "quantity": "2",
            "unit": "H87",
            "unit_price": "10.00",
            "line_total": "20.00",
        }
    ]
    assert second == {"file": str(bad), "error": second["error"]} and second["error"].startswith("notes.pdf: ")


def test_a_broken_attached_e_invoice_leaves_the_printed_invoice_to_the_text_layer(text_pdf: bytes) -> None:
    writer = PdfWriter(clone_from=PdfReader(BytesIO(text_pdf)))
    writer.add_attachment("factur-x.xml", b"<rsm:CrossIndustryInvoice xmlns:rsm='urn:x'><unclosed>")
    buffer = BytesIO()
    writer.write(buffer)

    read = extract(buffer.getvalue(), DocumentKind.PDF, OFFLINE)

    assert read.engine is Engine.TEXT_LAYER
    assert any(note.startswith("the attached factur-x.xml cannot be read") for note in read.notes)
    assert read.field("total").value == extract(text_pdf, DocumentKind.PDF, OFFLINE).field("total").value


def test_a_charge_among_the_totals_is_a_charge_not_a_line_and_goes_into_the_invoice() -> None:
    sample = uk_quantity_first_invoice(carriage=True)

    read = extract(sample.pdf, DocumentKind.PDF, OFFLINE)

    assert [line.line_total.value for line in read.lines] == ["29.00", "39.00", "85.00"]
    assert [(charge.description.value, charge.amount.value) for charge in read.charges] == [("Carriage", "9.50")]
    assert all(check.passed for check in read.checks)
    assert {name: read.field(name).value for name in ("subtotal", "tax_total", "total")} == {
        "subtotal": "153.00",
        "tax_total": "32.50",
        "total": "195.00",
    }
    document = document_record(file_name="uk.pdf", vendor_id="V1", uploaded_by="user:clerk", extraction=read)
    corrected = read.model_copy(
        update={"lines": tuple(line.model_copy(update={"part_number": line.description}) for line in read.lines)}
    )
    invoice = invoice_of(document, corrected, version=1, po_number="PO-1", vendor_id="V1")
    assert [(charge.kind, charge.amount, charge.description) for charge in invoice.charges] == [
        (ChargeKind.FREIGHT, Decimal("9.50"), "Carriage")
    ]


def test_an_e_invoice_charge_is_read_exactly_and_an_allowance_is_said_to_be_left_out() -> None:
    with_freight = ubl_invoice("INV-11", issue_date=date(2026, 11, 3), charges=((True, "12.50", "Freight"),))
    with_discount = ubl_invoice("INV-12", issue_date=date(2026, 11, 3), charges=((False, "2.00", "Early payment"),))

    freight = extract(with_freight, DocumentKind.XML, OFFLINE)
    discount = extract(with_discount, DocumentKind.XML, OFFLINE)

    assert [(c.description, c.amount) for c in freight.charges] == [
        (ExtractedField(value="Freight", confidence=1.0), ExtractedField(value="12.50", confidence=1.0))
    ]
    assert all(check.passed for check in freight.checks) and freight.field("subtotal").value == "32.50"
    assert discount.charges == ()
    assert "an allowance of 2.00 (Early payment) is not read: it is no charge" in discount.notes
    assert not all(check.passed for check in discount.checks)  # the lines no longer add up: a person looks
