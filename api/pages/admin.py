"""Admin pages: users (create, deactivate), the bots' API keys (create: the secret is shown once;
revoke), and the webhook delivery log. Clerks get 403."""

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.deps import MAX_ID, MIN_ID, StoreDep
from api.errors import DOMAIN_ERRORS, field_problems, translated
from api.pages.web import AdminFormDep, AdminPageDep, PageUser, render
from api.schemas import NewApiKey, NewUser

router = APIRouter(prefix="/admin")


def _users_page(
    request: Request,
    user: PageUser,
    store: StoreDep,
    *,
    notice: str | None = None,
    problem: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {"users": store.accounts.list_users(), "notice": notice, "problem": problem}
    return render(request, "admin/users.html", user, context, status_code=status_code)


@router.get("/users", response_class=HTMLResponse)
def users(
    request: Request,
    user: AdminPageDep,
    store: StoreDep,
    created: Annotated[str | None, Query(max_length=64)] = None,
    deactivated: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    # What the last form did, named in the redirect (never a free sentence another site could put there).
    notice = (
        f"Created the user {created}." if created else f"{deactivated} can no longer sign in." if deactivated else None
    )
    return _users_page(request, user, store, notice=notice)


@router.post("/users", response_class=HTMLResponse)
def create_user(
    request: Request,
    user: AdminFormDep,
    store: StoreDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "clerk",
) -> Response:
    try:
        new_user = NewUser.model_validate({"username": username, "password": password, "role": role})
        store.accounts.create_user(new_user.username, new_user.password, new_user.role)
    except ValidationError as invalid:
        problems = "; ".join(f"{p.field} {p.message}" for p in field_problems(invalid.errors(), root="form"))
        return _users_page(request, user, store, problem=f"Not created: {problems}.", status_code=422)
    except DOMAIN_ERRORS as refused:
        answer = translated(refused)
        return _users_page(request, user, store, problem=answer.message, status_code=answer.status_code)
    return RedirectResponse(f"/admin/users?created={quote(new_user.username)}", status_code=303)


@router.post("/users/{username}/deactivate", response_class=HTMLResponse)
def deactivate_user(request: Request, username: str, user: AdminFormDep, store: StoreDep) -> Response:
    if username == user.name:
        return _users_page(request, user, store, problem="You cannot deactivate yourself.", status_code=409)
    try:
        store.accounts.deactivate_user(username)
    except DOMAIN_ERRORS as refused:
        answer = translated(refused)
        return _users_page(request, user, store, problem=answer.message, status_code=answer.status_code)
    return RedirectResponse(f"/admin/users?deactivated={quote(username)}", status_code=303)


def _keys_page(
    request: Request,
    user: PageUser,
    store: StoreDep,
    *,
    notice: str | None = None,
    problem: str | None = None,
    secret: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    context = {"keys": store.accounts.list_api_keys(), "notice": notice, "problem": problem, "secret": secret}
    return render(request, "admin/api_keys.html", user, context, status_code=status_code)


@router.get("/api-keys", response_class=HTMLResponse)
def api_keys(
    request: Request, user: AdminPageDep, store: StoreDep, revoked: Annotated[str | None, Query(max_length=64)] = None
) -> HTMLResponse:
    return _keys_page(request, user, store, notice=f"Revoked the API key of {revoked}." if revoked else None)


@router.post("/api-keys", response_class=HTMLResponse)
def create_api_key(
    request: Request, user: AdminFormDep, store: StoreDep, name: Annotated[str, Form()] = ""
) -> Response:
    try:
        new_key = NewApiKey.model_validate({"name": name})
        issued = store.accounts.create_api_key(new_key.name, created_by=user.principal.actor)
    except ValidationError:
        problem = "Not created: the name may have letters, digits, '.', '_' and '-' (64 at most)."
        return _keys_page(request, user, store, problem=problem, status_code=422)
    except DOMAIN_ERRORS as refused:
        answer = translated(refused)
        return _keys_page(request, user, store, problem=answer.message, status_code=answer.status_code)
    # Rendered, not redirected: the secret must not travel in a URL, and it is never shown again.
    response = _keys_page(
        request, user, store, notice=f"Created the API key of {issued.key.name}.", secret=issued.secret
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/api-keys/{name}/revoke", response_class=HTMLResponse)
def revoke_api_key(request: Request, name: str, user: AdminFormDep, store: StoreDep) -> Response:
    try:
        store.accounts.revoke_api_key(name)
    except DOMAIN_ERRORS as refused:
        answer = translated(refused)
        return _keys_page(request, user, store, problem=answer.message, status_code=answer.status_code)
    return RedirectResponse(f"/admin/api-keys?revoked={quote(name)}", status_code=303)


@router.get("/webhooks", response_class=HTMLResponse)
def webhook_deliveries(
    request: Request,
    user: AdminPageDep,
    store: StoreDep,
    entry_id: Annotated[int | None, Query(ge=MIN_ID, le=MAX_ID)] = None,
) -> HTMLResponse:
    deliveries = store.outbox.deliveries(entry_id=entry_id, limit=200)
    return render(request, "admin/webhooks.html", user, {"deliveries": deliveries, "entry_id": entry_id})
