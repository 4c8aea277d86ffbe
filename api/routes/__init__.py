"""One router per resource; `api_router` gathers the versioned ones under /api/v1 (health stays at /health)."""

from fastapi import APIRouter

from api.errors import error_responses
from api.routes import (
    api_keys,
    auth,
    documents,
    entries,
    extraction_usage,
    flow_runs,
    invoices,
    kpis,
    rpa,
    schemas,
    users,
    validation,
    vendor_invoices,
    webhooks,
)

# Documented on every route that needs credentials (all of /api/v1 but login and the schemas).
AUTH_ERRORS = error_responses(
    {
        401: "No credentials, or an unknown, revoked or expired key or session (not_authenticated).",
        403: "The caller's role may not do this (forbidden).",
    }
)

api_router = APIRouter(
    prefix="/api/v1",
    responses=error_responses(
        {
            422: "The request has invalid fields (invalid_request); details names each one.",
            500: "Unexpected failure (internal_error); logged on the server under the reference given.",
        }
    ),
)
for resource in (
    invoices,
    validation,
    entries,
    documents,
    extraction_usage,
    vendor_invoices,
    kpis,
    rpa,
    users,
    api_keys,
    webhooks,
    flow_runs,
):
    api_router.include_router(resource.router, responses=AUTH_ERRORS)
api_router.include_router(auth.router)  # login is public; its other routes document their 401/403 themselves
api_router.include_router(schemas.router)
