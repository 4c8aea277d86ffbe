"""Signing in and out: a session token as an HttpOnly cookie (browsers) and in the body (scripts)."""

from datetime import timedelta

from fastapi import APIRouter, Response, status

from api.deps import SettingsDep, StoreDep
from api.errors import ApiError, error_responses
from api.schemas import CallerView, LoginRequest, LoginResponse, UserView
from api.security import SESSION_COOKIE, CallerDep, PersonDep

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/login",
    response_model=LoginResponse,
    summary="Sign in with username and password",
    responses=error_responses({401: "Unknown user, wrong password or deactivated user (invalid_credentials)."}),
)
def login(credentials: LoginRequest, response: Response, store: StoreDep, settings: SettingsDep) -> LoginResponse:
    lifetime = timedelta(minutes=settings.session_lifetime_minutes)
    issued = store.accounts.sign_in(credentials.username, credentials.password, lifetime=lifetime)
    if issued is None:
        # One answer for every cause, so the response does not tell which usernames exist.
        raise ApiError(401, "invalid_credentials", "Wrong username or password, or the user is deactivated.")
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        max_age=int(lifetime.total_seconds()),
        httponly=True,
        secure=settings.session_cookie_secure,
        samesite="strict",  # state-changing requests from other sites never carry it (no CSRF)
    )
    return LoginResponse(
        token=issued.token,
        expires_at=issued.expires_at,
        user=UserView.model_validate(issued.user, from_attributes=True),
    )


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="End this session",
    responses=error_responses({401: "Not signed in (not_authenticated).", 403: "Bots have no session (forbidden)."}),
)
def logout(person: PersonDep, store: StoreDep) -> Response:
    if person.session_token is not None:
        store.accounts.sign_out(person.session_token)
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get(
    "/me",
    response_model=CallerView,
    summary="Who these credentials belong to",
    responses=error_responses({401: "No valid credentials (not_authenticated)."}),
)
def whoami(caller: CallerDep) -> CallerView:
    return CallerView(kind=caller.kind, name=caller.name, role=caller.role)
