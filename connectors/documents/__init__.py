"""Uploaded documents taken in safely: kind from content, safe names, content-addressed storage, a first look.

The order for each uploaded file (see `receive_upload`, which does the first three):
1. `clean_file_name(raw)` for messages until the kind is known;
2. `detect_kind(head, file_name=...)` on its first `SNIFF_BYTES`: `UnsupportedTypeError` → 415;
3. `DocumentStorage.store_stream(chunks, max_bytes)`: `TooLargeError` → 413; the name to keep is
   `safe_file_name(raw, kind)`;
4. `inspect_document(data, kind, max_pages=..., max_pixels=...)`: `UnreadableDocumentError` → the
   document is `failed` with its `reason`.
"""

from connectors.documents.errors import (
    DocumentIntakeError,
    TooLargeError,
    UnreadableDocumentError,
    UnsupportedTypeError,
    describe_size,
)
from connectors.documents.inspect import Inspection, inspect_document
from connectors.documents.names import MAX_NAME_LENGTH, clean_file_name, content_disposition, safe_file_name
from connectors.documents.pdfium_lock import PDFIUM_LOCK
from connectors.documents.receive import ReceivedFile, receive_upload
from connectors.documents.sniff import SNIFF_BYTES, detect_kind, sniff_kind
from connectors.documents.storage import DocumentStorage, StoredFile

__all__ = [
    "MAX_NAME_LENGTH",
    "PDFIUM_LOCK",
    "SNIFF_BYTES",
    "DocumentIntakeError",
    "DocumentStorage",
    "Inspection",
    "ReceivedFile",
    "StoredFile",
    "TooLargeError",
    "UnreadableDocumentError",
    "UnsupportedTypeError",
    "clean_file_name",
    "content_disposition",
    "describe_size",
    "detect_kind",
    "inspect_document",
    "receive_upload",
    "safe_file_name",
    "sniff_kind",
]
