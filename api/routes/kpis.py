"""The ops dashboard's figures for a period, each with the work queue's query that lists its entries."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ServicesDep
from api.errors import error_responses
from api.security import CallerDep
from services.kpis import Kpis

router = APIRouter(prefix="/kpis", tags=["kpis"])


@router.get(
    "",
    response_model=Kpis,
    summary="The overview of a period: verdicts, backlog, the bot's work, times, amounts, exceptions",
    description="Computed at most every 15 s per period (`now` says as of when); a period ending now ends at that moment.",
    responses=error_responses(
        {422: "from is not before to, the period is over 366 days, or outside 1970..9000 (invalid_request)."}
    ),
)
def get_kpis(
    _caller: CallerDep,
    services: ServicesDep,
    period_from: Annotated[
        datetime | None,
        Query(
            alias="from", description="The period's start (ISO 8601; UTC without a zone). Default: 7 days before to."
        ),
    ] = None,
    period_to: Annotated[
        datetime | None, Query(alias="to", description="The period's end, excluded. Default: now.")
    ] = None,
) -> Kpis:
    return services.kpis.overview((period_from, period_to), lambda _now: (period_from, period_to))
