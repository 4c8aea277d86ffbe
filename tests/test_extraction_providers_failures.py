"""Providers failing: retries and their waits, errors without retry, unusable answers, values checked."""

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
import respx
from pydantic import ValidationError

from connectors.extraction.providers import INVOICE_SCHEMA, ProviderConfig, ProviderError, ProviderPrices
from connectors.extraction.providers.base import Usage
from connectors.extraction.providers.values import check_value, printed_amount
from domain.documents import HEADER_FIELDS, LINE_FIELDS, DocumentKind, Engine, ExtractedField
from tests.provider_responses import (
    AZURE_UNAUTHORIZED,
    GEMINI_RATE_LIMITED,
    LLM_ANSWER,
    OPENAI_RATE_LIMITED,
    OPENAI_UNAUTHORIZED,
    gemini_response,
    openai_response,
)
from tests.provider_samples import (
    AZURE_ANALYZE,
    GEMINI_GENERATE,
    OPENAI_COMPLETIONS,
    FakeTime,
    azure_config,
    gemini_config,
    openai_config,
    pdf_document,
    run,
)

ANSWER = json.dumps(LLM_ANSWER)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mocked:
        yield mocked


def run_openai(fake_time: FakeTime, **changes: Any) -> Any:
    return run(openai_config(**changes), pdf_document(), DocumentKind.PDF, fake_time, text="RECHNUNG")


# --- retries -----------------------------------------------------------------------------------


def test_a_429_is_retried_after_the_wait_it_asks_for(router: respx.MockRouter, fake_time: FakeTime) -> None:
    route = router.post(OPENAI_COMPLETIONS).mock(
        side_effect=[
            httpx.Response(429, json=OPENAI_RATE_LIMITED, headers={"retry-after": "20"}),
            httpx.Response(200, json=openai_response(ANSWER)),
        ]
    )

    extraction = run_openai(fake_time, timeout_seconds=30)

    assert route.call_count == 2
    assert fake_time.sleeps == [20.0]
    assert extraction.calls[0].ok and extraction.calls[0].latency_ms == 20000.0


def test_gemini_429_waits_its_retry_info_delay(router: respx.MockRouter, fake_time: FakeTime) -> None:
    router.post(GEMINI_GENERATE).mock(
        side_effect=[httpx.Response(429, json=GEMINI_RATE_LIMITED), httpx.Response(200, json=gemini_response(ANSWER))]
    )

    extraction = run(gemini_config(), pdf_document(), DocumentKind.PDF, fake_time)

    assert fake_time.sleeps == [7.0]
    assert extraction.field("invoice_number").value == "RE-2026-0042"


def test_server_errors_back_off_exponentially_then_fail_with_the_attempts(
    router: respx.MockRouter, fake_time: FakeTime
) -> None:
    route = router.post(OPENAI_COMPLETIONS).mock(
        return_value=httpx.Response(500, json={"error": {"message": "The server had an error", "type": "server_error"}})
    )

    with pytest.raises(ProviderError) as raised:
        run_openai(fake_time, backoff_seconds=0.5)

    assert route.call_count == 3
    assert fake_time.sleeps == [0.5, 1.0]
    assert raised.value.attempts == 3
    call = raised.value.call
    assert (call.ok, call.provider, call.model, call.input_tokens, call.cost) == (
        False,
        Engine.OPENAI,
        "gpt-4o-2024-08-06",
        0,
        Decimal(0),
    )
    assert call.error == "HTTP 500: The server had an error (after 3 attempts)"
    assert call.latency_ms == 1500.0


