"""A verdict as a process_scheduler row: its columns, its insert that tells a version judged
before from any other refusal, and what is written beside it (its findings' rule ids, its pull time)."""

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connectors.store.base import matches_key
from connectors.store.errors import EntryExistsError
from connectors.store.tables import NAME, EntryFindingRow, EntryRow, InboxRow
from domain import EntryStatus, Finding, Invoice, RpaPayload, Severity, Verdict
from domain.payload_schema import payload_json


def entry_values(
    invoice: Invoice, verdict: Verdict, payload: RpaPayload | None, flow_run_id: str | None, now: datetime
) -> dict[str, Any]:
    if verdict.status is EntryStatus.READY_TO_PROCESS and payload is None:
        raise ValueError(f"Invoice {invoice.key} is ready to process but has no RPA payload for the bot.")
    return {
        "source": invoice.source,
        "source_invoice_id": invoice.source_invoice_id,
        "version": invoice.version,
        "vendor_id": invoice.vendor_id,
        "vendor_name": invoice.vendor_name[:NAME],  # display only; the payload keeps the full name
        "invoice_number": invoice.invoice_number,
        "normalised_invoice_number": invoice.normalised_invoice_number,
        "invoice_date": invoice.invoice_date,
        "po_number": invoice.po_number,
        "currency": invoice.currency,
        "total": invoice.total,
        "status": verdict.status.value,
        "verdict": verdict.status.value,
        "invoice": invoice.model_dump(mode="json"),
        "payload": None if payload is None else payload_json(payload),
        "findings": [finding.model_dump(mode="json") for finding in verdict.findings],
        "rule_set_version": verdict.rule_set_version,
        "flow_run_id": flow_run_id,
        "created_at": now,
        "updated_at": now,
    }


def insert_entry(
    session: Session,
    invoice: Invoice,
    verdict: Verdict,
    payload: RpaPayload | None,
    flow_run_id: str | None,
    now: datetime,
) -> EntryRow:
    entry = EntryRow(**entry_values(invoice, verdict, payload, flow_run_id, now))
    # A savepoint, so that a refused insert leaves the transaction usable for the look-up below.
    try:
        with session.begin_nested():
            session.add(entry)
    except IntegrityError:
        existing_id = session.scalar(
            select(EntryRow.id).where(*matches_key(EntryRow, invoice.key)).with_for_update(read=True)
        )
        if existing_id is None:
            raise
        raise EntryExistsError(invoice.key, existing_id) from None
    return entry


def record_findings(session: Session, findings_by_entry: Iterable[tuple[int, Iterable[Finding]]]) -> None:
    """The `entry_findings` rows of freshly recorded entries. One executemany."""
    rows = [row for entry_id, findings in findings_by_entry for row in finding_rule_rows(entry_id, findings)]
    if rows:
        session.execute(insert(EntryFindingRow.__table__), rows)


def finding_rule_rows(entry_id: int, findings: Iterable[Finding]) -> list[dict[str, Any]]:
    """An entry's `entry_findings` rows: one per distinct rule id of its findings, hard when any of
    that rule's findings is."""
    severities: dict[str, Severity] = {}
    for finding in findings:
        if severities.get(finding.rule_id) is not Severity.HARD:
            severities[finding.rule_id] = finding.severity
    return [
        {"entry_id": entry_id, "rule_id": rule_id, "severity": severity.value}
        for rule_id, severity in sorted(severities.items())
    ]


def copy_pulled_at(session: Session, entry_ids: Collection[int]) -> None:
    """Freshly recorded entries take the time their invoice was pulled from their inbox row (by
    invoice key, the inbox's unique index); an invoice validated through the API only has none."""
    if not entry_ids:
        return
    entries, inbox = EntryRow.__table__, InboxRow.__table__
    pulled = (
        select(inbox.c.pulled_at)
        .where(
            inbox.c.source == entries.c.source,
            inbox.c.source_invoice_id == entries.c.source_invoice_id,
            inbox.c.version == entries.c.version,
        )
        .scalar_subquery()
    )
    session.execute(update(entries).where(entries.c.id.in_(sorted(entry_ids))).values(pulled_at=pulled))
