"""`DocumentStore`: uploaded documents, their extraction claims, corrections and audit trail.

Every public method is one transaction, and every status change or correction writes one
`document_events` row in it. Which run extracts a document is decided by the database: a claim
is an UPDATE guarded by the status the run saw, so two runs never extract one document, and a
claim a crashed run left behind expires after its lease and the document is queued again.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from connectors.store.base import StorePart
from connectors.store.document_reads import DocumentEvent, DocumentRecord, document_query
from connectors.store.document_tables import DocumentEventRow, DocumentRow, ExtractionCallRow
from connectors.store.engine import is_deadlock
from connectors.store.errors import StoreError
from domain.documents import DocumentStatus, Engine, Extraction, ProviderCall

# A person may correct or submit what was read; re-extracting waits until no run holds the document.
CORRECTABLE = frozenset({DocumentStatus.EXTRACTED, DocumentStatus.NEEDS_REVIEW, DocumentStatus.SUBMITTED})
SUBMITTABLE = frozenset({DocumentStatus.EXTRACTED, DocumentStatus.NEEDS_REVIEW, DocumentStatus.SUBMITTED})
DEADLOCK_RETRIES = 5
REEXTRACTABLE = frozenset(
    {DocumentStatus.EXTRACTED, DocumentStatus.NEEDS_REVIEW, DocumentStatus.FAILED, DocumentStatus.SUBMITTED}
)


class DocumentNotFoundError(StoreError):
    def __init__(self, document_id: int) -> None:
        self.document_id = document_id
        super().__init__(f"There is no document with id {document_id}.")


class DocumentStateError(StoreError):
    """The document is not in a status that allows this (a run holds it, or it is a supporting file)."""

    def __init__(self, document_id: int, status: str, action: str) -> None:
        self.document_id = document_id
        self.status = status
        super().__init__(f"Document {document_id} is {status}: it cannot be {action} now.")


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
                _event(session, row.id, actor, "uploaded", None, new.status, now, _reason(new.status_reason))
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

    def get(self, document_id: int) -> DocumentRecord:
        with self._reading() as session:
            row = session.get(DocumentRow, document_id)
            if row is None:
                raise DocumentNotFoundError(document_id)
            return DocumentRecord.from_row(row)

    def page(
        self,
        *,
        status: DocumentStatus | None = None,
        vendor_id: str | None = None,
        before_id: int | None = None,
        limit: int = 50,
    ) -> list[DocumentRecord]:
        """Newest first; the next page starts before the last id of this one."""
        query = document_query().order_by(DocumentRow.id.desc()).limit(limit)
        if status is not None:
            query = query.where(DocumentRow.status == status.value)
        if vendor_id is not None:
            query = query.where(DocumentRow.vendor_id == vendor_id)
        if before_id is not None:
            query = query.where(DocumentRow.id < before_id)
        with self._reading() as session:
            return [DocumentRecord.from_row(row) for row in session.scalars(query)]

    def children(self, document_id: int) -> list[DocumentRecord]:
        query = document_query().where(DocumentRow.parent_id == document_id).order_by(DocumentRow.id)
        with self._reading() as session:
            return [DocumentRecord.from_row(row) for row in session.scalars(query)]

    def history(self, document_id: int) -> list[DocumentEvent]:
        query = select(DocumentEventRow).where(DocumentEventRow.document_id == document_id)
        with self._reading() as session:
            rows = session.scalars(query.order_by(DocumentEventRow.id))
            return [DocumentEvent.model_validate(row) for row in rows]

    def count_waiting(self) -> int:
        query = select(DocumentRow.id).where(DocumentRow.status == DocumentStatus.QUEUED.value)
        with self._reading() as session:
            return len(session.scalars(query).all())

    # ------------------------------------------------------------------ extraction runs

    def claim(self, token: str, *, limit: int, lease: timedelta, max_attempts: int, actor: str) -> list[DocumentRecord]:
        """Take up to `limit` queued documents, oldest first, for the run `token`.

        First, documents whose claim outlived `lease` (their run crashed or was killed) are queued
        again, or failed once they have been tried `max_attempts` times.
        """
        # MariaDB may pick one of two claims as a deadlock victim: it rolled back in full, so claim again.
        for _ in range(DEADLOCK_RETRIES):
            try:
                return self._claim_once(token, limit, lease, max_attempts, actor)
            except DBAPIError as error:
                if not is_deadlock(error):
                    raise
        return self._claim_once(token, limit, lease, max_attempts, actor)

    def _claim_once(
        self, token: str, limit: int, lease: timedelta, max_attempts: int, actor: str
    ) -> list[DocumentRecord]:
        now = self._clock()
        with self._sessions.begin() as session:
            self._release_expired(session, now - lease, max_attempts, actor, now)
            # Rows another run is claiming are skipped, not waited for (SQLite: one writer at a time).
            candidates = session.scalars(
                select(DocumentRow.id)
                .where(DocumentRow.status == DocumentStatus.QUEUED.value)
                .order_by(DocumentRow.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            ).all()
            if not candidates:
                return []
            # Guarded by the status too: a run never takes a document another run moved on meanwhile.
            session.execute(
                update(DocumentRow)
                .where(DocumentRow.id.in_(candidates), DocumentRow.status == DocumentStatus.QUEUED.value)
                .values(
                    status=DocumentStatus.EXTRACTING.value,
                    claim_token=token,
                    claimed_at=now,
                    attempts=DocumentRow.attempts + 1,
                    pages_done=0,
                    updated_at=now,
                )
            )
            claimed = session.scalars(document_query().where(DocumentRow.claim_token == token)).all()
            for row in claimed:
                _event(session, row.id, actor, "extracting", DocumentStatus.QUEUED, DocumentStatus.EXTRACTING, now)
            return [DocumentRecord.from_row(row) for row in claimed]

    def _release_expired(
        self, session: Session, cutoff: datetime, max_attempts: int, actor: str, now: datetime
    ) -> None:
        expired = session.scalars(
            select(DocumentRow)
            .where(DocumentRow.status == DocumentStatus.EXTRACTING.value, DocumentRow.claimed_at < cutoff)
            .with_for_update(skip_locked=True)
        ).all()
        for row in expired:
            gave_up = row.attempts >= max_attempts
            to_status = DocumentStatus.FAILED if gave_up else DocumentStatus.QUEUED
            reason = (
                f"extraction did not finish in {row.attempts} attempts (the run crashed or was stopped)"
                if gave_up
                else "the run extracting it stopped before finishing: queued again"
            )
            row.status = to_status.value
            row.status_reason = reason if gave_up else None
            row.claim_token = None
            row.claimed_at = None
            row.updated_at = now
            _event(session, row.id, actor, "claim_expired", DocumentStatus.EXTRACTING, to_status, now, _reason(reason))

    def progress(self, document_id: int, token: str, *, pages_done: int, pages: int | None = None) -> None:
        values: dict[str, Any] = {"pages_done": pages_done}
        if pages is not None:
            values["pages"] = pages
        with self._sessions.begin() as session:
            session.execute(
                update(DocumentRow)
                .where(DocumentRow.id == document_id, DocumentRow.claim_token == token)
                .values(values)
            )

    def finish(
        self,
        document_id: int,
        token: str,
        *,
        status: DocumentStatus,
        reason: str | None,
        extraction: Extraction | None,
        calls: Sequence[ProviderCall] = (),
        actor: str,
    ) -> bool:
        """Record what the run read (extracted / needs_review) or why it could not (failed).

        False when the run no longer holds the document (its lease expired and another run took it):
        nothing is written then, so a late run never overwrites a newer one.
        """
        now = self._clock()
        values: dict[str, Any] = {
            "status": status.value,
            "status_reason": reason,
            "claim_token": None,
            "claimed_at": None,
            "requested_engine": None,
            "updated_at": now,
        }
        if extraction is not None:
            values |= {
                "extraction": extraction.model_dump(mode="json"),
                "engine": extraction.engine.value,
                "pages": extraction.pages,
                "pages_done": extraction.pages,
                "cost": extraction.cost,
                "corrections": {},
            }
        with self._sessions.begin() as session:
            done = cast(
                CursorResult[Any],
                session.execute(
                    update(DocumentRow)
                    .where(
                        DocumentRow.id == document_id,
                        DocumentRow.claim_token == token,
                        DocumentRow.status == DocumentStatus.EXTRACTING.value,
                    )
                    .values(values)
                ),
            )
            if done.rowcount != 1:
                return False
            for call in calls:
                session.add(_call_row(document_id, call, now))
            details = {"reason": reason} if reason else {}
            if extraction is not None:
                details |= {"engine": extraction.engine.value, "engine_reason": extraction.engine_reason}
            _event(session, document_id, actor, status.value, DocumentStatus.EXTRACTING, status, now, details or None)
            return True

    # ------------------------------------------------------------------ people

    def correct(self, document_id: int, changes: Mapping[str, str | None], *, actor: str) -> DocumentRecord:
        """Apply a person's corrections (field path → value) and audit each: who, when, old, new."""
        now = self._clock()
        with self._sessions.begin() as session:
            row = _locked(session, document_id)
            _require(row, CORRECTABLE, "corrected")
            record = DocumentRecord.from_row(row)
            current = record.field_values()
            changed = {path: {"old": current.get(path), "new": value} for path, value in changes.items()}
            changed = {path: change for path, change in changed.items() if change["old"] != change["new"]}
            if changed:
                row.corrections = {**row.corrections, **{path: change["new"] for path, change in changed.items()}}
                row.updated_at = now
                status = DocumentStatus(row.status)
                _event(session, document_id, actor, "corrected", status, status, now, {"changes": changed})
            return DocumentRecord.from_row(row)

    def request_reextraction(self, document_id: int, engine: Engine | None, *, actor: str) -> DocumentRecord:
        """Queue the document again, with `engine` (None: chosen automatically); what it read is kept
        in the event, so the next extraction can be compared with it."""
        now = self._clock()
        with self._sessions.begin() as session:
            row = _locked(session, document_id)
            _require(row, REEXTRACTABLE, "extracted again")
            before = DocumentRecord.from_row(row)
            details = {"engine": engine.value if engine else None, "previous": before.field_values()}
            from_status = DocumentStatus(row.status)
            row.status = DocumentStatus.QUEUED.value
            row.status_reason = None
            row.requested_engine = engine.value if engine else None
            row.attempts = 0
            row.updated_at = now
            _event(session, document_id, actor, "reextract", from_status, DocumentStatus.QUEUED, now, details)
            return DocumentRecord.from_row(row)

    def mark_submitted(self, document_id: int, version: int, *, actor: str, entry_id: int | None) -> DocumentRecord:
        """The document went into the inbox as `version` of invoice (upload, document id)."""
        now = self._clock()
        with self._sessions.begin() as session:
            row = _locked(session, document_id)
            _require(row, SUBMITTABLE, "submitted")
            if (row.submitted_version or 0) >= version:  # a concurrent submit got there first
                return DocumentRecord.from_row(row)
            from_status = DocumentStatus(row.status)
            row.status = DocumentStatus.SUBMITTED.value
            row.status_reason = None
            row.submitted_version = version
            row.submitted_at = now
            row.updated_at = now
            details = {"version": version, "entry_id": entry_id}
            _event(session, document_id, actor, "submitted", from_status, DocumentStatus.SUBMITTED, now, details)
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
)


