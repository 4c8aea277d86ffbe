"""Page images of a scanned document: PDF pages rendered by PDFium, or the frames of a PNG, JPEG or TIFF.

Every image is grey (mode "L"), upright as its EXIF orientation says, and refused before it is decoded
when its declared size is over the pixel limit (an image bomb is a few kB that decode to gigabytes).
Pages come one at a time from the iterators so that a long document never holds every page in memory.
"""

import io
import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageOps, UnidentifiedImageError

from connectors.documents import PDFIUM_LOCK

_POINTS_PER_INCH = 72
_GRAIN_ROW_STEP = 4
_PAPER_LEVEL = 160  # grey levels at or above this count as paper when looking for grain


class UnreadableImageError(ValueError):
    """A corrupt or encrypted file, an image bomb, or more pages than allowed: nothing to read from it."""


def iter_pdf_page_images(pdf: bytes, *, dpi: int, max_pages: int, max_pixels: int) -> Iterator[Image.Image]:
    """Each page rendered grey at `dpi`, or at less where `dpi` would make it more than `max_pixels`.

    The image's `info["dpi"]` says which.
    """
    # PDFium is not thread-safe, even across documents: every call holds the process's one lock, but
    # not the caller's work on each page between them (OCR runs while another thread renders).
    with PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(pdf)
        except pdfium.PdfiumError as error:
            raise UnreadableImageError(f"not a readable PDF: {error}") from error
        count = len(document)
    try:
        if count == 0:
            raise UnreadableImageError("the PDF has no pages")
        if count > max_pages:
            raise UnreadableImageError(f"the PDF has {count} pages, more than the limit of {max_pages}")
        for index in range(count):
            with PDFIUM_LOCK:
                page = document[index]
                try:
                    width, height = page.get_size()
                    scale = _render_scale(width, height, dpi=dpi, max_pixels=max_pixels)
                    image = page.render(scale=scale, grayscale=True).to_pil().convert("L")
                except pdfium.PdfiumError as error:
                    raise UnreadableImageError(f"page {index + 1} of the PDF cannot be rendered: {error}") from error
                finally:
                    page.close()
            resolution = scale * _POINTS_PER_INCH
            image.info["dpi"] = (resolution, resolution)  # as an image file declares its own
            yield image
    finally:
        with PDFIUM_LOCK:
            document.close()


def _render_scale(width_pt: float, height_pt: float, *, dpi: int, max_pixels: int) -> float:
    """Pixels per point: `dpi`, lowered for a page so large that `dpi` would overrun the pixel limit."""
    if width_pt <= 0 or height_pt <= 0:
        raise UnreadableImageError("a PDF page has no area")
    scale = dpi / _POINTS_PER_INCH
    if width_pt * height_pt * scale * scale > max_pixels:
        scale = math.sqrt(max_pixels / (width_pt * height_pt))
        # PDFium rounds the bitmap's sides; a hair smaller keeps it within the limit.
        while math.ceil(width_pt * scale) * math.ceil(height_pt * scale) > max_pixels:
            scale *= 0.995
    return scale


def page_images_of_pdf(pdf: bytes, *, dpi: int = 300, max_pages: int, max_pixels: int) -> list[Image.Image]:
    return list(iter_pdf_page_images(pdf, dpi=dpi, max_pages=max_pages, max_pixels=max_pixels))


def iter_image_frames(data: bytes, *, max_pixels: int, max_pages: int) -> Iterator[Image.Image]:
    """Every frame of a PNG, JPEG or (multi-page) TIFF, grey and upright; sizes checked before decoding."""
    with _bombs_refused():
        try:
            image = Image.open(io.BytesIO(data))
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
            raise UnreadableImageError(f"not a readable image: {error}") from error
    with image:
        for index in range(max_pages + 1):
            try:
                image.seek(index)
            except EOFError:
                return
            except (OSError, ValueError, SyntaxError) as error:
                raise UnreadableImageError(f"frame {index + 1} cannot be read: {error}") from error
            if index == max_pages:
                raise UnreadableImageError(f"the image has more than {max_pages} pages")
            yield _grey_upright_frame(image, index=index, max_pixels=max_pixels)


@contextmanager
def _bombs_refused() -> Iterator[None]:
    """Pillow's own bomb check as a refusal: it only warns between its limit and twice it."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            yield
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise UnreadableImageError(f"image bomb refused: {error}") from error


def _grey_upright_frame(image: Image.Image, *, index: int, max_pixels: int) -> Image.Image:
    width, height = image.size  # from the header: nothing decoded yet
    if width * height > max_pixels:
        raise UnreadableImageError(
            f"image bomb refused: frame {index + 1} is {width}×{height} pixels, over the limit of {max_pixels}"
        )
    with _bombs_refused():
        try:
            image.load()
            upright = ImageOps.exif_transpose(image) or image
            return _grey(upright)
        except (OSError, ValueError, SyntaxError) as error:
            raise UnreadableImageError(f"frame {index + 1} cannot be decoded: {error}") from error


def _grey(image: Image.Image) -> Image.Image:
    """Grey on white: transparent parts of a PNG become paper, not black."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(paper, rgba).convert("L")
    if image.mode.startswith("I"):
        # 16-bit scans: scale to 8 bits rather than let convert() clip every value over 255 to white.
        levels = np.asarray(image, dtype=np.float64)
        return Image.fromarray(np.clip(levels / 257, 0, 255).astype(np.uint8), mode="L")
    return image.convert("L")


def page_images_of_image(data: bytes, *, max_pixels: int, max_pages: int) -> list[Image.Image]:
    return list(iter_image_frames(data, max_pixels=max_pixels, max_pages=max_pages))


def is_grain_free(image: Image.Image) -> bool:
    """Whether the paper is flat, as in a rendered or binarised page, rather than grainy like a scan or photo.

    Neighbouring paper pixels of a rendering are mostly equal; a scanner's or a camera's noise makes
    most of them differ. Sampled every few rows: the answer needs no more.
    """
    pixels = np.asarray(image.convert("L"), dtype=np.int16)[::_GRAIN_ROW_STEP]
    left, right = pixels[:, :-1], pixels[:, 1:]
    paper = (left >= _PAPER_LEVEL) & (right >= _PAPER_LEVEL)
    if not paper.any():
        return False
    steps = np.abs(left[paper] - right[paper])
    return float(np.median(steps)) == 0.0
