"""`ExtractionUsage`: what extraction costs and how it reads, for the extraction usage page and its
API: the paid calls (`extraction_calls`) summed per provider and model and per day or month, and the
documents extracted in a window with what was read and what people corrected.

Each method is one read transaction. A cost is NULL for a call whose model has no price configured:
a sum over such calls only is None ("no price"), never 0.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from sqlalchemy import func, select, true

from connectors.store.base import StorePart, how_many
from connectors.store.column_types import MONEY_QUANTUM
from connectors.store.document_reads import DocumentRecord, document_query
from connectors.store.document_tables import DocumentEventRow, DocumentRow, ExtractionCallRow
from connectors.store.time_buckets import bucket_start, day_of, month_of
from domain.documents import DocumentStatus

Bucket = Literal["day", "month"]
_READ = (DocumentStatus.EXTRACTED.value, DocumentStatus.NEEDS_REVIEW.value)


@dataclass(frozen=True)
class CallTotals:
    """Calls summed: how many succeeded and failed, their tokens and cost."""

    ok_calls: int
    failed_calls: int
    input_tokens: int
    output_tokens: int
    cost: Decimal | None  # None: no call of these had a price
    unpriced_calls: int  # calls whose model has no price configured


@dataclass(frozen=True)
class ModelUsage(CallTotals):
    provider: str
    model: str
    documents: int  # distinct documents these calls were for

    @property
    def cost_per_document(self) -> Decimal | None:
        if self.cost is None or not self.documents:
            return None
        return (self.cost / self.documents).quantize(MONEY_QUANTUM, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class BucketUsage(CallTotals):
    start: datetime  # the first moment of the UTC day or month


class ExtractionUsage(StorePart):
    def by_model(self, start: datetime, end: datetime) -> list[ModelUsage]:
        """The calls made in [start, end) per provider and model, by provider then model."""
        query = (
            select(
                ExtractionCallRow.provider,
                ExtractionCallRow.model,
                *_totals(),
                func.count(func.distinct(ExtractionCallRow.document_id)),
            )
            .where(*_within(start, end))
            .group_by(ExtractionCallRow.provider, ExtractionCallRow.model)
            .order_by(ExtractionCallRow.provider, ExtractionCallRow.model)
        )
        with self._reading() as session:
            rows = session.execute(query).tuples().all()
        return [
            ModelUsage(provider=provider, model=model, **_totals_of(totals), documents=int(documents))
            for provider, model, *totals, documents in rows
        ]

    def by_bucket(self, start: datetime, end: datetime, bucket: Bucket) -> list[BucketUsage]:
        """The calls made in [start, end) per UTC day or month that had any, oldest first."""
        column = (day_of if bucket == "day" else month_of)(ExtractionCallRow.occurred_at)
        query = select(column, *_totals()).where(*_within(start, end)).group_by(column).order_by(column)
        with self._reading() as session:
            rows = session.execute(query).tuples().all()
        return [BucketUsage(start=bucket_start(key), **_totals_of(totals)) for key, *totals in rows]

    def extracted_documents(self, start: datetime, end: datetime, *, limit: int) -> list[DocumentRecord]:
        """Documents an extraction run finished reading in [start, end) (extracted or needs_review)
        that still hold what it read, the newest `limit` of them."""
        finished = select(DocumentEventRow.document_id).where(
            DocumentEventRow.from_status == DocumentStatus.EXTRACTING.value,
            DocumentEventRow.to_status.in_(_READ),
            DocumentEventRow.occurred_at >= start,
            DocumentEventRow.occurred_at < end,
        )
        query = (
            document_query()
            .where(DocumentRow.id.in_(finished), DocumentRow.extraction.is_not(None))
            .order_by(DocumentRow.id.desc())
            .limit(limit)
        )
        with self._reading() as session:
            return [DocumentRecord.from_row(row) for row in session.scalars(query)]


def _within(start: datetime, end: datetime) -> list[Any]:
    return [ExtractionCallRow.occurred_at >= start, ExtractionCallRow.occurred_at < end]


def _totals() -> list[Any]:
    return [
        how_many(ExtractionCallRow.ok == true()),
        how_many(ExtractionCallRow.ok != true()),
        func.coalesce(func.sum(ExtractionCallRow.input_tokens), 0),
        func.coalesce(func.sum(ExtractionCallRow.output_tokens), 0),
        func.sum(ExtractionCallRow.cost),  # typed as the column: exact on SQLite too (column_types)
        how_many(ExtractionCallRow.cost.is_(None)),
    ]


def _totals_of(values: list[Any]) -> dict[str, Any]:
    ok, failed, input_tokens, output_tokens, cost, unpriced = values
    return {
        "ok_calls": int(ok),
        "failed_calls": int(failed),
        "input_tokens": int(input_tokens),
        "output_tokens": int(output_tokens),
        "cost": None if cost is None else Decimal(cost),
        "unpriced_calls": int(unpriced),
    }
