"""A rendered PDF as a scanner returns it: rasterised, a little askew, grey, speckled and soft; no text layer."""

import io
import random
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageFilter

SCAN_FORMATS = ("png", "jpeg", "tiff", "pdf")
MULTI_PAGE_FORMATS = ("tiff", "pdf")
SUFFIXES = {"png": ".png", "jpeg": ".jpg", "tiff": ".tif", "pdf": ".pdf"}


def scan_pages(pdf: bytes, rng: random.Random, *, dpi: int = 200) -> list[Image.Image]:
    """Each page rasterised at `dpi`, turned by 0.5°–2.5° either way, with noise, speckle and a slight blur."""
    document = pdfium.PdfDocument(pdf)
    try:
        pages = [document[index].render(scale=dpi / 72).to_pil().convert("L") for index in range(len(document))]
    finally:
        document.close()
    return [_degrade(page, rng) for page in pages]


def _degrade(page: Image.Image, rng: random.Random) -> Image.Image:
    angle = rng.uniform(0.5, 2.5) * rng.choice((-1, 1))
    turned = page.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    noise = np.random.default_rng(rng.getrandbits(32))
    pixels = np.asarray(turned, dtype=np.float32)
    pixels = pixels * rng.uniform(0.9, 0.97) + rng.uniform(4, 14)  # grey paper, not quite black ink
    pixels += noise.normal(0, rng.uniform(4, 9), pixels.shape)
    specks = noise.random(pixels.shape) < 0.0006
    pixels[specks] = noise.uniform(0, 120, int(specks.sum()))
    degraded = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="L")
    return degraded.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 0.8)))


def save_scan(pages: list[Image.Image], path: Path, image_format: str, *, dpi: int = 200) -> None:
    """Write the pages as one file: PNG and JPEG hold one page, TIFF and PDF all of them."""
    if image_format not in MULTI_PAGE_FORMATS and len(pages) > 1:
        raise ValueError(f"a {image_format} scan holds one page; this one has {len(pages)}")
    first, rest = pages[0], pages[1:]
    options: dict[str, object] = {"dpi": (dpi, dpi)}
    if image_format == "jpeg":
        options["quality"] = 78
    elif image_format == "tiff":
        options |= {"save_all": True, "append_images": rest, "compression": "tiff_deflate"}
    elif image_format == "pdf":
        options = {"save_all": True, "append_images": rest, "resolution": float(dpi)}
    buffer = io.BytesIO()
    first.save(buffer, format=image_format.upper(), **options)
    path.write_bytes(buffer.getvalue())
