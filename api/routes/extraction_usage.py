"""Extraction usage: what the paid extraction calls cost per provider and model, per day and month,
each engine's time per step, and the share of fields people corrected (AP staff; IT monitors it)."""

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import ServicesDep
from api.security import PersonDep
from api.usage_schemas import ExtractionUsageReport
from services.extraction_usage import Period, usage_report

router = APIRouter(prefix="/extraction", tags=["documents"])


@router.get(
    "/usage",
    response_model=ExtractionUsageReport,
    summary="Extraction cost, calls and tokens per provider and model; step timings; fields corrected",
)
def extraction_usage(
    _person: PersonDep,
    services: ServicesDep,
    period: Annotated[Period, Query(description="UTC: this month so far, last month, or the last 7 or 30 days.")] = (
        "this_month"
    ),
) -> ExtractionUsageReport:
    report = usage_report(services.store, period, services.clock())
    return ExtractionUsageReport.model_validate(report)
