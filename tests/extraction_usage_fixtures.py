"""Extracted documents and their paid calls recorded the way a run records them (claim, then finish
with the extraction and its calls), at moments a FakeClock decides; people's corrections after."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from connectors.store import ProcessStore
from connectors.store.documents import NewDocument
from domain.documents import (
    DocumentStatus,
    Engine,
    ExtractedField,
    ExtractedLine,
    Extraction,
    ProviderCall,
)
from tests.fakes import FakeClock

# "now" of the usage tests: the 10th of December, so "this month" is 1–10 December.
NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=10)


def call(
    provider: Engine,
    model: str,
    *,
    tokens: tuple[int, int] = (0, 0),
    cost: str | None = None,
    ok: bool = True,
) -> ProviderCall:
    return ProviderCall(
        provider=provider,
        model=model,
        input_tokens=tokens[0],
        output_tokens=tokens[1],
        cost=None if cost is None else Decimal(cost),
        latency_ms=800.0,
        ok=ok,
        error=None if ok else "HTTP 503",
    )


@dataclass(frozen=True)
class Extracted:
    """One document as an engine read it: header fields, line unit prices, step timings, calls."""

    engine: Engine
    fields: Mapping[str, str] = field(default_factory=dict)
    unit_prices: Sequence[str] = ()
    timings_ms: Mapping[str, float] = field(default_factory=dict)
    calls: Sequence[ProviderCall] = ()

    def extraction(self) -> Extraction:
        return Extraction(
            engine=self.engine,
            engine_reason="test",
            pages=1,
            fields={name: ExtractedField(value=value, confidence=0.95) for name, value in self.fields.items()},
            lines=tuple(
                ExtractedLine(unit_price=ExtractedField(value=price, confidence=0.95)) for price in self.unit_prices
            ),
            timings_ms=dict(self.timings_ms),
            calls=tuple(self.calls),
        )


def record_extracted(store: ProcessStore, clock: FakeClock, number: int, at: datetime, read: Extracted) -> int:
    """Upload document `number` and have a run extract it at `at`; its id."""
    clock.now = at
    added = store.documents.add(
        NewDocument(
            sha256=f"{number:064x}",
            dedupe_scope="ap",
            kind="pdf",
            file_name=f"invoice-{number}.pdf",
            size=1000,
            purpose="invoice",
            status=DocumentStatus.QUEUED,
            pages=1,
            vendor_id="V1",
            po_number=None,
            note=None,
        ),
        actor="user:cleo",
    )
    [claimed] = store.document_runs.claim(f"run-{number}", limit=1, lease=LEASE, max_attempts=3, actor="flow:t")
    assert claimed.id == added.document.id
    finished = store.document_runs.finish(
        claimed.id,
        f"run-{number}",
        status=DocumentStatus.EXTRACTED,
        reason=None,
        extraction=read.extraction(),
        calls=read.calls,
        actor="flow:t",
    )
    assert finished
    return claimed.id


GEMINI = "gemini-2.5-flash"
GPT = "gpt-4.1-mini"


def record_usage_scenario(store: ProcessStore, clock: FakeClock) -> dict[str, int]:
    """Five extracted documents, four of them this month, and people's corrections of two:

    - gemini (2 Dec): calls ok 1000/200 tokens 0.0125, failed (no price); total and a line's
      unit price corrected, currency corrected and then set back to what was read
    - gemini (5 Dec): call ok 3000/500 tokens 0.0300; nothing corrected
    - text_layer (5 Dec): no calls; its total corrected to the value it read (does not count)
    - openai (6 Dec): call ok 500/100 tokens, no price configured
    - gemini (20 Nov): call ok 100/10 tokens 0.0100 — last month
    """
    ids = {
        "gemini_a": record_extracted(
            store,
            clock,
            1,
            datetime(2026, 12, 2, 9, tzinfo=UTC),
            Extracted(
                Engine.GEMINI,
                {"total": "24.60", "currency": "USD"},
                unit_prices=("10.00", "4.60"),
                timings_ms={"read": 10, "provider": 1000},
                calls=(
                    call(Engine.GEMINI, GEMINI, tokens=(1000, 200), cost="0.0125"),
                    call(Engine.GEMINI, GEMINI, ok=False),
                ),
            ),
        ),
        "gemini_b": record_extracted(
            store,
            clock,
            2,
            datetime(2026, 12, 5, 9, tzinfo=UTC),
            Extracted(
                Engine.GEMINI,
                {"total": "99.00", "currency": "EUR"},
                timings_ms={"read": 30, "provider": 3000},
                calls=(call(Engine.GEMINI, GEMINI, tokens=(3000, 500), cost="0.0300"),),
            ),
        ),
        "text_layer": record_extracted(
            store,
            clock,
            3,
            datetime(2026, 12, 5, 23, 59, tzinfo=UTC),
            Extracted(Engine.TEXT_LAYER, {"total": "5.00"}, timings_ms={"read": 5, "parse": 20}),
        ),
        "openai": record_extracted(
            store,
            clock,
            4,
            datetime(2026, 12, 6, 0, 1, tzinfo=UTC),
            Extracted(
                Engine.OPENAI,
                {"total": "7.00"},
                timings_ms={"provider": 500},
                calls=(call(Engine.OPENAI, GPT, tokens=(500, 100)),),
            ),
        ),
        "november": record_extracted(
            store,
            clock,
            5,
            datetime(2026, 11, 20, 9, tzinfo=UTC),
            Extracted(
                Engine.GEMINI,
                {"total": "1.00"},
                timings_ms={"provider": 90_000},
                calls=(call(Engine.GEMINI, GEMINI, tokens=(100, 10), cost="0.0100"),),
            ),
        ),
    }
    clock.now = NOW
    documents = store.documents
    documents.correct(
        ids["gemini_a"], {"total": "25.60", "lines[1].unit_price": "5.00", "currency": "EUR"}, actor="user:cleo"
    )
    documents.correct(ids["gemini_a"], {"currency": "USD"}, actor="user:cleo")  # back to what was read
    documents.correct(ids["text_layer"], {"total": "5.50"}, actor="user:cleo")
    documents.correct(ids["text_layer"], {"total": "5.00"}, actor="user:cleo")
    return ids
