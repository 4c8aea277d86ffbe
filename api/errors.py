"""Every error leaves the API as {"error": {"code", "message", "details"}}, never with a stack trace.

Routes raise `ApiError` for outcomes they decide on; the domain's and the store's errors, FastAPI's
request validation, Starlette's HTTP errors (unknown routes included) and anything unexpected are
translated here.
"""

import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic_core import ErrorDetails
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.schemas import (
    EnteredAs,
    EntryState,
    EntryVerdict,
    ErrorBody,
    ErrorDetail,
    ErrorResponse,
    FieldProblem,
    POLock,
)
from connectors.db import is_statement_timeout
from connectors.documents import TooLargeError, UnsupportedTypeError
from connectors.mail import MailDispatchError
from connectors.prefect_api import PrefectUnavailableError
from connectors.store import (
    AlreadyEnteredError,
    CallbackConflictError,
    DuplicateCheckOutdatedError,
    EarlierVersionDispatchedError,
    EntryNotFoundError,
    EntrySupersededError,
    IllegalTransitionError,
    InvalidCursorError,
    NewerVersionKnownError,
    NoPayloadError,
    NotClaimHolderError,
    POLockedError,
    VersionTakenError,
)
from connectors.store.accounts import (
    ApiKeyExistsError,
    ApiKeyNotFoundError,
    UserExistsError,
    UserNotFoundError,
    WeakPasswordError,
)
from connectors.store.document_audit import DocumentNotFoundError, DocumentStateError
from domain import EntryStatus
from services.decisions import DecisionRefusedError
from services.document_intake import TooManyFilesError, UploadRefusedError
from services.document_submission import DocumentIncompleteError
from services.documents import CorrectionError
from services.extraction import EngineNotConfiguredError
from services.flow_runs import DeploymentNotFoundError
from services.judging import InvoiceNotFoundError, InvoiceUnreadableError
from services.kpis import InvalidPeriodError
from services.page_images import NoPageImageError, PageOutOfRangeError

logger = logging.getLogger(__name__)

# FastAPI's 400 for a request body it could not parse, whatever the cause (kept as its __cause__).
_UNREADABLE_BODY = "There was an error parsing the body"
# A client may ask Prefect again this many seconds after it did not answer.
PREFECT_RETRY_AFTER_SECONDS = 30


class ApiError(Exception):
    """An error response decided on by a route: raise it anywhere while handling a request."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        details: Sequence[ErrorDetail] = (),
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.details = list(details)
        self.headers = headers


def error_responses(descriptions: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` documenting these error statuses with the error shape."""
    return {status: {"model": ErrorResponse, "description": text} for status, text in descriptions.items()}


def field_path(location: Iterable[int | str]) -> str:
    """A pydantic location as a path: ("lines", 2, "quantity") → "lines[2].quantity"."""
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path


def field_problems(errors: Iterable[ErrorDetails], *, root: str) -> list[FieldProblem]:
    """Pydantic's errors, one per field, in plain words; `root` names an error on the whole document."""
    return [
        FieldProblem(
            field=field_path(error["loc"]) or root,
            message="is required" if error["type"] == "missing" else error["msg"].removeprefix("Value error, "),
            value=None if _is_secret(error["loc"]) else _shown(error.get("input")),
        )
        for error in errors
    ]


# An error lists this many field problems at most, and counts the rest: a body of 200,000 bad lines
# must not make a response as large.
MAX_LISTED_PROBLEMS = 100


def first_problems(problems: list[FieldProblem], heading: str) -> tuple[list[FieldProblem], str]:
    """The problems to list, and a sentence naming their fields and counting any left out."""
    shown = problems[:MAX_LISTED_PROBLEMS]
    rest = len(problems) - len(shown)
    fields = ", ".join(problem.field for problem in shown)
    return shown, f"{heading}: {fields}" + (f", and {rest} more." if rest else ".")


