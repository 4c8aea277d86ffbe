"""Any OpenAI-compatible chat endpoint (OpenAI, DeepSeek, vLLM, Ollama): `POST {base_url}/chat/completions`.

Most such servers take no PDF, so a PDF goes as its text (the text layer or OCR the caller
already has); an image goes as a base64 `image_url` data URL for a vision model, or as its text
for a text-only one. The answer is held to `INVOICE_SCHEMA` with `response_format` `json_schema`
(strict), or, for servers that only offer JSON mode (DeepSeek), `json_object` with the schema in
the instructions. It comes back in `choices[0].message.content`; `usage` counts the tokens.
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
from connectors.extraction.providers.invoice_schema import (
    INSTRUCTIONS,
    INVOICE_SCHEMA,
    instructions_with_schema,
    read_answer,
)
from connectors.extraction.providers.media import page_count, pictures
from domain.documents import DocumentKind

SCHEMA_NAME = "invoice"


def completions_url(config: ProviderConfig) -> str:
    return f"{config.base_url}/chat/completions"


def request_body(config: ProviderConfig, data: bytes, kind: DocumentKind, text: str | None) -> dict[str, Any]:
    """The chat request; raises ValueError when the document cannot be sent (a PDF without its text)."""
    user: str | list[dict[str, Any]]
    if kind.is_image and config.send_images:
        user = [{"type": "text", "text": "The invoice:"}]
        user += [
            {
                "type": "image_url",
                "image_url": {
                    "url": f"data:{picture.media_type};base64,{base64.b64encode(picture.data).decode('ascii')}"
                },
            }
            for picture in pictures(data, kind)
        ]
        if text and text.strip():
            user.append({"type": "text", "text": f"Its text as OCR read it:\n{text}"})
    elif text and text.strip():
        user = f"The invoice's text:\n{text}"
    else:
        raise ValueError(f"no text of the {kind} to send: this endpoint is given text, and none was passed")
    if config.structured_output == "json_schema":
        system = INSTRUCTIONS
        response_format: dict[str, Any] = {
            "type": "json_schema",
            "json_schema": {"name": SCHEMA_NAME, "schema": INVOICE_SCHEMA, "strict": True},
        }
    else:
        system = instructions_with_schema()
        response_format = {"type": "json_object"}
    return {
        "model": config.model,
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
        "response_format": response_format,
        "temperature": 0,
    }


def extract(
    config: ProviderConfig, data: bytes, kind: DocumentKind, text: str | None, client: httpx.Client, *, sleep: Sleep
) -> ProviderAnswer:
    try:
        body = request_body(config, data, kind, text)
    except ValueError as error:
        raise CallFailed(str(error), attempts=0) from error
    key = config.api_key.get_secret_value()
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    sent = send_with_retries(
        config,
        lambda: client.post(completions_url(config), json=body, headers=headers, timeout=config.timeout_seconds),
        sleep=sleep,
    )
    result = read_json(sent.response, attempts=sent.attempts)
    usage = Usage(
        input_tokens=token_count(dig(result, "usage", "prompt_tokens")),
        output_tokens=token_count(dig(result, "usage", "completion_tokens")),
    )
    message = dig(result, "choices", 0, "message")
    refusal = dig(message, "refusal")
    if refusal:
        raise CallFailed(f"the model refused: {refusal}", attempts=sent.attempts, usage=usage)
    finish = dig(result, "choices", 0, "finish_reason")
    if finish not in (None, "stop"):
        raise CallFailed(f"the answer stopped early ({finish})", attempts=sent.attempts, usage=usage)
    content = dig(message, "content")
    if not isinstance(content, str) or not content.strip():
        raise CallFailed("the answer has no content", attempts=sent.attempts, usage=usage)
    fields, lines, notes = read_answer(content, config.llm_confidence, attempts=sent.attempts, usage=usage)
    return ProviderAnswer(
        pages=page_count(data, kind), fields=fields, lines=lines, usage=usage, attempts=sent.attempts, notes=notes
    )
