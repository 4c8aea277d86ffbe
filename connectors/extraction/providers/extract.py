"""One way into every cloud and LLM engine: the configured provider reads the document into an `Extraction`.

Every call is recorded as a `ProviderCall` (model, tokens, price, latency), the failed ones too:
`ProviderError` carries it, so the caller can fall back to the offline result and still account
for what the attempt cost.
"""

import time

import httpx

from connectors.extraction.providers import azure, gemini, openai_compatible
from connectors.extraction.providers.base import (
    CallFailed,
    Monotonic,
    ProviderAnswer,
    ProviderConfig,
    ProviderError,
    Sleep,
    Usage,
)
from domain.documents import DocumentKind, Engine, Extraction, ProviderCall

_NAMES = {
    Engine.AZURE: "Azure Document Intelligence",
    Engine.GEMINI: "Google Gemini",
    Engine.OPENAI: "OpenAI-compatible endpoint",
}


def extract_with_provider(
    config: ProviderConfig,
    data: bytes,
    kind: DocumentKind,
    *,
    text: str | None,
    client: httpx.Client,
    clock: Monotonic = time.monotonic,
    sleep: Sleep = time.sleep,
) -> Extraction:
    """The document (`data`, of `kind`) as the provider of `config` reads it.

    `text` is the document's text layer or OCR text: what an OpenAI-compatible endpoint is sent
    for a PDF (and for an image when `config.send_images` is off); the other providers read the
    file itself. Raises `ProviderError`, with the failed call attached, when retries are spent,
    on a timeout, on a 4xx, or when the answer cannot be used."""
    if kind is DocumentKind.XML:
        raise ValueError("an XML e-invoice is read exactly, never sent to a provider")
    started = clock()
    try:
        answer = _ask(config, data, kind, text, client, clock=clock, sleep=sleep)
    except CallFailed as failure:
        call = _call(config, failure.usage, _milliseconds(clock() - started), error=failure.reason)
        raise ProviderError(call, attempts=failure.attempts) from failure
    latency_ms = _milliseconds(clock() - started)
    call = _call(config, answer.usage, latency_ms, error=None)
    return Extraction(
        engine=config.engine,
        engine_reason=f"{_NAMES[config.engine]} ({config.model}) is the configured extraction provider",
        pages=answer.pages,
        fields=answer.fields,
        lines=answer.lines,
        timings_ms={"provider": latency_ms},
        calls=(call,),
        notes=answer.notes,
    )


def _ask(
    config: ProviderConfig,
    data: bytes,
    kind: DocumentKind,
    text: str | None,
    client: httpx.Client,
    *,
    clock: Monotonic,
    sleep: Sleep,
) -> ProviderAnswer:
    if config.engine is Engine.AZURE:
        return azure.analyze(config, data, client, clock=clock, sleep=sleep)
    if config.engine is Engine.GEMINI:
        return gemini.extract(config, data, kind, client, sleep=sleep)
    return openai_compatible.extract(config, data, kind, text, client, sleep=sleep)


def _call(config: ProviderConfig, usage: Usage, latency_ms: float, *, error: str | None) -> ProviderCall:
    """What one call consumed and cost; `error` says why it gave nothing usable (None: it did)."""
    return ProviderCall(
        provider=config.engine,
        model=config.model,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cost=config.prices.cost(usage),
        latency_ms=latency_ms,
        ok=error is None,
        error=error,
    )


def _milliseconds(seconds: float) -> float:
    return round(max(0.0, seconds) * 1000, 3)
