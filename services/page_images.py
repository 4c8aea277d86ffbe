"""Page images of uploaded documents for the screens: rendered on first asking, then read from a cache.

Cache layout: `<DOCUMENTS_DIR>/.pages/<sha256>/<page>-<variant>.png` (or `.jpg` for a grainy scan), where
the variant names the long edge, the turn the OCR engine gave the page and the renderer's version: a
re-extraction that turns the page otherwise, or a changed renderer, makes another file and never serves a
stale one. A file is written beside its place and renamed into it, so a reader never sees half of one;
within a process one lock per page keeps two first requests from rendering it twice. The folder may be
deleted at any time: it fills again as pages are asked for.
"""

import os
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from connectors.documents import DocumentStorage
from connectors.documents.page_images import (
    PAGE_IMAGE_SUFFIXES,
    RENDER_VERSION,
    SCREEN_LONG_EDGE,
    NoPageImageError,
    PageImageSpec,
    PageOutOfRangeError,
    render_page_image,
)
from connectors.store.document_reads import DocumentRecord
from domain.documents import DocumentKind, PageTurn

__all__ = ["CachedPageImage", "NoPageImageError", "PageImages", "PageOutOfRangeError"]

CACHE_FOLDER = ".pages"
_LOCK_STRIPES = 32


@dataclass(frozen=True, slots=True)
class CachedPageImage:
    path: Path
    media_type: str
    etag: str  # quoted, as the ETag header carries it


class PageImages:
    def __init__(
        self, storage: DocumentStorage, cache_dir: Path, *, max_pixels: int, long_edge: int = SCREEN_LONG_EDGE
    ) -> None:
        self.storage = storage
        self.cache_dir = cache_dir
        self.spec = PageImageSpec(long_edge=long_edge, max_pixels=max_pixels)
        self._locks = [threading.Lock() for _ in range(_LOCK_STRIPES)]

    def etag_of(self, document: DocumentRecord, page: int) -> str:
        """The page image's entity tag, known without rendering it. Raises `NoPageImageError` for an XML
        e-invoice and `PageOutOfRangeError` for a page the document does not have."""
        return _etag(document.sha256, self._name_of(document, page))

    def image_of(self, document: DocumentRecord, page: int) -> CachedPageImage:
        """The page's image file, rendered first if it is not cached yet. Raises `NoPageImageError` (XML, a
        file that cannot be rendered or is gone) and `PageOutOfRangeError`."""
        name = self._name_of(document, page)
        folder = self.cache_dir / document.sha256
        cached = _cached(folder, name, document.sha256)
        if cached is not None:
            return cached
        with self._locks[hash((document.sha256, name)) % _LOCK_STRIPES]:
            cached = _cached(folder, name, document.sha256)  # another thread may have rendered it meanwhile
            if cached is not None:
                return cached
            try:
                data = self.storage.read(document.sha256)
            except FileNotFoundError:
                raise NoPageImageError("the document's file is no longer stored") from None
            image = render_page_image(data, document.kind, page, self.spec, _turn(document, page))
            path = folder / f"{name}{image.suffix}"
            _write_atomically(path, image.data)
            return CachedPageImage(path, image.media_type, _etag(document.sha256, name))

    def _name_of(self, document: DocumentRecord, page: int) -> str:
        if document.kind is DocumentKind.XML:
            raise NoPageImageError("an XML e-invoice has no page image: it is data, not a printed page")
        if document.pages is not None and not 1 <= page <= document.pages:
            raise PageOutOfRangeError(page, document.pages)
        self.storage.path_of(document.sha256)  # a checked hash before it names a folder
        turn = _turn(document, page) or PageTurn(page=page)
        variant = f"e{self.spec.long_edge}-q{turn.quarter_turns}-s{turn.skew_degrees:+.2f}-r{RENDER_VERSION}"
        return f"{page}-{variant}"


def _turn(document: DocumentRecord, page: int) -> PageTurn | None:
    return None if document.extraction is None else document.extraction.turn_of(page)


def _etag(sha256: str, name: str) -> str:
    return f'"{sha256[:24]}-{name}"'


def _cached(folder: Path, name: str, sha256: str) -> CachedPageImage | None:
    for suffix, media_type in PAGE_IMAGE_SUFFIXES.items():
        path = folder / f"{name}{suffix}"
        if path.is_file():
            return CachedPageImage(path, media_type, _etag(sha256, name))
    return None


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".render-", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())  # never an empty file under the final name after a crash
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
