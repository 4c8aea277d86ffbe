"""The verification screen: one document's pages beside its fields, for an AP person to check.

Fields read with low confidence, or failing a cross-check, stand out and come first in the tab
order; focusing a field draws its box on the page. Save records the corrections (audited), re-extract
runs another engine and then shows what changed, submit makes the invoice and judges it at once, so
the verdict and its findings against the PO lines appear on the same screen.
"""

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import DocumentIdPath, PrefectDep, ServicesDep
from api.errors import DOMAIN_ERRORS, translated
from api.pages.web import FormUserDep, PageUser, PageUserDep, is_htmx, render
from api.uploads import start_extraction
from connectors.store.document_audit import DocumentNotFoundError
from domain.documents import LINE_FIELDS, DocumentKind, DocumentStatus, Engine
from services.document_review import (
    LINE_LABELS,
    SubmittedVerdict,
    changed_values,
    document_to_check,
    engines_to_try,
    submit_and_judge,
)
from services.document_submission import DocumentIncompleteError
from services.documents import CorrectionError
from services.entry_view import entry_beside_po
from services.extraction import EngineNotConfiguredError
from services.runtime import Services

router = APIRouter(prefix="/documents")

FIELD_PREFIX = "f."
BEING_READ = (DocumentStatus.QUEUED, DocumentStatus.EXTRACTING)
EDITABLE = (DocumentStatus.EXTRACTED, DocumentStatus.NEEDS_REVIEW, DocumentStatus.SUBMITTED)
DONE = {
    "saved": "Corrections saved.",
    "unchanged": "Nothing to save: every field is as it was.",
    "reextract": "Extracting again: this page updates when it is done.",
}


async def submitted_fields(request: Request) -> dict[str, str]:
    """The form's field values by path (inputs named `f.<path>`); the CSRF check parsed the form already."""
    form = await request.form()
    return {
        name.removeprefix(FIELD_PREFIX): value
        for name, value in form.multi_items()
        if name.startswith(FIELD_PREFIX) and isinstance(value, str)
    }


FieldsDep = Annotated[dict[str, str], Depends(submitted_fields)]
# When the page was made (the document's updated_at): a form older than the document is refused,
# so one person's save never silently undoes what another saved meanwhile.
SeenForm = Annotated[str, Form()]


