"""The text-layer engine and the layout parser on real PDFs: our own layouts, the demo set, invoice2data's."""

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fpdf import FPDF
from PIL import Image, ImageDraw

from benchmarks.extraction_accuracy import (
    INVOICE2DATA_LABEL_ERRORS,
    answers_of,
    evaluate,
    field_accuracy,
    invoice2data_truth,
)
from connectors.extraction.layout.parse import parse_invoice
from connectors.extraction.pdf_errors import UnreadablePdfError
from connectors.extraction.text_layer import (
    extract_text_layer,
    extraction_from_words,
    has_text_layer,
    read_text_layer,
)
from demo.documents import render_benchmark_set
from domain.documents import HEADER_FIELDS, Engine, PageText, Word
from tests.layout_samples import (
    Sample,
    boxed_french_invoice,
    dated_rows_invoice,
    din_german_invoice,
    uk_quantity_first_invoice,
    us_two_page_invoice,
)

INVOICE2DATA = Path("/work/shared/datasets/invoice2data-compare")


@pytest.fixture(scope="module")
def french() -> Sample:
    return boxed_french_invoice()


@pytest.fixture(scope="module")
def american() -> Sample:
    return us_two_page_invoice()


def _expected(sample: Sample) -> dict[str, Any]:
    return {**sample.fields, "lines": sample.lines}


def test_the_text_layer_is_words_in_points_from_the_top_left(french: Sample) -> None:
    (page,) = read_text_layer(french.pdf)
    assert (page.number, round(page.width), round(page.height)) == (1, 595, 842)
    title = next(word for word in page.words if word.text == "FACTURE")
    assert 35 < title.x0 < 45 and 35 < title.top < 50 and title.bottom > title.top and title.confidence == 1.0
    assert has_text_layer([page])


def test_max_pages_reads_only_the_first(american: Sample) -> None:
    assert len(read_text_layer(american.pdf)) == 2
    assert [page.number for page in read_text_layer(american.pdf, max_pages=1)] == [1]


def test_a_scan_has_no_text_layer() -> None:
    image = Image.new("L", (600, 800), 255)
    ImageDraw.Draw(image).text((50, 50), "INVOICE 12345 Total 99.00", fill=0)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    pdf = FPDF(unit="pt", format="A4")
    pdf.add_page()
    pdf.image(io.BytesIO(buffer.getvalue()), x=0, y=0, w=595)
    pages = read_text_layer(bytes(pdf.output()))
    assert len(pages) == 1 and pages[0].words == ()
    assert not has_text_layer(pages)
    few = PageText(1, 595, 842, tuple(Word(f"w{i}", 0, 0, 1, 1) for i in range(5)))
    assert not has_text_layer([few])


def test_labels_above_values_grouped_thousands_and_a_reference_column(french: Sample) -> None:
    extraction = extract_text_layer(french.pdf)
    assert answers_of(extraction) == _expected(french)
    assert (extraction.engine, extraction.engine_reason, extraction.pages) == (
        Engine.TEXT_LAYER,
        "the PDF has a text layer",
        1,
    )
    assert set(extraction.timings_ms) == {"text_layer", "parse"}
    assert extraction.failed_checks == []
    assert extraction.field("total").confidence == 0.97  # raised by the checks it passed
    box = extraction.field("invoice_number").box
    assert box is not None and box.page == 1 and 0.05 < box.x0 < 0.1 and 0.15 < box.y0 < 0.2


def test_one_word_labels_us_dates_and_a_table_over_two_pages(american: Sample) -> None:
    extraction = extract_text_layer(american.pdf)
    assert answers_of(extraction) == _expected(american)
    assert extraction.pages == 2
    assert {line.line_total.box.page for line in extraction.lines if line.line_total.box} == {1, 2}
    assert [check.check for check in extraction.failed_checks] == []


def test_a_german_letter_with_its_address_window_and_a_discount_column() -> None:
    extraction = extract_text_layer(din_german_invoice().pdf)
    assert answers_of(extraction) == _expected(din_german_invoice())
    # 1 × 1249.00 is not 1186.55: the 5 % discount is not a field, so the line's check fails and says so.
    assert [(check.check, check.message) for check in extraction.failed_checks] == [
        ("line_arithmetic", "line 2: 1 × 1249.00 = 1249, the line total is 1186.55")
    ]
    assert extraction.lines[1].line_total.confidence == 0.5


@pytest.mark.parametrize("build", [uk_quantity_first_invoice, dated_rows_invoice])
def test_quantity_first_gross_totals_and_a_date_column(build: Callable[[], Sample]) -> None:
    sample = build()
    extraction = extract_text_layer(sample.pdf)
    assert answers_of(extraction) == _expected(sample)
    assert extraction.failed_checks == []


def _page(*rows: tuple[float, str]) -> PageText:
    """Words laid out as printed: each row (top, text), words 6 points apart, 5 points per character."""
    words = []
    for top, text in rows:
        x = 40.0
        for word in text.split():
            words.append(Word(word, x, top, x + 5 * len(word), top + 9))
            x += 5 * len(word) + (30 if word[-1:].isdigit() else 6)
    return PageText(1, 595, 842, tuple(words))


