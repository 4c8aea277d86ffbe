"""What extraction costs and how well it reads, for a period: the paid calls per provider and model,
per day and per month; each engine's time per step (p50, p95); and the share of each field people
corrected after an engine read it, the live accuracy signal of the engines."""

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Literal

from connectors.store import ProcessStore
from connectors.store.document_reads import DocumentRecord
from connectors.store.extraction_usage import BucketUsage, ModelUsage

Period = Literal["this_month", "last_month", "7d", "30d"]
PERIODS: dict[Period, str] = {
    "this_month": "This month",
    "last_month": "Last month",
    "7d": "Last 7 days",
    "30d": "Last 30 days",
}
MONTHS_SHOWN = 12
# The timings and corrections are worked out in Python over at most this many documents of the period.
DOCUMENTS_EXAMINED = 5000
_LIST_INDEX = re.compile(r"\[\d+\]")


@dataclass(frozen=True)
class StepTiming:
    engine: str
    step: str
    documents: int
    p50_ms: float
    p95_ms: float


@dataclass(frozen=True)
class FieldCorrections:
    engine: str
    field: str  # list fields without their index: `lines[].unit_price`
    documents: int  # documents the engine read with this field
    corrected: int  # of them, those where a person set another value than the engine read

    @property
    def share(self) -> float:
        return self.corrected / self.documents if self.documents else 0.0


@dataclass(frozen=True)
class UsageReport:
    period: Period
    start: datetime
    end: datetime
    models: list[ModelUsage]
    days: list[BucketUsage]
    months: list[BucketUsage]  # the last MONTHS_SHOWN months, whatever the period
    step_timings: list[StepTiming]
    corrections: list[FieldCorrections]
    documents_examined: int
    documents_capped: bool  # more documents were extracted in the period than were examined


def window_of(period: Period, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) of a period in UTC; this month and the last days end now."""
    month_start = _month_start(now)
    if period == "this_month":
        return month_start, now
    if period == "last_month":
        return _month_start(month_start - timedelta(days=1)), month_start
    return now - timedelta(days=7 if period == "7d" else 30), now


def usage_report(store: ProcessStore, period: Period, now: datetime) -> UsageReport:
    start, end = window_of(period, now)
    usage = store.extraction_usage
    months_from = _month_start(now)
    for _ in range(MONTHS_SHOWN - 1):
        months_from = _month_start(months_from - timedelta(days=1))
    documents = usage.extracted_documents(start, end, limit=DOCUMENTS_EXAMINED + 1)
    examined = documents[:DOCUMENTS_EXAMINED]
    return UsageReport(
        period=period,
        start=start,
        end=end,
        models=usage.by_model(start, end),
        days=usage.by_bucket(start, end, "day"),
        months=usage.by_bucket(months_from, now, "month"),
        step_timings=step_timings(examined),
        corrections=field_corrections(examined),
        documents_examined=len(examined),
        documents_capped=len(documents) > DOCUMENTS_EXAMINED,
    )


def step_timings(documents: Sequence[DocumentRecord]) -> list[StepTiming]:
    """Per engine and step, the median and 95th percentile of the step's time over the documents."""
    times: dict[tuple[str, str], list[float]] = defaultdict(list)
    for document in documents:
        if document.extraction is not None:
            for step, milliseconds in document.extraction.timings_ms.items():
                times[document.extraction.engine.value, step].append(milliseconds)
    return [
        StepTiming(engine, step, len(values), percentile(values, 50), percentile(values, 95))
        for (engine, step), values in sorted(times.items())
    ]


def field_corrections(documents: Sequence[DocumentRecord]) -> list[FieldCorrections]:
    """Per engine and field, the documents read and those a person corrected: a correction to the
    very value the engine read does not count."""
    read: dict[tuple[str, str], int] = defaultdict(int)
    corrected: dict[tuple[str, str], int] = defaultdict(int)
    for document in documents:
        if document.extraction is None:
            continue
        engine = document.extraction.engine.value
        values = {path: found.value for path, found in document.extraction.field_paths().items()}
        changed = {path for path, value in document.corrections.items() if values.get(path) != value}
        for field in {field_of(path) for path in values} | {field_of(path) for path in changed}:
            read[engine, field] += 1
        for field in {field_of(path) for path in changed}:
            corrected[engine, field] += 1
    return [
        FieldCorrections(engine, field, documents=count, corrected=corrected[engine, field])
        for (engine, field), count in sorted(read.items())
    ]


def field_of(path: str) -> str:
    """A field path without list indexes: `lines[3].unit_price` → `lines[].unit_price`."""
    return _LIST_INDEX.sub("[]", path)


def percentile(values: Sequence[float], rank: float) -> float:
    """The nearest-rank percentile: the smallest value at least `rank` % of the values do not exceed."""
    ordered = sorted(values)
    return ordered[max(math.ceil(rank / 100 * len(ordered)), 1) - 1]


def _month_start(moment: datetime) -> datetime:
    return datetime.combine(moment.date().replace(day=1), time(), UTC)
