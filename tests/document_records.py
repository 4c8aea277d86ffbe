"""A document's record as the store hands it out, made without a database: every field has a plain
default, and a test names only what it is about."""

from datetime import UTC, datetime
from typing import Any

from connectors.store.document_reads import DocumentRecord
from domain.documents import DocumentKind, DocumentStatus

WHEN = datetime(2026, 12, 2, tzinfo=UTC)


def document_record(**changes: Any) -> DocumentRecord:
    values: dict[str, Any] = {
        "id": 7,
        "sha256": "0" * 64,
        "kind": DocumentKind.PDF,
        "file_name": "invoice.pdf",
        "size": 10,
        "purpose": "invoice",
        "parent_id": None,
        "status": DocumentStatus.EXTRACTED,
        "status_reason": None,
        "pages": 1,
        "pages_done": 1,
        "vendor_id": None,
        "po_number": None,
        "note": None,
        "uploaded_by": "user:test",
        "uploaded_at": WHEN,
        "updated_at": WHEN,
        "requested_engine": None,
        "extraction": None,
        "corrections": {},
        "cost": None,
        "attempts": 1,
        "claim_token": None,
        "submitted_version": None,
        "submitted_at": None,
        "replaces_id": None,
        "original_id": None,
    }
    return DocumentRecord.model_validate(values | changes)
