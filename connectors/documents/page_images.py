"""One page of an uploaded document as an image for a screen: a PDF page rendered by PDFium, a PNG or JPEG,
or a frame of a TIFF, scaled to fit a long edge, turned as the OCR engine turned it, saved as PNG.

Bounded on hostile input as the first look is (see `inspect`): an image's size is judged from its header
before a pixel is decoded, a JPEG is decoded at a fraction of its size when that is enough, and the output
is never more than `long_edge` pixels on its longer side, whatever the page's size.
"""

import io
import math
from dataclasses import dataclass

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageOps

from connectors.documents.pdfium_lock import PDFIUM_LOCK
from domain.documents import DocumentKind, PageTurn

# Bumped whenever the pixels a page renders to change (scale, colour, turn, format): cached images of an
# older renderer are then never served.
RENDER_VERSION = 1
# An A4 page 1131 × 1600 pixels (137 dpi): sharp shown 800 CSS pixels wide on a 2× screen, where a person
# checks digits against the boxes; rendered and encoded in 40 ms (a scan in 100 ms). 2000 cost 1.6× that.
SCREEN_LONG_EDGE = 1600
# Lossless PNG keeps small print sharp, but a scan's grain does not compress: where a sample of the page
# takes more than this many bytes a pixel as PNG (a rendered text page about 0.05, a scan 0.5), the page is
# sent as JPEG, 4 to 5 times smaller and encoded 20 times faster.
_GRAINY_PNG_BYTES_PER_PIXEL = 0.25
_GRAIN_SAMPLE = 384  # pixels square, from the middle of the page: on a scan, grain is everywhere there
_JPEG_QUALITY = 85
_COLOUR_SPREAD = 12  # channel spread (0-255) below which a pixel counts as grey
_PILLOW_FORMATS = {DocumentKind.PNG: "PNG", DocumentKind.JPEG: "JPEG", DocumentKind.TIFF: "TIFF"}
_WHITE: dict[str, int | tuple[int, int, int]] = {"L": 255, "RGB": (255, 255, 255)}
# Quarter turns clockwise, as Pillow's transposes (which turn counter-clockwise).
_CLOCKWISE = {
    1: Image.Transpose.ROTATE_270,
    2: Image.Transpose.ROTATE_180,
    3: Image.Transpose.ROTATE_90,
}


class NoPageImageError(ValueError):
    """The document has no page image to show: an XML e-invoice, or a file that cannot be rendered."""


class PageOutOfRangeError(LookupError):
    def __init__(self, page: int, pages: int | None) -> None:
        counted = "" if pages is None else f": the document has {pages} page{'s' if pages != 1 else ''}"
        super().__init__(f"page {page} does not exist{counted}")
        self.page = page
        self.pages = pages


@dataclass(frozen=True, slots=True)
class PageImage:
    data: bytes
    media_type: str  # image/png or image/jpeg

    @property
    def suffix(self) -> str:
        return next(suffix for suffix, media_type in PAGE_IMAGE_SUFFIXES.items() if media_type == self.media_type)


# The file name endings of page images, and what each is.
PAGE_IMAGE_SUFFIXES = {".png": "image/png", ".jpg": "image/jpeg"}


@dataclass(frozen=True, slots=True)
class PageImageSpec:
    """What a page image is made with: its longer side in pixels and the pixel limit of the files read."""

    long_edge: int
    max_pixels: int


def render_page_image(
    data: bytes, kind: DocumentKind, page: int, spec: PageImageSpec, turn: PageTurn | None = None
) -> PageImage:
    """Page `page` (from 1) of the document `data` of `kind`, turned by `turn` when given: a PNG, or a
    JPEG for a grainy scan. Raises `NoPageImageError` (XML, or a file that cannot be read) and
    `PageOutOfRangeError`."""
    if kind is DocumentKind.XML:
        raise NoPageImageError("an XML e-invoice has no page image: it is data, not a printed page")
    image = _pdf_page(data, page, spec) if kind is DocumentKind.PDF else _image_page(data, kind, page, spec)
    if image.mode == "RGB" and not _has_colour(image):
        image = image.convert("L")  # half the PNG of the same page in RGB
    if turn is not None:
        image = turned(image, turn)
    return _encoded(image)


def _encoded(image: Image.Image) -> PageImage:
    out = io.BytesIO()
    if _is_grainy(image):
        image.save(out, "JPEG", quality=_JPEG_QUALITY)
        return PageImage(out.getvalue(), "image/jpeg")
    # Level 1: a text page compresses nearly as well as at 6 in a third of the time (measured).
    image.save(out, "PNG", compress_level=1)
    return PageImage(out.getvalue(), "image/png")


