"""The dashboard: server-rendered pages (Jinja2 + htmx) at /, beside the JSON API under /api/v1.
Pages are for people signed in with the session cookie (api.pages.web)."""

from fastapi import APIRouter

from api.pages import (
    admin,
    document_check,
    documents,
    entry,
    extraction_usage,
    flow_runs,
    overview,
    queue,
    sign_in,
    vendor,
)

# Each page module's router carries its full paths (tests walk them: they are not in the OpenAPI schema).
PAGE_ROUTERS = tuple(
    page.router
    for page in (sign_in, overview, queue, entry, documents, document_check, extraction_usage, flow_runs, admin, vendor)
)

pages_router = APIRouter(include_in_schema=False)
for page_router in PAGE_ROUTERS:
    pages_router.include_router(page_router)
