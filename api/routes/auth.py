"""Signing in and out: a session token as an HttpOnly cookie (browsers) and in the body (scripts)."""

from datetime import timedelta

from fastapi import APIRouter, Request, Response, status

from api.deps import SettingsDep, SignInsDep, SignInThreadsDep, StoreDep
from api.errors import ApiError, error_responses
from api.schemas import CallerView, LoginRequest, LoginResponse, UserView
from api.security import SESSION_COOKIE, AnyoneDep, AnyPersonDep
from api.sign_in_threads import SignInThreads
from connectors.store.accounts import IssuedToken
from services.sign_in import SignIns, Throttled
from settings import Settings

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/login",
    response_model=LoginResponse,
    summary="Sign in with username and password",
    responses=error_responses(
        {
            401: "Unknown user, wrong password or deactivated user (invalid_credentials).",
            429: "Too many failed sign-ins of this username or from this address (too_many_sign_ins); "
            "the Retry-After header says how many seconds the lockout still lasts. No password was checked.",
            503: "Too many sign-ins being checked at once (sign_ins_busy), or a database that does not "
            "answer (database_unavailable); try again after Retry-After seconds.",
        }
    ),
)
async def login(
    credentials: LoginRequest,
    request: Request,
    response: Response,
    sign_ins: SignInsDep,
    threads: SignInThreadsDep,
    settings: SettingsDep,
) -> LoginResponse:
    issued = await issue_session(credentials.username, credentials.password, request, sign_ins, threads, settings)
    set_session_cookie(response, issued, settings)
    return LoginResponse(
        token=issued.token,
        expires_at=issued.expires_at,
        user=UserView.model_validate(issued.user, from_attributes=True),
    )


async def issue_session(
    username: str, password: str, request: Request, sign_ins: SignIns, threads: SignInThreads, settings: Settings
) -> IssuedToken:
    """A new session for these credentials (the API's login and the sign-in page both call it);
    ApiError 401 for wrong ones, 429 while locked out, 503 while too many are being checked."""
    # Async, with its blocking work in threads of its own: a flood of sign-ins leaves the threadpool
    # serving every other request alone (api.sign_in_threads).
    address = _client_address(request)
    throttled = await threads.look_up(lambda: sign_ins.retry_after(username, address))
    if throttled is not None:
        raise _too_many_sign_ins(throttled)
    lifetime = timedelta(minutes=settings.session_lifetime_minutes)
    # The attempt looks at the lockout again once its turn comes: failures counted meanwhile apply.
    issued = await threads.check_password(lambda: sign_ins.attempt(username, password, address, lifetime=lifetime))
    if isinstance(issued, Throttled):
        raise _too_many_sign_ins(issued)
    if issued is None:
        # One answer for every cause, so the response does not tell which usernames exist.
        raise ApiError(401, "invalid_credentials", "Wrong username or password, or the user is deactivated.")
    return issued


def set_session_cookie(response: Response, issued: IssuedToken, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        max_age=settings.session_lifetime_minutes * 60,
        httponly=True,
        secure=settings.session_cookie_secure,
        samesite="strict",  # state-changing requests from other sites never carry it
    )


def _client_address(request: Request) -> str:
    """The address the request came from. Behind a reverse proxy that is the proxy's, unless the
    proxy is listed in TRUSTED_PROXIES: then `python -m api` lets uvicorn take the client's from
    X-Forwarded-For (api.server), and this is it."""
    return request.client.host if request.client is not None else "unknown"


def _too_many_sign_ins(throttled: Throttled) -> ApiError:
    seconds = throttled.retry_after_seconds
    return ApiError(
        429,
        "too_many_sign_ins",
        f"Too many failed sign-ins of this username or from this address; try again in {seconds} seconds.",
        headers={"Retry-After": str(seconds)},
    )


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="End this session",
    responses=error_responses({401: "Not signed in (not_authenticated).", 403: "Bots have no session (forbidden)."}),
)
def logout(person: AnyPersonDep, store: StoreDep) -> Response:
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
def whoami(caller: AnyoneDep) -> CallerView:
    return CallerView(kind=caller.kind, name=caller.name, role=caller.role, vendor_id=caller.vendor_id)
