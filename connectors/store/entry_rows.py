"""A verdict as a process_scheduler row: its columns, and its insert that tells a version judged
before from any other refusal."""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from connectors.store.base import matches_key
from connectors.store.errors import EntryExistsError
from connectors.store.tables import NAME, EntryRow
from domain import EntryStatus, Invoice, RpaPayload, Verdict
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
