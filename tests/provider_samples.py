"""What the provider tests share: the documents sent, the configurations, a fake clock, and a call."""

import io
import json
from decimal import Decimal
from typing import Any

import httpx
import respx
from fpdf import FPDF
from PIL import Image

from connectors.extraction.providers import ProviderConfig, ProviderPrices, extract_with_provider
from domain.documents import DocumentKind, Engine, Extraction
from tests.provider_responses import AZURE_ENDPOINT, GEMINI_BASE_URL, OPENAI_BASE_URL


def pdf_document(pages: int = 1) -> bytes:
    pdf = FPDF()
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.set_font("Helvetica", size=12)
        pdf.cell(text=f"Rechnung RE-2026-0042, Seite {number}")
    return bytes(pdf.output())


def image_document(image_format: str, frames: int = 1) -> bytes:
    images = [Image.new("RGB", (200, 280), (255, 255, 255 - 40 * index)) for index in range(frames)]
    out = io.BytesIO()
    images[0].save(out, format=image_format, save_all=frames > 1, append_images=images[1:])
    return out.getvalue()


AZURE_ANALYZE = f"{AZURE_ENDPOINT}/documentintelligence/documentModels/prebuilt-invoice:analyze?api-version=2024-11-30"
GEMINI_GENERATE = f"{GEMINI_BASE_URL}/v1beta/models/gemini-2.5-flash:generateContent"
OPENAI_COMPLETIONS = f"{OPENAI_BASE_URL}/chat/completions"


class FakeTime:
    """A monotonic clock that moves only when slept on or when a response arrives (0.25 s each)."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def answers(self, *responses: httpx.Response) -> Any:
        queue = list(responses)

        def respond(request: httpx.Request) -> httpx.Response:
            self.now += 0.25
            return queue.pop(0)

        return respond


def azure_config(**changes: Any) -> ProviderConfig:
    values: dict[str, Any] = {
        "engine": Engine.AZURE,
        "base_url": AZURE_ENDPOINT + "/",
        "api_key": "azure-key-1",
        "model": "prebuilt-invoice",
        "prices": ProviderPrices(per_page=Decimal("0.01")),
    }
    return ProviderConfig(**values | changes)


def gemini_config(**changes: Any) -> ProviderConfig:
    values: dict[str, Any] = {
        "engine": Engine.GEMINI,
        "base_url": GEMINI_BASE_URL,
        "api_key": "gemini-key-1",
        "model": "gemini-2.5-flash",
        "prices": ProviderPrices(input_per_million_tokens=Decimal("0.30"), output_per_million_tokens=Decimal("2.50")),
    }
    return ProviderConfig(**values | changes)


def openai_config(**changes: Any) -> ProviderConfig:
    values: dict[str, Any] = {
        "engine": Engine.OPENAI,
        "base_url": OPENAI_BASE_URL,
        "api_key": "sk-test-1",
        "model": "gpt-4o-2024-08-06",
        "prices": ProviderPrices(input_per_million_tokens=Decimal("2.50"), output_per_million_tokens=Decimal("10.00")),
    }
    return ProviderConfig(**values | changes)


def run(
    config: ProviderConfig, data: bytes, kind: DocumentKind, fake_time: FakeTime, text: str | None = None
) -> Extraction:
    with httpx.Client() as client:
        return extract_with_provider(
            config, data, kind, text=text, client=client, clock=fake_time.clock, sleep=fake_time.sleep
        )


def sent_json(route: respx.Route, index: int = 0) -> Any:
    return json.loads(route.calls[index].request.content)
