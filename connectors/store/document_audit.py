"""What every change of a document shares: its row locked, its status checked, one audit event."""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.store.document_tables import DocumentEventRow, DocumentRow
from connectors.store.errors import StoreError
from domain.documents import DocumentStatus


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


def locked_document(session: Session, document_id: int) -> DocumentRow:
    row = session.scalars(select(DocumentRow).where(DocumentRow.id == document_id).with_for_update()).one_or_none()
    if row is None:
        raise DocumentNotFoundError(document_id)
    return row


def require_status(row: DocumentRow, allowed: frozenset[DocumentStatus], action: str) -> None:
    if DocumentStatus(row.status) not in allowed:
        raise DocumentStateError(row.id, row.status, action)


def reason_details(reason: str | None) -> dict[str, Any] | None:
    return {"reason": reason} if reason else None


def document_event(
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
