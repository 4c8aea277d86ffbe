"""The entry page: the invoice beside its PO, the findings, the history, the payload, and the
clerk's actions (approve, reject, requeue, mail) with a reason. A refusal (PO locked, illegal
transition, findings changed since the review) is shown on the page as a sentence."""

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.deps import EntryIdPath, MailerDep, ServicesDep, configured
from api.errors import DOMAIN_ERRORS, ApiError, translated
from api.pages.web import FormUserDep, PageUser, PageUserDep, render
from api.schemas import EntryVerdict, ReleaseAction
from connectors.store import EntryNotFoundError
from domain import EntryStatus, Finding
from services import decisions
from services.entry_view import entry_beside_po
from services.mail_dispatch import mail_to_bot
from services.runtime import Services

router = APIRouter(prefix="/entries")

# What each action is called on the page, and the status it moves an entry from.
ACTIONS = {
    "approve": ("Approve", (EntryStatus.MANUAL_REVIEW,)),
    "requeue": ("Requeue for the bot", (EntryStatus.RPA_FAILED,)),
    "reject": ("Reject", (EntryStatus.MANUAL_REVIEW, EntryStatus.READY_TO_PROCESS, EntryStatus.RPA_FAILED)),
    "mail": ("Mail the payload to the bot", (EntryStatus.READY_TO_PROCESS,)),
}
DONE = {
    "approve": "Approved: it is queued for the bot.",
    "requeue": "Requeued for the bot.",
    "reject": "Rejected; its PO is released.",
    "mail": "Mailed to the bot's mailbox: it is dispatched.",
}


def _page(
    request: Request,
    user: PageUser,
    services: Services,
    entry_id: int,
    *,
    notice: str | None = None,
    problem: str | None = None,
    new_findings: tuple[Finding, ...] = (),
    reason: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    try:
        view = entry_beside_po(services.store, services.erp, entry_id)
    except EntryNotFoundError as missing:
        return render(request, "message.html", user, {"heading": "Not found", "message": str(missing)}, status_code=404)
    actions = {name: label for name, (label, statuses) in ACTIONS.items() if view.entry.status in statuses}
    context = {
        "view": view,
        "entry": view.entry,
        "actions": actions,
        "notice": notice,
        "problem": problem,
        "new_findings": new_findings,
        "reason": reason,
    }
    return render(request, "entry.html", user, context, status_code=status_code)


@router.get("/{entry_id}", response_class=HTMLResponse)
def entry_page(
    request: Request,
    entry_id: EntryIdPath,
    user: PageUserDep,
    services: ServicesDep,
    done: Annotated[str | None, Query(pattern="^(approve|requeue|reject|mail)$")] = None,
) -> HTMLResponse:
    return _page(request, user, services, entry_id, notice=DONE.get(done or ""))


@router.post("/{entry_id}/{action}", response_class=HTMLResponse)
def act(
    request: Request,
    entry_id: EntryIdPath,
    action: str,
    user: FormUserDep,
    services: ServicesDep,
    mailer: MailerDep,
    reason: Annotated[str, Form()] = "",
    acknowledge: Annotated[list[str] | None, Form()] = None,
) -> Response:
    if action not in ACTIONS:
        return render(
            request,
            "message.html",
            user,
            {"heading": "Not found", "message": f"No action {action!r}."},
            status_code=404,
        )
    try:
        decision = ReleaseAction.model_validate(
            {
                "reason": reason.strip() or ("mailed from the dashboard" if action == "mail" else ""),
                "acknowledge": acknowledge or [],
            }
        )
        _decide(services, mailer, entry_id, action, decision, user.principal.actor)
    except ValidationError:
        problem = "Give a reason (up to 2,000 characters): it goes into the audit trail."
        return _page(request, user, services, entry_id, problem=problem, reason=reason, status_code=422)
    except ApiError as refused:
        return _page(
            request, user, services, entry_id, problem=refused.message, reason=reason, status_code=refused.status_code
        )
    except DOMAIN_ERRORS as refused:
        answer = translated(refused)
        new_findings = tuple(
            finding for detail in answer.details if isinstance(detail, EntryVerdict) for finding in detail.findings
        )
        return _page(
            request,
            user,
            services,
            entry_id,
            problem=answer.message,
            new_findings=new_findings,
            reason=reason,
            status_code=answer.status_code,
        )
    return RedirectResponse(f"/entries/{entry_id}?done={action}", status_code=303)


def _decide(
    services: Services, mailer: MailerDep, entry_id: int, action: str, decision: ReleaseAction, actor: str
) -> None:
    if action == "approve":
        decisions.approve(
            services.judging, entry_id, actor=actor, reason=decision.reason, acknowledge=decision.acknowledge
        )
    elif action == "requeue":
        decisions.requeue(
            services.judging, entry_id, actor=actor, reason=decision.reason, acknowledge=decision.acknowledge
        )
    elif action == "reject":
        decisions.reject(services.store, entry_id, actor=actor, reason=decision.reason)
    else:
        mail_to_bot(services.store, configured(mailer), entry_id, actor=actor)
