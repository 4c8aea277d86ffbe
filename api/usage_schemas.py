"""What `GET /api/v1/extraction/usage` answers: the paid extraction calls of a period and how the
engines read, for IT's monitoring (built from services.extraction_usage.UsageReport)."""

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from services.extraction_usage import Period


class _FromReport(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class CallTotalsView(_FromReport):
    ok_calls: int
    failed_calls: int
    input_tokens: int
    output_tokens: int
    cost: Decimal | None = Field(description="Null when no call had a price configured for its model (not 0).")
    unpriced_calls: int = Field(description="Calls whose model has no price configured: not in `cost`.")


class ModelUsageView(CallTotalsView):
    provider: str
    model: str
    documents: int = Field(description="Distinct documents the calls were for.")
    cost_per_document: Decimal | None


class BucketUsageView(CallTotalsView):
    start: datetime = Field(description="The first moment of the UTC day or month.")


class StepTimingView(_FromReport):
    engine: str
    step: str = Field(description="An engine step of the extraction's timings_ms: read, parse, ocr, provider…")
    documents: int
    p50_ms: float = Field(description="Nearest-rank median over the documents extracted in the period.")
    p95_ms: float


class FieldCorrectionsView(_FromReport):
    engine: str
    field: str = Field(description="A field path, list indexes left out: `total`, `lines[].unit_price`.")
    documents: int = Field(description="Documents the engine read in the period that have this field.")
    corrected: int = Field(description="Of them, those where a person set a value other than the one read.")
    share: float = Field(description="corrected ÷ documents, 0 to 1.")


class ExtractionUsageReport(_FromReport):
    period: Period
    start: datetime
    end: datetime
    models: list[ModelUsageView]
    days: list[BucketUsageView]
    months: list[BucketUsageView] = Field(description="The last 12 months, whatever the period.")
    step_timings: list[StepTimingView]
    corrections: list[FieldCorrectionsView]
    documents_examined: int
    documents_capped: bool = Field(description="True: more documents than examined were extracted in the period.")