# Fields whose rejected value an error must not repeat: it would land in client logs and proxies.
_SECRET_FIELDS = frozenset({"password", "new_password", "token", "api_key"})


def _is_secret(location: Iterable[int | str]) -> bool:
    return any(part in _SECRET_FIELDS for part in location if isinstance(part, str))


def install_error_handlers(app: FastAPI) -> None:
    # Starlette types every handler as taking any Exception, not the class it is registered for (starlette#2417).
    app.add_exception_handler(ApiError, _api_error)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    for error_type in _DOMAIN_ERRORS:
        app.add_exception_handler(error_type, _domain_error)
    # Refused, gone, locked, cancelled for running too long, or no pooled connection free in time.
    for unavailable in (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError):
        app.add_exception_handler(unavailable, _database_unavailable)  # type: ignore[arg-type]
    app.add_exception_handler(sa_exc.DBAPIError, _database_error)  # type: ignore[arg-type]
    # Starlette runs this one for any exception left over, outside every other middleware.
    app.add_exception_handler(Exception, _unexpected_error)


# ---------------------------------------------------------------------- translations


def _invoice_unreadable(error: InvoiceUnreadableError) -> ApiError:
    intake = error.intake_error
    problems = [FieldProblem(field=e.field, message=e.message, value=e.value) for e in intake.errors]
    return ApiError(422, "invoice_unreadable", str(error), problems)


def _po_locked(error: POLockedError) -> ApiError:
    return ApiError(
        409,
        "po_locked",
        str(error),
        [
            POLock(
                po_number=error.po_number,
                holding_entry_id=error.holding_entry_id,
                holding_status=error.holding_status,
            )
        ],
    )


def _decision_refused(error: DecisionRefusedError) -> ApiError:
    entry = error.entry
    verdict = EntryVerdict(
        entry_id=entry.id, status=entry.status, rule_set_version=entry.rule_set_version, findings=list(error.findings)
    )
    return ApiError(409, error.code, str(error), [verdict])