def test_a_connect_error_then_a_503_are_retried_until_an_answer(router: respx.MockRouter, fake_time: FakeTime) -> None:
    router.post(GEMINI_GENERATE).mock(
        side_effect=[
            httpx.ConnectError("connection refused"),
            httpx.Response(
                503, json={"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}}
            ),
            httpx.Response(200, json=gemini_response(ANSWER)),
        ]
    )

    extraction = run(gemini_config(max_attempts=3), pdf_document(), DocumentKind.PDF, fake_time)

    assert fake_time.sleeps == [1.0, 2.0]
    assert extraction.calls[0].ok


def test_timeouts_are_retried_then_a_provider_error(router: respx.MockRouter, fake_time: FakeTime) -> None:
    route = router.post(AZURE_ANALYZE).mock(side_effect=httpx.ReadTimeout("read timed out"))

    with pytest.raises(ProviderError, match=r"timed out after 20 s \(ReadTimeout\) \(after 2 attempts\)") as raised:
        run(azure_config(timeout_seconds=20, max_attempts=2), pdf_document(), DocumentKind.PDF, fake_time)

    assert route.call_count == 2
    assert raised.value.call.cost == Decimal(0)  # nothing analysed, nothing billed


def test_a_401_is_not_retried(router: respx.MockRouter, fake_time: FakeTime) -> None:
    route = router.post(AZURE_ANALYZE).mock(return_value=httpx.Response(401, json=AZURE_UNAUTHORIZED))

    with pytest.raises(ProviderError, match="HTTP 401: Access denied due to invalid subscription key") as raised:
        run(azure_config(), pdf_document(), DocumentKind.PDF, fake_time)

    assert (route.call_count, raised.value.attempts, fake_time.sleeps) == (1, 1, [])
    assert "azure-key-1" not in str(raised.value)


def test_an_openai_401_is_not_retried(router: respx.MockRouter, fake_time: FakeTime) -> None:
    route = router.post(OPENAI_COMPLETIONS).mock(return_value=httpx.Response(401, json=OPENAI_UNAUTHORIZED))

    with pytest.raises(ProviderError, match="HTTP 401: Incorrect API key provided"):
        run_openai(fake_time)
    assert route.call_count == 1


def test_a_wait_longer_than_the_timeout_fails_at_once(router: respx.MockRouter, fake_time: FakeTime) -> None:
    route = router.post(OPENAI_COMPLETIONS).mock(
        return_value=httpx.Response(429, json=OPENAI_RATE_LIMITED, headers={"retry-after": "3600"})
    )

    with pytest.raises(ProviderError, match="asked to wait 3600 s, more than the 60 s timeout"):
        run_openai(fake_time)
    assert (route.call_count, fake_time.sleeps) == (1, [])


# --- unusable answers --------------------------------------------------------------------------


def test_an_answer_that_is_not_json_fails_and_still_records_its_tokens(
    router: respx.MockRouter, fake_time: FakeTime
) -> None:
    router.post(OPENAI_COMPLETIONS).mock(
        return_value=httpx.Response(200, json=openai_response("Here is the invoice: {invoice_number: RE-1"))
    )

    with pytest.raises(ProviderError, match="the model's answer is not JSON") as raised:
        run_openai(fake_time)
    call = raised.value.call
    assert (call.input_tokens, call.output_tokens, call.cost) == (1117, 246, Decimal("0.0052525"))


@pytest.mark.parametrize(
    ("content", "refusal", "error"),
    [
        ("[]", None, "the model's answer is a JSON list, not an object"),
        (None, "I can't help with that request.", "the model refused: I can't help with that request."),
        ("", None, "the answer has no content"),
    ],
)
def test_answers_without_an_invoice_object_fail(
    router: respx.MockRouter, fake_time: FakeTime, content: str | None, refusal: str | None, error: str
) -> None:
    router.post(OPENAI_COMPLETIONS).mock(
        return_value=httpx.Response(200, json=openai_response(content, refusal=refusal))
    )

    with pytest.raises(ProviderError) as raised:
        run_openai(fake_time)
    assert raised.value.call.error == error


def test_a_response_that_is_not_json_fails(router: respx.MockRouter, fake_time: FakeTime) -> None:
    router.post(GEMINI_GENERATE).mock(return_value=httpx.Response(200, text="<html>proxy error</html>"))

    with pytest.raises(ProviderError, match="the response is not JSON"):
        run(gemini_config(), pdf_document(), DocumentKind.PDF, fake_time)


def test_values_against_the_schema_are_left_empty_with_a_note(router: respx.MockRouter, fake_time: FakeTime) -> None:
    answer = dict(LLM_ANSWER)
    answer |= {"issue_date": "02.03.2026", "total": "1.212,31", "currency": "Euro", "subtotal": 1018.75}
    answer["seller"] = {"name": ["Muster GmbH"], "vat_id": None}
    del answer["po_number"]
    answer["lines"] = [{"description": "Montage", "quantity": "1,5"}, "Dichtungssatz"]
    router.post(OPENAI_COMPLETIONS).mock(return_value=httpx.Response(200, json=openai_response(json.dumps(answer))))

    extraction = run_openai(fake_time)

    assert extraction.field("issue_date") == ExtractedField()
    assert extraction.field("total") == ExtractedField()
    assert extraction.field("subtotal").value == "1018.75"  # a JSON number, read as a Decimal: exact
    assert extraction.field("invoice_number").value == "RE-2026-0042"
    assert [line.description.value for line in extraction.lines] == ["Montage"]
    assert extraction.lines[0].quantity == ExtractedField()
    assert extraction.notes == (
        "issue_date: '02.03.2026' is not an ISO date (YYYY-MM-DD); left empty",
        "currency: 'Euro' is not an ISO 4217 currency code; left empty",
        "seller.name: ['Muster GmbH'] is not text; left empty",
        "po_number: missing from the answer",
        "total: '1.212,31' is not a plain decimal number; left empty",
        "lines[0].quantity: '1,5' is not a plain decimal number; left empty",
        "lines[1]: not an object; skipped",
    )


def test_a_pdf_without_its_text_is_not_sent_to_a_text_endpoint(router: respx.MockRouter, fake_time: FakeTime) -> None:
    route = router.post(OPENAI_COMPLETIONS)

    with pytest.raises(ProviderError, match="no text of the pdf to send") as raised:
        run(openai_config(), pdf_document(), DocumentKind.PDF, fake_time, text="  ")

    assert (route.call_count, raised.value.attempts, raised.value.call.latency_ms) == (0, 0, 0.0)


# --- configuration, prices, schema, values -----------------------------------------------------


def test_only_cloud_and_llm_engines_are_providers() -> None:
    with pytest.raises(ValidationError, match="not a cloud or LLM engine"):
        ProviderConfig(engine=Engine.OCR, base_url="http://localhost", model="x")


def test_cost_is_exact_and_absent_without_prices(router: respx.MockRouter, fake_time: FakeTime) -> None:
    router.post(OPENAI_COMPLETIONS).mock(return_value=httpx.Response(200, json=openai_response(ANSWER)))

    extraction = run_openai(fake_time, prices=ProviderPrices())

    assert extraction.calls[0].cost is None and extraction.cost is None
    assert ProviderPrices(per_page=Decimal("0.01")).cost(Usage(pages=3)) == Decimal("0.03")


def test_the_schema_is_strict_everywhere_and_covers_every_field() -> None:
    def objects(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
        if schema.get("type") == "object":
            yield schema
            for child in schema["properties"].values():
                yield from objects(child)
        elif schema.get("type") == "array":
            yield from objects(schema["items"])

    for found in objects(INVOICE_SCHEMA):
        assert found["required"] == list(found["properties"]) and found["additionalProperties"] is False
    properties = INVOICE_SCHEMA["properties"]
    flat = [name for name in properties if name not in ("seller", "buyer", "lines")]
    flat += [f"seller_{name}" for name in properties["seller"]["properties"]]
    flat += [f"buyer_{name}" for name in properties["buyer"]["properties"]]
    assert sorted(flat) == sorted(HEADER_FIELDS)
    assert tuple(properties["lines"]["items"]["properties"]) == LINE_FIELDS


@pytest.mark.parametrize(
    ("amount", "printed", "expected"),
    [
        ("110", "$110.00", "110.00"),
        ("1212.31", "1.212,31 €", "1212.31"),
        ("1234", "1.234", "1234"),
        ("0.5", "0,50", "0.50"),
        ("-12.5", "(12.50)", "-12.50"),
        ("12027.4", None, "12027.4"),
        ("12.345", "12,35", "12.345"),  # the printed text disagrees: the number stands
    ],
)
def test_printed_amount_keeps_the_printed_decimals(amount: str, printed: str | None, expected: str) -> None:
    assert printed_amount(Decimal(amount), printed) == expected


@pytest.mark.parametrize(
    ("name", "raw", "value"),
    [
        ("issue_date", "2026-02-30", None),
        ("issue_date", " 2026-02-28 ", "2026-02-28"),
        ("total", "-0.50", "-0.50"),
        ("total", "1e3", None),
        ("total", True, None),
        ("quantity", 3, "3"),
        ("currency", "usd", "USD"),
        ("seller_name", "  Muster \n GmbH ", "Muster GmbH"),
        ("seller_name", "   ", None),
    ],
)
def test_check_value(name: str, raw: Any, value: str | None) -> None:
    assert check_value(name, name, raw).value == value
