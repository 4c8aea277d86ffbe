"""Helpers for page-image tests: a stored document's record without a database, and ink found in a box."""

import io

import numpy as np
from PIL import Image

from connectors.documents import DocumentStorage
from connectors.store.document_reads import DocumentRecord
from domain.documents import Box, DocumentKind, DocumentStatus, Extraction
from tests.document_records import document_record

_INK = 128  # grey levels below this are ink


def stored_record(
    storage: DocumentStorage,
    data: bytes,
    kind: DocumentKind,
    *,
    pages: int | None,
    extraction: Extraction | None = None,
    document_id: int = 1,
) -> DocumentRecord:
    """The record the store would hand out for `data`, stored in `storage`."""
    stored = storage.store(data)
    return document_record(
        id=document_id,
        sha256=stored.sha256,
        kind=kind,
        file_name=f"invoice.{kind.value}",
        size=stored.size,
        status=DocumentStatus.EXTRACTED if extraction else DocumentStatus.QUEUED,
        pages=pages,
        pages_done=0,
        vendor_id="V1",
        extraction=extraction,
        attempts=0,
    )


def ink_in(image_bytes: bytes, box: Box) -> float:
    """The share of the box's pixels (box in fractions of the image) that are ink."""
    image = Image.open(io.BytesIO(image_bytes)).convert("L")
    width, height = image.size
    crop = image.crop((round(box.x0 * width), round(box.y0 * height), round(box.x1 * width), round(box.y1 * height)))
    pixels = np.asarray(crop)
    return float((pixels < _INK).mean()) if pixels.size else 0.0
