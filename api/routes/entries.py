"""The process entries: what was judged, what it became, and who moved it."""

import base64
import binascii
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import StoreDep
from api.errors import ApiError, error_responses
from api.schemas import EntryDetail, EntryPage, EntrySummary, FieldProblem, HistoryEvent
from domain import EntryStatus

router = APIRouter(prefix="/entries", tags=["entries"])

MAX_PAGE_SIZE = 200


def encode_cursor(before_id: int) -> str:
    # Opaque to clients, so the paging key can change without breaking them.
    return base64.urlsafe_b64encode(f"before:{before_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The entry id a cursor continues before; an ApiError when the cursor is not one of ours."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, before_id = text.split(":")
        if prefix == "before" and before_id.isdigit():
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
    store: StoreDep,
    status: EntryStatus | None = None,
    po_number: str | None = None,
    vendor_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Entries per page.")] = 50,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page.")] = None,
) -> EntryPage:
    page = store.list_entries(
        status=status,
        po_number=po_number,
        vendor_id=vendor_id,
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
def get_entry(entry_id: int, store: StoreDep) -> EntryDetail:
    entry = store.get_entry(entry_id)
    history = [HistoryEvent.model_validate(event, from_attributes=True) for event in store.entry_history(entry_id)]
    return EntryDetail.model_validate({**dict(entry), "history": history})
