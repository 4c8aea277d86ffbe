"""What every provider shares: its configuration, its prices, its errors, and sending with retries.

A provider module sends its requests through `send_with_retries` and answers a `ProviderAnswer`,
or raises `CallFailed` saying what went wrong and what the call had already cost (tokens of an
answer that could not be used are still billed). The entry point turns either into the
`ProviderCall` the document records.
"""

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from domain.documents import Engine, ExtractedField, ExtractedLine, ProviderCall

Sleep = Callable[[float], None]
Monotonic = Callable[[], float]  # seconds, for latencies and deadlines

_MILLION = Decimal(1_000_000)
NonNegativePrice = Annotated[Decimal, Field(ge=0)]


class ProviderPrices(BaseModel):
    """What one call costs, per the provider's price list for the configured model; unset = not priced."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input_per_million_tokens: NonNegativePrice | None = None
    output_per_million_tokens: NonNegativePrice | None = None
    per_page: NonNegativePrice | None = None  # Azure Document Intelligence bills pages, not tokens

    def cost(self, usage: "Usage") -> Decimal | None:
        """The call's price in the price list's currency, exact; None when no price is configured."""
        if self.input_per_million_tokens is None and self.output_per_million_tokens is None and self.per_page is None:
            return None
        total = Decimal(0)
        if self.input_per_million_tokens is not None:
            total += usage.input_tokens * self.input_per_million_tokens / _MILLION
        if self.output_per_million_tokens is not None:
            total += usage.output_tokens * self.output_per_million_tokens / _MILLION
        if self.per_page is not None:
            total += usage.pages * self.per_page
        return total


class ProviderConfig(BaseModel):
    """One configured cloud or LLM engine; the service's settings are mapped onto it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    engine: Engine
    # Azure: the resource endpoint (https://<name>.cognitiveservices.azure.com); Gemini:
    # https://generativelanguage.googleapis.com; OpenAI-compatible: the URL before /chat/completions
    # (https://api.openai.com/v1, https://api.deepseek.com, http://localhost:11434/v1 for Ollama).
    base_url: str = Field(min_length=1)
    api_key: SecretStr = SecretStr("")  # empty: no key sent (a local Ollama or vLLM needs none)
    model: str = Field(min_length=1)  # Azure: the model id, `prebuilt-invoice`
    timeout_seconds: float = Field(default=60.0, gt=0)
    max_attempts: int = Field(default=3, ge=1)
    backoff_seconds: float = Field(default=1.0, ge=0)
    prices: ProviderPrices = ProviderPrices()
    llm_confidence: float = Field(default=0.85, ge=0.0, le=1.0)  # LLMs say nothing of their own certainty
    poll_interval_seconds: float = Field(default=1.0, gt=0)  # Azure, when its answer has no Retry-After
    # OpenAI-compatible only. `json_object` for servers without JSON Schema output (DeepSeek): the schema
    # then goes into the instructions. `send_images=False` for text-only models: an image goes as its text.
    structured_output: Literal["json_schema", "json_object"] = "json_schema"
    send_images: bool = True

    @field_validator("engine")
    @classmethod
    def _remote_engine(cls, engine: Engine) -> Engine:
        if not engine.is_paid:
            raise ValueError(f"{engine} is not a cloud or LLM engine")
        return engine

    @field_validator("base_url")
    @classmethod
    def _without_trailing_slash(cls, url: str) -> str:
        return url.rstrip("/")


@dataclass(frozen=True, slots=True)
class Usage:
    """What a call consumed, as the provider counted it."""

    input_tokens: int = 0
    output_tokens: int = 0
    pages: int = 0  # pages analysed and billed (Azure)


@dataclass(frozen=True, slots=True)
class ProviderAnswer:
    """A provider's reading of a document, in the domain's normalised values."""

    pages: int
    fields: dict[str, ExtractedField]
    lines: tuple[ExtractedLine, ...]
    usage: Usage
    attempts: int
    notes: tuple[str, ...] = ()


