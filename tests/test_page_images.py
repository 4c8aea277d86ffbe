"""Page images of documents: rendered from PDFs, PNGs and TIFF frames, refused for XML and pages that do not
exist, cached once and read after, safe under concurrent first requests, and turned as OCR turned the page
so that the boxes of the fields read land on their words."""

import io
import os
import random
import threading
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from connectors.documents import DocumentStorage
from connectors.documents.page_images import PageImageSpec, render_page_image
from demo.documents.scans import scan_pages
from domain.documents import DocumentKind, Engine, Extraction, PageTurn
from services.extraction import ExtractionPolicy, extract
from services.page_images import NoPageImageError, PageImages, PageOutOfRangeError
from tests.document_records import WHEN
from tests.document_samples import ubl_invoice
from tests.ocr_samples import SAMPLE, image_bytes, invoice_pdf, rasterise, scan
from tests.page_image_samples import ink_in, stored_record

MAX_PIXELS = 40_000_000
LONG_EDGE = 1600


@pytest.fixture
def storage(tmp_path: Path) -> DocumentStorage:
    return DocumentStorage(tmp_path / "documents")


@pytest.fixture
def pages(storage: DocumentStorage) -> PageImages:
    return PageImages(storage, storage.root / ".pages", max_pixels=MAX_PIXELS)


def opened(path: Path) -> Image.Image:
    return Image.open(io.BytesIO(path.read_bytes()))


def test_a_pdf_page_is_rendered_to_fit_the_long_edge_and_cached_under_the_documents_folder(
    storage: DocumentStorage, pages: PageImages
) -> None:
    document = stored_record(storage, invoice_pdf(pages=2), DocumentKind.PDF, pages=2)

    image = pages.image_of(document, 2)

    assert image.media_type == "image/png"
    assert image.path.parent == storage.root / ".pages" / document.sha256
    assert image.path.name == "2-e1600-q0-s+0.00-r1.png"
    shown = opened(image.path)
    assert shown.format == "PNG" and max(shown.size) == LONG_EDGE
    assert shown.size[0] < shown.size[1]  # A4 portrait
    assert image.etag == pages.etag_of(document, 2) and image.etag.startswith('"')


def test_a_png_and_each_frame_of_a_tiff_are_pages(storage: DocumentStorage, pages: PageImages) -> None:
    page = rasterise(invoice_pdf(), dpi=100)[0]
    png = stored_record(storage, image_bytes([page], "PNG", dpi=100), DocumentKind.PNG, pages=1)
    blank = Image.new("L", page.size, 255)
    tiff = stored_record(storage, image_bytes([page, blank], "TIFF", dpi=100), DocumentKind.TIFF, pages=2)

    from_png = opened(pages.image_of(png, 1).path)
    first, second = (opened(pages.image_of(tiff, number).path) for number in (1, 2))

    assert from_png.size == page.size  # smaller than the long edge: never enlarged
    assert first.getextrema() == (0, 255)  # the invoice's ink on paper
    assert second.getextrema() == (255, 255)  # the blank second frame


def test_an_xml_e_invoice_has_no_page_image_and_a_page_past_the_last_does_not_exist(
    storage: DocumentStorage, pages: PageImages
) -> None:
    xml = stored_record(storage, ubl_invoice("INV-1", issue_date=WHEN.date()), DocumentKind.XML, pages=1)
    pdf = stored_record(storage, invoice_pdf(), DocumentKind.PDF, pages=1)
    # a document whose page count is unknown (failed at intake): the renderer finds out
    uncounted = stored_record(
        storage, image_bytes([Image.new("L", (50, 70), 255)], "TIFF", dpi=72), DocumentKind.TIFF, pages=None
    )

    with pytest.raises(NoPageImageError, match="XML e-invoice"):
        pages.image_of(xml, 1)
    with pytest.raises(PageOutOfRangeError, match=r"page 2 does not exist: the document has 1 page$"):
        pages.image_of(pdf, 2)
    with pytest.raises(PageOutOfRangeError, match="page 3 does not exist"):
        pages.image_of(uncounted, 3)
    assert not (storage.root / ".pages" / xml.sha256).exists()


