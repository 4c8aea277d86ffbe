"""Tesseract (Debian's `tesseract-ocr`) run as a process on one page image, its TSV read into words.

One process a page, on one core (OMP_THREAD_LIMIT=1: Tesseract's OpenMP threads only contend with the
other extractions running beside it). Page segmentation mode 1 lets Tesseract's orientation detection
(OSD, `osd.traineddata`) turn a sideways or upside-down page before reading it, in the same pass; its
boxes stay in the frame of the image it was given, so the turn is read back from the direction the
words of each line run in, and the boxes are turned upright here.
"""

import functools
import os
import shutil
import subprocess
from collections import Counter
from dataclasses import dataclass, replace
from statistics import median

from PIL import Image

from domain.documents import Word

_BINARY = "tesseract"
_WORD_LEVEL = "5"
_TSV_COLUMNS = 12
# A table's vertical rules come out as bars, alone or stuck to a cell's word; no invoice prints one.
_RULE_MARKS = "|¦"
_MAX_LINE_TO_WORD_HEIGHT = 2.0
# Tesseract 5's binarisation: 0 one Otsu threshold for the page, 1 adaptive Otsu by tiles.
_GLOBAL_OTSU, _ADAPTIVE_OTSU = "0", "1"


class OcrUnavailableError(RuntimeError):
    """Tesseract or one of its language models is not installed."""


class OcrFailedError(RuntimeError):
    """Tesseract ran but crashed or took longer than allowed."""


@dataclass(frozen=True, slots=True)
class ReadPage:
    """Words of one page in the upright frame, and that frame's size in pixels."""

    words: tuple[Word, ...]
    width: int
    height: int
    turned: int  # degrees counter-clockwise the page lay in the image: 0, 90, 180 or 270


def require_tesseract(languages: str) -> str:
    """The path of the tesseract binary, once each language model and OSD's are known to be installed."""
    binary = shutil.which(_BINARY)
    if binary is None:
        raise OcrUnavailableError("tesseract is not installed (Debian package tesseract-ocr)")
    installed = _installed_languages(binary)
    wanted = [*languages.split("+"), "osd"]
    missing = [language for language in wanted if language not in installed]
    if missing:
        packages = ", ".join(f"tesseract-ocr-{language.lower().replace('_', '-')}" for language in missing)
        raise OcrUnavailableError(f"tesseract models missing: {', '.join(missing)} (Debian packages {packages})")
    return binary


@functools.cache
def _installed_languages(binary: str) -> frozenset[str]:
    listed = subprocess.run([binary, "--list-langs"], capture_output=True, text=True, timeout=30, check=False)
    # The first line is a heading ("List of available languages in ..."), then one code a line.
    return frozenset(line.strip() for line in listed.stdout.splitlines()[1:] if line.strip())


def read_words(
    image: Image.Image, *, languages: str, dpi: int | None, timeout_s: float, adaptive: bool = False
) -> ReadPage:
    """Tesseract's words on the grey `image`, boxes in pixels of the image turned upright.

    `adaptive` thresholds by tiles: light grey print beside black is read (on a clean rendering a third
    of an invoice's words were grey and lost to one global threshold), but on a grainy scan the tiles
    turn paper noise into specks and lose words, so it is for grain-free images only.
    """
    binary = require_tesseract(languages)
    method = _ADAPTIVE_OTSU if adaptive else _GLOBAL_OTSU
    command = [binary, "stdin", "stdout", "-l", languages, "--psm", "1", "--oem", "1"]
    command += ["-c", f"thresholding_method={method}"]
    if dpi is not None:
        command += ["--dpi", str(dpi)]
    command.append("tsv")
    environment = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        done = subprocess.run(
            command, input=_pgm(image), capture_output=True, env=environment, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise OcrFailedError(f"tesseract took longer than {timeout_s:g} s on a page") from error
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OcrFailedError(f"tesseract failed ({done.returncode}): {message[-1] if message else 'no message'}")
    lines = _tsv_lines(done.stdout.decode("utf-8", "replace"))
    turned = _turn_of(lines)
    width, height = image.size
    words = tuple(
        word for line in lines.values() for word in _line_high([_upright(word, turned, width, height) for word in line])
    )
    upright_width, upright_height = (height, width) if turned in (90, 270) else (width, height)
    return ReadPage(words=words, width=upright_width, height=upright_height, turned=turned)


def _pgm(image: Image.Image) -> bytes:
    """The image as binary PGM: no compression to spend time on, and Leptonica reads it from stdin."""
    grey = image.convert("L")
    return f"P5\n{grey.width} {grey.height}\n255\n".encode("ascii") + grey.tobytes()


def _tsv_lines(tsv: str) -> dict[tuple[str, str, str], list[Word]]:
    """Words by their line (block, paragraph, line), in Tesseract's reading order; empty ones and rules dropped."""
    lines: dict[tuple[str, str, str], list[Word]] = {}
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) != _TSV_COLUMNS or cells[0] != _WORD_LEVEL:
            continue
        text, confidence = cells[11].strip().strip(_RULE_MARKS), float(cells[10])
        if not text or confidence < 0:
            continue
        left, top, width, height = (float(cell) for cell in cells[6:10])
        word = Word(
            text=text,
            x0=left,
            top=top,
            x1=left + width,
            bottom=top + height,
            confidence=min(1.0, confidence / 100),
        )
        lines.setdefault((cells[2], cells[3], cells[4]), []).append(word)
    return lines


def _turn_of(lines: dict[tuple[str, str, str], list[Word]]) -> int:
    """How the page lay, by the way most words run: right (0), up (90), left (180) or down (270)."""
    votes: Counter[int] = Counter()
    for words in lines.values():
        if len(words) < 2:
            continue
        first, last = words[0], words[-1]
        dx = (last.x0 + last.x1) - (first.x0 + first.x1)
        dy = (last.top + last.bottom) - (first.top + first.bottom)
        if abs(dx) >= abs(dy):
            votes[0 if dx > 0 else 180] += len(words)
        else:
            votes[270 if dy > 0 else 90] += len(words)
    return votes.most_common(1)[0][0] if votes else 0


def _line_high(line: list[Word]) -> list[Word]:
    """The words of one line given the line's height, as a text layer gives a word its font's.

    Tesseract's boxes hug the ink, so `a` is shorter than `Ag` beside it and gaps look wider against
    a word's height than a text layer's; the line's top and bottom put them back on one footing. Not
    where the line is much higher than its words (two rows Tesseract took for one): those keep theirs.
    """
    top, bottom = min(word.top for word in line), max(word.bottom for word in line)
    if bottom - top > _MAX_LINE_TO_WORD_HEIGHT * median(word.bottom - word.top for word in line):
        return line
    return [replace(word, top=top, bottom=bottom) for word in line]


def _upright(word: Word, turned: int, width: int, height: int) -> Word:
    """The word's box in the frame of the page turned upright (the image was `width`×`height`)."""
    if turned == 180:
        x0, top, x1, bottom = width - word.x1, height - word.bottom, width - word.x0, height - word.top
    elif turned == 90:
        x0, top, x1, bottom = height - word.bottom, word.x0, height - word.top, word.x1
    elif turned == 270:
        x0, top, x1, bottom = word.top, width - word.x1, word.bottom, width - word.x0
    else:
        return word
    return Word(text=word.text, x0=x0, top=top, x1=x1, bottom=bottom, confidence=word.confidence)