def test_rows_without_a_header_where_quantity_times_price_is_the_total() -> None:
    page = _page(
        (40, "Invoice No: A-77"),
        (200, "Widget blue 2 10.00 20.00"),
        (215, "Widget red 3 5.00 15.00"),
        (230, "Postage 1 4.99 5.00"),
        (260, "Total: 35.00"),
    )
    fields, lines, _ = parse_invoice([page])
    assert (fields["invoice_number"].value, fields["total"].value) == ("A-77", "35.00")
    assert [
        (line.description.value, line.quantity.value, line.unit_price.value, line.line_total.value) for line in lines
    ] == [
        ("Widget blue", "2", "10.00", "20.00"),
        ("Widget red", "3", "5.00", "15.00"),
    ]
    assert lines[0].line_total.confidence == 0.75  # a row known by its arithmetic alone


def test_a_legal_form_alone_is_no_seller_and_kg_in_a_line_is_a_unit() -> None:
    page = _page(
        (40, "Bluewater Components"),
        (60, "Invoice No: A-78"),
        (260, "Total: 40.23"),
    )
    # a line item's cells, each in its column: the unit `KG` stands alone
    cells = [
        Word(text, x0, 200, x0 + 5 * len(text), 209)
        for text, x0 in (("Steel", 40), ("plate", 70), ("9", 300), ("KG", 340), ("4.47", 420), ("40.23", 500))
    ]
    fields, _, _ = parse_invoice([PageText(1, 595, 842, (*page.words, *cells))])
    assert fields["seller_name"].value == "Bluewater Components"


def test_ocr_misreads_one_letter_of_a_label_and_spaces_thousands_wide() -> None:
    def word(text: str, x0: float, top: float, confidence: float = 0.9) -> Word:
        return Word(text, x0, top, x0 + 11 * len(text), top + 20, confidence)

    page = PageText(
        1,
        1700,
        2400,
        (
            word("NVOICE", 190, 340),
            word("NUMBER", 270, 340),  # 14 px apart: a space between capitals 20 px high
            word("2026-1208", 190, 380),
            word("Montant", 1000, 1000),
            word("HT", 1090, 1000),
            word("15", 1350, 1000),
            word("278,56", 1383, 1000),  # 11 px after `15`: one amount, 15 278,56
            word("EUR", 1460, 1000),
        ),
    )
    fields, _, _ = parse_invoice([page])
    assert (fields["invoice_number"].value, fields["subtotal"].value) == ("2026-1208", "15278.56")
    # The same words as a text layer's (confidence 1): labels must be spelt right there.
    exact = PageText(1, 1700, 2400, tuple(_with_confidence(w, 1.0) for w in page.words))
    assert "invoice_number" not in parse_invoice([exact])[0]


def test_ocr_words_scale_each_fields_confidence(french: Sample) -> None:
    pages = read_text_layer(french.pdf)
    unsure = [
        PageText(page.number, page.width, page.height, tuple(_with_confidence(word, 0.5) for word in page.words))
        for page in pages
    ]
    sure = extraction_from_words(pages, Engine.OCR, "scanned")
    halved = extraction_from_words(unsure, Engine.OCR, "scanned")
    assert (halved.engine, halved.engine_reason) == (Engine.OCR, "scanned")
    assert answers_of(halved) == answers_of(sure)
    # The checks still raise what adds up; fields no check concerns keep half their confidence.
    assert halved.field("invoice_number").confidence == pytest.approx(sure.field("invoice_number").confidence / 2)
    assert halved.field("total").confidence == 0.97


def _with_confidence(word: Word, confidence: float) -> Word:
    return Word(word.text, word.x0, word.top, word.x1, word.bottom, confidence)


def test_the_language_hint_and_no_words() -> None:
    assert parse_invoice([]) == ({}, [], [])
    assert parse_invoice([PageText(1, 595, 842, ())], language_hint="de") == ({}, [], [])


def test_the_demo_documents_in_every_layout_and_language(tmp_path: Path) -> None:
    render_benchmark_set(tmp_path, count=12, seed=7)
    accuracy, _ = evaluate(tmp_path)  # the text-layer PDFs among them
    assert sum(counted for _, counted in accuracy.header.values()) >= 4 * len(HEADER_FIELDS)
    assert accuracy.header_rate == 1.0, accuracy.header
    assert accuracy.items_rate == 1.0, accuracy.lines


def test_what_is_not_a_readable_pdf() -> None:
    with pytest.raises(UnreadablePdfError):
        read_text_layer(b"\x89PNG\r\n\x1a\n not a pdf")
    with pytest.raises(UnreadablePdfError):
        read_text_layer(b"%PDF-1.4\n%%EOF")


# The invoice2data set: every labelled header field is read right, except the label errors
# (INVOICE2DATA_LABEL_ERRORS, left out) and what the text layer cannot have, named here.
INVOICE2DATA_MISSED = {
    # The seller's name and VAT id are printed in an image: only OCR could read them.
    "saeco": {"seller_name", "seller_vat_id"},
}
INVOICE2DATA_FILES = sorted(path.stem for path in INVOICE2DATA.glob("*.pdf"))


def test_the_invoice2data_set_is_there() -> None:
    assert len(INVOICE2DATA_FILES) == 11


@pytest.mark.parametrize("name", INVOICE2DATA_FILES)
def test_the_invoice2data_set(name: str) -> None:
    labels = invoice2data_truth(json.loads((INVOICE2DATA / f"{name}.json").read_text())[0])
    answers = answers_of(extract_text_layer((INVOICE2DATA / f"{name}.pdf").read_bytes()))
    counted = {field for field in HEADER_FIELDS if field in labels} - set(INVOICE2DATA_LABEL_ERRORS.get(name, {}))
    wrong = {field for field in counted if field_accuracy([(answers, labels)]).header[field][0] == 0}
    assert wrong == INVOICE2DATA_MISSED.get(name, set()), {field: answers[field] for field in wrong}
