"""Each provider's exact request, and its documented answer mapped to the whole Extraction (respx)."""

import base64
import json
from collections.abc import Iterator
from decimal import Decimal

import httpx
import pytest
import respx

from connectors.extraction.providers import ProviderError
from connectors.extraction.providers.invoice_schema import INSTRUCTIONS, INVOICE_SCHEMA
from domain.documents import Box, DocumentKind, Engine, ExtractedField, ExtractedLine, Extraction, ProviderCall
from tests.provider_responses import (
    AZURE_FAILED,
    AZURE_RESULT_URL,
    AZURE_RUNNING,
    LLM_ANSWER,
    azure_invoice_result,
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
    image_document,
    openai_config,
    pdf_document,
    run,
    sent_json,
)


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mocked:
        yield mocked


# --- Azure Document Intelligence ------------------------------------------------------------


def azure_box(x0: float, y0: float, x1: float, y1: float) -> Box:
    return Box(page=1, x0=x0 / 8.5, y0=y0 / 11, x1=x1 / 8.5, y1=y1 / 11)


def azure_line(
    description: str, code: str, quantity: str, unit: str, price: str, amount: str, y: float
) -> ExtractedLine:
    def at(x0: float, x1: float) -> Box:
        return azure_box(x0, y, x1, y + 0.15)

    return ExtractedLine(
        description=ExtractedField(value=description, confidence=0.91, box=at(1.0, 3.5)),
        part_number=ExtractedField(value=code, confidence=0.88, box=at(0.5, 0.95)),
        quantity=ExtractedField(value=quantity, confidence=0.9, box=at(4.5, 4.8)),
        unit=ExtractedField(value=unit, confidence=0.87, box=at(4.9, 5.2)),
        unit_price=ExtractedField(value=price, confidence=0.86, box=at(5.9, 6.6)),
        line_total=ExtractedField(value=amount, confidence=0.92, box=at(7.2, 7.9)),
    )


def test_azure_posts_base64_polls_until_succeeded_and_maps_every_field(
    router: respx.MockRouter, fake_time: FakeTime
) -> None:
    document = pdf_document()
    analyze = router.post(AZURE_ANALYZE).mock(
        side_effect=fake_time.answers(
            httpx.Response(202, headers={"Operation-Location": AZURE_RESULT_URL, "Retry-After": "2"})
        )
    )
    poll = router.get(AZURE_RESULT_URL).mock(
        side_effect=fake_time.answers(
            httpx.Response(200, json=AZURE_RUNNING, headers={"Retry-After": "1"}),
            httpx.Response(200, json=azure_invoice_result()),
        )
    )

    extraction = run(azure_config(), document, DocumentKind.PDF, fake_time)

    request = analyze.calls[0].request
    assert str(request.url) == AZURE_ANALYZE
    assert request.headers["Ocp-Apim-Subscription-Key"] == "azure-key-1"
    assert request.headers["Content-Type"] == "application/json"
    assert sent_json(analyze) == {"base64Source": base64.b64encode(document).decode()}
    assert [call.request.headers["Ocp-Apim-Subscription-Key"] for call in poll.calls] == ["azure-key-1"] * 2
    assert fake_time.sleeps == [2.0, 1.0]  # each wait the service asked for
    assert extraction == Extraction(
        engine=Engine.AZURE,
        engine_reason="Azure Document Intelligence (prebuilt-invoice) is the configured extraction provider",
        pages=1,
        fields={
            "invoice_number": ExtractedField(
                value="RE-2026-0042", confidence=0.973, box=azure_box(6.9, 1.4, 7.9, 1.55)
            ),
            "issue_date": ExtractedField(value="2026-03-02", confidence=0.968, box=azure_box(6.9, 1.6, 7.9, 1.75)),
            "due_date": ExtractedField(value="2026-04-01", confidence=0.951, box=azure_box(6.9, 1.8, 7.9, 1.95)),
            "seller_name": ExtractedField(value="Muster GmbH", confidence=0.94, box=azure_box(0.6, 0.7, 2.3, 0.9)),
            "seller_vat_id": ExtractedField(value="DE123456789", confidence=0.93, box=azure_box(0.6, 10.2, 1.9, 10.35)),
            "buyer_name": ExtractedField(value="Contoso Ltd", confidence=0.949, box=azure_box(0.6, 2.6, 1.6, 2.8)),
            "po_number": ExtractedField(value="PO-7781", confidence=0.962, box=azure_box(1.8, 4.8, 2.6, 4.95)),
            "subtotal": ExtractedField(value="1018.75", confidence=0.958, box=azure_box(6.8, 7.0, 7.9, 7.15)),
            "tax_total": ExtractedField(value="193.56", confidence=0.941, box=azure_box(6.8, 7.25, 7.9, 7.4)),
            "total": ExtractedField(value="1212.31", confidence=0.968, box=azure_box(6.8, 7.5, 7.9, 7.65)),
            "currency": ExtractedField(value="EUR", confidence=0.968, box=azure_box(6.8, 7.5, 7.9, 7.65)),
        },
        lines=(
            azure_line("Hydraulikpumpe HX-200", "HX-200", "2", "Stk", "450.00", "900.00", 5.7),
            azure_line("Dichtungssatz", "SK-15", "4", "Stk", "25.00", "100.00", 6.0),
            azure_line("Montage", "SRV-1", "1.5", "h", "12.50", "18.75", 6.3),
        ),
        timings_ms={"provider": 3750.0},  # three responses (0.25 s each) and the 3 s asked for
        calls=(
            ProviderCall(
                provider=Engine.AZURE, model="prebuilt-invoice", cost=Decimal("0.01"), latency_ms=3750.0, ok=True
            ),
        ),
    )


