"""The text-layer engine: a PDF's own words and their positions (pdfplumber), read by the layout parser."""

import io
import re
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pdfplumber
from pdfplumber.utils.exceptions import PdfminerException
from pdfplumber.utils.text import extract_words

from connectors.extraction.crosschecks import cross_check
from connectors.extraction.layout.parse import parse_invoice
from connectors.extraction.pdf_errors import UnreadablePdfError
from domain.documents import Engine, Extraction, PageText, Word

# Characters closer than this (in points) belong to one word: tight enough that columns a few points
# apart stay apart, loose enough for ordinary kerning.
_X_TOLERANCE = 1.5
_Y_TOLERANCE = 3.0
_REAL_WORD = re.compile(r"[^\W_]{2,}")
# `size` in extra_attrs splits a word where the font size changes (a title beside small print).
_WORDS: dict[str, Any] = {
    "x_tolerance": _X_TOLERANCE,
    "y_tolerance": _Y_TOLERANCE,
    "keep_blank_chars": False,
    "use_text_flow": False,
    "extra_attrs": ["size"],
}
_ENOUGH_WORDS = 20  # a page of an invoice has more; a scan has none or a few stray ones


def read_text_layer(pdf: bytes, *, max_pages: int | None = None) -> list[PageText]:
    """The words of each page (up to `max_pages`), in PDF points with the origin top left."""
    try:
        return _read(pdf, max_pages)
    except PdfminerException as error:
        raise UnreadablePdfError(f"the PDF cannot be read: {error}") from error


def _read(pdf: bytes, max_pages: int | None) -> list[PageText]:
    pages: list[PageText] = []
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        for number, page in enumerate(document.pages[:max_pages], start=1):
            width, height = float(page.width), float(page.height)
            quarter_turns = _turn_of(page.chars)
            if quarter_turns:
                # Printed sideways: its letters are turned upright first, then grouped into words as usual.
                chars = [_turned_char(char, quarter_turns, width, height) for char in page.chars]
                raw = extract_words(chars, **_WORDS)
                if quarter_turns != 2:
                    width, height = height, width
            else:
                raw = page.extract_words(**_WORDS)
            words = tuple(
                Word(text=word["text"], x0=word["x0"], top=word["top"], x1=word["x1"], bottom=word["bottom"])
                for word in raw
                if word["text"].strip()
            )
            pages.append(PageText(number, width, height, words, quarter_turns=quarter_turns))
            page.close()
    return pages


def _turn_of(chars: Sequence[dict[str, Any]]) -> int:
    """Quarter turns clockwise that stand most of the page's letters upright: 0; 3 when they run down the
    page (a quarter counter-clockwise), 1 when they run up it, 2 when they stand on their heads."""
    running: Counter[int] = Counter()
    for char in chars:
        a, b, c, d, _, _ = char["matrix"]
        running[3 if b < 0 < c else 1 if c < 0 < b else 2 if a < 0 and d < 0 else 0] += 1
    return running.most_common(1)[0][0] if running else 0


def _turned_char(char: dict[str, Any], quarter_turns: int, width: float, height: float) -> dict[str, Any]:
    """The letter's box in the page turned by `quarter_turns` clockwise, upright: 1: (x, y) → (height − y, x);
    2: (x, y) → (width − x, height − y); 3: (x, y) → (y, width − x)."""
    x0, top, x1, bottom = char["x0"], char["top"], char["x1"], char["bottom"]
    if quarter_turns == 1:
        box = {"x0": height - bottom, "x1": height - top, "top": x0, "bottom": x1}
    elif quarter_turns == 2:
        box = {"x0": width - x1, "x1": width - x0, "top": height - bottom, "bottom": height - top}
    else:
        box = {"x0": top, "x1": bottom, "top": width - x1, "bottom": width - x0}
    # pdfminer's `size` of a sideways letter is its width; upright, it is its height again
    upright_height = box["bottom"] - box["top"]
    return {
        **char,
        **box,
        "doctop": box["top"],
        "upright": True,
        "size": upright_height,
        "width": box["x1"] - box["x0"],
        "height": upright_height,
    }


def has_text_layer(pages: Sequence[PageText]) -> bool:
    """Whether some page carries enough real words (not `(cid:12)` glyph codes) to be read without OCR."""
    for page in pages:
        real = sum(1 for word in page.words if "(cid:" not in word.text and _REAL_WORD.search(word.text))
        if real >= _ENOUGH_WORDS:
            return True
    return False


def extract_text_layer(pdf: bytes, *, max_pages: int | None = None) -> Extraction:
    """Read the PDF's text layer and parse it into an extraction, cross-checked."""
    started = time.perf_counter()
    pages = read_text_layer(pdf, max_pages=max_pages)
    read_ms = (time.perf_counter() - started) * 1000
    extraction = extraction_from_words(pages, Engine.TEXT_LAYER, "the PDF has a text layer")
    return extraction.model_copy(update={"timings_ms": {"text_layer": round(read_ms, 1), **extraction.timings_ms}})


def extraction_from_words(pages: Sequence[PageText], engine: Engine, reason: str) -> Extraction:
    """Parse positioned words (a text layer's or OCR's) into a cross-checked extraction.

    With OCR each word carries the engine's confidence; the parser multiplies a field's confidence
    by the mean confidence of the words it was read from.
    """
    started = time.perf_counter()
    fields, lines, charges = parse_invoice(pages)
    parse_ms = (time.perf_counter() - started) * 1000
    extraction = Extraction(
        engine=engine,
        engine_reason=reason,
        pages=len(pages),
        fields=fields,
        lines=tuple(lines),
        charges=tuple(charges),
        timings_ms={"parse": round(parse_ms, 1)},
    )
    return cross_check(extraction)
