"""Validate one invoice now and record the verdict: a marketplace invoice, or a submitted document."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.deps import JudgingDep
from api.errors import ApiError, error_responses
from api.schemas import EntryVerdict, ValidationResponse
from api.security import CallerDep
from connectors.store import Entry
from domain import EntryStatus
from services.document_submission import UPLOAD_SOURCE

router = APIRouter(prefix="/invoices", tags=["invoices"])

PO_NOT_FOUND_RULE = "po.not_found"

# Entries the RPA bot has (or had) to key in: the invoice was accepted.
_ACCEPTED = frozenset(
    {EntryStatus.READY_TO_PROCESS, EntryStatus.DISPATCHED, EntryStatus.RPA_FAILED, EntryStatus.ENTERED}
)
_REFUSALS = {
    EntryStatus.MANUAL_REVIEW: "needs manual review by AP",
    EntryStatus.BAD_INVOICE: "is a bad invoice: the vendor must correct it and submit a new version",
    EntryStatus.REJECTED: "was rejected by AP",
}


@router.post(
    "/{source_id}/validate",
    response_model=ValidationResponse,
    summary="Validate a marketplace invoice (or a submitted document) and record the verdict",
    responses=error_responses(
        {
            400: "The invoice needs manual review (code manual_review), is bad (bad_invoice) or was rejected "
            "(rejected); details holds the recorded verdict with its findings.",
            404: "No such invoice (invoice_not_found), or its PO is not in the ERP (po_not_found, "
            "with the recorded verdict in details).",
            409: "Another entry holds the invoice's PO (po_locked); the invoice waits for it. Or, rarely, entries "
            "of its vendor kept being recorded while it was judged (judging_conflict): call again.",
            422: "The marketplace row cannot be read as an invoice (invoice_unreadable); details names every field.",
        }
    ),
)
def validate_invoice(
    source_id: str,
    caller: CallerDep,
    judging: JudgingDep,
    source: Annotated[
        Literal["marketplace", "upload"],
        Query(description="marketplace: a marketplace invoice; upload: a submitted document (its document id)."),
    ] = "marketplace",
) -> ValidationResponse:
    """Judge the current version of invoice `source_id` against its PO and record the verdict.

    200 with the RPA payload when the invoice is accepted (ready_to_process, or already further along:
    dispatched, rpa_failed, entered). An invoice version is judged once: calling again returns what
    was recorded, as the entry stands now.
    """
    if source == UPLOAD_SOURCE:
        recorded = judging.validate_inbox_invoice(UPLOAD_SOURCE, source_id, actor=caller.actor)
    else:
        recorded = judging.validate_marketplace_invoice(source_id, actor=caller.actor)
    return _accepted_or_raise(recorded.entry)


def _accepted_or_raise(entry: Entry) -> ValidationResponse:
    verdict = EntryVerdict(
        entry_id=entry.id, status=entry.status, rule_set_version=entry.rule_set_version, findings=list(entry.findings)
    )
    po_not_found = next((f for f in entry.findings if f.rule_id == PO_NOT_FOUND_RULE), None)
    if po_not_found is not None:
        raise ApiError(404, "po_not_found", f"{po_not_found.message.rstrip('.')} (entry {entry.id}).", [verdict])
    if entry.status in _ACCEPTED:
        return ValidationResponse(**dict(verdict), payload=entry.payload)
    findings = f"{len(entry.findings)} finding{'s' if len(entry.findings) != 1 else ''}"
    message = (
        f"Invoice {entry.source_invoice_id} v{entry.version} {_REFUSALS[entry.status]} ({findings}, entry {entry.id})."
    )
    raise ApiError(400, entry.status.value, message, [verdict])
