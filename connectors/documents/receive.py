"""One uploaded file in: its kind from its first bytes, then stored while it arrives, within the size limit."""

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain

from connectors.documents.names import clean_file_name, safe_file_name
from connectors.documents.sniff import SNIFF_BYTES, detect_kind
from connectors.documents.storage import DocumentStorage, StoredFile
from domain.documents import DocumentKind


@dataclass(frozen=True, slots=True)
class ReceivedFile:
    kind: DocumentKind
    name: str  # safe to store, show and serve; its extension follows `kind`
    stored: StoredFile


def receive_upload(
    chunks: Iterable[bytes], raw_name: str | None, storage: DocumentStorage, *, max_bytes: int
) -> ReceivedFile:
    """Take in the file arriving as `chunks` under the client's `raw_name`. Raises `UnsupportedTypeError`
    (415) before anything is written when its first bytes are no accepted kind, `TooLargeError` (413) as
    soon as more than `max_bytes` arrived (nothing kept). The same content twice is one stored file."""
    shown_name = clean_file_name(raw_name)
    remaining = iter(chunks)
    head = b""
    for chunk in remaining:
        head += chunk
        if len(head) >= SNIFF_BYTES:
            break
    kind = detect_kind(head, file_name=shown_name)
    stored = storage.store_stream(chain([head], remaining), max_bytes, file_name=shown_name)
    return ReceivedFile(kind, safe_file_name(raw_name, kind), stored)
