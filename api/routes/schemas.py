"""Published JSON Schemas that integrators code against."""

from typing import Any

from fastapi import APIRouter

from domain.payload_schema import RPA_PAYLOAD_SCHEMA

router = APIRouter(prefix="/schemas", tags=["schemas"])


# Async: served on the event loop, it never waits for a thread that a stuck database holds.
@router.get("/rpa-payload", summary="JSON Schema of the payload the RPA bot receives")
async def rpa_payload_schema() -> dict[str, Any]:
    """Draft 2020-12. Every payload is checked against this very document before it is stored."""
    return RPA_PAYLOAD_SCHEMA
