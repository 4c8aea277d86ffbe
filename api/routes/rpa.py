"""The RPA bot's side: claim the next ready payload, then report success or failure.

Callbacks are idempotent: the same callback again returns the same answer and writes nothing.
A late success from a bot that held an earlier claim enters the entry; on an entry entered
already, a callback is 409 already_entered (another document is kept and flags the entry); one
that contradicts the entry otherwise (success after its own failure, an entry never dispatched)
is 409 naming the entry's current status.
"""

from fastapi import APIRouter, Response, status

from api.deps import EntryIdPath, StoreDep
from api.errors import error_responses
from api.schemas import ClaimedEntry, EntryStatusResponse, FailureCallback, SuccessCallback
from api.security import BotDep

router = APIRouter(prefix="/rpa", tags=["rpa"])

_CALLBACK_ERRORS = error_responses(
    {
        403: "Another bot holds the claim on this entry (not_claim_holder); the attempt is audited.",
        404: "No such entry (entry_not_found).",
        409: "The entry is entered already (already_entered, naming the document; another document reported now is "
        "recorded and the entry flagged as a possible double entry), or the callback contradicts the entry's status "
        "(callback_conflict).",
    }
)


@router.post(
    "/claim",
    response_model=ClaimedEntry,
    summary="Take the entry ready the longest; it is dispatched to the calling bot",
    responses={204: {"description": "Nothing is ready to process."}},
)
def claim(bot: BotDep, store: StoreDep) -> ClaimedEntry | Response:
    entry = store.bot.claim_next(bot.actor)
    if entry is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    assert entry.payload is not None  # a ready entry always has one (the store refuses otherwise)
    return ClaimedEntry(
        entry_id=entry.id, po_number=entry.po_number, invoice_number=entry.invoice_number, payload=entry.payload
    )


@router.post(
    "/{entry_id}/success",
    response_model=EntryStatusResponse,
    summary="The invoice is in the ERP: entered, its PO released",
    responses=_CALLBACK_ERRORS,
)
def report_success(
    entry_id: EntryIdPath, callback: SuccessCallback, bot: BotDep, store: StoreDep
) -> EntryStatusResponse:
    entry = store.bot.record_success(entry_id, callback.erp_document_id, bot=bot.actor)
    return EntryStatusResponse.model_validate(entry)


@router.post(
    "/{entry_id}/failure",
    response_model=EntryStatusResponse,
    summary="The bot could not enter the invoice: rpa_failed, waiting for AP",
    responses=_CALLBACK_ERRORS,
)
def report_failure(
    entry_id: EntryIdPath, callback: FailureCallback, bot: BotDep, store: StoreDep
) -> EntryStatusResponse:
    entry = store.bot.record_failure(entry_id, callback.reason, bot=bot.actor)
    return EntryStatusResponse.model_validate(entry)
