"""Documents: upload PDFs, scans and e-invoices; read what was extracted; correct, extract again,
submit into the inbox. AP people see every document; a vendor user only its own vendor's (any
other answers 404, as if it did not exist). Bots have no business here (403)."""

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, File, Form, Header, Path, Query, UploadFile, status
from fastapi.responses import FileResponse, Response

from api.deps import MAX_ID, MIN_ID, DocumentIdPath, PrefectDep, ServicesDep
from api.document_schemas import (
    DocumentDetail,
    DocumentPage,
    DocumentSummary,
    FieldCorrections,
    ReextractRequest,
    SubmitResponse,
    UploadResponse,
)
from api.errors import error_responses
from api.security import AnyPersonDep, PersonDep, Principal
from api.uploads import incoming_files, receive_uploads, start_extraction
from connectors.db import MAX_INTEGER_ID
from connectors.documents import content_disposition
from connectors.documents.page_images import PAGE_IMAGE_SUFFIXES
from connectors.store.document_reads import DocumentRecord
from domain.documents import DocumentKind, DocumentStatus
from domain.models import Code, FreeText
from services.document_intake import UploadDetails
from services.document_submission import submitted_key
from services.runtime import Services
from services.vendor_words import as_vendor_finding

router = APIRouter(prefix="/documents", tags=["documents"])

MAX_PAGE_SIZE = 200
MAX_PAGE_NUMBER = 100_000  # far past DOCUMENTS_MAX_PAGES: a page beyond the document's is a 404 naming it
# A page image changes only when the document is extracted again and turned otherwise (a new ETag): a
# browser keeps it a few minutes, then asks again with If-None-Match and mostly gets a 304.
PAGE_IMAGE_CACHE_CONTROL = "private, max-age=300"
_STRING = {"schema": {"type": "string"}}


@router.post(
    "",
    response_model=UploadResponse,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Upload invoice files (PDF, PNG, JPEG, TIFF, XML e-invoice) to be extracted",
    responses=error_responses(
        {
            413: "A file is larger than DOCUMENTS_MAX_BYTES, or more than DOCUMENTS_MAX_FILES files (too_large).",
            404: "The document to replace does not exist, or is another vendor's (document_not_found).",
            415: "A file is none of the accepted kinds, whatever its name says (unsupported_type).",
        }
    ),
)
def upload_documents(
    uploader: AnyPersonDep,
    services: ServicesDep,
    prefect: PrefectDep,
    background: BackgroundTasks,
    files: Annotated[list[UploadFile], File(description="The invoice files: one document each.")],
    supporting: Annotated[
        list[UploadFile] | None,
        File(description="Delivery notes, timesheets: kept with the (one) invoice file of the request."),
    ] = None,
    po_number: Annotated[Code | None, Form(description="The PO the invoice bills, if known.")] = None,
    vendor_id: Annotated[Code | None, Form(description="The vendor (AP staff; a vendor user is its own).")] = None,
    note: Annotated[FreeText | None, Form(max_length=2000)] = None,
    replaces: Annotated[
        int | None,
        Form(
            ge=MIN_ID,
            le=MAX_ID,
            description="The document this corrected invoice replaces: once submitted, it is the next version of the "
            "same invoice (a vendor replaces its own documents only).",
        ),
    ] = None,
) -> UploadResponse:
    """202: each file is a document, `queued` for the extract-documents flow (or `failed` with the
    reason when it cannot be read: encrypted, corrupt, too many pages, an image bomb). The same
    file uploaded again is the same document (`created: false`)."""
    incoming = incoming_files(files) + incoming_files(supporting or [], supporting=True)
    details = UploadDetails(po_number=po_number, vendor_id=vendor_id, note=note, replaces=replaces)
    return receive_uploads(services, prefect, background, incoming, details, uploader)


@router.get("", response_model=DocumentPage, summary="List documents, newest first")
def list_documents(
    caller: AnyPersonDep,
    services: ServicesDep,
    status_: Annotated[DocumentStatus | None, Query(alias="status")] = None,
    cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,18}$", description="From the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> DocumentPage:
    documents = services.store.documents.page(
        status=status_,
        vendor_id=caller.vendor_id,
        # every id is below a cursor past the database's integers: the same as no cursor
        before_id=int(cursor) if cursor and int(cursor) <= MAX_INTEGER_ID else None,
        limit=limit + 1,
    )
    threshold = services.documents.extraction.confidence
    page = documents[:limit]
    return DocumentPage(
        items=[DocumentSummary.of(document, threshold) for document in page],
        next_cursor=str(page[-1].id) if len(documents) > limit else None,
    )


@router.get(
    "/{document_id}",
    response_model=DocumentDetail,
    summary="A document: status, progress, engine, fields with confidence and place, checks, cost, its invoice",
    responses=error_responses({404: "No such document, or another vendor's (document_not_found)."}),
)
def get_document(document_id: DocumentIdPath, caller: AnyPersonDep, services: ServicesDep) -> DocumentDetail:
    return _detail(services, _visible(services, document_id, caller), caller)


