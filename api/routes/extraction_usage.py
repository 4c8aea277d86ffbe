"""Extraction usage: what the paid extraction calls cost per provider and model, per day and month,
each engine's time per step, and the share of fields people corrected (AP staff; IT monitors it)."""

from fastapi import APIRouter

from api.deps import ServicesDep
from api.security import PersonDep
from api.usage_schemas import ExtractionUsage
from services.extraction_usage import Period, usage_report

router = APIRouter(prefix="/extraction", tags=["documents"])


@router.get(
    "/usage",
    response_model=ExtractionUsage,
    summary="Extraction cost, calls and tokens per provider and model; step timings; fields corrected",
)
def extraction_usage(_person: PersonDep, services: ServicesDep, period: Period = "this_month") -> ExtractionUsage:
    report = usage_report(services.store, period, services.clock())
    return ExtractionUsage.model_validate(report)
