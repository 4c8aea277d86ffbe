"""Google Gemini (Generative Language API v1beta, `models.generateContent`) with structured output.

The document goes inline (base64, `inline_data`) with the instructions as a text part; the answer
is held to `INVOICE_SCHEMA` through `generationConfig.responseJsonSchema` — the field that takes
standard JSON Schema (nullable `"type": ["string", "null"]`, `additionalProperties`), where the
older `responseSchema` takes only Google's OpenAPI subset. The JSON comes back as the text of
`candidates[0].content.parts`; `usageMetadata` counts the tokens, thinking tokens billed as output.
"""

import base64
from typing import Any

import httpx

from connectors.extraction.providers.base import (
    CallFailed,
    ProviderAnswer,
    ProviderConfig,
    Sleep,
    Usage,
    dig,
    read_json,
    send_with_retries,
    token_count,
)
from connectors.extraction.providers.invoice_schema import INSTRUCTIONS, INVOICE_SCHEMA, read_answer
from connectors.extraction.providers.media import page_count, pictures
from domain.documents import DocumentKind

KEY_HEADER = "x-goog-api-key"


def generate_url(config: ProviderConfig) -> str:
    return f"{config.base_url}/v1beta/models/{config.model.removeprefix('models/')}:generateContent"


def request_body(data: bytes, kind: DocumentKind) -> dict[str, Any]:
    if kind is DocumentKind.PDF:
        documents = [(kind.media_type, data)]  # Gemini reads PDFs itself, text and scans alike
    else:
        documents = [(picture.media_type, picture.data) for picture in pictures(data, kind)]
    parts: list[dict[str, Any]] = [
        {"inline_data": {"mime_type": media_type, "data": base64.b64encode(content).decode("ascii")}}
        for media_type, content in documents
    ]
    parts.append({"text": INSTRUCTIONS})
    return {
        "contents": [{"role": "user", "parts": parts}],
        "generationConfig": {
            "responseMimeType": "application/json",
            "responseJsonSchema": INVOICE_SCHEMA,
            "temperature": 0,
        },
    }


def extract(
    config: ProviderConfig, data: bytes, kind: DocumentKind, client: httpx.Client, *, sleep: Sleep
) -> ProviderAnswer:
    body = request_body(data, kind)
    headers = {KEY_HEADER: config.api_key.get_secret_value()}
    sent = send_with_retries(
        config,
        lambda: client.post(generate_url(config), json=body, headers=headers, timeout=config.timeout_seconds),
        sleep=sleep,
    )
    result = read_json(sent.response, attempts=sent.attempts)
    usage = Usage(
        input_tokens=token_count(dig(result, "usageMetadata", "promptTokenCount")),
        output_tokens=token_count(dig(result, "usageMetadata", "candidatesTokenCount"))
        + token_count(dig(result, "usageMetadata", "thoughtsTokenCount")),
    )
    text = _answer_text(result, attempts=sent.attempts, usage=usage)
    fields, lines, notes = read_answer(text, config.llm_confidence, attempts=sent.attempts, usage=usage)
    return ProviderAnswer(
        pages=page_count(data, kind), fields=fields, lines=lines, usage=usage, attempts=sent.attempts, notes=notes
    )


def _answer_text(result: Any, *, attempts: int, usage: Usage) -> str:
    candidate = dig(result, "candidates", 0)
    if candidate is None:
        blocked = dig(result, "promptFeedback", "blockReason")
        reason = f"the prompt was blocked ({blocked})" if blocked else "the answer has no candidate"
        raise CallFailed(reason, attempts=attempts, usage=usage)
    parts = dig(candidate, "content", "parts")
    texts = [
        part["text"]
        for part in (parts if isinstance(parts, list) else [])
        if isinstance(part, dict) and isinstance(part.get("text"), str) and not part.get("thought")
    ]
    finish = dig(candidate, "finishReason")
    if finish not in (None, "STOP"):
        # MAX_TOKENS cuts the JSON short; SAFETY, RECITATION... leave no answer to trust.
        raise CallFailed(f"the answer stopped early ({finish})", attempts=attempts, usage=usage)
    if not texts:
        raise CallFailed("the answer has no text", attempts=attempts, usage=usage)
    return "".join(texts)
