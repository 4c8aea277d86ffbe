"""Who is calling, and may they: people sign in (session cookie or bearer token), bots send their
API key as a bearer token. Routes declare what they need as a dependency:

    def approve(entry_id: int, clerk: PersonDep) -> ...

Missing or unknown credentials → 401; a known caller without the role → 403. Every route under
/api/v1 declares one of these (tests/test_api_auth.py walks the route table to prove it).
"""

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from api.deps import StoreDep
from api.errors import ApiError
from connectors.store import ProcessStore
from connectors.store.accounts import API_KEY_PREFIX

SESSION_COOKIE = "ia_session"

Role = Literal["admin", "clerk", "vendor", "bot"]

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="A bot's API key (`iak_...`), or a user's token from POST /api/v1/auth/login (`ias_...`).",
)
_cookie = APIKeyCookie(
    name=SESSION_COOKIE, auto_error=False, scheme_name="session", description="Set by POST /api/v1/auth/login."
)


@dataclass(frozen=True)
class Principal:
    """A signed-in user or a bot; `actor` is how the audit trail names them."""

    kind: Literal["user", "bot"]
    name: str
    role: Role
    session_token: str | None = None  # the user's token, so that logout can end this session
    vendor_id: str | None = None  # a vendor user's vendor: it sees that vendor's documents only

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.name}"


def _unauthenticated(message: str) -> ApiError:
    return ApiError(401, "not_authenticated", message, headers={"WWW-Authenticate": "Bearer"})


# Async: reading headers takes no thread.
async def presented_token(
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> str | None:
    """The credentials the caller sent, unchecked: the bearer token, else the session cookie."""
    return (bearer.credentials if bearer is not None else cookie) or None


TokenDep = Annotated[str | None, Depends(presented_token)]


def require_token(token: str | None) -> str:
    """The token; 401 when the caller sent none (no database asked)."""
    if token is None:
        raise _unauthenticated(
            "Sign in first: send 'Authorization: Bearer <API key or session token>', or the session cookie."
        )
    return token


def current_principal(store: StoreDep, token: TokenDep) -> Principal:
    return principal_for(store, require_token(token))


def principal_for(store: ProcessStore, token: str) -> Principal:
    """Whose token this is (a round trip to the process database); 401 when nobody's."""
    if token.startswith(API_KEY_PREFIX):
        key = store.accounts.bot_for_key(token)
        if key is None:
            raise _unauthenticated("This API key is unknown or revoked.")
        return Principal(kind="bot", name=key.name, role="bot")
    user = store.accounts.user_for_token(token)
    if user is None:
        raise _unauthenticated("This session has expired or was signed out; sign in again.")
    return Principal(kind="user", name=user.username, role=user.role, session_token=token, vendor_id=user.vendor_id)


class RoleGuard:
    """A dependency admitting callers with one of `roles`; routes keep it to show who may call them."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    def __call__(self, principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.role not in self.roles:
            allowed = " or ".join(sorted(self.roles))
            raise ApiError(403, "forbidden", f"This needs the role {allowed}; {principal.actor} is {principal.role}.")
        return principal


# Anyone known: read entries, dry runs, validate one invoice.
CallerDep = Annotated[Principal, Depends(RoleGuard("admin", "clerk", "bot"))]
# AP people: approve, reject, requeue, mail a payload; sign out.
PersonDep = Annotated[Principal, Depends(RoleGuard("admin", "clerk"))]
# The RPA bot: claim and call back.
BotDep = Annotated[Principal, Depends(RoleGuard("bot"))]
# Administrators: users and API keys.
AdminDep = Annotated[Principal, Depends(RoleGuard("admin"))]
# Any person signed in, AP staff or a vendor's user: sign out; documents (a vendor sees its own only).
AnyPersonDep = Annotated[Principal, Depends(RoleGuard("admin", "clerk", "vendor"))]
# Anyone known: who am I.
AnyoneDep = Annotated[Principal, Depends(RoleGuard("admin", "clerk", "vendor", "bot"))]
# A vendor's user: its own invoices (every vendor user has a vendor id: the users table says so).
VendorDep = Annotated[Principal, Depends(RoleGuard("vendor"))]
