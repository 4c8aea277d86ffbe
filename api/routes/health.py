"""Is the service able to work: do its three databases answer? Answered within 2 s whatever they do."""

import logging
from collections.abc import Callable
from typing import Annotated

import anyio
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from api.schemas import HealthResponse

router = APIRouter(tags=["health"])
logger = logging.getLogger(__name__)

# Each database gets this long to answer its probe; the three are probed at once.
PROBE_SECONDS = 1.5
# Probe threads per database: a probe of a frozen database never returns, and must not take the
# threads of the requests (or of the next probes) with it.
PROBES_PER_DATABASE = 2


class DatabaseProbes:
    """The databases' health checks, each run in threads of its own, at most PROBE_SECONDS each.

    Made by the app's lifespan (a capacity limiter belongs to one event loop)."""

    def __init__(self, checks: dict[str, Callable[[], None]]) -> None:
        self._checks = checks
        self._threads = {name: anyio.CapacityLimiter(PROBES_PER_DATABASE) for name in checks}

    async def outcomes(self) -> dict[str, str]:
        outcomes: dict[str, str] = {}
        async with anyio.create_task_group() as probes:
            for name in self._checks:
                probes.start_soon(self._probe, name, outcomes)
        return {name: outcomes[name] for name in self._checks}

    async def _probe(self, name: str, outcomes: dict[str, str]) -> None:
        with anyio.move_on_after(PROBE_SECONDS):
            try:
                # Given up on, the thread is left to the engine's timeouts; its limiter keeps such
                # threads few.
                await anyio.to_thread.run_sync(self._checks[name], abandon_on_cancel=True, limiter=self._threads[name])
            except Exception as error:  # any failure means "not answering"; the reason is logged, not published
                logger.warning("Health check of the %s database failed", name, exc_info=error)
                outcomes[name] = f"unavailable ({type(error).__name__})"
            else:
                outcomes[name] = "ok"
            return
        logger.warning("Health check of the %s database: no answer within %s s", name, PROBE_SECONDS)
        outcomes[name] = f"unavailable (no answer within {PROBE_SECONDS:g} s)"


async def get_probes(request: Request) -> DatabaseProbes:
    probes: DatabaseProbes = request.state.database_probes
    return probes


@router.get(
    "/health",
    response_model=HealthResponse,
    summary="Check that the marketplace, ERP and process databases answer",
    responses={503: {"model": HealthResponse, "description": "At least one database does not answer."}},
)
async def health(probes: Annotated[DatabaseProbes, Depends(get_probes)]) -> HealthResponse | JSONResponse:
    checks = await probes.outcomes()
    if all(outcome == "ok" for outcome in checks.values()):
        return HealthResponse(status="ok", checks=checks)
    return JSONResponse(HealthResponse(status="unavailable", checks=checks).model_dump(), status_code=503)
