"""OCR with the real Tesseract on invoice scans made by tests.ocr_samples: words, deskew, orientation, refusals."""

import io
import struct
import time
import zlib

import pytest
from fpdf import FPDF
from PIL import Image

from connectors.extraction.deskew import deskew, estimate_skew
from connectors.extraction.images import is_grain_free
from connectors.extraction.ocr import (
    OcrUnavailableError,
    UnreadableImageError,
    at_readable_resolution,
    ocr_document,
    ocr_page,
    page_images_of_image,
    page_images_of_pdf,
)
from connectors.extraction.tesseract import _line_high, _tsv_lines, require_tesseract
from domain.documents import DocumentKind, PageText, Word
from tests.ocr_samples import SAMPLE, image_bytes, invoice_pdf, rasterise, scan

DPI = 150
MAX_PAGES, MAX_PIXELS = 5, 40_000_000


@pytest.fixture(scope="module")
def page() -> Image.Image:
    return rasterise(invoice_pdf(), dpi=DPI)[0]


@pytest.fixture(scope="module")
def upright(page: Image.Image) -> PageText:
    return ocr_page(page, page_number=1, dpi=DPI)


def _word(page: PageText, text: str) -> Word:
    found = [word for word in page.words if word.text == text]
    assert found, f"{text!r} not among {[word.text for word in page.words]}"
    return found[0]


def _texts(page: PageText) -> set[str]:
    return {word.text for word in page.words}


def test_a_skewed_noisy_png_scan_gives_the_invoice_number_the_total_and_umlauts() -> None:
    scanned = scan(rasterise(invoice_pdf(), dpi=DPI)[0], angle=1.5, noise=0.08)
    pages, timings, _ = ocr_document(
        image_bytes([scanned], "PNG", dpi=DPI), DocumentKind.PNG, max_pages=MAX_PAGES, max_pixels=MAX_PIXELS
    )

    assert len(pages) == 1
    words = _texts(pages[0])
    assert {SAMPLE.invoice_number, SAMPLE.total, SAMPLE.umlaut_word, SAMPLE.po_number} <= words
    assert set(timings) == {"rasterise", "deskew", "ocr"}
    assert timings["ocr"] > 0


def test_boxes_fall_inside_the_page_and_confidences_are_fractions(upright: PageText) -> None:
    assert upright.words
    for word in upright.words:
        assert 0 <= word.x0 < word.x1 <= upright.width
        assert 0 <= word.top < word.bottom <= upright.height
        assert 0.0 <= word.confidence <= 1.0
        assert word.text.strip() == word.text != ""


def test_the_deskew_estimates_a_small_turn_within_a_third_of_a_degree(page: Image.Image) -> None:
    for angle in (1.5, -1.5, 4.0):
        assert estimate_skew(scan(page, angle=angle, noise=0.08)) == pytest.approx(angle, abs=0.3)
    assert estimate_skew(page) == pytest.approx(0.0, abs=0.1)
    straightened, found = deskew(scan(page, angle=1.5))
    assert found == pytest.approx(1.5, abs=0.3)
    assert abs(estimate_skew(straightened)) <= 0.1


def test_a_blank_page_is_not_turned() -> None:
    blank = Image.new("L", (800, 1100), 255)
    assert deskew(blank) == (blank, 0.0)


@pytest.mark.parametrize("turn", [180, 90])
def test_an_upside_down_or_sideways_scan_is_read_upright(page: Image.Image, upright: PageText, turn: int) -> None:
    turned = scan(page, angle=turn + 1.0, noise=0.05)
    read = ocr_page(turned, page_number=1, dpi=DPI)

    assert {SAMPLE.invoice_number, SAMPLE.total} <= _texts(read)
    # Upright frame: same place on the page as when the scan lay straight (the turn adds white margins).
    for text in (SAMPLE.invoice_number, SAMPLE.total):
        straight, found = _word(upright, text), _word(read, text)
        assert found.x0 / read.width == pytest.approx(straight.x0 / upright.width, abs=0.03)
        assert found.top / read.height == pytest.approx(straight.top / upright.height, abs=0.03)


def test_a_multi_page_tiff_gives_every_page(page: Image.Image) -> None:
    tiff = image_bytes([scan(page, noise=0.05), scan(page, angle=-1.0)], "TIFF", dpi=DPI)
    pages, _, _ = ocr_document(tiff, DocumentKind.TIFF, max_pages=MAX_PAGES, max_pixels=MAX_PIXELS)

    assert [read.number for read in pages] == [1, 2]
    assert all(SAMPLE.invoice_number in _texts(read) for read in pages)