class CallFailed(Exception):
    """A provider call that gave nothing usable: why, after how many HTTP requests (`attempts`; 0 when
    nothing could be sent), and what it consumed."""

    def __init__(self, reason: str, *, attempts: int, usage: Usage | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempts = attempts
        self.usage = usage or Usage()


class ProviderError(RuntimeError):
    """The provider gave no usable extraction; `call` records the failed call (cost, latency, error)."""

    def __init__(self, call: ProviderCall, *, attempts: int) -> None:
        super().__init__(f"{call.provider} ({call.model}) failed after {attempts} attempt(s): {call.error}")
        self.call = call
        self.attempts = attempts


@dataclass(frozen=True, slots=True)
class Sent:
    response: httpx.Response
    attempts: int


def send_with_retries(config: ProviderConfig, send: Callable[[], httpx.Response], *, sleep: Sleep) -> Sent:
    """`send` until it answers below 400, retrying what may pass (429, 5xx, timeouts, network errors)
    up to `config.max_attempts` with exponential backoff, or the wait a 429/503 asks for; never a 4xx."""
    attempt = 0
    while True:
        attempt += 1
        wait = config.backoff_seconds * 2 ** (attempt - 1)
        try:
            response = send()
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as error:
            failure = _transport_failure(error, config)
        else:
            if response.status_code < 400:
                return Sent(response, attempt)
            failure = f"HTTP {response.status_code}: {error_message(response)}"
            if not _transient(response.status_code):
                raise CallFailed(failure, attempts=attempt)
            asked = retry_after_seconds(response)
            if asked is not None:
                if asked > config.timeout_seconds:
                    raise CallFailed(
                        f"{failure} (asked to wait {asked:g} s, more than the {config.timeout_seconds:g} s timeout)",
                        attempts=attempt,
                    )
                wait = asked
        if attempt >= config.max_attempts:
            raise CallFailed(f"{failure} (after {attempt} attempts)", attempts=attempt)
        sleep(wait)


def _transient(status: int) -> bool:
    return status == 429 or status >= 500


def _transport_failure(error: httpx.HTTPError, config: ProviderConfig) -> str:
    if isinstance(error, httpx.TimeoutException):
        return f"timed out after {config.timeout_seconds:g} s ({type(error).__name__})"
    return f"{type(error).__name__}: {error}"


_RETRY_DELAY = re.compile(r"^(\d+(?:\.\d+)?)s$")


def retry_after_seconds(response: httpx.Response) -> float | None:
    """How long the provider asks to wait: the Retry-After header in seconds (what Azure and OpenAI
    send), or Google's RetryInfo `retryDelay` ("37s") in the error body; None when it does not say."""
    header = response.headers.get("retry-after")
    if header:
        try:
            seconds = float(header)
        except ValueError:
            return None  # an HTTP date: the backoff applies rather than reading the wall clock here
        return max(0.0, seconds) if math.isfinite(seconds) else None
    for detail in _error_details(response):
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            delay = _RETRY_DELAY.match(str(detail.get("retryDelay", "")))
            if delay:
                return float(delay.group(1))
    return None


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = json.loads(response.content)
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _error_details(response: httpx.Response) -> list[Any]:
    details = _error_body(response).get("details")
    return details if isinstance(details, list) else []


def error_message(response: httpx.Response) -> str:
    """The provider's own words for an error: Azure, Gemini and OpenAI all answer `{"error": {"message"}}`."""
    message = _error_body(response).get("message")
    if isinstance(message, str) and message.strip():
        return message.strip()[:500]
    return response.reason_phrase or "no reason given"


def read_json(response: httpx.Response, *, attempts: int, usage: Usage | None = None) -> Any:
    """The response body as JSON with every non-integer number a Decimal, so no amount is ever a float."""
    return parse_json(response.content, what="the response", attempts=attempts, usage=usage)


def parse_json(text: str | bytes, *, what: str, attempts: int, usage: Usage | None = None) -> Any:
    try:
        return json.loads(text, parse_float=Decimal)
    except ValueError as error:
        raise CallFailed(f"{what} is not JSON ({error})", attempts=attempts, usage=usage) from error


def dig(value: Any, *path: str | int) -> Any:
    """`value[path[0]][path[1]]...`, or None where the shape differs from what the provider documents."""
    for step in path:
        if isinstance(step, int):
            if not isinstance(value, list) or not -len(value) <= step < len(value):
                return None
        elif not isinstance(value, dict):
            return None
        value = value[step] if isinstance(step, int) else value.get(step)
    return value


def token_count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0
