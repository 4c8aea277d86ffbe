"""The process entries: what was judged, what it became, and who moved it."""

import base64
import binascii
import string
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import MAX_ID, EntryIdPath, JudgingDep, MailerDep, StoreDep
from api.errors import ApiError, error_responses
from api.schemas import (
    EntryDetail,
    EntryPage,
    EntryStatusResponse,
    EntrySummary,
    FieldProblem,
    HistoryEvent,
    ReleaseAction,
    ReviewAction,
)
from api.security import CallerDep, PersonDep
from domain import EntryStatus
from domain.models import FreeText
from services import decisions
from services.mail_dispatch import mail_to_bot

router = APIRouter(prefix="/entries", tags=["entries"])

MAX_PAGE_SIZE = 200


def encode_cursor(before_id: int) -> str:
    # Opaque to clients, so the paging key can change without breaking them.
    return base64.urlsafe_b64encode(f"before:{before_id}".encode()).decode().rstrip("=")


def _cursor_pattern() -> str:
    """The cursors encode_cursor makes, for ids below 10^9, as a regular expression: the schema then
    states which values are refused. Base64 turns each 3 digits into 4 characters, each drawn
    from a set that the digits' fixed high bits decide."""
    alphabet = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
    digits = [0x30 + digit for digit in range(10)]  # ASCII "0".."9"
    leading = "|".join(alphabet[d >> 2] + alphabet[(d & 3) << 4 | 3] for d in digits)  # first of 2 or 3
    lone = "|".join(alphabet[d >> 2] + alphabet[(d & 3) << 4] for d in digits)  # a last digit alone
    middle = "[" + "".join(alphabet[(d & 15) << 2] for d in digits) + "]"  # second of 2 or 3
    last = "[" + "".join(alphabet[d & 63] for d in digits) + "]"  # third of 3
    three, tail = f"({leading}){middle}{last}", f"({lone}|({leading}){middle})"
    # "before" is 8 characters; ":" and the first digit or two make the next group.
    return f"^YmVmb3JlOj{middle}({last}({three})?{tail}?|{last}{three}{three}({lone})?)?$"


CURSOR_PATTERN = _cursor_pattern()


