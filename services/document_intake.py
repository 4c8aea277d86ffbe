"""Taking uploaded files in: checked by content, stored by hash, recorded as documents to extract.

A request is refused whole (413, 415, 422) before any document is recorded, so a bad file never
leaves half an upload behind; a file of the right type that cannot be read (encrypted, corrupt,
too many pages, an image bomb) becomes a `failed` document with the reason, and the others go on.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from connectors.documents import (
    DocumentStorage,
    StoredFile,
    UnreadableDocumentError,
    clean_file_name,
    detect_kind,
    inspect_document,
    safe_file_name,
)
from connectors.store import ProcessStore
from connectors.store.document_reads import DocumentRecord
from connectors.store.document_tables import INVOICE_FILE, SUPPORTING_FILE
from connectors.store.documents import AddedDocument, NewDocument
from domain.documents import DocumentKind, DocumentStatus
from settings import Settings

SNIFF_BYTES = 4096


@dataclass(frozen=True)
class IntakePolicy:
    max_files: int
    max_bytes: int
    max_pages: int
    max_pixels: int

    @classmethod
    def from_settings(cls, settings: Settings) -> "IntakePolicy":
        return cls(
            max_files=settings.documents_max_files,
            max_bytes=settings.documents_max_bytes,
            max_pages=settings.documents_max_pages,
            max_pixels=settings.documents_max_pixels,
        )


@dataclass(frozen=True)
class IncomingFile:
    file_name: str | None
    chunks: Iterable[bytes]
    supporting: bool = False  # a delivery note or timesheet that goes with the invoice file


@dataclass(frozen=True)
class UploadDetails:
    """What the uploader says of the invoice (all optional): the PO, the vendor, a note, and the
    document the upload replaces (a corrected invoice: a new version of the same invoice)."""

    po_number: str | None = None
    vendor_id: str | None = None
    note: str | None = None
    replaces: int | None = None


@dataclass(frozen=True)
class Uploader:
    actor: str
    vendor_id: str | None  # a vendor user uploads for its own vendor only

    @property
    def dedupe_scope(self) -> str:
        return "ap" if self.vendor_id is None else f"vendor:{self.vendor_id}"


class UploadRefusedError(ValueError):
    """The request as a whole cannot be taken (422): nothing was recorded."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class TooManyFilesError(ValueError):
    """More files than one request may carry (413)."""

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(f"files: {count} files sent; one request takes at most {limit}.")
        self.limit = limit


@dataclass(frozen=True)
class _Checked:
    stored: StoredFile
    kind: DocumentKind
    file_name: str
    supporting: bool


def upload(
    store: ProcessStore,
    storage: DocumentStorage,
    policy: IntakePolicy,
    files: Sequence[IncomingFile],
    details: UploadDetails,
    uploader: Uploader,
) -> list[AddedDocument]:
    """Record each file as a document (the same file again is the same document); supporting files
    are attached to the one invoice file of the request."""
    if not files:
        raise UploadRefusedError("files", "send at least one file")
    if len(files) > policy.max_files:
        raise TooManyFilesError(len(files), policy.max_files)
    invoice_files = [file for file in files if not file.supporting]
    if not invoice_files:
        raise UploadRefusedError("files", "send the invoice itself, not only supporting documents")
    if len(invoice_files) > 1 and len(invoice_files) < len(files):
        raise UploadRefusedError("supporting", "supporting documents go with exactly one invoice file per request")
    replaced = _replaced(store, details, uploader)
    if details.replaces is not None and len(invoice_files) > 1:
        raise UploadRefusedError("replaces", "a corrected version is one invoice file; send the others separately")
    vendor_id = _vendor_of(details, uploader) or (replaced.vendor_id if replaced else None)
    if replaced is not None and replaced.vendor_id not in (None, vendor_id):
        raise UploadRefusedError("replaces", f"document {replaced.id} is vendor {replaced.vendor_id}'s invoice")
    # Type and size first, for every file: a refused request records nothing.
    checked = [_checked(storage, file, policy) for file in files]
    added = []
    invoice_document = None
    for item in sorted(checked, key=lambda item: item.supporting):  # the invoice first: supporting files point to it
        data = storage.read(item.stored.sha256)
        status, pages, reason = _readable(data, item, policy)
        new = NewDocument(
            sha256=item.stored.sha256,
            dedupe_scope=uploader.dedupe_scope,
            kind=item.kind.value,
            file_name=item.file_name,
            size=item.stored.size,
            purpose=SUPPORTING_FILE if item.supporting else INVOICE_FILE,
            status=status,
            status_reason=reason,
            pages=pages,
            vendor_id=vendor_id,
            po_number=details.po_number,
            note=details.note,
            parent_id=invoice_document.id if item.supporting and invoice_document else None,
            replaces_id=None if item.supporting or replaced is None else replaced.id,
            original_id=None if item.supporting or replaced is None else replaced.invoice_document_id,
        )
        result = store.documents.add(new, actor=uploader.actor)
        if not item.supporting:
            invoice_document = result.document
        added.append(result)
    return added


def _replaced(store: ProcessStore, details: UploadDetails, uploader: Uploader) -> DocumentRecord | None:
    """The invoice document the upload replaces: a vendor's own only (another's is not found, 404)."""
    if details.replaces is None:
        return None
    replaced = store.documents.get(details.replaces, for_vendor=uploader.vendor_id)
    if replaced.purpose != INVOICE_FILE:
        raise UploadRefusedError("replaces", f"document {replaced.id} is a supporting file, not an invoice")
    return replaced


def _vendor_of(details: UploadDetails, uploader: Uploader) -> str | None:
    if uploader.vendor_id is None:
        return details.vendor_id
    if details.vendor_id not in (None, uploader.vendor_id):
        raise UploadRefusedError("vendor_id", f"a vendor uploads for itself only ({uploader.vendor_id})")
    return uploader.vendor_id


def _checked(storage: DocumentStorage, file: IncomingFile, policy: IntakePolicy) -> _Checked:
    name = clean_file_name(file.file_name)
    stored = storage.store_stream(file.chunks, policy.max_bytes, file_name=name)
    with storage.open(stored.sha256) as opened:
        head = opened.read(SNIFF_BYTES)
    kind = detect_kind(head, file_name=name)
    return _Checked(stored, kind, safe_file_name(file.file_name, kind), file.supporting)


def _readable(data: bytes, item: _Checked, policy: IntakePolicy) -> tuple[DocumentStatus, int | None, str | None]:
    queued = DocumentStatus.ATTACHED if item.supporting else DocumentStatus.QUEUED
    try:
        inspection = inspect_document(data, item.kind, max_pages=policy.max_pages, max_pixels=policy.max_pixels)
    except UnreadableDocumentError as unreadable:
        return DocumentStatus.FAILED, None, unreadable.reason
    return queued, inspection.pages, None
