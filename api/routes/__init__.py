"""One router per resource; `api_router` gathers the versioned ones under /api/v1 (health stays at /health)."""

from fastapi import APIRouter

from api.errors import error_responses
from api.routes import entries, invoices, schemas, validation

api_router = APIRouter(
    prefix="/api/v1",
    responses=error_responses({500: "Unexpected failure (internal_error); logged on the server under the reference given."}),
)
for resource in (invoices, validation, entries, schemas):
    api_router.include_router(resource.router)
