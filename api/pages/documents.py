"""The documents page: every uploaded invoice file (its supporting files under it) with its status,
engine, low-confidence fields, uploader, vendor, pages and cost; filters, keyset pages ("Older →"),
and a table that refreshes itself every 2 seconds while a listed document waits or is being
extracted. Its upload form sends each file on its own (documents.js) to `POST /documents/upload`,
which answers JSON as the API does."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, BackgroundTasks, File, Form, Request, UploadFile, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, ValidationError

from api.deps import PrefectDep, ServicesDep
from api.document_schemas import DocumentSummary, UploadResponse
from api.errors import field_problems
from api.pages.web import FormUserDep, PageUserDep, is_htmx, render
from api.uploads import incoming_files, receive_uploads
from connectors.db import MAX_INTEGER_ID
from connectors.store.document_reads import DocumentRecord
from connectors.store.tables import NAME
from domain.documents import DocumentStatus, Engine
from domain.models import Code
from services.document_intake import UploadDetails
from services.runtime import Services

router = APIRouter(prefix="/documents")

PAGE_SIZES = (25, 50, 100, 200)
# While a listed document is in one of these, the table asks again every 2 seconds.
IN_PROGRESS = frozenset({DocumentStatus.QUEUED, DocumentStatus.EXTRACTING})
# Supporting files are listed under their invoice file, not filtered on their own.
LISTED_STATUSES = [each for each in DocumentStatus if each is not DocumentStatus.ATTACHED]


class DocumentListQuery(BaseModel):
    """The page's URL query; an empty field (a plain GET form sends them) is no filter."""

    status: DocumentStatus | None = None
    vendor_id: Code | None = None
    engine: Engine | None = None
    uploaded_by: str | None = Field(default=None, max_length=NAME)
    limit: int = 50
    before: int | None = Field(default=None, ge=1)

    @classmethod
    def of(cls, params: Mapping[str, str]) -> "DocumentListQuery":
        query = cls.model_validate({name: value.strip() for name, value in params.items() if value.strip()})
        if query.limit not in PAGE_SIZES:
            raise ValueError(f"limit: one of {', '.join(map(str, PAGE_SIZES))}")
        return query

    def link(self, **changes: str | int | None) -> str:
        """This query with `changes`, as a /documents URL; a new filter starts at the newest page."""
        params = self.model_dump(exclude_none=True, exclude={"before"}) | changes
        if params.get("limit") == DocumentListQuery.model_fields["limit"].default:
            params.pop("limit")
        shown = {name: str(value) for name, value in params.items() if value is not None}
        return "/documents" + (f"?{urlencode(shown)}" if shown else "")


@dataclass(frozen=True)
class ListedDocument:
    summary: DocumentSummary
    pages_done: int
    supporting: list[DocumentSummary] = field(default_factory=list)

    @property
    def in_progress(self) -> bool:
        return self.summary.status in IN_PROGRESS


def _listed(services: Services, query: DocumentListQuery) -> tuple[list[ListedDocument], int | None]:
    """A page of invoice files with their supporting files, and the cursor of the next page."""
    documents = services.store.documents.page(
        status=query.status,
        vendor_id=query.vendor_id,
        engine=query.engine,
        uploaded_by=query.uploaded_by,
        invoice_files_only=True,
        # every id is below a cursor past the database's integers: the same as no cursor
        before_id=query.before if query.before and query.before <= MAX_INTEGER_ID else None,
        limit=query.limit + 1,
    )
    page = documents[: query.limit]
    threshold = services.documents.extraction.confidence
    supporting: dict[int, list[DocumentRecord]] = {}
    for child in services.store.documents.children_of([document.id for document in page]):
        supporting.setdefault(child.parent_id or 0, []).append(child)
    listed = [
        ListedDocument(
            summary=DocumentSummary.of(document, threshold),
            pages_done=document.pages_done,
            supporting=[DocumentSummary.of(child, threshold) for child in supporting.get(document.id, [])],
        )
        for document in page
    ]
    return listed, page[-1].id if len(documents) > query.limit else None


@router.get("", response_class=HTMLResponse)
def documents_page(request: Request, user: PageUserDep, services: ServicesDep) -> HTMLResponse:
    problem = None
    try:
        query = DocumentListQuery.of(request.query_params)
    except ValidationError as invalid:
        fields = "; ".join(f"{p.field} {p.message}" for p in field_problems(invalid.errors(), root="query"))
        query, problem = DocumentListQuery(), f"The filter is not valid: {fields}."
    except ValueError as invalid:
        query, problem = DocumentListQuery(), f"The filter is not valid: {invalid}."
    documents, older = _listed(services, query)
    context = {
        "query": query,
        "documents": documents,
        "older": older,
        "live": any(each.in_progress for each in documents),
        "live_url": query.link(before=query.before),
        "statuses": LISTED_STATUSES,
        "engines": list(Engine),
        "page_sizes": PAGE_SIZES,
        "problem": problem,
    }
    template = "documents_table.html" if is_htmx(request) else "documents.html"
    return render(request, template, user, context, status_code=422 if problem else 200)


@router.post("/upload", response_model=UploadResponse, status_code=status.HTTP_202_ACCEPTED)
def upload_file(
    user: FormUserDep,
    services: ServicesDep,
    prefect: PrefectDep,
    background: BackgroundTasks,
    file: Annotated[UploadFile, File()],
    po_number: Annotated[Code | None, Form()] = None,
    vendor_id: Annotated[Code | None, Form()] = None,
) -> UploadResponse:
    """One file a request, so the page shows each file's progress and outcome; refusals (413, 415,
    422) answer the API's JSON error, which names the problem."""
    details = UploadDetails(po_number=po_number, vendor_id=vendor_id)
    return receive_uploads(services, prefect, background, incoming_files([file]), details, user.principal)
