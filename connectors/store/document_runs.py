"""`DocumentRuns`: which extract-documents run extracts which document, decided by the database.

A claim is an UPDATE guarded by the status the run saw, over rows no other claim holds (SKIP
LOCKED), so two runs never extract one document; a claim a crashed run left behind expires after
its lease and the document is queued again (or failed after its attempts). A run that finishes
after losing its claim writes nothing.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from connectors.store.base import StorePart
from connectors.store.document_audit import document_event, reason_details
from connectors.store.document_reads import DocumentRecord, document_query
from connectors.store.document_tables import DocumentRow, ExtractionCallRow
from connectors.store.engine import is_deadlock
from domain.documents import DocumentStatus, Extraction, ProviderCall

DEADLOCK_RETRIES = 5


class DocumentRuns(StorePart):
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
                document_event(
                    session, row.id, actor, "extracting", DocumentStatus.QUEUED, DocumentStatus.EXTRACTING, now
                )
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
            document_event(
                session,
                row.id,
                actor,
                "claim_expired",
                DocumentStatus.EXTRACTING,
                to_status,
                now,
                reason_details(reason),
            )

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
            document_event(
                session, document_id, actor, status.value, DocumentStatus.EXTRACTING, status, now, details or None
            )
            return True


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
