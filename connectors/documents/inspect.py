"""A first look at an uploaded document: can it be read at all, and how many pages has it.

Cheap and bounded on hostile input: a PDF is opened by PDFium without rendering anything (its
page tree is walked, never trusted for a count); an image's size is read from its header and
judged before a single pixel is decoded, so a file declaring 50000 × 50000 pixels costs nothing.
Whatever cannot be read raises `UnreadableDocumentError` with a reason for the person who sent it.
"""

import io
from dataclasses import dataclass

import pypdfium2.raw as pdfium_c
from PIL import Image

from connectors.documents.errors import DocumentIntakeError, UnreadableDocumentError
from connectors.documents.pdfium_lock import PDFIUM_LOCK
from domain.documents import DocumentKind

_PILLOW_FORMATS = {DocumentKind.PNG: "PNG", DocumentKind.JPEG: "JPEG", DocumentKind.TIFF: "TIFF"}
_PDF_LOAD_ERRORS = {
    pdfium_c.FPDF_ERR_PASSWORD: "the PDF is password-protected: send it without a password",
    pdfium_c.FPDF_ERR_SECURITY: "the PDF is encrypted in a way that cannot be opened",
}


@dataclass(frozen=True, slots=True)
class Inspection:
    pages: int  # an XML e-invoice counts as one


def inspect_document(
    data: bytes, kind: DocumentKind, *, max_pages: int, max_pixels: int, file_name: str = "the document"
) -> Inspection:
    """Check that `data`, already known to be of `kind`, can be read, has 1 to `max_pages` pages (TIFF
    frames count as pages) and no image of more than `max_pixels`. Raises `UnreadableDocumentError`
    naming `file_name` otherwise. An XML e-invoice is read (safely) only by the e-invoice reader."""
    if kind is DocumentKind.XML:
        pages = 1
    elif kind is DocumentKind.PDF:
        pages = _pdf_pages(data, file_name)
    else:
        pages = _image_pages(data, kind, max_pages=max_pages, max_pixels=max_pixels, file_name=file_name)
    if pages > max_pages:
        raise UnreadableDocumentError(file_name, f"the document has more than the {max_pages} pages accepted")
    return Inspection(pages)


def _pdf_pages(data: bytes, file_name: str) -> int:
    # The raw API rather than `PdfDocument`, which refuses a document of 0 pages as if it could not load
    # it, with a stale error code: here "no pages" and "damaged" stay two different reasons.
    with PDFIUM_LOCK:
        document = pdfium_c.FPDF_LoadMemDocument64(data, len(data), None)
        if not document:
            reason = _PDF_LOAD_ERRORS.get(pdfium_c.FPDF_GetLastError(), "the PDF is damaged or incomplete")
            raise UnreadableDocumentError(file_name, reason)
        try:
            pages = int(pdfium_c.FPDF_GetPageCount(document))
        finally:
            pdfium_c.FPDF_CloseDocument(document)
    if pages < 1:
        raise UnreadableDocumentError(file_name, "the PDF has no pages")
    return pages


def _image_pages(data: bytes, kind: DocumentKind, *, max_pages: int, max_pixels: int, file_name: str) -> int:
    # Pillow raises many kinds of error on hostile bytes (OSError, SyntaxError, struct.error, ValueError,
    # EOFError, IndexError...): whichever it is, the image is unreadable, never the service's failure.
    try:
        with Image.open(io.BytesIO(data), formats=[_PILLOW_FORMATS[kind]]) as image:
            pages = _checked_frames(image, max_pages=max_pages, max_pixels=max_pixels, file_name=file_name)
            _decode_check(image, kind)
    except DocumentIntakeError:
        raise
    except Image.DecompressionBombError:
        raise _too_many_pixels(file_name, max_pixels) from None
    except Exception as error:
        raise UnreadableDocumentError(file_name, "the image is damaged or incomplete") from error
    return pages


def _checked_frames(image: Image.Image, *, max_pages: int, max_pixels: int, file_name: str) -> int:
    """The pages of the image, each checked against `max_pixels` from its header alone. Only a TIFF's frames
    are pages (an animated PNG's or a phone's multi-picture JPEG's are not); they are counted one past
    `max_pages` at most, so a file claiming a million frames is not walked."""
    frames = 0
    while frames <= (max_pages if image.format == "TIFF" else 0):
        try:
            image.seek(frames)
        except EOFError:
            break
        width, height = image.size
        if width * height > max_pixels:
            raise _too_many_pixels(file_name, max_pixels)
        frames += 1
    image.seek(0)
    return frames


def _decode_check(image: Image.Image, kind: DocumentKind) -> None:
    """Find a damaged or truncated image now rather than in the middle of its extraction, cheaply: a JPEG
    is decoded at an eighth of its size (every byte of it still read), a PNG's chunks checked (CRCs)."""
    if kind is DocumentKind.JPEG:
        image.draft("L", (max(1, image.width // 8), max(1, image.height // 8)))
        image.load()
    elif kind is DocumentKind.PNG:
        image.verify()


def _too_many_pixels(file_name: str, max_pixels: int) -> UnreadableDocumentError:
    return UnreadableDocumentError(
        file_name, f"the image has more than the {max_pixels:,} pixels accepted (a possible decompression bomb)"
    )