def test_azure_boxes_of_an_image_are_fractions_of_its_pixels(router: respx.MockRouter, fake_time: FakeTime) -> None:
    router.post(AZURE_ANALYZE).mock(return_value=httpx.Response(202, headers={"Operation-Location": AZURE_RESULT_URL}))
    result = azure_invoice_result(unit="pixel", width=2550, height=3300, scale=300)
    router.get(AZURE_RESULT_URL).mock(return_value=httpx.Response(200, json=result))

    extraction = run(azure_config(), image_document("PNG"), DocumentKind.PNG, fake_time)

    assert extraction.field("total").box == Box(
        page=1, x0=6.8 * 300 / 2550, y0=7.5 * 300 / 3300, x1=7.9 * 300 / 2550, y1=7.65 * 300 / 3300
    )
    assert fake_time.sleeps == [1.0]  # no Retry-After: the configured poll interval


def test_azure_failed_analysis_is_a_provider_error_with_its_reason(
    router: respx.MockRouter, fake_time: FakeTime
) -> None:
    router.post(AZURE_ANALYZE).mock(return_value=httpx.Response(202, headers={"Operation-Location": AZURE_RESULT_URL}))
    router.get(AZURE_RESULT_URL).mock(
        side_effect=[httpx.Response(200, json=AZURE_RUNNING), httpx.Response(200, json=AZURE_FAILED)]
    )

    with pytest.raises(ProviderError) as raised:
        run(azure_config(), pdf_document(), DocumentKind.PDF, fake_time)

    call = raised.value.call
    assert (call.ok, call.provider, call.model) == (False, Engine.AZURE, "prebuilt-invoice")
    assert call.error == "analysis failed: Invalid request. (The file is corrupted or format is unsupported.)"
    assert raised.value.attempts == 3  # the POST and two polls
    assert call.latency_ms == 2000.0  # the two poll intervals slept


def test_azure_analysis_still_running_after_the_timeout_gives_up(router: respx.MockRouter, fake_time: FakeTime) -> None:
    router.post(AZURE_ANALYZE).mock(return_value=httpx.Response(202, headers={"Operation-Location": AZURE_RESULT_URL}))
    polls = router.get(AZURE_RESULT_URL).mock(
        return_value=httpx.Response(200, json=AZURE_RUNNING, headers={"Retry-After": "2"})
    )

    with pytest.raises(ProviderError, match="analysis still running after 5 s"):
        run(azure_config(timeout_seconds=5), pdf_document(), DocumentKind.PDF, fake_time)
    assert polls.call_count == 4  # polled at 1, 3, 5 and 7 s: past the 5 s


def test_azure_never_sends_its_key_to_another_host(router: respx.MockRouter, fake_time: FakeTime) -> None:
    router.post(AZURE_ANALYZE).mock(
        return_value=httpx.Response(202, headers={"Operation-Location": "https://elsewhere.example/analyzeResults/1"})
    )

    with pytest.raises(ProviderError, match="not on the configured endpoint"):
        run(azure_config(), pdf_document(), DocumentKind.PDF, fake_time)