def _is_grainy(image: Image.Image) -> bool:
    """Whether the page is a scan or a photo rather than a rendering, by how its middle compresses."""
    width, height = image.size
    side = min(_GRAIN_SAMPLE, width, height)
    left, top = (width - side) // 2, (height - side) // 2
    sample = io.BytesIO()
    image.crop((left, top, left + side, top + side)).save(sample, "PNG", compress_level=1)
    return sample.tell() > _GRAINY_PNG_BYTES_PER_PIXEL * side * side


def _has_colour(image: Image.Image) -> bool:
    pixels = np.asarray(image)[::4, ::4]  # every 16th pixel: a logo or a stamp still shows
    spread = pixels.max(axis=2).astype(np.int16) - pixels.min(axis=2)
    return bool((spread > _COLOUR_SPREAD).any())


def turned(image: Image.Image, turn: PageTurn) -> Image.Image:
    """The image turned as the OCR engine turned the page before reading it: straightened about its centre
    (same size, white where it turned in), then stood upright by quarter turns. At any scale of the image
    read, this gives the frame its boxes' fractions are of."""
    if turn.skew_degrees:
        image = image.rotate(
            -turn.skew_degrees, resample=Image.Resampling.BILINEAR, expand=False, fillcolor=_WHITE[image.mode]
        )
    if turn.quarter_turns:
        image = image.transpose(_CLOCKWISE[turn.quarter_turns])
    return image


def _pdf_page(data: bytes, page: int, spec: PageImageSpec) -> Image.Image:
    # PDFium is not thread-safe, even across documents: every call holds the process's one lock.
    with PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as error:
            raise NoPageImageError(f"the PDF cannot be rendered: {error}") from error
        try:
            _check_page(page, len(document))
            pdf_page = document[page - 1]
            try:
                width, height = pdf_page.get_size()  # in points, as the page is shown (its /Rotate applied)
                if width <= 0 or height <= 0:
                    raise NoPageImageError(f"page {page} of the PDF has no area")
                scale = spec.long_edge / max(width, height)
                bitmap = pdf_page.render(scale=scale, may_draw_forms=True)
                image: Image.Image = bitmap.to_pil().convert("RGB")  # a copy: the bitmap's buffer is freed below
                bitmap.close()
            except pdfium.PdfiumError as error:
                raise NoPageImageError(f"page {page} of the PDF cannot be rendered: {error}") from error
            finally:
                pdf_page.close()
        finally:
            document.close()
    return image


def _image_page(data: bytes, kind: DocumentKind, page: int, spec: PageImageSpec) -> Image.Image:
    # Pillow raises many kinds of error on hostile bytes: whichever it is, the page has no image to show.
    try:
        with Image.open(io.BytesIO(data), formats=[_PILLOW_FORMATS[kind]]) as image:
            if kind is not DocumentKind.TIFF:  # only a TIFF's frames are pages (see inspect)
                _check_page(page, 1)
            try:
                image.seek(page - 1)  # not n_frames: a hostile TIFF may claim a million frames to walk
            except EOFError:
                raise PageOutOfRangeError(page, None) from None
            width, height = image.size  # from the header: nothing decoded yet
            if width * height > spec.max_pixels:
                raise NoPageImageError(f"the image has more than the {spec.max_pixels:,} pixels accepted")
            if kind is DocumentKind.JPEG:  # decoded at 1/2, 1/4 or 1/8 where that still fills the long edge
                image.draft(image.mode, _fitted((width, height), spec.long_edge))
            image.load()
            upright = ImageOps.exif_transpose(image) or image
            screen = _screen_mode(upright)
    except (NoPageImageError, PageOutOfRangeError):
        raise
    except Exception as error:
        raise NoPageImageError("the image cannot be decoded: it is damaged or incomplete") from error
    if max(screen.size) > spec.long_edge:
        screen = screen.resize(_fitted(screen.size, spec.long_edge), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return screen


def _check_page(page: int, pages: int) -> None:
    if not 1 <= page <= pages:
        raise PageOutOfRangeError(page, pages)


def _fitted(size: tuple[int, int], long_edge: int) -> tuple[int, int]:
    width, height = size
    factor = long_edge / max(width, height)
    return max(1, math.floor(width * factor)), max(1, math.floor(height * factor))


def _screen_mode(image: Image.Image) -> Image.Image:
    """Grey stays grey (a smaller PNG), anything else becomes RGB; transparency becomes white paper."""
    if image.mode in ("1", "L"):
        return image.convert("L")
    if image.mode.startswith("I"):  # 16-bit scans: scaled to 8 bits rather than clipped to white
        return image.convert("I").point(lambda level: level / 257).convert("L")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba).convert("RGB")
    return image.convert("RGB")
