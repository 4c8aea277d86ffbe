"""What every dashboard page shares: who is signed in (the session cookie), the CSRF token of their
session, the templates, and the answers for a visitor who is not signed in or may not see a page.

Pages are AP staff's (`PageUserDep`, `FormUserDep`, `AdminPageDep`) or a vendor user's own
(`VendorPageDep`, `VendorFormDep`, under /vendor); each refuses the other with 403 and a sentence.
Pages read the session cookie only: a bot's API key is refused (403), a visitor without a session
is sent to the sign-in page. A state-changing request must carry the session's CSRF token, as the
form field `csrf_token` or the header `X-CSRF-Token` (htmx sends it from the page's body), or it
gets 403 and changes nothing.
"""

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Protocol
from urllib.parse import quote, urlencode

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from api.deps import StoreDep
from api.errors import ApiError
from api.security import SESSION_COOKIE, Principal, principal_for
from connectors.store.accounts import API_KEY_PREFIX

TEMPLATES_DIR = Path(__file__).parent.parent / "templates"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


def _money(value: Decimal | None) -> str:
    """Grouped thousands and two decimals at least; the database's trailing zeros beyond them go,
    a digit that is not zero never does (10.0000 → 10.00, 0.1250 → 0.125)."""
    if value is None:
        return ""
    shown = value.normalize()
    if shown.as_tuple().exponent > -2:  # type: ignore[operator]  # finite: amounts are never NaN
        shown = shown.quantize(Decimal("0.01"))
    return f"{shown:,f}"


def _field_id(path: str) -> str:
    """An element id for a field path (`lines[2].unit_price` → `lines-2-unit_price`)."""
    return re.sub(r"[^A-Za-z0-9_]+", "-", path).strip("-")


