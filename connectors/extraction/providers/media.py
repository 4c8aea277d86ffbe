"""The document as a provider can take it: its page count, and images in a format LLMs read.

Gemini and OpenAI-compatible vision models read PNG and JPEG but not TIFF, so a TIFF goes as one
PNG per frame. The file was checked at upload (type, size, pixel limit); this only converts it.
"""

import io
from dataclasses import dataclass

import pypdfium2
from PIL import Image

from connectors.documents import PDFIUM_LOCK
from domain.documents import DocumentKind


@dataclass(frozen=True, slots=True)
class Picture:
    media_type: str
    data: bytes


def page_count(data: bytes, kind: DocumentKind) -> int:
    if kind is DocumentKind.PDF:
        with PDFIUM_LOCK:  # PDFium is not thread-safe, even across documents
            document = pypdfium2.PdfDocument(data)
            try:
                return len(document)
            finally:
                document.close()
    if kind is DocumentKind.TIFF:
        with Image.open(io.BytesIO(data)) as image:
            return getattr(image, "n_frames", 1)
    return 1


def pictures(data: bytes, kind: DocumentKind) -> tuple[Picture, ...]:
    """The pages of an image document as PNG or JPEG, what every vision model reads."""
    if kind in (DocumentKind.PNG, DocumentKind.JPEG):
        return (Picture(kind.media_type, data),)
    if kind is not DocumentKind.TIFF:
        raise ValueError(f"{kind} is not an image")
    frames = []
    with Image.open(io.BytesIO(data)) as image:
        for index in range(getattr(image, "n_frames", 1)):
            image.seek(index)
            png = io.BytesIO()
            image.convert("RGB" if image.mode not in ("1", "L", "RGB") else image.mode).save(png, format="PNG")
            frames.append(Picture(DocumentKind.PNG.media_type, png.getvalue()))
    return tuple(frames)
