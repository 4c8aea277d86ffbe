"""Signing in and out of the dashboard, with the same users, sessions and throttle as the API.

The sign-in form is protected from login CSRF (another site signing a visitor in as someone else)
by a double-submit token: a random value in a cookie of its own and in the form, which must match.
"""

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from api.deps import SettingsDep, SignInsDep, SignInThreadsDep, StoreDep
from api.errors import ApiError
from api.pages.web import CSRF_FIELD, PersonFormDep, render, safe_next
from api.routes.auth import issue_session, set_session_cookie
from api.schemas import LoginRequest
from api.security import SESSION_COOKIE

router = APIRouter()

LOGIN_CSRF_COOKIE = "ia_login_csrf"


def _form(request: Request, next_page: str, *, message: str | None = None, status_code: int = 200) -> HTMLResponse:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(32)
    response = render(
        request,
        "sign_in.html",
        None,
        {"login_csrf": token, "next_page": safe_next(next_page), "message": message},
        status_code=status_code,
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", max_age=3600)
    return response


@router.get("/login", response_class=HTMLResponse)
def sign_in_form(request: Request, next: str = "/") -> HTMLResponse:
    return _form(request, next)


@router.post("/login", response_class=HTMLResponse)
async def sign_in(
    request: Request,
    sign_ins: SignInsDep,
    threads: SignInThreadsDep,
    settings: SettingsDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
    next_page: Annotated[str, Form(alias="next")] = "/",
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf_token):
        return _form(request, next_page, message="The sign-in form had expired; please sign in again.", status_code=403)
    try:
        credentials = LoginRequest(username=username, password=password)
        issued = await issue_session(credentials.username, credentials.password, request, sign_ins, threads, settings)
    except ValidationError:
        return _form(request, next_page, message="Enter your username and password.", status_code=422)
    except ApiError as refused:
        return _form(request, next_page, message=refused.message, status_code=refused.status_code)
    target = safe_next(next_page)
    if issued.user.vendor_id is not None and not _is_vendor_page(target):
        target = "/vendor"  # a vendor has no page elsewhere: an AP address would only answer 403
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, issued, settings)
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


def _is_vendor_page(path: str) -> bool:
    return path == "/vendor" or path.startswith(("/vendor/", "/vendor?"))


@router.post("/logout")
def sign_out(user: PersonFormDep, store: StoreDep) -> Response:
    if user.principal.session_token is not None:
        store.accounts.sign_out(user.principal.session_token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
