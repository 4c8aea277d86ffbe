"""The RPA payload's published JSON Schema, and the check every payload passes before it is stored.

The bot's developers code against this schema (GET /api/v1/schemas/rpa-payload); checking each
stored payload against the same document keeps what we promise and what we send the same.
Draft 7, so that fastjsonschema can compile it to code: a payload is checked in ~35 µs, where a
generic validator takes ~0.5 ms, which would dominate a 10,000-invoice poll.
"""

from typing import Any

import fastjsonschema

from domain.models import RpaPayload

RPA_PAYLOAD_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "$id": "urn:invoice-automation:rpa-payload",
    **RpaPayload.model_json_schema(mode="serialization"),
}
_check = fastjsonschema.compile(RPA_PAYLOAD_SCHEMA)


class PayloadSchemaError(ValueError):
    """A payload that breaks the published schema: a bug on our side, never sent to the bot."""


def payload_json(payload: RpaPayload) -> dict[str, Any]:
    """The payload as the bot receives it, checked against the published schema."""
    data = payload.model_dump(mode="json")
    try:
        _check(data)
    except fastjsonschema.JsonSchemaValueException as problem:
        raise PayloadSchemaError(
            f"RPA payload for {payload.source}:{payload.source_invoice_id} breaks its schema: {problem.message}"
        ) from None
    return data