_DOMAIN_ERRORS: dict[type[Exception], Callable[[Any], ApiError]] = {
    InvoiceNotFoundError: lambda error: ApiError(404, "invoice_not_found", str(error)),
    InvoiceUnreadableError: _invoice_unreadable,
    POLockedError: _po_locked,
    EntryNotFoundError: lambda error: ApiError(404, "entry_not_found", str(error)),
    IllegalTransitionError: lambda error: ApiError(
        409,
        "illegal_transition",
        str(error),
        [EntryState(entry_id=error.entry_id, current_status=error.current_status)],
    ),
    CallbackConflictError: lambda error: ApiError(
        409, "callback_conflict", str(error), [EntryState(entry_id=error.entry_id, current_status=error.current_status)]
    ),
    EntrySupersededError: lambda error: ApiError(
        409,
        "superseded",
        str(error),
        [EntryState(entry_id=error.entry_id, current_status=EntryStatus.SUPERSEDED)],
    ),
    EarlierVersionDispatchedError: lambda error: ApiError(
        409,
        "earlier_version_dispatched",
        str(error),
        [EntryState(entry_id=error.entry_id, current_status=EntryStatus.DISPATCHED)],
    ),
    NewerVersionKnownError: lambda error: ApiError(409, "superseded", str(error)),
    DecisionRefusedError: _decision_refused,
    NoPayloadError: lambda error: ApiError(409, "no_payload", str(error)),
    InvalidPeriodError: lambda error: ApiError(
        422,
        "invalid_request",
        f"The request has invalid fields: query.{error.field}.",
        [FieldProblem(field=f"query.{error.field}", message=str(error), value=error.value.isoformat())],
    ),
    InvalidCursorError: lambda error: ApiError(
        422,
        "invalid_cursor",
        str(error),
        [FieldProblem(field="query.cursor", message="is not a cursor from this API", value=error.cursor[:100])],
    ),
    AlreadyEnteredError: lambda error: ApiError(
        409,
        "already_entered",
        str(error),
        [
            EnteredAs(
                entry_id=error.entry_id,
                erp_document_id=error.erp_document_id,
                reported_document_id=error.reported_document_id,
            )
        ],
    ),
    NotClaimHolderError: lambda error: ApiError(
        403,
        "not_claim_holder",
        str(error),
        [EntryState(entry_id=error.entry_id, current_status=EntryStatus.DISPATCHED)],
    ),
    DuplicateCheckOutdatedError: lambda error: ApiError(409, "judging_conflict", str(error)),
    VersionTakenError: lambda error: ApiError(409, "judging_conflict", str(error)),
    MailDispatchError: lambda error: ApiError(502, "mail_failed", str(error)),
    PrefectUnavailableError: lambda error: ApiError(
        503, "prefect_unavailable", str(error), headers={"Retry-After": str(PREFECT_RETRY_AFTER_SECONDS)}
    ),
    DeploymentNotFoundError: lambda error: ApiError(404, "deployment_not_found", str(error)),
    UserExistsError: lambda error: ApiError(409, "user_exists", str(error)),
    UserNotFoundError: lambda error: ApiError(404, "user_not_found", str(error)),
    ApiKeyExistsError: lambda error: ApiError(409, "api_key_exists", str(error)),
    ApiKeyNotFoundError: lambda error: ApiError(404, "api_key_not_found", str(error)),
    WeakPasswordError: lambda error: ApiError(
        422, "weak_password", str(error), [FieldProblem(field="password", message=str(error))]
    ),
    # documents
    UnsupportedTypeError: lambda error: ApiError(
        415, "unsupported_type", str(error), [FieldProblem(field="files", message=error.reason, value=error.file_name)]
    ),
    TooLargeError: lambda error: ApiError(
        413, "too_large", str(error), [FieldProblem(field="files", message=error.reason, value=error.file_name)]
    ),
    TooManyFilesError: lambda error: ApiError(
        413, "too_large", str(error), [FieldProblem(field="files", message=str(error))]
    ),
    UploadRefusedError: lambda error: _invalid_field(f"form.{error.field}", error.message),
    CorrectionError: lambda error: _invalid_field(f"body.fields.{error.path}", error.message),
    EngineNotConfiguredError: lambda error: _invalid_field("body.engine", str(error)),
    DocumentNotFoundError: lambda error: ApiError(404, "document_not_found", str(error)),
    DocumentStateError: lambda error: ApiError(409, "document_state", str(error)),
    NoPageImageError: lambda error: ApiError(404, "no_page_image", f"No page image: {error}."),
    PageOutOfRangeError: lambda error: ApiError(
        404, "page_not_found", str(error), [FieldProblem(field="path.page", message=str(error), value=str(error.page))]
    ),
    DocumentIncompleteError: lambda error: ApiError(
        422,
        "document_incomplete",
        str(error),
        [FieldProblem(field=path, message=message) for path, message in error.problems.items()],
    ),
}


def _invalid_field(field: str, message: str) -> ApiError:
    return ApiError(
        422,
        "invalid_request",
        f"The request has invalid fields: {field}.",
        [FieldProblem(field=field, message=message)],
    )


# ---------------------------------------------------------------------- handlers


def error_body(code: str, message: str) -> str:
    """An error as JSON text, for answers sent below FastAPI (the body size limit)."""
    return ErrorResponse(error=ErrorBody(code=code, message=message)).model_dump_json()


