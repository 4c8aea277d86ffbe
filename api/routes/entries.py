"""The process entries: what was judged, what it became, and who moved it; the work queue's
search (filters, sort, keyset pages) and its CSV export."""

from datetime import datetime
from itertools import chain
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse

from api.deps import EntryIdPath, JudgingDep, MailerDep, StoreDep, configured
from api.errors import error_responses
from api.schemas import (
    EntryDetail,
    EntryPage,
    EntryStatusResponse,
    HistoryEvent,
    QueueItem,
    ReleaseAction,
    ReviewAction,
)
from api.security import CallerDep, PersonDep
from connectors.store import CURSOR_PATTERN, EntryFilter, EntrySort
from connectors.store.entry_filter import SortKey
from domain import EntryStatus, Severity
from domain.models import FreeText
from services import decisions
from services.entry_export import csv_chunks
from services.mail_dispatch import mail_to_bot

router = APIRouter(prefix="/entries", tags=["entries"])

MAX_PAGE_SIZE = 200

_MOMENT = "ISO 8601; without a time zone, UTC."


def entry_filter(
    status: EntryStatus | None = None,
    verdict: Annotated[EntryStatus | None, Query(description="The status the rules gave when it was judged.")] = None,
    vendor_id: FreeText | None = None,
    po_number: FreeText | None = None,
    invoice_number: Annotated[
        FreeText | None, Query(description="Compared as duplicates are: case, spaces, dashes, leading zeros ignored.")
    ] = None,
    currency: FreeText | None = None,
    rule_id: Annotated[FreeText | None, Query(description="Only entries with a finding of this rule.")] = None,
    rule_severity: Annotated[Severity | None, Query(description="With rule_id: a finding of this severity.")] = None,
    possible_double_entry: Annotated[
        bool | None, Query(description="Only entries flagged (true) or not flagged (false) as possible double entries.")
    ] = None,
    judged_from: Annotated[datetime | None, Query(description=f"Judged at or after this moment. {_MOMENT}")] = None,
    judged_to: Annotated[datetime | None, Query(description=f"Judged before this moment. {_MOMENT}")] = None,
    reached: Annotated[
        EntryStatus | None,
        Query(description="Only entries moved to this status (within reached_from..reached_to when given)."),
    ] = None,
    reached_from: Annotated[
        datetime | None, Query(description=f"Moved (to `reached`, or at all) at or after this moment. {_MOMENT}")
    ] = None,
    reached_to: Annotated[
        datetime | None, Query(description=f"Moved (to `reached`, or at all) before this moment. {_MOMENT}")
    ] = None,
    failure_reason: Annotated[
        FreeText | None, Query(description="The bot reported it failed with exactly this reason.")
    ] = None,
    exception: Annotated[
        bool | None,
        Query(description="Exceptions as AP counts them: judged manual_review or bad_invoice, or failed by the bot."),
    ] = None,
) -> EntryFilter:
    return EntryFilter(
        status=status,
        verdict=verdict,
        vendor_id=vendor_id,
        po_number=po_number,
        invoice_number=invoice_number,
        currency=currency,
        rule_id=rule_id,
        rule_severity=rule_severity,
        possible_double_entry=possible_double_entry,
        judged_from=judged_from,
        judged_to=judged_to,
        reached=reached,
        reached_from=reached_from,
        reached_to=reached_to,
        failure_reason=failure_reason,
        exception=exception,
    )


def entry_sort(
    sort: Annotated[SortKey, Query(description="What the entries are ordered by; ties by id.")] = "id",
    order: Literal["asc", "desc"] = "desc",
) -> EntrySort:
    return EntrySort(key=sort, descending=order == "desc")


FilterDep = Annotated[EntryFilter, Depends(entry_filter)]
SortDep = Annotated[EntrySort, Depends(entry_sort)]


@router.get(
    "",
    response_model=EntryPage,
    summary="Search process entries: newest first unless sorted otherwise",
    responses=error_responses({422: "A query parameter is invalid (invalid_request, invalid_cursor)."}),
)
def list_entries(
    _caller: CallerDep,
    store: StoreDep,
    entries: FilterDep,
    sort: SortDep,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Entries per page.")] = 50,
    cursor: Annotated[
        str | None,
        Query(
            description="next_cursor of the previous page (it continues under any sort and filter).",
            # In the schema only: the route itself answers any other value with invalid_cursor.
            json_schema_extra={"minLength": 1, "pattern": CURSOR_PATTERN},
        ),
    ] = None,
) -> EntryPage:
    page = store.entry_search.search(entries, sort, limit, cursor)
    return EntryPage(
        items=[QueueItem.model_validate(entry, from_attributes=True) for entry in page.entries],
        next_cursor=page.next_cursor,
    )


@router.get(
    "/export.csv",
    # No media type of its own: the errors stay documented as JSON, the 200 as CSV (below).
    response_class=StreamingResponse,
    summary="Every entry of a search as CSV, in its order",
    responses={
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "A header row, then one line per entry.",
        },
        **error_responses({422: "A query parameter is invalid (invalid_request)."}),
    },
)
def export_entries(_caller: CallerDep, store: StoreDep, entries: FilterDep, sort: SortDep) -> StreamingResponse:
    chunks = store.entry_search.export_chunks(entries, sort)
    # The first chunk is read before the answer starts: a database that does not answer gets the
    # usual 503, not a download cut short.
    first = next(chunks)
    return StreamingResponse(
        csv_chunks(chain([first], chunks)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="entries.csv"'},
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
    return EntryStatusResponse.model_validate(mail_to_bot(store, configured(mailer), entry_id, actor=clerk.actor))