def test_azure_result_without_an_invoice_says_so(router: respx.MockRouter, fake_time: FakeTime) -> None:
    result = azure_invoice_result()
    result["analyzeResult"]["documents"] = []
    router.post(AZURE_ANALYZE).mock(return_value=httpx.Response(202, headers={"Operation-Location": AZURE_RESULT_URL}))
    router.get(AZURE_RESULT_URL).mock(return_value=httpx.Response(200, json=result))

    extraction = run(azure_config(), pdf_document(), DocumentKind.PDF, fake_time)

    assert (extraction.fields, extraction.lines, extraction.pages) == ({}, (), 1)
    assert extraction.notes == ("Azure found no invoice in the document",)
    assert extraction.cost == Decimal("0.01")  # the page was analysed and is billed


# --- Google Gemini ---------------------------------------------------------------------------

LLM_FIELDS = {
    "invoice_number": "RE-2026-0042",
    "issue_date": "2026-03-02",
    "due_date": "2026-04-01",
    "currency": "EUR",
    "seller_name": "Muster GmbH",
    "seller_vat_id": "DE123456789",
    "buyer_name": "Contoso Ltd",
    "po_number": "PO-7781",
    "subtotal": "1018.75",
    "tax_total": "193.56",
    "total": "1212.31",
}


def llm_lines(confidence: float) -> tuple[ExtractedLine, ...]:
    def value(text: str) -> ExtractedField:
        return ExtractedField(value=text, confidence=confidence)

    return (
        ExtractedLine(
            description=value("Hydraulikpumpe HX-200"),
            part_number=value("HX-200"),
            quantity=value("2"),
            unit=value("Stk"),
            unit_price=value("450.00"),
            line_total=value("900.00"),
        ),
        ExtractedLine(
            description=value("Montage"),
            quantity=value("1.5"),
            unit=value("h"),
            unit_price=value("12.50"),
            line_total=value("18.75"),
        ),
    )


def test_gemini_sends_the_pdf_inline_with_the_json_schema_and_maps_the_answer(
    router: respx.MockRouter, fake_time: FakeTime
) -> None:
    document = pdf_document(pages=2)
    route = router.post(GEMINI_GENERATE).mock(
        side_effect=fake_time.answers(httpx.Response(200, json=gemini_response(json.dumps(LLM_ANSWER))))
    )

    extraction = run(gemini_config(llm_confidence=0.8), document, DocumentKind.PDF, fake_time, text="ignored")

    request = route.calls[0].request
    assert str(request.url) == GEMINI_GENERATE
    assert request.headers["x-goog-api-key"] == "gemini-key-1"
    assert sent_json(route) == {
        "contents": [
            {
                "role": "user",
                "parts": [
                    {"inline_data": {"mime_type": "application/pdf", "data": base64.b64encode(document).decode()}},
                    {"text": INSTRUCTIONS},
                ],
            }
        ],
        "generationConfig": {
            "responseMimeType": "application/json",
            "responseJsonSchema": INVOICE_SCHEMA,
            "temperature": 0,
        },
    }
    assert extraction.fields == {
        name: ExtractedField(value=value, confidence=0.8) for name, value in LLM_FIELDS.items()
    }
    assert extraction.lines == llm_lines(0.8)
    assert (extraction.engine, extraction.pages, extraction.notes, extraction.timings_ms) == (
        Engine.GEMINI,
        2,
        (),
        {"provider": 250.0},
    )
    call = extraction.calls[0]
    # Thinking tokens (250) are billed as output: 1290 × 0.30 / 1M + 560 × 2.50 / 1M.
    assert (call.model, call.input_tokens, call.output_tokens, call.cost, call.ok) == (
        "gemini-2.5-flash",
        1290,
        560,
        Decimal("0.001787"),
        True,
    )


def test_gemini_gets_a_tiff_as_one_png_per_frame(router: respx.MockRouter, fake_time: FakeTime) -> None:
    route = router.post(GEMINI_GENERATE).mock(
        return_value=httpx.Response(200, json=gemini_response(json.dumps(LLM_ANSWER)))
    )

    extraction = run(gemini_config(), image_document("TIFF", frames=2), DocumentKind.TIFF, fake_time)

    parts = sent_json(route)["contents"][0]["parts"]
    assert [part["inline_data"]["mime_type"] for part in parts[:-1]] == ["image/png", "image/png"]
    assert base64.b64decode(parts[0]["inline_data"]["data"]).startswith(b"\x89PNG")
    assert extraction.pages == 2