def decode_cursor(cursor: str) -> int:
    """The entry id a cursor continues before; an ApiError when the cursor is not one of ours."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, before_id = text.split(":")
        if prefix == "before" and before_id.isdigit() and int(before_id) <= MAX_ID:
            return int(before_id)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ApiError(
        422,
        "invalid_cursor",
        "The cursor is not one this API issued; pass next_cursor from the previous page as it was.",
        [FieldProblem(field="query.cursor", message="is not a cursor from this API", value=cursor[:100])],
    )


@router.get(
    "",
    response_model=EntryPage,
    summary="List process entries, newest first",
    responses=error_responses({422: "A query parameter is invalid (invalid_request, invalid_cursor)."}),
)
def list_entries(
    _caller: CallerDep,
    store: StoreDep,
    status: EntryStatus | None = None,
    po_number: FreeText | None = None,
    vendor_id: FreeText | None = None,
    possible_double_entry: Annotated[
        bool | None, Query(description="Only entries flagged (true) or not flagged (false) as possible double entries.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Entries per page.")] = 50,
    cursor: Annotated[
        str | None,
        Query(
            description="next_cursor of the previous page.",
            # In the schema only: the route itself answers any other value with invalid_cursor.
            json_schema_extra={"minLength": 1, "pattern": CURSOR_PATTERN},
        ),
    ] = None,
) -> EntryPage:
    page = store.entries.page(
        status=status,
        po_number=po_number,
        vendor_id=vendor_id,
        possible_double_entry=possible_double_entry,
        limit=limit,
        before_id=None if cursor is None else decode_cursor(cursor),
    )
    return EntryPage(
        items=[EntrySummary.model_validate(entry, from_attributes=True) for entry in page.entries],
        next_cursor=None if page.next_before_id is None else encode_cursor(page.next_before_id),
    )


@router.get(
    "/{entry_id}",
    response_model=EntryDetail,
    summary="One process entry with its invoice, findings, payload and history",
    responses=error_responses(
        {404: "No such entry (entry_not_found).", 422: "The entry id is not a whole number (invalid_request)."}
    ),
)
def get_entry(entry_id: EntryIdPath, _caller: CallerDep, store: StoreDep) -> EntryDetail:
    entry = store.entries.get(entry_id)
    history = [HistoryEvent.model_validate(event, from_attributes=True) for event in store.entries.history(entry_id)]
    documents = [dict(document) for document in store.entries.erp_documents(entry_id)]
    return EntryDetail.model_validate({**dict(entry), "history": history, "erp_documents": documents})


# ---------------------------------------------------------------------- AP's decisions

_ACTION_ERRORS = {
    404: "No such entry (entry_not_found).",
    409: "The entry is not in a status this action applies to (illegal_transition).",
}


@router.post(
    "/{entry_id}/approve",
    response_model=EntryStatusResponse,
    summary="Approve an entry in manual review: it is queued for the bot",
    responses=error_responses(
        {
            **_ACTION_ERRORS,
            409: "Not in manual_review (illegal_transition), or replaced by a newer version (superseded); its PO is "
            "locked by another entry (po_locked); it has no payload to enter (no_payload); judged again now, it has "
            "a hard finding (hard_findings) or findings the clerk has not seen (changed_since_review: acknowledge "
            "their rules to go on).",
        }
    ),
)
def approve(entry_id: EntryIdPath, action: ReleaseAction, clerk: PersonDep, judging: JudgingDep) -> EntryStatusResponse:
    entry = decisions.approve(
        judging, entry_id, actor=clerk.actor, reason=action.reason, acknowledge=action.acknowledge
    )
    return EntryStatusResponse.model_validate(entry)


@router.post(
    "/{entry_id}/reject",
    response_model=EntryStatusResponse,
    summary="Reject an entry (manual review, ready, or failed by the bot); its PO is released",
    responses=error_responses(_ACTION_ERRORS),
)
def reject(entry_id: EntryIdPath, action: ReviewAction, clerk: PersonDep, store: StoreDep) -> EntryStatusResponse:
    return EntryStatusResponse.model_validate(
        decisions.reject(store, entry_id, actor=clerk.actor, reason=action.reason)
    )


@router.post(
    "/{entry_id}/requeue",
    response_model=EntryStatusResponse,
    summary="Give an entry the bot failed on back to the bot",
    responses=error_responses(
        {
            **_ACTION_ERRORS,
            409: "Not rpa_failed (illegal_transition), or replaced by a newer version (superseded); judged again now, "
            "it has a hard finding (hard_findings) or findings the clerk has not seen (changed_since_review).",
        }
    ),
)
def requeue(entry_id: EntryIdPath, action: ReleaseAction, clerk: PersonDep, judging: JudgingDep) -> EntryStatusResponse:
    entry = decisions.requeue(
        judging, entry_id, actor=clerk.actor, reason=action.reason, acknowledge=action.acknowledge
    )
    return EntryStatusResponse.model_validate(entry)


@router.post(
    "/{entry_id}/mail",
    response_model=EntryStatusResponse,
    summary="Mail a ready entry's payload to the bot's mailbox: it becomes dispatched",
    responses=error_responses(
        {
            **_ACTION_ERRORS,
            502: "The SMTP server did not accept the mail (mail_failed); the entry stays ready.",
            503: "No SMTP server or bot mailbox is configured (mail_not_configured).",
        }
    ),
)
def mail(entry_id: EntryIdPath, clerk: PersonDep, store: StoreDep, mailer: MailerDep) -> EntryStatusResponse:
    if mailer is None:
        raise ApiError(503, "mail_not_configured", "Mail dispatch needs SMTP_HOST and RPA_MAILBOX in the settings.")
    return EntryStatusResponse.model_validate(mail_to_bot(store, mailer, entry_id, actor=clerk.actor))
