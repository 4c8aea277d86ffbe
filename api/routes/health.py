"""Is the service able to work: do its three databases answer?"""

import logging
from collections.abc import Callable

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import ServicesDep
from api.schemas import HealthResponse

router = APIRouter(tags=["health"])
logger = logging.getLogger(__name__)


@router.get(
    "/health",
    response_model=HealthResponse,
    summary="Check that the marketplace, ERP and process databases answer",
    responses={503: {"model": HealthResponse, "description": "At least one database does not answer."}},
)
def health(services: ServicesDep) -> HealthResponse | JSONResponse:
    checks = {name: _outcome(name, check) for name, check in services.health_checks().items()}
    if all(outcome == "ok" for outcome in checks.values()):
        return HealthResponse(status="ok", checks=checks)
    return JSONResponse(HealthResponse(status="unavailable", checks=checks).model_dump(), status_code=503)


def _outcome(name: str, check: Callable[[], None]) -> str:
    try:
        check()
    except Exception as error:  # any failure means "not answering"; the reason is logged, not published
        logger.warning("Health check of the %s database failed", name, exc_info=error)
        return f"unavailable ({type(error).__name__})"
    return "ok"