@router.get(
    "/{document_id}/file",
    response_class=FileResponse,
    summary="The file as uploaded",
    responses={
        200: {
            "content": {kind.media_type: {"schema": {"type": "string", "format": "binary"}} for kind in DocumentKind},
            "description": "The file, of the type its content is.",
        },
        **error_responses({404: "No such document, or another vendor's (document_not_found)."}),
    },
)
def download_document(document_id: DocumentIdPath, caller: AnyPersonDep, services: ServicesDep) -> FileResponse:
    document = _visible(services, document_id, caller)
    return FileResponse(
        services.documents.storage.path_of(document.sha256),
        media_type=document.kind.media_type,
        headers={
            "Content-Disposition": content_disposition(document.file_name),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@router.get(
    "/{document_id}/pages/{page}",
    response_class=Response,
    summary="A page of the document as an image, turned as the boxes of its fields were read",
    responses={
        200: {
            "content": {
                media_type: {"schema": {"type": "string", "format": "binary"}}
                for media_type in PAGE_IMAGE_SUFFIXES.values()
            },
            "description": "The page, about 1600 pixels on its longer side: a PNG, or a JPEG for a grainy scan. A "
            "page the OCR engine straightened or stood upright is shown so, and fields' boxes (fractions of the "
            "page from its top left) land on what they were read from.",
            "headers": {
                "ETag": {"description": "Changes when the image would.", **_STRING},
                "Cache-Control": {"description": PAGE_IMAGE_CACHE_CONTROL, **_STRING},
                "X-Content-Type-Options": {"description": "nosniff", **_STRING},
            },
        },
        304: {"description": "If-None-Match named the current ETag: the image the caller has is the current one."},
        **error_responses(
            {
                404: "No such document, or another vendor's (document_not_found); no such page (page_not_found, "
                "naming path.page); an XML e-invoice or a file that cannot be rendered (no_page_image)."
            }
        ),
    },
)
def page_image(
    document_id: DocumentIdPath,
    page: Annotated[int, Path(ge=1, le=MAX_PAGE_NUMBER, description="The page, from 1.")],
    caller: AnyPersonDep,
    services: ServicesDep,
    if_none_match: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """Rendered on the first request and cached under DOCUMENTS_DIR; the dashboard's `<img>` reaches it with
    the session cookie."""
    document = _visible(services, document_id, caller)
    pages = services.documents.page_images
    headers = {"Cache-Control": PAGE_IMAGE_CACHE_CONTROL, "X-Content-Type-Options": "nosniff"}
    etag = pages.etag_of(document, page)
    if if_none_match is not None and _names_etag(if_none_match, etag):
        return Response(status_code=status.HTTP_304_NOT_MODIFIED, headers={**headers, "ETag": etag})
    image = pages.image_of(document, page)
    return Response(image.path.read_bytes(), media_type=image.media_type, headers={**headers, "ETag": image.etag})


@router.post(
    "/{document_id}/reextract",
    response_model=DocumentDetail,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Extract the document again, with another engine or automatically",
    responses=error_responses(
        {
            404: "No such document (document_not_found).",
            409: "A run holds it (queued or extracting), or it is a supporting file (document_state).",
            422: "The engine asked for is not configured here (invalid_request).",
        }
    ),
)
def reextract_document(
    document_id: DocumentIdPath,
    request: ReextractRequest,
    person: PersonDep,
    services: ServicesDep,
    prefect: PrefectDep,
    background: BackgroundTasks,
) -> DocumentDetail:
    document = services.documents.reextract(document_id, request.engine, actor=person.actor)
    background.add_task(start_extraction, prefect)
    return _detail(services, document, person)


@router.put(
    "/{document_id}/fields",
    response_model=DocumentDetail,
    summary="Correct fields (audited: who, when, old, new)",
    responses=error_responses(
        {
            404: "No such document (document_not_found).",
            409: "Not extracted yet, or being extracted again (document_state).",
            422: "A path or value is invalid (invalid_request); details names the field.",
        }
    ),
)
def correct_fields(
    document_id: DocumentIdPath, corrections: FieldCorrections, person: PersonDep, services: ServicesDep
) -> DocumentDetail:
    document = services.documents.correct(document_id, corrections.fields, actor=person.actor)
    return _detail(services, document, person)


@router.post(
    "/{document_id}/submit",
    response_model=SubmitResponse,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Submit the document into the inbox as an invoice (source upload), to be judged by the rules",
    responses=error_responses(
        {
            404: "No such document (document_not_found).",
            409: "Not extracted yet, or being extracted (document_state).",
            422: "Fields an invoice needs are empty (document_incomplete); details names each.",
        }
    ),
)
def submit_document(document_id: DocumentIdPath, person: PersonDep, services: ServicesDep) -> SubmitResponse:
    submitted = services.documents.submit(document_id, actor=person.actor)
    key = submitted.invoice.key
    message = (
        f"Recorded as entry {submitted.entry.id} ({submitted.entry.status}): no PO number."
        if submitted.entry is not None
        else f"Invoice {key} waits in the inbox: the next poll judges it, or POST "
        f"/api/v1/invoices/{key.source_invoice_id}/validate?source=upload judges it now."
    )
    return SubmitResponse(document=_detail(services, submitted.document, person), message=message)


def _visible(services: Services, document_id: DocumentIdPath, caller: Principal) -> DocumentRecord:
    return services.store.documents.get(document_id, for_vendor=caller.vendor_id)


def _names_etag(if_none_match: str, etag: str) -> bool:
    """Whether an If-None-Match header names `etag` (weakly compared, as RFC 9110 says for it) or is `*`."""
    named = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in named or etag in named


def _detail(services: Services, document: DocumentRecord, caller: Principal) -> DocumentDetail:
    key = submitted_key(document)
    entry = services.store.entries.find(key) if key is not None else None
    if entry is not None and caller.vendor_id is not None:  # the findings in the vendor's words
        findings = tuple(as_vendor_finding(finding, entry.po_number) for finding in entry.findings)
        entry = entry.model_copy(update={"findings": findings})
    return DocumentDetail.of_document(
        document,
        services.documents.extraction.confidence,
        supporting=services.store.documents.children(document.id),
        entry=entry,
        history=None if caller.vendor_id is not None else services.store.documents.history(document.id),
    )