def _locked(session: Session, document_id: int) -> DocumentRow:
    row = session.scalars(select(DocumentRow).where(DocumentRow.id == document_id).with_for_update()).one_or_none()
    if row is None:
        raise DocumentNotFoundError(document_id)
    return row


def _require(row: DocumentRow, allowed: frozenset[DocumentStatus], action: str) -> None:
    if DocumentStatus(row.status) not in allowed:
        raise DocumentStateError(row.id, row.status, action)


def _reason(reason: str | None) -> dict[str, Any] | None:
    return {"reason": reason} if reason else None


def _event(
    session: Session,
    document_id: int,
    actor: str,
    action: str,
    from_status: DocumentStatus | None,
    to_status: DocumentStatus | None,
    now: datetime,
    details: dict[str, Any] | None = None,
) -> None:
    session.add(
        DocumentEventRow(
            document_id=document_id,
            occurred_at=now,
            actor=actor,
            action=action,
            from_status=from_status.value if from_status else None,
            to_status=to_status.value if to_status else None,
            details=details,
        )
    )


def _call_row(document_id: int, call: ProviderCall, now: datetime) -> ExtractionCallRow:
    return ExtractionCallRow(
        document_id=document_id,
        occurred_at=now,
        provider=call.provider.value,
        model=call.model,
        input_tokens=call.input_tokens,
        output_tokens=call.output_tokens,
        cost=call.cost,
        latency_ms=round(call.latency_ms),
        ok=call.ok,
        error=call.error,
    )
