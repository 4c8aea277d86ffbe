"""The work queue: entries with status tabs and their counts, filters, sorting, keyset pages, the
CSV export of exactly the current filter, and a clerk's bulk actions (requeue the selected
rpa_failed entries, reject the selected ones with one reason). htmx refreshes the table by itself."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from api.deps import ServicesDep, StoreDep
from api.errors import DOMAIN_ERRORS, field_problems, translated
from api.pages.web import FormUserDep, PageUser, PageUserDep, is_htmx, render
from api.schemas import ReleaseAction
from connectors.store import EntryFilter, EntrySort, InvalidCursorError, ProcessStore
from domain import EntryStatus
from services import decisions
from services.runtime import Services

router = APIRouter(prefix="/queue")

PAGE_SIZES = (25, 50, 100, 200)
# The filters the form shows; any other filter field (from a link on the overview) is kept as it is.
FORM_FILTERS = ("vendor_id", "po_number", "invoice_number", "rule_id", "judged_from", "judged_to")
_PAGING = ("after", "limit", "sort", "order")
MAX_BULK = 200


@dataclass(frozen=True)
class QueueQuery:
    """The queue's URL query, read leniently: empty fields are no filter (a plain GET form sends them)."""

    params: dict[str, str]

    @classmethod
    def of(cls, query: Mapping[str, str]) -> "QueueQuery":
        return cls({name: value.strip() for name, value in query.items() if value.strip()})

    def link(self, **changes: str | None) -> str:
        """This query with `changes` (None removes a parameter), as a /queue URL; a new filter or order starts at page 1."""
        params = {name: value for name, value in self.params.items() if name != "after"}
        params.update({name: value for name, value in changes.items() if value is not None})
        for name in [name for name, value in changes.items() if value is None]:
            params.pop(name, None)
        return "/queue" + (f"?{urlencode(params)}" if params else "")

    def filter_params(self) -> dict[str, str]:
        return {name: value for name, value in self.params.items() if name not in _PAGING}


def _queue_page(
    request: Request,
    user: PageUser,
    store: ProcessStore,
    query: QueueQuery,
    *,
    outcome: list[str] | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    try:
        entry_filter = EntryFilter.from_query_params(query.params)
        sort = EntrySort.from_query_params(query.params)
        limit = int(query.params.get("limit", "50"))
        if limit not in PAGE_SIZES:
            raise ValueError(f"limit: one of {', '.join(map(str, PAGE_SIZES))}")
        page = store.entry_search.search(entry_filter, sort, limit=limit, after=query.params.get("after"))
    except ValidationError as invalid:
        fields = "; ".join(f"{p.field} {p.message}" for p in field_problems(invalid.errors(), root="query"))
        return _queue_page(
            request, user, store, QueueQuery({}), problem=f"The filter is not valid: {fields}.", status_code=422
        )
    except (ValueError, InvalidCursorError) as invalid:
        return _queue_page(
            request, user, store, QueueQuery({}), problem=f"Not a valid page: {invalid}", status_code=422
        )
    counts = store.entry_search.status_counts(entry_filter)
    filters = query.filter_params()
    context = {
        "query": query,
        "page": page,
        "counts": counts,
        "total": sum(counts.values()),
        "statuses": list(EntryStatus),
        "status": entry_filter.status,
        "sort": sort,
        "limit": limit,
        "page_sizes": PAGE_SIZES,
        "form_filters": {name: query.params.get(name, "") for name in FORM_FILTERS},
        "kept_filters": {n: v for n, v in filters.items() if n not in FORM_FILTERS and n != "status"},
        "export_url": "/api/v1/entries/export.csv" + (f"?{urlencode({**filters, **sort.query_params()})}"),
        "outcome": outcome or [],
        "problem": problem,
        "live_url": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
    }
    template = "queue_table.html" if is_htmx(request) else "queue.html"
    return render(request, template, user, context, status_code=status_code)


@router.get("", response_class=HTMLResponse)
def queue(request: Request, user: PageUserDep, store: StoreDep) -> HTMLResponse:
    return _queue_page(request, user, store, QueueQuery.of(request.query_params))


@router.post("/bulk", response_class=HTMLResponse)
def bulk_action(
    request: Request,
    user: FormUserDep,
    services: ServicesDep,
    action: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
    entry_ids: Annotated[list[int] | None, Form()] = None,
    return_query: Annotated[str, Form()] = "",
) -> HTMLResponse:
    """Each selected entry is decided on its own (its own transaction and audit event): one refusal
    never undoes or stops the others, and the page says what happened to each."""
    query = QueueQuery.of(dict(parse_qsl(return_query)))
    chosen = list(dict.fromkeys(entry_ids or []))
    if action not in ("requeue", "reject") or not chosen or len(chosen) > MAX_BULK:
        problem = f"Select between 1 and {MAX_BULK} entries and an action (requeue or reject)."
        return _queue_page(request, user, services.store, query, problem=problem, status_code=422)
    try:
        decision = ReleaseAction.model_validate({"reason": reason.strip()})
    except ValidationError:
        problem = "Give a reason (up to 2,000 characters): it goes into the audit trail of each entry."
        return _queue_page(request, user, services.store, query, problem=problem, status_code=422)
    outcome = _decide_each(services, chosen, action, decision.reason, user.principal.actor)
    return _queue_page(request, user, services.store, query, outcome=outcome)


def _decide_each(services: Services, entry_ids: list[int], action: str, reason: str, actor: str) -> list[str]:
    done: list[int] = []
    refused: list[str] = []
    for entry_id in entry_ids:
        try:
            if action == "requeue":
                decisions.requeue(services.judging, entry_id, actor=actor, reason=reason)
            else:
                decisions.reject(services.store, entry_id, actor=actor, reason=reason)
            done.append(entry_id)
        except DOMAIN_ERRORS as error:
            refused.append(f"entry {entry_id}: {translated(error).message}")
    verb = "Requeued" if action == "requeue" else "Rejected"
    summary = f"{verb} {len(done)} of {len(entry_ids)}" + (f" ({', '.join(map(str, done))})" if done else "") + "."
    return [summary, *refused]
