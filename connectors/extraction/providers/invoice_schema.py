"""The JSON an LLM must answer (the `make extract` shape), and reading that answer into fields.

Amounts are strings in the schema so that no value passes through a binary float; every value is
nullable, so a model says "not on the document" rather than inventing one. The schema keeps to
what both OpenAI's strict mode (every property required, no extra properties) and Gemini's
`responseJsonSchema` accept.
"""

import json
from typing import Any

from connectors.extraction.providers.base import CallFailed, Usage, parse_json
from connectors.extraction.providers.values import check_value
from domain.documents import LINE_FIELDS, ExtractedField, ExtractedLine

_AMOUNT = (
    "A plain decimal number as a string: digits, an optional leading minus and a dot before the decimals, "
    'no thousands separators, no currency symbol, the decimals as printed (1.234,50 -> "1234.50").'
)
_DATE = "The date as printed on the document, written YYYY-MM-DD."


def _nullable(description: str) -> dict[str, Any]:
    return {"type": ["string", "null"], "description": description}


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


INVOICE_SCHEMA: dict[str, Any] = _object(
    {
        "invoice_number": _nullable("The invoice's number or id as printed."),
        "issue_date": _nullable(_DATE),
        "due_date": _nullable(_DATE),
        "currency": _nullable("ISO 4217 code of the invoice's currency, e.g. EUR, USD, GBP."),
        "seller": _object(
            {
                "name": _nullable("The issuing company's name (the vendor)."),
                "vat_id": _nullable("The seller's VAT or tax id as printed."),
            }
        ),
        "buyer": _object({"name": _nullable("The billed company's name (the customer).")}),
        "po_number": _nullable("The buyer's purchase order number, when printed."),
        "subtotal": _nullable("Total before tax. " + _AMOUNT),
        "tax_total": _nullable("Total tax. " + _AMOUNT),
        "total": _nullable("Total including tax. " + _AMOUNT),
        "lines": {
            "type": "array",
            "description": "Every invoice line, in the document's order.",
            "items": _object(
                {
                    "description": _nullable("The line's description as printed."),
                    "part_number": _nullable("The article, product or part number, when printed."),
                    "quantity": _nullable("Quantity. " + _AMOUNT),
                    "unit": _nullable("Unit of measure as printed (pcs, h, kg...)."),
                    "unit_price": _nullable("Price per unit. " + _AMOUNT),
                    "line_total": _nullable("The line's amount. " + _AMOUNT),
                }
            ),
        },
    }
)

INSTRUCTIONS = (
    "You read one invoice and answer a single JSON object with exactly the fields of the schema. "
    "Copy each value as it is printed on the document; do not compute, translate or guess. "
    "Where a value is not on the document, answer null. Dates as YYYY-MM-DD; amounts as plain decimal "
    "strings keeping the printed decimals; the currency as its ISO 4217 code."
)


def instructions_with_schema() -> str:
    """The instructions with the schema spelled out, for servers that only promise *some* JSON."""
    return f"{INSTRUCTIONS}\nThe JSON Schema of the answer:\n{json.dumps(INVOICE_SCHEMA)}"


# Each header field (in HEADER_FIELDS order) -> where the schema puts it.
_HEADER_PATHS: dict[str, tuple[str, ...]] = {
    "invoice_number": ("invoice_number",),
    "issue_date": ("issue_date",),
    "due_date": ("due_date",),
    "currency": ("currency",),
    "seller_name": ("seller", "name"),
    "seller_vat_id": ("seller", "vat_id"),
    "buyer_name": ("buyer", "name"),
    "po_number": ("po_number",),
    "subtotal": ("subtotal",),
    "tax_total": ("tax_total",),
    "total": ("total",),
}


class _Notes:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, note: str | None) -> None:
        if note:
            self.items.append(note)


Read = tuple[dict[str, ExtractedField], tuple[ExtractedLine, ...], tuple[str, ...]]


def read_answer(text: str, confidence: float, *, attempts: int, usage: Usage) -> Read:
    """Fields, lines and notes from a model's answer to `INVOICE_SCHEMA`; each value found gets `confidence`.

    A value in the wrong form (a date not ISO, an amount not a plain decimal) is left empty with a
    note; an answer that is not a JSON object raises `CallFailed` (nothing in it can be trusted)."""
    answer = parse_json(text, what="the model's answer", attempts=attempts, usage=usage)
    if not isinstance(answer, dict):
        raise CallFailed(
            f"the model's answer is a JSON {type(answer).__name__}, not an object", attempts=attempts, usage=usage
        )
    notes = _Notes()
    fields: dict[str, ExtractedField] = {}
    for name, path in _HEADER_PATHS.items():
        raw = _at(answer, path, notes)
        checked = check_value(".".join(path), name, raw)
        notes.add(checked.note)
        if checked.value is not None:
            fields[name] = ExtractedField(value=checked.value, confidence=confidence)
    return fields, _lines(answer.get("lines"), confidence, notes), tuple(notes.items)


def _at(answer: dict[str, Any], path: tuple[str, ...], notes: _Notes) -> Any:
    value: Any = answer
    for depth, key in enumerate(path):
        if not isinstance(value, dict):
            notes.add(f"{'.'.join(path[:depth])}: not an object; left empty")
            return None
        if key not in value:
            notes.add(f"{'.'.join(path[: depth + 1])}: missing from the answer")
            return None
        value = value[key]
    return value


def _lines(raw: Any, confidence: float, notes: _Notes) -> tuple[ExtractedLine, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        notes.add("lines: not a list; no lines read")
        return ()
    lines = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            notes.add(f"lines[{index}]: not an object; skipped")
            continue
        values = {}
        for name in LINE_FIELDS:
            checked = check_value(f"lines[{index}].{name}", name, item.get(name))
            notes.add(checked.note)
            if checked.value is not None:
                values[name] = ExtractedField(value=checked.value, confidence=confidence)
        if values:
            lines.append(ExtractedLine(**values))
    return tuple(lines)
