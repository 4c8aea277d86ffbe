"""A vendor's own pages, at /vendor: its invoices (marketplace and uploads) with their status and
what is wrong with them in its own words, its uploaded documents, and uploading (a corrected version too).

Only a vendor's user opens them (VendorPageDep); another vendor's invoice or document is "Not found"
(404), exactly as one that does not exist.
"""

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import MAX_ID, MIN_ID, DocumentIdPath, EntryIdPath, PrefectDep, ServicesDep
from api.errors import DOMAIN_ERRORS, translated
from api.pages.web import PageUser, VendorFormDep, VendorPageDep, render
from api.uploads import extract_soon, incoming_files
from connectors.db import MAX_INTEGER_ID
from connectors.store import CURSOR_PATTERN
from connectors.store.document_audit import DocumentNotFoundError
from connectors.store.errors import EntryNotFoundError
from services.document_intake import UploadDetails, Uploader
from services.document_submission import submitted_key
from services.runtime import Services
from services.vendor_invoices import invoice_of_vendor, invoice_page
from services.vendor_words import Stage, document_status_words, vendor_findings

router = APIRouter(prefix="/vendor")

PAGE_SIZE = 25


def _not_found(request: Request, user: PageUser, what: str) -> HTMLResponse:
    context = {"heading": "Not found", "message": f"There is no {what} of yours with this number."}
    return render(request, "message.html", user, context, status_code=404)


@router.get("", response_class=HTMLResponse)
def vendor_invoices(
    request: Request,
    user: VendorPageDep,
    services: ServicesDep,
    stage: Stage | None = None,
    cursor: Annotated[str | None, Query(pattern=CURSOR_PATTERN)] = None,
) -> HTMLResponse:
    page = invoice_page(services.store, user.vendor_id, stage=stage, limit=PAGE_SIZE, after=cursor)
    context = {"page": page, "stage": stage, "stages": list(Stage), "total": sum(page.counts.values())}
    return render(request, "vendor/invoices.html", user, context)


@router.get("/invoices/{entry_id}", response_class=HTMLResponse)
def vendor_invoice(request: Request, entry_id: EntryIdPath, user: VendorPageDep, services: ServicesDep) -> HTMLResponse:
    try:
        found = invoice_of_vendor(services.store, user.vendor_id, entry_id)
    except EntryNotFoundError:
        return _not_found(request, user, "invoice")
    return render(request, "vendor/invoice.html", user, {"found": found, "row": found.row, "findings": found.findings})


@router.get("/documents", response_class=HTMLResponse)
def vendor_documents(
    request: Request,
    user: VendorPageDep,
    services: ServicesDep,
    cursor: Annotated[str | None, Query(pattern=r"^[0-9]{1,18}$")] = None,
) -> HTMLResponse:
    return _documents_page(request, user, services, cursor)


@router.post("/documents", response_class=HTMLResponse)
def upload_documents(
    request: Request,
    user: VendorFormDep,
    services: ServicesDep,
    prefect: PrefectDep,
    background: BackgroundTasks,
    files: Annotated[list[UploadFile], File()],
    po_number: Annotated[str, Form(max_length=64)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    replaces: Annotated[int | None, Form(ge=MIN_ID, le=MAX_ID)] = None,
) -> Response:
    try:
        added = services.documents.upload(
            incoming_files([each for each in files if each.filename]),
            UploadDetails(po_number=po_number.strip() or None, note=note.strip() or None, replaces=replaces),
            Uploader(actor=user.principal.actor, vendor_id=user.vendor_id),
        )
    except DOMAIN_ERRORS as refused:
        problem = translated(refused)
        if replaces is not None:
            return _document_page(
                request, user, services, replaces, problem=problem.message, status_code=problem.status_code
            )
        return _documents_page(request, user, services, None, problem=problem.message, status_code=problem.status_code)
    extract_soon(added, background, prefect)
    if replaces is not None or len(added) == 1:
        return RedirectResponse(f"/vendor/documents/{added[0].document.id}?uploaded=1", status_code=303)
    return RedirectResponse(f"/vendor/documents?uploaded={len(added)}", status_code=303)


@router.get("/documents/{document_id}", response_class=HTMLResponse)
def vendor_document(
    request: Request,
    document_id: DocumentIdPath,
    user: VendorPageDep,
    services: ServicesDep,
    uploaded: Annotated[int | None, Query(ge=0, le=1000)] = None,
) -> HTMLResponse:
    notice = "Uploaded: it is read and then checked; this page shows how it goes." if uploaded else None
    return _document_page(request, user, services, document_id, notice=notice)


def _documents_page(
    request: Request,
    user: PageUser,
    services: Services,
    cursor: str | None,
    *,
    problem: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    before = int(cursor) if cursor and int(cursor) <= MAX_INTEGER_ID else None
    documents = services.store.documents.page(vendor_id=user.vendor_id, before_id=before, limit=PAGE_SIZE + 1)
    shown = documents[:PAGE_SIZE]
    uploaded = request.query_params.get("uploaded", "")
    context = {
        "documents": [(document, document_status_words(document.status, document.status_reason)) for document in shown],
        "next_cursor": str(shown[-1].id) if len(documents) > PAGE_SIZE else None,
        "problem": problem,
        "notice": f"{uploaded} files uploaded: each is read and then checked." if uploaded.isdigit() else None,
    }
    return render(request, "vendor/documents.html", user, context, status_code=status_code)


def _document_page(
    request: Request,
    user: PageUser,
    services: Services,
    document_id: int,
    *,
    notice: str | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    store = services.store
    try:
        document = store.documents.get(document_id, for_vendor=user.vendor_id)
    except DocumentNotFoundError:  # or another vendor's: as if it did not exist
        return _not_found(request, user, "document")
    key = submitted_key(document)
    entry = store.entries.find(key) if key is not None else None
    versions = [
        each
        for each in store.documents.invoice_documents(document.invoice_document_id)
        if each.vendor_id == user.vendor_id
    ]
    context = {
        "document": document,
        "words": document_status_words(document.status, document.status_reason),
        "entry": entry,
        "entry_stage": Stage.of(entry.status) if entry else None,
        "findings": vendor_findings(entry.findings, entry.po_number) if entry else [],
        "versions": versions,
        "supporting": store.documents.children(document.id),
        "notice": notice,
        "problem": problem,
    }
    return render(request, "vendor/document.html", user, context, status_code=status_code)
