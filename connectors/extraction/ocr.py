"""OCR of scanned pages and images, offline: page images, deskewed, read by Tesseract into words with boxes.

`ocr_document` turns a scanned PDF or an image file into one `PageText` a page, in pixels of the page
as read (deskewed, upright), for the same layout parser the text layer feeds. Pages are rendered and
read one at a time, so memory stays that of one page whatever the page count.
"""

import time
from collections.abc import Iterator
from typing import NamedTuple

from PIL import Image

from connectors.extraction.deskew import deskew
from connectors.extraction.images import (
    UnreadableImageError,
    is_grain_free,
    iter_image_frames,
    iter_pdf_page_images,
    page_images_of_image,
    page_images_of_pdf,
)
from connectors.extraction.tesseract import OcrFailedError, OcrUnavailableError, read_words, require_tesseract
from domain.documents import DocumentKind, PageText, PageTurn

__all__ = [
    "DEFAULT_DPI",
    "DEFAULT_LANGUAGES",
    "OcrFailedError",
    "OcrReading",
    "OcrUnavailableError",
    "UnreadableImageError",
    "at_readable_resolution",
    "ocr_document",
    "ocr_page",
    "page_images_of_image",
    "page_images_of_pdf",
]

# The first language leads: German first keeps umlauts and ß that English-first reading drops
# (Müller read as Muller); French accents come next. Measured on scans in all four languages.
DEFAULT_LANGUAGES = "deu+fra+eng+nld"
# 200 dpi reads invoice print as well as 300 here and keeps a dense page within 3 s on one core.
DEFAULT_DPI = 200
PAGE_TIMEOUT_S = 60.0
_PLAUSIBLE_DPI = range(50, 1201)
_COARSEST_DPI = 150
_ENLARGED_DPI = 200
_MAX_ENLARGEMENT = 3.0
_MAX_ENLARGED_PIXELS = 12_000_000  # an A4 page at 300 dpi is 8.7 million
_PAGE_LONG_SIDE_INCHES = 11.7  # A4; US letter is 11


class OcrReading(NamedTuple):
    pages: list[PageText]
    timings: dict[str, float]  # milliseconds by step
    turns: tuple[PageTurn, ...]  # the pages that were turned before they were read, and how


def ocr_page(
    image: Image.Image,
    *,
    languages: str = DEFAULT_LANGUAGES,
    page_number: int,
    dpi: int | None = None,
    timeout_s: float = PAGE_TIMEOUT_S,
) -> PageText:
    """The words of one page image; the image is deskewed first, and read upright whichever way it lay."""
    readable, page_dpi = at_readable_resolution(image, dpi or _dpi_of(image))
    straight, _ = deskew(readable)
    return _read(straight, languages=languages, page_number=page_number, dpi=page_dpi, timeout_s=timeout_s)[0]


def ocr_document(
    data: bytes,
    kind: DocumentKind,
    *,
    max_pages: int,
    max_pixels: int,
    dpi: int = DEFAULT_DPI,
    languages: str = DEFAULT_LANGUAGES,
    timeout_s: float = PAGE_TIMEOUT_S,
) -> OcrReading:
    """Every page's words, the milliseconds spent making page images (rendered, decoded, enlarged when
    coarse), deskewing and reading them, and how each page was turned: its words' boxes are in the frame
    of the page turned so, which a page image shown under them must be turned to as well."""
    require_tesseract(languages)  # before any page is rendered: a missing model is not the file's fault
    timings = {"rasterise": 0.0, "deskew": 0.0, "ocr": 0.0}
    pages: list[PageText] = []
    turns: list[PageTurn] = []
    images = _page_images(data, kind, max_pages=max_pages, max_pixels=max_pixels, dpi=dpi)
    while True:
        started = time.perf_counter()
        image = next(images, None)
        if image is None:
            break
        page_dpi = _dpi_of(image)
        if kind is not DocumentKind.PDF:  # a PDF page is rendered at the resolution asked for
            image, page_dpi = at_readable_resolution(image, page_dpi)
        timings["rasterise"] += _ms_since(started)
        started = time.perf_counter()
        straight, skew = deskew(image)
        timings["deskew"] += _ms_since(started)
        started = time.perf_counter()
        number = len(pages) + 1
        page, turned = _read(straight, languages=languages, page_number=number, dpi=page_dpi, timeout_s=timeout_s)
        timings["ocr"] += _ms_since(started)
        pages.append(page)
        if skew or turned:
            # `turned` is counter-clockwise how the page lay: as many quarter turns clockwise stand it up.
            turns.append(PageTurn(page=number, quarter_turns=turned // 90, skew_degrees=skew))
    return OcrReading(pages, {step: round(ms, 1) for step, ms in timings.items()}, tuple(turns))


def _page_images(
    data: bytes, kind: DocumentKind, *, max_pages: int, max_pixels: int, dpi: int
) -> Iterator[Image.Image]:
    if kind is DocumentKind.PDF:
        return iter_pdf_page_images(data, dpi=dpi, max_pages=max_pages, max_pixels=max_pixels)
    if kind.is_image:
        return iter_image_frames(data, max_pixels=max_pixels, max_pages=max_pages)
    raise UnreadableImageError(f"a {kind.value} document has no page images to read")


def at_readable_resolution(image: Image.Image, dpi: int | None) -> tuple[Image.Image, int | None]:
    """The image enlarged to about 200 dpi when it is coarser than 150 (a fax, a screenshot), and its dpi.

    Tesseract loses small print below about 10 pixels of x-height; enlarging brings it back. An image
    that declares no resolution is taken for a whole page to guess one.
    """
    width, height = image.size
    effective = dpi or max(width, height) / _PAGE_LONG_SIDE_INCHES
    if effective >= _COARSEST_DPI:
        return image, dpi
    factor = min(_MAX_ENLARGEMENT, _ENLARGED_DPI / effective)
    if width * height * factor * factor > _MAX_ENLARGED_PIXELS:
        return image, dpi
    enlarged = image.resize((round(width * factor), round(height * factor)), Image.Resampling.BICUBIC)
    return enlarged, round(effective * factor)


def _read(
    image: Image.Image, *, languages: str, page_number: int, dpi: int | None, timeout_s: float
) -> tuple[PageText, int]:
    """The page's words, upright, and the degrees counter-clockwise it lay in `image`."""
    read = read_words(image, languages=languages, dpi=dpi, timeout_s=timeout_s, adaptive=is_grain_free(image))
    return PageText(number=page_number, width=read.width, height=read.height, words=read.words), read.turned


def _dpi_of(image: Image.Image) -> int | None:
    """The resolution the file declares, if believable; Tesseract estimates it from the text otherwise."""
    declared = image.info.get("dpi")
    if not declared:
        return None
    dpi = round(float(declared[0]))
    return dpi if dpi in _PLAUSIBLE_DPI else None


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000