def test_gemini_answer_cut_short_is_an_error_that_still_counts_its_tokens(
    router: respx.MockRouter, fake_time: FakeTime
) -> None:
    router.post(GEMINI_GENERATE).mock(
        return_value=httpx.Response(200, json=gemini_response('{"invoice_number": "RE-', finish_reason="MAX_TOKENS"))
    )

    with pytest.raises(ProviderError, match=r"stopped early \(MAX_TOKENS\)") as raised:
        run(gemini_config(), pdf_document(), DocumentKind.PDF, fake_time)
    assert (raised.value.call.input_tokens, raised.value.call.output_tokens, raised.value.call.cost) == (
        1290,
        560,
        Decimal("0.001787"),
    )


# --- OpenAI-compatible endpoints -------------------------------------------------------------


def test_openai_sends_a_pdf_as_its_text_with_a_strict_json_schema(
    router: respx.MockRouter, fake_time: FakeTime
) -> None:
    route = router.post(OPENAI_COMPLETIONS).mock(
        side_effect=fake_time.answers(httpx.Response(200, json=openai_response(json.dumps(LLM_ANSWER))))
    )

    extraction = run(openai_config(), pdf_document(), DocumentKind.PDF, fake_time, text="RECHNUNG RE-2026-0042 ...")

    request = route.calls[0].request
    assert str(request.url) == OPENAI_COMPLETIONS
    assert request.headers["Authorization"] == "Bearer sk-test-1"
    assert sent_json(route) == {
        "model": "gpt-4o-2024-08-06",
        "messages": [
            {"role": "system", "content": INSTRUCTIONS},
            {"role": "user", "content": "The invoice's text:\nRECHNUNG RE-2026-0042 ..."},
        ],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "invoice", "schema": INVOICE_SCHEMA, "strict": True},
        },
        "temperature": 0,
    }
    assert extraction.fields == {
        name: ExtractedField(value=value, confidence=0.85) for name, value in LLM_FIELDS.items()
    }
    assert extraction.lines == llm_lines(0.85)
    call = extraction.calls[0]
    # 1117 × 2.50 / 1M + 246 × 10.00 / 1M
    assert (call.provider, call.input_tokens, call.output_tokens, call.cost, call.latency_ms) == (
        Engine.OPENAI,
        1117,
        246,
        Decimal("0.0052525"),
        250.0,
    )


def test_openai_sends_an_image_as_a_data_url_and_its_ocr_text(router: respx.MockRouter, fake_time: FakeTime) -> None:
    document = image_document("JPEG")
    route = router.post(OPENAI_COMPLETIONS).mock(
        return_value=httpx.Response(200, json=openai_response(json.dumps(LLM_ANSWER)))
    )

    run(openai_config(), document, DocumentKind.JPEG, fake_time, text="RECHNUNG")

    assert sent_json(route)["messages"][1]["content"] == [
        {"type": "text", "text": "The invoice:"},
        {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64," + base64.b64encode(document).decode()}},
        {"type": "text", "text": "Its text as OCR read it:\nRECHNUNG"},
    ]


def test_a_json_mode_server_without_a_key_gets_the_schema_in_its_instructions(
    router: respx.MockRouter, fake_time: FakeTime
) -> None:
    # DeepSeek offers only JSON mode; a local Ollama needs no key; a text-only model gets an image's text.
    route = router.post("http://localhost:11434/v1/chat/completions").mock(
        return_value=httpx.Response(200, json=openai_response(json.dumps(LLM_ANSWER)))
    )
    config = openai_config(
        base_url="http://localhost:11434/v1",
        api_key="",
        model="qwen2.5:7b",
        structured_output="json_object",
        send_images=False,
    )

    extraction = run(config, image_document("PNG"), DocumentKind.PNG, fake_time, text="RECHNUNG")

    body = sent_json(route)
    assert "Authorization" not in route.calls[0].request.headers
    assert body["response_format"] == {"type": "json_object"}
    assert body["messages"][0]["content"] == INSTRUCTIONS + "\nThe JSON Schema of the answer:\n" + json.dumps(
        INVOICE_SCHEMA
    )
    assert body["messages"][1]["content"] == "The invoice's text:\nRECHNUNG"
    assert extraction.field("total").value == "1212.31"