def _error_response(
    status_code: int,
    code: str,
    message: str,
    details: Sequence[ErrorDetail] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = ErrorResponse(error=ErrorBody(code=code, message=message, details=list(details)))
    return JSONResponse(_utf8_safe(body.model_dump(mode="json")), status_code=status_code, headers=headers)


async def _api_error(_request: Request, error: ApiError) -> JSONResponse:
    return _error_response(error.status_code, error.code, error.message, error.details, error.headers)


# The domain's and the store's errors that have an answer of their own (pages catch these to show it).
DOMAIN_ERRORS = tuple(_DOMAIN_ERRORS)


def translated(error: Exception) -> ApiError:
    """The answer to one of DOMAIN_ERRORS; the most specific registered type wins, as Starlette
    picks a handler along the MRO."""
    translate = next(_DOMAIN_ERRORS[cls] for cls in type(error).__mro__ if cls in _DOMAIN_ERRORS)
    return translate(error)


async def _domain_error(request: Request, error: Exception) -> JSONResponse:
    return await _api_error(request, translated(error))


async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
    if error.status_code == 400 and error.detail == _UNREADABLE_BODY:
        # A body FastAPI could not decode at all (not UTF-8, nested too deep) is an invalid field like
        # malformed JSON (422 invalid_request), not an undocumented 400.
        problem = FieldProblem(field="body", message=f"is not readable JSON: {error.__cause__ or error.detail}")
        return _error_response(422, "invalid_request", "The request has invalid fields: body.", [problem])
    phrase = HTTPStatus(error.status_code).phrase
    code = phrase.lower().replace(" ", "_").replace("-", "_")
    # Starlette's own errors (unknown route, wrong method) carry only the phrase: say what was asked.
    message = f"{phrase}: {request.method} {request.url.path}" if error.detail == phrase else str(error.detail)
    return _error_response(error.status_code, code, message, headers=error.headers)


async def _invalid_request(_request: Request, error: RequestValidationError) -> JSONResponse:
    problems = field_problems(error.errors(), root="request")
    shown, message = first_problems(problems, "The request has invalid fields")
    return _error_response(422, "invalid_request", message, shown)


# A client may try again this many seconds after a database did not answer.
DATABASE_RETRY_AFTER_SECONDS = 30


def database_unavailable_response(
    message: str = "A database the service needs does not answer; try again shortly.",
) -> JSONResponse:
    return _error_response(
        503, "database_unavailable", message, headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)}
    )


async def _database_unavailable(request: Request, error: sa_exc.SQLAlchemyError) -> JSONResponse:
    """A database that refuses connections, went away, stays locked or does not answer in time is an
    outage to wait out (503), not a bug (500 with a traceback)."""
    cause = getattr(error, "orig", None) or error
    logger.warning("A database did not answer on %s %s: %s", request.method, request.url.path, type(cause).__name__)
    return database_unavailable_response()


async def _database_error(request: Request, error: sa_exc.DBAPIError) -> JSONResponse:
    # Some drivers report a cancelled statement as a plain DBAPI error (MariaDB's max_statement_time).
    if is_statement_timeout(error):
        return await _database_unavailable(request, error)
    return await _unexpected_error(request, error)


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    # The reference ties the client's report to the logged traceback, which stays on the server.
    reference = uuid.uuid4().hex[:12]
    logger.error("Unexpected error %s on %s %s", reference, request.method, request.url.path, exc_info=error)
    return _error_response(
        500, "internal_error", f"Something went wrong on our side; it has been logged under reference {reference}."
    )


def _utf8_safe(document: Any) -> Any:
    """`document` with lone surrogates escaped: JSON lets a client send "\\ud800", errors echo what was
    sent (a rejected value, an unknown field's name), and UTF-8 cannot encode it."""
    if isinstance(document, str):
        return document.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(document, dict):
        return {_utf8_safe(key): _utf8_safe(value) for key, value in document.items()}
    if isinstance(document, list):
        return [_utf8_safe(item) for item in document]
    return document


def _shown(value: object) -> str | None:
    """A rejected scalar as text (at most 100 characters); documents and absent values are not shown."""
    return None if value is None or isinstance(value, dict | list | tuple) else str(value)[:100]
