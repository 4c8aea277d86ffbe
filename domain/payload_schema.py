"""The RPA payload's published JSON Schema, and the check every payload passes before it is stored.

The bot's developers code against this schema (GET /api/v1/schemas/rpa-payload); checking each
stored payload against the same document keeps what we promise and what we send the same.
"""

from typing import Any

from jsonschema import Draft202012Validator

from domain.models import RpaPayload

RPA_PAYLOAD_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:invoice-automation:rpa-payload",
    **RpaPayload.model_json_schema(mode="serialization"),
}
_VALIDATOR = Draft202012Validator(RPA_PAYLOAD_SCHEMA)


class PayloadSchemaError(ValueError):
    """A payload that breaks the published schema: a bug on our side, never sent to the bot."""


def payload_json(payload: RpaPayload) -> dict[str, Any]:
    """The payload as the bot receives it, checked against the published schema."""
    data = payload.model_dump(mode="json")
    problems = sorted(_VALIDATOR.iter_errors(data), key=lambda e: list(e.absolute_path))
    if problems:
        described = "; ".join(f"{'/'.join(map(str, p.absolute_path)) or '(root)'}: {p.message}" for p in problems)
        raise PayloadSchemaError(f"RPA payload for {payload.source}:{payload.source_invoice_id} breaks its schema: {described}")
    return data
