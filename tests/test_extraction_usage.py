"""What extraction costs and how well it reads, on SQLite, PostgreSQL and MariaDB: the paid calls
summed per provider and model and per day and month, exactly; the step timings' p50 and p95; the
share of fields people corrected; and the documents list's filters and pages."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from connectors.store import ProcessStore
from domain.documents import DocumentStatus, Engine
from services.extraction_usage import field_of, percentile, usage_report, window_of
from tests.extraction_usage_fixtures import GEMINI, GPT, NOW, record_usage_scenario
from tests.fakes import FakeClock


def test_calls_are_summed_per_model_day_and_month_with_no_price_kept_apart(
    clocked_store: ProcessStore, clock: FakeClock
) -> None:
    record_usage_scenario(clocked_store, clock)

    report = usage_report(clocked_store, "this_month", NOW)

    assert (report.start, report.end) == (datetime(2026, 12, 1, tzinfo=UTC), NOW)
    gemini, openai = report.models
    assert (gemini.provider, gemini.model, openai.provider, openai.model) == ("gemini", GEMINI, "openai", GPT)
    assert (gemini.ok_calls, gemini.failed_calls, gemini.input_tokens, gemini.output_tokens) == (2, 1, 4000, 700)
    assert (gemini.cost, gemini.unpriced_calls, gemini.documents) == (Decimal("0.0425"), 1, 2)
    assert gemini.cost_per_document == Decimal("0.0213")  # 0.02125, half up to the money quantum
    assert (openai.ok_calls, openai.cost, openai.unpriced_calls, openai.cost_per_document) == (1, None, 1, None)

    days = {day.start.date().isoformat(): day for day in report.days}
    assert list(days) == ["2026-12-02", "2026-12-05", "2026-12-06"]
    assert (days["2026-12-02"].ok_calls, days["2026-12-02"].failed_calls, days["2026-12-02"].cost) == (
        1,
        1,
        Decimal("0.0125"),
    )
    assert (days["2026-12-05"].cost, days["2026-12-06"].cost, days["2026-12-06"].input_tokens) == (
        Decimal("0.0300"),
        None,
        500,
    )
    months = {month.start.strftime("%Y-%m"): month for month in report.months}
    assert list(months) == ["2026-11", "2026-12"]
    assert (months["2026-11"].cost, months["2026-11"].ok_calls) == (Decimal("0.0100"), 1)
    assert (months["2026-12"].cost, months["2026-12"].ok_calls + months["2026-12"].failed_calls) == (
        Decimal("0.0425"),
        4,
    )
    assert months["2026-12"].unpriced_calls == 2

    last_month = usage_report(clocked_store, "last_month", NOW)
    assert [(m.model, m.cost, m.documents) for m in last_month.models] == [(GEMINI, Decimal("0.0100"), 1)]


def test_step_timings_and_corrected_shares_cover_the_documents_extracted_in_the_period(
    clocked_store: ProcessStore, clock: FakeClock
) -> None:
    record_usage_scenario(clocked_store, clock)

    report = usage_report(clocked_store, "this_month", NOW)

    timings = {(t.engine, t.step): (t.documents, t.p50_ms, t.p95_ms) for t in report.step_timings}
    assert timings == {
        ("gemini", "provider"): (2, 1000, 3000),  # November's 90 s is not in this month
        ("gemini", "read"): (2, 10, 30),
        ("openai", "provider"): (1, 500, 500),
        ("text_layer", "parse"): (1, 20, 20),
        ("text_layer", "read"): (1, 5, 5),
    }
    shares = {(c.engine, c.field): (c.documents, c.corrected) for c in report.corrections}
    assert shares[("gemini", "total")] == (2, 1)
    assert shares[("gemini", "currency")] == (2, 0)  # corrected back to the value read: not a correction
    assert shares[("gemini", "lines[].unit_price")] == (1, 1)
    assert shares[("text_layer", "total")] == (1, 0)
    assert shares[("openai", "total")] == (1, 0)
    gemini_total = next(c for c in report.corrections if (c.engine, c.field) == ("gemini", "total"))
    assert gemini_total.share == 0.5
    assert report.documents_examined == 4 and not report.documents_capped


def test_the_documents_list_filters_by_engine_and_uploader_and_pages_by_id(
    clocked_store: ProcessStore, clock: FakeClock
) -> None:
    ids = record_usage_scenario(clocked_store, clock)
    documents = clocked_store.documents

    assert [d.id for d in documents.page(engine=Engine.GEMINI)] == sorted(
        [ids["gemini_a"], ids["gemini_b"], ids["november"]], reverse=True
    )
    assert [d.id for d in documents.page(engine=Engine.GEMINI, before_id=ids["gemini_b"], limit=5)] == [ids["gemini_a"]]
    assert len(documents.page(uploaded_by="user:cleo")) == 5
    assert documents.page(uploaded_by="user:someone-else") == []
    assert len(documents.page(status=DocumentStatus.EXTRACTED, invoice_files_only=True, limit=2)) == 2
    assert documents.children_of([ids["gemini_a"]]) == [] and documents.children_of([]) == []


def test_the_periods_and_the_nearest_rank_percentile() -> None:
    assert window_of("last_month", NOW) == (datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    assert window_of("7d", NOW) == (datetime(2026, 12, 3, 12, tzinfo=UTC), NOW)
    assert window_of("last_month", datetime(2026, 1, 5, tzinfo=UTC))[0] == datetime(2025, 12, 1, tzinfo=UTC)
    values = [float(n) for n in range(20, 0, -1)]
    assert (percentile(values, 50), percentile(values, 95), percentile([7.0], 95)) == (10.0, 19.0, 7.0)
    assert (
        field_of("lines[12].unit_price") == "lines[].unit_price" and field_of("charges[0].amount") == "charges[].amount"
    )


@pytest.mark.parametrize("period", ["7d", "30d", "this_month", "last_month"])
def test_an_empty_period_has_no_figures_rather_than_zeros(store: ProcessStore, period: str) -> None:
    report = usage_report(store, period, NOW)  # type: ignore[arg-type]
    assert (report.models, report.days, report.step_timings, report.corrections) == ([], [], [], [])