def _page(
    request: Request,
    user: PageUser,
    services: Services,
    document_id: int,
    *,
    notice: str | None = None,
    problem: str | None = None,
    field_problems: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    verdict: SubmittedVerdict | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    try:
        document = services.store.documents.get(document_id)
    except DocumentNotFoundError as missing:
        return render(request, "message.html", user, {"heading": "Not found", "message": str(missing)}, status_code=404)
    history = services.store.documents.history(document_id)
    checked = document_to_check(document, history, services.documents.extraction.confidence)
    entry_view = None
    if verdict is not None and verdict.entry is not None:
        entry_view = entry_beside_po(services.store, services.erp, verdict.entry.id)
    provider = services.documents.extraction.provider
    context = {
        "checked": checked,
        "document": document,
        "history": history,
        "pages": range(0) if document.kind is DocumentKind.XML else range(1, (document.pages or 0) + 1),
        "editable": document.status in EDITABLE and document.purpose == "invoice",
        "being_read": document.status in BEING_READ,
        "engines": engines_to_try(document, provider.engine if provider else None),
        "notice": notice,
        "problem": problem,
        "field_problems": field_problems or {},
        "typed": typed or {},
        "verdict": verdict,
        "view": entry_view,
        "threshold": services.documents.extraction.confidence,
        "line_labels": list(LINE_LABELS.values()),
        "line_fields": LINE_FIELDS,
    }
    return render(request, "document_check.html", user, context, status_code=status_code)


@router.get("/{document_id}", response_class=HTMLResponse)
def document_page(
    request: Request, document_id: DocumentIdPath, user: PageUserDep, services: ServicesDep, done: str | None = None
) -> HTMLResponse:
    return _page(request, user, services, document_id, notice=DONE.get(done or ""))


@router.get("/{document_id}/status", response_class=HTMLResponse)
def document_status(
    request: Request, document_id: DocumentIdPath, user: PageUserDep, services: ServicesDep
) -> Response:
    """The status badge while the document is being read; once it is done, htmx reloads the page."""
    document = services.store.documents.get(document_id)
    if document.status not in BEING_READ and is_htmx(request):
        return Response(status_code=204, headers={"HX-Refresh": "true"})
    return render(request, "document_status.html", user, {"document": document})


@router.post("/{document_id}/fields", response_class=HTMLResponse)
def save_fields(
    request: Request,
    document_id: DocumentIdPath,
    user: FormUserDep,
    services: ServicesDep,
    fields: FieldsDep,
    seen: SeenForm = "",
) -> Response:
    saved = _save(request, user, services, document_id, fields, seen)
    if isinstance(saved, HTMLResponse):
        return saved
    return RedirectResponse(f"/documents/{document_id}?done={'saved' if saved else 'unchanged'}", status_code=303)


@router.post("/{document_id}/submit", response_class=HTMLResponse)
def submit(
    request: Request,
    document_id: DocumentIdPath,
    user: FormUserDep,
    services: ServicesDep,
    fields: FieldsDep,
    seen: SeenForm = "",
) -> HTMLResponse:
    """Save what the person typed, then submit and judge: the verdict is shown on this screen."""
    saved = _save(request, user, services, document_id, fields, seen)
    if isinstance(saved, HTMLResponse):
        return saved
    try:
        verdict = submit_and_judge(services.documents, services.judging, document_id, actor=user.principal.actor)
    except DocumentIncompleteError as incomplete:
        return _page(
            request,
            user,
            services,
            document_id,
            problem="It cannot become an invoice yet: fill in the fields marked below.",
            field_problems=incomplete.problems,
            status_code=422,
        )
    except DOMAIN_ERRORS as refused:
        return _refused(request, user, services, document_id, refused)
    return _page(request, user, services, document_id, verdict=verdict)


@router.post("/{document_id}/reextract", response_class=HTMLResponse)
def reextract(
    request: Request,
    document_id: DocumentIdPath,
    user: FormUserDep,
    services: ServicesDep,
    prefect: PrefectDep,
    background: BackgroundTasks,
    engine: Annotated[str, Form()] = "",
) -> Response:
    known = {each.value: each for each in Engine}
    if engine and engine not in known:
        problem = f"engine: {engine!r} is not one we know ({', '.join(known)})"
        return _page(request, user, services, document_id, problem=problem, status_code=422)
    try:
        services.documents.reextract(document_id, known.get(engine), actor=user.principal.actor)
    except EngineNotConfiguredError as not_configured:
        return _page(request, user, services, document_id, problem=str(not_configured), status_code=422)
    except DOMAIN_ERRORS as refused:
        return _refused(request, user, services, document_id, refused)
    background.add_task(start_extraction, prefect)
    return RedirectResponse(f"/documents/{document_id}?done=reextract", status_code=303)


def _save(
    request: Request, user: PageUser, services: Services, document_id: int, fields: dict[str, str], seen: str
) -> HTMLResponse | int:
    """The number of corrections recorded, or the page again with what was refused (nothing saved)."""
    try:
        document = services.store.documents.get(document_id)
        if seen and fields and seen != document.updated_at.isoformat():
            problem = (
                "Nothing was saved: the document changed since this page was opened (another person's "
                "corrections, or a new extraction). Your values are below; check them against the page and save again."
            )
            return _page(request, user, services, document_id, problem=problem, typed=fields, status_code=409)
        changes = changed_values(document, fields)
        if changes:
            services.documents.correct(document_id, changes, actor=user.principal.actor)
    except CorrectionError as invalid:
        return _page(
            request,
            user,
            services,
            document_id,
            problem="Nothing was saved: a value is not valid.",
            field_problems={invalid.path: invalid.message},
            typed=fields,
            status_code=422,
        )
    except DOMAIN_ERRORS as refused:
        return _refused(request, user, services, document_id, refused, typed=fields)
    return len(changes)


def _refused(
    request: Request,
    user: PageUser,
    services: Services,
    document_id: int,
    error: Exception,
    *,
    typed: dict[str, str] | None = None,
) -> HTMLResponse:
    """The screen again, the refusal said as the API says it (its sentence and status), what was typed kept."""
    answer = translated(error)
    return _page(
        request, user, services, document_id, problem=answer.message, typed=typed, status_code=answer.status_code
    )