def test_a_damaged_file_has_no_page_image_rather_than_a_failure(storage: DocumentStorage, pages: PageImages) -> None:
    truncated = invoice_pdf()[:400]
    png = image_bytes([Image.effect_noise((400, 500), 60)], "PNG", dpi=72)

    with pytest.raises(NoPageImageError, match="PDF cannot be rendered"):
        pages.image_of(stored_record(storage, truncated, DocumentKind.PDF, pages=None), 1)
    with pytest.raises(NoPageImageError, match="damaged or incomplete"):
        pages.image_of(stored_record(storage, png[: len(png) // 2], DocumentKind.PNG, pages=1), 1)


def test_an_image_over_the_pixel_limit_is_refused_before_it_is_decoded(storage: DocumentStorage) -> None:
    small_limit = PageImages(storage, storage.root / ".pages", max_pixels=10_000)
    document = stored_record(
        storage, image_bytes([Image.new("L", (200, 200), 255)], "PNG", dpi=72), DocumentKind.PNG, pages=1
    )

    with pytest.raises(NoPageImageError, match="more than the 10,000 pixels"):
        small_limit.image_of(document, 1)


def test_a_cached_page_is_read_not_rendered_again(storage: DocumentStorage, pages: PageImages) -> None:
    document = stored_record(storage, invoice_pdf(), DocumentKind.PDF, pages=1)
    first = pages.image_of(document, 1)
    written = first.path.stat().st_mtime_ns
    os.utime(first.path, ns=(written - 10**9, written - 10**9))  # a second older: a rewrite would show

    again = PageImages(storage, storage.root / ".pages", max_pixels=MAX_PIXELS).image_of(document, 1)

    assert again == first
    assert first.path.stat().st_mtime_ns == written - 10**9


def test_another_turn_is_another_image_never_the_stale_one(storage: DocumentStorage, pages: PageImages) -> None:
    pdf = invoice_pdf()
    plain = stored_record(storage, pdf, DocumentKind.PDF, pages=1)
    turned = plain.model_copy(
        update={"extraction": Extraction(engine=Engine.OCR, engine_reason="test", pages=1,
                                         page_turns=(PageTurn(page=1, quarter_turns=1),))}
    )  # fmt: skip

    upright, sideways = pages.image_of(plain, 1), pages.image_of(turned, 1)

    assert upright.path != sideways.path and upright.etag != sideways.etag
    assert opened(sideways.path).size == opened(upright.path).size[::-1]


def test_concurrent_first_requests_for_a_page_leave_one_whole_image(storage: DocumentStorage) -> None:
    document = stored_record(storage, invoice_pdf(), DocumentKind.PDF, pages=1)
    # Each thread a service of its own, as two API processes would be: no shared lock, only the rename.
    services = [PageImages(storage, storage.root / ".pages", max_pixels=MAX_PIXELS) for _ in range(6)]
    start = threading.Barrier(len(services))
    answers: list[bytes] = []

    def ask(service: PageImages) -> None:
        start.wait()
        answers.append(service.image_of(document, 1).path.read_bytes())

    threads = [threading.Thread(target=ask, args=(service,)) for service in services]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(answers) == len(services) and len(set(answers)) == 1
    folder = storage.root / ".pages" / document.sha256
    assert [path.name for path in folder.iterdir()] == ["1-e1600-q0-s+0.00-r1.png"]  # no temporary file left
    opened(folder / "1-e1600-q0-s+0.00-r1.png").load()


def test_a_grainy_scan_is_sent_as_jpeg_and_a_rendered_page_as_png(storage: DocumentStorage) -> None:
    spec = PageImageSpec(long_edge=LONG_EDGE, max_pixels=MAX_PIXELS)
    scanned = scan_pages(invoice_pdf(), random.Random(3))[0]

    assert (
        render_page_image(image_bytes([scanned], "PNG", dpi=200), DocumentKind.PNG, 1, spec).media_type == "image/jpeg"
    )
    assert render_page_image(invoice_pdf(), DocumentKind.PDF, 1, spec).media_type == "image/png"


@pytest.mark.parametrize(("angle", "quarter_turns"), [(4.0, 0), (90.0, 1), (-90.0, 3)], ids=["4°", "90°", "-90°"])
def test_the_box_of_a_field_read_by_ocr_lands_on_its_word_in_the_page_image(
    storage: DocumentStorage, pages: PageImages, angle: float, quarter_turns: int
) -> None:
    scanned = scan(rasterise(invoice_pdf(), dpi=200)[0], angle=angle, noise=0.03)
    data = image_bytes([scanned], "PNG", dpi=200)
    policy = ExtractionPolicy(confidence=0.8, max_pages=5, max_pixels=MAX_PIXELS, ocr_languages="deu+eng", ocr_dpi=200)
    extraction = extract(data, DocumentKind.PNG, policy)
    [turn] = extraction.page_turns
    read = extraction.field("invoice_number")
    assert read.value == SAMPLE.invoice_number and read.box is not None
    document = stored_record(storage, data, DocumentKind.PNG, pages=1, extraction=extraction)

    shown = pages.image_of(document, 1).path.read_bytes()
    as_filed = render_page_image(data, DocumentKind.PNG, 1, pages.spec).data

    assert turn.quarter_turns == quarter_turns
    assert (abs(turn.skew_degrees) > 3) == (angle == 4.0)
    # The number's box holds ink on the page as shown, far more than the same box on the file as it lies.
    assert ink_in(shown, read.box) > 0.12
    assert ink_in(shown, read.box) > 2 * ink_in(as_filed, read.box)


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_a_text_layer_printed_sideways_is_read_upright_and_shown_so(
    storage: DocumentStorage, pages: PageImages, rotation: int
) -> None:
    upright = invoice_pdf()
    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(upright)).pages:
        writer.add_page(page.rotate(rotation))  # displayed turned: its letters run down, up, or upside down
    buffer = io.BytesIO()
    writer.write(buffer)
    sideways = buffer.getvalue()
    policy = ExtractionPolicy(confidence=0.8, max_pages=5, max_pixels=MAX_PIXELS, ocr_languages="deu+eng", ocr_dpi=200)

    read = extract(sideways, DocumentKind.PDF, policy)
    as_printed = extract(upright, DocumentKind.PDF, policy)

    assert read.engine is Engine.TEXT_LAYER
    assert read.page_turns == (PageTurn(page=1, quarter_turns={90: 3, 180: 2, 270: 1}[rotation]),)
    assert read.field_paths().keys() == as_printed.field_paths().keys()
    assert {path: found.value for path, found in read.field_paths().items()} == {
        path: found.value for path, found in as_printed.field_paths().items()
    }
    number = read.field("invoice_number")
    assert number.value == SAMPLE.invoice_number and number.box is not None
    document = stored_record(storage, sideways, DocumentKind.PDF, pages=1, extraction=read)
    shown = pages.image_of(document, 1).path.read_bytes()
    as_filed = render_page_image(sideways, DocumentKind.PDF, 1, pages.spec).data
    assert ink_in(shown, number.box) > 0.12
    assert ink_in(shown, number.box) > 2 * ink_in(as_filed, number.box)
