"""`DocumentStore`: uploaded documents, what people do with them (corrections, another extraction,
submission), and their audit trail; `DocumentRuns` (document_runs.py) has the extraction runs.

Every public method is one transaction, and every status change or correction writes one
`document_events` row in it.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from connectors.store.base import StorePart
from connectors.store.document_audit import (
    DocumentNotFoundError,
    document_event,
    locked_document,
    reason_details,
    require_status,
)
from connectors.store.document_reads import DocumentEvent, DocumentRecord, document_query
from connectors.store.document_tables import INVOICE_FILE, DocumentEventRow, DocumentRow
from domain.documents import DocumentStatus, Engine

# A person may correct or submit what was read; re-extracting waits until no run holds the document.
CORRECTABLE = frozenset({DocumentStatus.EXTRACTED, DocumentStatus.NEEDS_REVIEW, DocumentStatus.SUBMITTED})
SUBMITTABLE = frozenset({DocumentStatus.EXTRACTED, DocumentStatus.NEEDS_REVIEW, DocumentStatus.SUBMITTED})
REEXTRACTABLE = frozenset(
    {DocumentStatus.EXTRACTED, DocumentStatus.NEEDS_REVIEW, DocumentStatus.FAILED, DocumentStatus.SUBMITTED}
)


@dataclass(frozen=True)
class NewDocument:
    sha256: str
    dedupe_scope: str
    kind: str
    file_name: str
    size: int
    purpose: str
    status: DocumentStatus  # queued, attached, or failed (with `status_reason`) when it could not be read
    pages: int | None
    vendor_id: str | None
    po_number: str | None
    note: str | None
    parent_id: int | None = None
    status_reason: str | None = None
    replaces_id: int | None = None
    original_id: int | None = None


@dataclass(frozen=True)
class AddedDocument:
    document: DocumentRecord
    created: bool  # False: the same file was uploaded before, and this is that document


class DocumentStore(StorePart):
    # ------------------------------------------------------------------ intake

    def add(self, new: NewDocument, *, actor: str) -> AddedDocument:
        """Record an uploaded file, or find the document the same file already is (same scope)."""
        existing = self._find_same_file(new)
        if existing is not None:
            return AddedDocument(existing, created=False)
        now = self._clock()
        row = DocumentRow(
            **{name: getattr(new, name) for name in _NEW_COLUMNS},
            status=new.status.value,
            pages_done=0,
            uploaded_by=actor,
            uploaded_at=now,
            updated_at=now,
            corrections={},
            attempts=0,
        )
        try:
            with self._sessions.begin() as session:
                session.add(row)
                session.flush()
                document_event(
                    session, row.id, actor, "uploaded", None, new.status, now, reason_details(new.status_reason)
                )
                return AddedDocument(DocumentRecord.from_row(row), created=True)
        except IntegrityError:  # the same file, uploaded at the same moment by another request
            existing = self._find_same_file(new)
            if existing is None:
                raise
            return AddedDocument(existing, created=False)

    def _find_same_file(self, new: NewDocument) -> DocumentRecord | None:
        query = document_query().where(DocumentRow.dedupe_scope == new.dedupe_scope, DocumentRow.sha256 == new.sha256)
        with self._reading() as session:
            row = session.scalars(query).one_or_none()
            return None if row is None else DocumentRecord.from_row(row)

    # ------------------------------------------------------------------ reads

    def get(self, document_id: int, *, for_vendor: str | None = None) -> DocumentRecord:
        """The document; `for_vendor`: as that vendor's user may see it, so another vendor's document is
        not found either, as if it did not exist (an answer never tells which ids are someone else's)."""
        with self._reading() as session:
            row = session.get(DocumentRow, document_id)
            if row is None or (for_vendor is not None and row.vendor_id != for_vendor):
                raise DocumentNotFoundError(document_id)
            return DocumentRecord.from_row(row)

    def page(
        self,
        *,
        status: DocumentStatus | None = None,
        vendor_id: str | None = None,
        engine: Engine | None = None,
        uploaded_by: str | None = None,
        invoice_files_only: bool = False,
        before_id: int | None = None,
        limit: int = 50,
    ) -> list[DocumentRecord]:
        """Newest first; the next page starts before the last id of this one. Each filter has an
        index on (filter, id), so a page reads its rows only."""
        query = document_query().order_by(DocumentRow.id.desc()).limit(limit)
        if status is not None:
            query = query.where(DocumentRow.status == status.value)
        if vendor_id is not None:
            query = query.where(DocumentRow.vendor_id == vendor_id)
        if engine is not None:
            query = query.where(DocumentRow.engine == engine.value)
        if uploaded_by is not None:
            query = query.where(DocumentRow.uploaded_by == uploaded_by)
        if invoice_files_only:
            query = query.where(DocumentRow.purpose == INVOICE_FILE)
        if before_id is not None:
            query = query.where(DocumentRow.id < before_id)
        with self._reading() as session:
            return [DocumentRecord.from_row(row) for row in session.scalars(query)]

    def children(self, document_id: int) -> list[DocumentRecord]:
        return self.children_of([document_id])

    def children_of(self, document_ids: Sequence[int]) -> list[DocumentRecord]:
        """The supporting files of these invoice files, in one query (a page lists them under each)."""
        if not document_ids:
            return []
        query = document_query().where(DocumentRow.parent_id.in_(document_ids)).order_by(DocumentRow.id)
        with self._reading() as session:
            return [DocumentRecord.from_row(row) for row in session.scalars(query)]

    def history(self, document_id: int) -> list[DocumentEvent]:
        query = select(DocumentEventRow).where(DocumentEventRow.document_id == document_id)
        with self._reading() as session:
            rows = session.scalars(query.order_by(DocumentEventRow.id))
            return [DocumentEvent.model_validate(row) for row in rows]

    def invoice_documents(self, invoice_document_id: int) -> list[DocumentRecord]:
        """Every document of one invoice: its first document and those that replaced it, oldest first."""
        query = document_query().where(
            or_(DocumentRow.id == invoice_document_id, DocumentRow.original_id == invoice_document_id)
        )
        with self._reading() as session:
            return [DocumentRecord.from_row(row) for row in session.scalars(query.order_by(DocumentRow.id))]

    def count_waiting(self) -> int:
        query = select(DocumentRow.id).where(DocumentRow.status == DocumentStatus.QUEUED.value)
        with self._reading() as session:
            return len(session.scalars(query).all())

    # ------------------------------------------------------------------ people

    def correct(self, document_id: int, changes: Mapping[str, str | None], *, actor: str) -> DocumentRecord:
        """Apply a person's corrections (field path → value) and audit each: who, when, old, new."""
        now = self._clock()
        with self._sessions.begin() as session:
            row = locked_document(session, document_id)
            require_status(row, CORRECTABLE, "corrected")
            record = DocumentRecord.from_row(row)
            current = record.field_values()
            changed = {path: {"old": current.get(path), "new": value} for path, value in changes.items()}
            changed = {path: change for path, change in changed.items() if change["old"] != change["new"]}
            if changed:
                row.corrections = {**row.corrections, **{path: change["new"] for path, change in changed.items()}}
                row.updated_at = now
                status = DocumentStatus(row.status)
                document_event(session, document_id, actor, "corrected", status, status, now, {"changes": changed})
            return DocumentRecord.from_row(row)

    def request_reextraction(self, document_id: int, engine: Engine | None, *, actor: str) -> DocumentRecord:
        """Queue the document again, with `engine` (None: chosen automatically); what it read is kept
        in the event, so the next extraction can be compared with it."""
        now = self._clock()
        with self._sessions.begin() as session:
            row = locked_document(session, document_id)
            require_status(row, REEXTRACTABLE, "extracted again")
            before = DocumentRecord.from_row(row)
            details = {"engine": engine.value if engine else None, "previous": before.field_values()}
            from_status = DocumentStatus(row.status)
            row.status = DocumentStatus.QUEUED.value
            row.status_reason = None
            row.requested_engine = engine.value if engine else None
            row.attempts = 0
            row.updated_at = now
            document_event(session, document_id, actor, "reextract", from_status, DocumentStatus.QUEUED, now, details)
            return DocumentRecord.from_row(row)

    def hand_to_a_person(self, document_id: int, reason: str, *, actor: str) -> DocumentRecord:
        """An extracted document the service could not submit by itself: needs_review, with why."""
        now = self._clock()
        with self._sessions.begin() as session:
            row = locked_document(session, document_id)
            require_status(row, frozenset({DocumentStatus.EXTRACTED}), "handed to a person")
            row.status = DocumentStatus.NEEDS_REVIEW.value
            row.status_reason = reason
            row.updated_at = now
            details = {"reason": reason}
            document_event(
                session,
                document_id,
                actor,
                "needs_review",
                DocumentStatus.EXTRACTED,
                DocumentStatus.NEEDS_REVIEW,
                now,
                details,
            )
            return DocumentRecord.from_row(row)

    def mark_submitted(self, document_id: int, version: int, *, actor: str, entry_id: int | None) -> DocumentRecord:
        """The document went into the inbox as `version` of invoice (upload, its invoice document id)."""
        now = self._clock()
        with self._sessions.begin() as session:
            row = locked_document(session, document_id)
            require_status(row, SUBMITTABLE, "submitted")
            if (row.submitted_version or 0) >= version:  # a concurrent submit got there first
                return DocumentRecord.from_row(row)
            from_status = DocumentStatus(row.status)
            row.status = DocumentStatus.SUBMITTED.value
            row.status_reason = None
            row.submitted_version = version
            row.submitted_at = now
            row.updated_at = now
            details = {"version": version, "entry_id": entry_id}
            document_event(
                session, document_id, actor, "submitted", from_status, DocumentStatus.SUBMITTED, now, details
            )
            return DocumentRecord.from_row(row)


_NEW_COLUMNS = (
    "sha256",
    "dedupe_scope",
    "kind",
    "file_name",
    "size",
    "purpose",
    "pages",
    "vendor_id",
    "po_number",
    "note",
    "parent_id",
    "status_reason",
    "replaces_id",
    "original_id",
)
