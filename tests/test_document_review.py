"""What the verification screen is made of: the fields a person changed, the engines to try, what
a new extraction changed, and the fields to check first."""

from datetime import UTC, datetime
from typing import Any

from connectors.store.document_reads import DocumentEvent, DocumentRecord
from domain.documents import (
    Box,
    DocumentKind,
    DocumentStatus,
    Engine,
    ExtractedField,
    ExtractedLine,
    Extraction,
)
from services.document_review import FieldChange, changed_values, document_to_check, engines_to_try
from tests.document_records import document_record

WHEN = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _read(value: str | None, confidence: float = 0.95, page: int = 1) -> ExtractedField:
    box = Box(page=page, x0=0.1, y0=0.1, x1=0.2, y1=0.12) if value is not None else None
    return ExtractedField(value=value, confidence=confidence, box=box)


def _document(
    *, kind: DocumentKind = DocumentKind.PDF, engine: Engine = Engine.TEXT_LAYER, **changes: Any
) -> DocumentRecord:
    extraction = Extraction(
        engine=engine,
        engine_reason="test",
        pages=1,
        fields={
            "invoice_number": _read("INV-1"),
            "issue_date": _read("2026-11-30"),
            "currency": _read("EUR"),
            "subtotal": _read("20.00"),
            "tax_total": _read("0.00"),
            "total": _read("25.00", confidence=0.5),
        },
        lines=(
            ExtractedLine(
                description=_read("Hex bolt", confidence=0.4),
                part_number=_read("HX-1"),
                quantity=_read("2"),
                unit_price=_read("10.00"),
                line_total=_read("20.00", confidence=0.4),
            ),
        ),
    )
    values = {"kind": kind, "file_name": "x.pdf", "status": DocumentStatus.NEEDS_REVIEW, "uploaded_by": "user:cleo"}
    return document_record(extraction=extraction, **(values | changes))


def test_only_the_fields_whose_value_changed_are_corrections_and_blank_is_empty() -> None:
    form = {"invoice_number": "INV-1", "total": " 20.00 ", "lines[0].unit_price": "", "due_date": ""}

    assert changed_values(_document(), form) == {"total": "20.00", "lines[0].unit_price": None}


def test_the_fields_to_check_first_are_low_confidence_missing_or_failing_a_check_as_corrected_now() -> None:
    read = document_to_check(_document(), [], threshold=0.8)
    # the line total, unsure as read, adds up with its quantity and price: the check vouches for it
    assert [found.path for found in read.flagged] == ["subtotal", "tax_total", "total", "lines[0].description"]
    assert [(c.check, c.passed) for c in read.checks if c.check == "totals"] == [("totals", False)]

    corrected = document_to_check(_document(corrections={"total": "20.00"}), [], threshold=0.8)
    assert [found.path for found in corrected.flagged] == ["lines[0].description"]
    total = corrected.header[-1]
    assert (total.path, total.value, total.corrected, total.failed_check, total.box) == (
        "total",
        "20.00",
        True,
        False,
        Box(page=1, x0=0.1, y0=0.1, x1=0.2, y1=0.12),
    )


def test_a_required_field_not_found_is_flagged_as_missing() -> None:
    document = _document(corrections={"invoice_number": None})
    [number] = [
        found for found in document_to_check(document, [], threshold=0.8).header if found.path == "invoice_number"
    ]
    assert (number.value, number.low_confidence, number.flagged) == (None, True, True)


def test_what_a_new_extraction_changed_is_listed_in_the_screens_order_once_it_ended() -> None:
    asked = DocumentEvent(
        id=1,
        document_id=7,
        occurred_at=WHEN,
        actor="user:cleo",
        action="reextract",
        from_status="needs_review",
        to_status="queued",
        details={"engine": "ocr", "previous": {"total": "24.00", "lines[0].line_total": "20.00", "currency": "EUR"}},
    )
    done = document_to_check(_document(), [asked], threshold=0.8)
    waiting = document_to_check(_document(status=DocumentStatus.QUEUED), [asked], threshold=0.8)

    assert done.changes == (
        FieldChange("invoice_number", None, "INV-1"),
        FieldChange("issue_date", None, "2026-11-30"),
        FieldChange("subtotal", None, "20.00"),
        FieldChange("tax_total", None, "0.00"),
        FieldChange("total", "24.00", "25.00"),
        FieldChange("lines[0].description", None, "Hex bolt"),
        FieldChange("lines[0].part_number", None, "HX-1"),
        FieldChange("lines[0].quantity", None, "2"),
        FieldChange("lines[0].unit_price", None, "10.00"),
    )
    assert waiting.changes is None
    assert document_to_check(_document(), [], threshold=0.8).changes is None


def test_the_engines_offered_are_those_that_can_read_the_document() -> None:
    assert engines_to_try(_document(), None) == [Engine.TEXT_LAYER, Engine.OCR]
    assert engines_to_try(_document(kind=DocumentKind.PNG), Engine.GEMINI) == [Engine.OCR, Engine.GEMINI]
    assert engines_to_try(_document(engine=Engine.EINVOICE), None) == [Engine.TEXT_LAYER, Engine.OCR, Engine.EINVOICE]
    assert engines_to_try(_document(kind=DocumentKind.XML, engine=Engine.EINVOICE), Engine.OPENAI) == []