def test_an_image_only_pdf_is_rendered_and_read(page: Image.Image) -> None:
    scanned_pdf = image_bytes([scan(page, angle=-0.8, noise=0.05)], "PDF", dpi=DPI)
    pages, timings, _ = ocr_document(scanned_pdf, DocumentKind.PDF, dpi=DPI, max_pages=MAX_PAGES, max_pixels=MAX_PIXELS)

    assert len(pages) == 1
    assert {SAMPLE.invoice_number, SAMPLE.total} <= _texts(pages[0])
    assert timings["rasterise"] > 0


def _png_claiming(width: int, height: int) -> bytes:
    """A valid-looking PNG of a few bytes whose header declares `width`×`height` pixels of 1 bit."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("max_pixels", [40_000_000, 10**12])
def test_an_image_bomb_is_refused_before_it_is_decoded(max_pixels: int) -> None:
    # Over our limit, or (a generous limit) over Pillow's own bomb limit: refused either way, at once.
    started = time.perf_counter()
    with pytest.raises(UnreadableImageError, match="bomb"):
        page_images_of_image(_png_claiming(100_000, 100_000), max_pixels=max_pixels, max_pages=5)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 40,  # a PNG signature and nothing valid after it
        b"not an image at all",
    ],
)
def test_a_corrupt_image_is_unreadable(data: bytes) -> None:
    with pytest.raises(UnreadableImageError):
        page_images_of_image(data, max_pixels=40_000_000, max_pages=5)


def test_a_truncated_png_is_unreadable(page: Image.Image) -> None:
    whole = image_bytes([page], "PNG", dpi=DPI)
    with pytest.raises(UnreadableImageError):
        page_images_of_image(whole[: len(whole) // 2], max_pixels=40_000_000, max_pages=5)


def test_more_frames_or_pages_than_the_limit_are_refused() -> None:
    frames = [Image.new("L", (60, 80), 255) for _ in range(3)]
    with pytest.raises(UnreadableImageError, match="more than 2 pages"):
        page_images_of_image(image_bytes(frames, "TIFF", dpi=DPI), max_pixels=40_000_000, max_pages=2)
    with pytest.raises(UnreadableImageError, match="3 pages"):
        page_images_of_pdf(invoice_pdf(pages=3), dpi=72, max_pages=2, max_pixels=40_000_000)


@pytest.mark.parametrize("data", [b"%PDF-1.7\n garbage", b""])
def test_a_corrupt_pdf_is_unreadable(data: bytes) -> None:
    with pytest.raises(UnreadableImageError):
        page_images_of_pdf(data, max_pages=5, max_pixels=40_000_000)


def test_a_huge_pdf_page_is_rendered_within_the_pixel_limit() -> None:
    pdf = FPDF(format=(5000, 5000), unit="mm")
    pdf.add_page()
    images = page_images_of_pdf(bytes(pdf.output()), dpi=300, max_pages=5, max_pixels=4_000_000)
    assert images[0].width * images[0].height <= 4_000_000


def test_frames_come_grey_upright_and_on_white() -> None:
    transparent = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
    sideways = Image.new("RGB", (200, 100), "white")
    exif = sideways.getexif()
    exif[0x0112] = 6  # EXIF orientation: turn 90° clockwise to view
    jpeg = io.BytesIO()
    sideways.save(jpeg, "JPEG", exif=exif)

    [on_white] = page_images_of_image(image_bytes([transparent], "PNG", dpi=DPI), max_pixels=10**6, max_pages=1)
    [upright] = page_images_of_image(jpeg.getvalue(), max_pixels=10**6, max_pages=1)

    assert on_white.mode == "L" and on_white.getextrema() == (255, 255)
    assert upright.size == (100, 200)


def test_a_missing_language_model_names_the_debian_package() -> None:
    with pytest.raises(OcrUnavailableError, match="tesseract-ocr-xyz"):
        require_tesseract("eng+xyz")


def test_a_missing_tesseract_names_the_debian_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(OcrUnavailableError, match="tesseract-ocr"):
        require_tesseract("eng")


def test_an_xml_document_has_no_pages_to_read() -> None:
    with pytest.raises(UnreadableImageError):
        ocr_document(b"<Invoice/>", DocumentKind.XML, max_pages=MAX_PAGES, max_pixels=MAX_PIXELS)


def test_grain_is_told_apart_from_a_flat_rendering(page: Image.Image) -> None:
    assert is_grain_free(page)
    assert is_grain_free(scan(page, angle=1.5))  # a turn alone adds no grain
    assert not is_grain_free(scan(page, noise=0.01))


def test_light_grey_print_on_a_clean_rendering_is_read() -> None:
    pdf = FPDF(format=(148, 210), unit="mm")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.text(15, 20, "Invoice 4711")
    pdf.set_font("Helvetica", "", 11)
    pdf.set_text_color(175)
    for row, text in enumerate(("Elastic Compute Cloud", "Simple Storage Service", "Data Transfer")):
        pdf.text(15, 40 + row * 8, text)
        pdf.text(100, 40 + row * 8, f"{row + 1}.25")
    pdf.set_text_color(0)
    pdf.text(15, 80, "Total 6.75")
    pages, _, _ = ocr_document(
        bytes(pdf.output()), DocumentKind.PDF, dpi=DPI, max_pages=MAX_PAGES, max_pixels=MAX_PIXELS
    )

    assert {"Compute", "Storage", "Transfer", "2.25", "6.75"} <= _texts(pages[0])


_TSV_HEADER = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"


def test_tesseract_tsv_keeps_words_and_drops_structure_rows_blanks_and_table_rules() -> None:
    rows = [
        "1\t1\t0\t0\t0\t0\t0\t0\t800\t600\t-1\t",  # the page
        "4\t1\t1\t1\t1\t0\t10\t20\t300\t30\t-1\t",  # a line
        "5\t1\t1\t1\t1\t1\t10\t20\t90\t30\t96.5\tTotal",
        "5\t1\t1\t1\t1\t2\t105\t20\t8\t30\t40.0\t|",  # a table's rule
        "5\t1\t1\t1\t1\t3\t120\t20\t100\t30\t91.0\t1.487,50|",
        "5\t1\t1\t1\t1\t4\t230\t20\t10\t30\t95.0\t ",
    ]
    lines = _tsv_lines("\n".join([_TSV_HEADER, *rows]))

    assert [[word.text for word in words] for words in lines.values()] == [["Total", "1.487,50"]]
    total = lines["1", "1", "1"][0]
    assert (total.x0, total.top, total.x1, total.bottom, total.confidence) == (10, 20, 100, 50, 0.965)


def test_the_words_of_a_line_get_the_line_s_height_unless_it_holds_two_rows() -> None:
    ink = [Word("ace", 0, 14, 40, 30), Word("Total", 50, 8, 110, 30), Word("gpy", 120, 14, 160, 36)]
    assert {(word.top, word.bottom) for word in _line_high(ink)} == {(8, 36)}
    two_rows = [Word("Net", 0, 0, 40, 20), Word("Tax", 50, 60, 90, 80)]
    assert _line_high(two_rows) == two_rows


def test_a_coarse_fax_is_enlarged_before_it_is_read() -> None:
    coarse = scan(rasterise(invoice_pdf(), dpi=72)[0], noise=0.03)
    pages, _, _ = ocr_document(
        image_bytes([coarse], "PNG", dpi=72), DocumentKind.PNG, max_pages=MAX_PAGES, max_pixels=MAX_PIXELS
    )

    assert pages[0].width > 2 * coarse.width
    assert {SAMPLE.invoice_number, SAMPLE.total, SAMPLE.umlaut_word, "1.245,00"} <= _texts(pages[0])


def test_a_fine_or_huge_image_is_not_enlarged(page: Image.Image) -> None:
    assert at_readable_resolution(page, DPI) == (page, DPI)
    poster = Image.new("L", (5000, 7000), 255)
    assert at_readable_resolution(poster, 60)[0] is poster  # enlarged it would be over 12 million pixels
    undeclared = Image.new("L", (800, 1100), 255)  # no dpi: taken for a page, about 94 dpi
    enlarged, dpi = at_readable_resolution(undeclared, None)
    assert enlarged.size == (1702, 2340) and dpi == 200


def test_a_rendered_pdf_page_declares_its_resolution() -> None:
    [normal] = page_images_of_pdf(invoice_pdf(), dpi=100, max_pages=5, max_pixels=MAX_PIXELS)
    [limited] = page_images_of_pdf(invoice_pdf(), dpi=300, max_pages=5, max_pixels=500_000)
    assert normal.info["dpi"] == pytest.approx((100, 100))
    assert limited.info["dpi"][0] < 100 and limited.width * limited.height <= 500_000