def _when(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {rest} s" if minutes else f"{rest} s"


class _Counted(Protocol):
    @property
    def queue_params(self) -> dict[str, str]: ...


def queue_link(counted: _Counted) -> str:
    """The work queue filtered to exactly the entries a number counts (services.kpis.Counted)."""
    params = counted.queue_params
    return "/queue" + (f"?{urlencode(params)}" if params else "")


templates = Jinja2Templates(directory=TEMPLATES_DIR)
templates.env.filters.update(money=_money, when=_when, duration=_duration, queue_link=queue_link, field_id=_field_id)


def csrf_token_for(session_token: str) -> str:
    """The CSRF token of a session: derived from its secret token, so another site, which cannot read
    the HttpOnly cookie, cannot make it, and signing out retires it with the session."""
    return hmac.new(session_token.encode(), b"invoice-automation csrf", hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class PageUser:
    """The person a page is shown to."""

    principal: Principal
    csrf_token: str

    @property
    def name(self) -> str:
        return self.principal.name

    @property
    def is_admin(self) -> bool:
        return self.principal.role == "admin"

    @property
    def is_vendor(self) -> bool:
        return self.principal.vendor_id is not None

    @property
    def vendor_id(self) -> str:
        """The vendor a vendor's user speaks for (vendor pages only: their dependency made sure)."""
        if self.principal.vendor_id is None:
            raise PageForbidden("These pages are a vendor's own.")
        return self.principal.vendor_id


class SignInRequired(Exception):
    """No session, or an expired or ended one: the visitor is sent to the sign-in page."""


class PageForbidden(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def signed_in_person(request: Request, store: StoreDep) -> PageUser:
    """Whoever signed in with the session cookie, AP staff or a vendor's user."""
    token = request.cookies.get(SESSION_COOKIE)
    if API_KEY_PREFIX in request.headers.get("Authorization", "") or (token or "").startswith(API_KEY_PREFIX):
        raise PageForbidden("The dashboard is for people: an API key cannot open its pages.")
    if not token:
        raise SignInRequired()
    try:
        principal = principal_for(store, token)
    except ApiError as unknown:  # expired or signed out
        raise SignInRequired() from unknown
    return PageUser(principal=principal, csrf_token=csrf_token_for(token))


def page_user(user: Annotated[PageUser, Depends(signed_in_person)]) -> PageUser:
    """AP staff: the work queue's pages."""
    if user.is_vendor:
        raise PageForbidden("These pages are AP's work queue; your invoices and documents are at /vendor.")
    return user


def vendor_page_user(user: Annotated[PageUser, Depends(signed_in_person)]) -> PageUser:
    """A vendor's user: the vendor's own pages. AP staff see every invoice in the work queue instead."""
    if not user.is_vendor:
        raise PageForbidden("These pages are a vendor's own; AP staff find every invoice in the work queue at /queue.")
    return user


def admin_user(user: Annotated[PageUser, Depends(page_user)]) -> PageUser:
    if not user.is_admin:
        raise PageForbidden(f"This page is for administrators; {user.name} is a {user.principal.role}.")
    return user


async def _csrf_shown(request: Request, user: PageUser) -> PageUser:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()  # parsed once: the route's Form parameters read the same
        field = form.get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    if sent is None or not hmac.compare_digest(sent, user.csrf_token):
        raise PageForbidden("This form is missing its security token or it is stale: reload the page and try again.")
    return user


async def csrf_checked(request: Request, user: Annotated[PageUser, Depends(page_user)]) -> PageUser:
    """The signed-in AP person, once the request has shown their session's CSRF token."""
    return await _csrf_shown(request, user)


async def vendor_csrf_checked(request: Request, user: Annotated[PageUser, Depends(vendor_page_user)]) -> PageUser:
    """The signed-in vendor's user, once the request has shown their session's CSRF token."""
    return await _csrf_shown(request, user)


async def person_csrf_checked(request: Request, user: Annotated[PageUser, Depends(signed_in_person)]) -> PageUser:
    """Anyone signed in (signing out), once the request has shown their session's CSRF token."""
    return await _csrf_shown(request, user)


PageUserDep = Annotated[PageUser, Depends(page_user)]
AdminPageDep = Annotated[PageUser, Depends(admin_user)]
# For forms and htmx requests that change something.
FormUserDep = Annotated[PageUser, Depends(csrf_checked)]
# Anyone signed in: the landing page sends each where they belong; signing out.
PersonPageDep = Annotated[PageUser, Depends(signed_in_person)]
PersonFormDep = Annotated[PageUser, Depends(person_csrf_checked)]
# A vendor's own pages, and their forms.
VendorPageDep = Annotated[PageUser, Depends(vendor_page_user)]
VendorFormDep = Annotated[PageUser, Depends(vendor_csrf_checked)]


class _AdminForm:
    """An admin's state-changing request: the CSRF token is checked, then the role."""

    def __call__(self, user: Annotated[PageUser, Depends(csrf_checked)]) -> PageUser:
        return admin_user(user)


AdminFormDep = Annotated[PageUser, Depends(_AdminForm())]


def render(
    request: Request,
    template: str,
    user: PageUser | None,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    return templates.TemplateResponse(request, template, {"user": user, **(context or {})}, status_code=status_code)


def is_htmx(request: Request) -> bool:
    """Whether htmx asked (live refresh, a partial): it wants the fragment, not the whole page."""
    return request.headers.get("HX-Request") == "true"


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site only, never another site's address."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


async def _sign_in_required(request: Request, _error: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    login = f"/login?next={quote(target, safe='')}"
    if is_htmx(request):
        # htmx follows this header with a full page load; a 303 would be swapped into the page.
        return Response(status_code=401, headers={"HX-Redirect": login})
    return RedirectResponse(login, status_code=303)


async def _forbidden(request: Request, error: Exception) -> Response:
    message = error.message if isinstance(error, PageForbidden) else "Forbidden."
    return render(request, "message.html", None, {"heading": "Not allowed", "message": message}, status_code=403)


def install_page_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(PageForbidden, _forbidden)
