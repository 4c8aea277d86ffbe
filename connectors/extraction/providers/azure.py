"""Azure Document Intelligence v4 (REST api-version 2024-11-30), the `prebuilt-invoice` model.

Analysis is a long-running operation: POST the document (base64 in JSON), take the 202's
`Operation-Location`, and GET it (waiting what `retry-after` asks) until its status is
`succeeded` or `failed`. Each field of `analyzeResult.documents[0].fields` carries its value,
the text as printed (`content`), a confidence and where it was read (`boundingRegions`, a polygon
in the page's unit: inches for PDFs, pixels for images).
"""

import base64
from decimal import Decimal
from typing import Any, TypeGuard
from urllib.parse import urlsplit

import httpx

from connectors.extraction.providers.base import (
    CallFailed,
    Monotonic,
    ProviderAnswer,
    ProviderConfig,
    Sleep,
    Usage,
    dig,
    read_json,
    retry_after_seconds,
    send_with_retries,
)
from connectors.extraction.providers.values import check_value, printed_amount
from domain.documents import Box, ExtractedField, ExtractedLine

API_VERSION = "2024-11-30"
INVOICE_MODEL = "prebuilt-invoice"
KEY_HEADER = "Ocp-Apim-Subscription-Key"

# The domain's field -> prebuilt-invoice's field.
FIELD_NAMES = {
    "invoice_number": "InvoiceId",
    "issue_date": "InvoiceDate",
    "due_date": "DueDate",
    "seller_name": "VendorName",
    "seller_vat_id": "VendorTaxId",
    "buyer_name": "CustomerName",
    "po_number": "PurchaseOrder",
    "subtotal": "SubTotal",
    "tax_total": "TotalTax",
    "total": "InvoiceTotal",
}
LINE_FIELD_NAMES = {
    "description": "Description",
    "part_number": "ProductCode",
    "quantity": "Quantity",
    "unit": "Unit",
    "unit_price": "UnitPrice",
    "line_total": "Amount",
}
# Where the invoice's currency shows: the amounts' currencyCode, the total's first.
_CURRENCY_SOURCES = ("InvoiceTotal", "SubTotal", "TotalTax", "AmountDue")


def analyze_url(config: ProviderConfig) -> str:
    return f"{config.base_url}/documentintelligence/documentModels/{config.model}:analyze?api-version={API_VERSION}"


def analyze(
    config: ProviderConfig, data: bytes, client: httpx.Client, *, clock: Monotonic, sleep: Sleep
) -> ProviderAnswer:
    headers = {KEY_HEADER: config.api_key.get_secret_value()}
    started = clock()
    body = {"base64Source": base64.b64encode(data).decode("ascii")}
    sent = send_with_retries(
        config,
        lambda: client.post(analyze_url(config), json=body, headers=headers, timeout=config.timeout_seconds),
        sleep=sleep,
    )
    attempts = sent.attempts
    operation = sent.response.headers.get("operation-location")
    if sent.response.status_code != 202 or not operation:
        raise CallFailed(f"HTTP {sent.response.status_code} without an Operation-Location to poll", attempts=attempts)
    if urlsplit(operation)[:2] != urlsplit(config.base_url)[:2]:
        # The key goes with every poll: never to another host than the configured endpoint.
        raise CallFailed(f"Operation-Location {operation!r} is not on the configured endpoint", attempts=attempts)
    wait = retry_after_seconds(sent.response)
    while True:
        sleep(config.poll_interval_seconds if wait is None else wait)
        polled = send_with_retries(
            config, lambda: client.get(operation, headers=headers, timeout=config.timeout_seconds), sleep=sleep
        )
        attempts += polled.attempts
        result = read_json(polled.response, attempts=attempts)
        status = dig(result, "status")
        if status == "succeeded":
            return _answer(result, attempts)
        if status in ("failed", "canceled"):
            raise CallFailed(f"analysis {status}: {_failure_reason(result)}", attempts=attempts)
        if status not in ("notStarted", "running"):
            raise CallFailed(f"unexpected analysis status {status!r}", attempts=attempts)
        if clock() - started > config.timeout_seconds:
            raise CallFailed(f"analysis still {status} after {config.timeout_seconds:g} s", attempts=attempts)
        wait = retry_after_seconds(polled.response)


def _failure_reason(result: Any) -> str:
    reason = str(dig(result, "error", "message") or dig(result, "error", "code") or "no reason given")
    detail = dig(result, "error", "innererror", "message")
    return f"{reason} ({detail})" if isinstance(detail, str) and detail else reason


def _answer(result: Any, attempts: int) -> ProviderAnswer:
    pages = dig(result, "analyzeResult", "pages")
    pages = pages if isinstance(pages, list) else []
    usage = Usage(pages=len(pages))
    documents = dig(result, "analyzeResult", "documents")
    if not isinstance(documents, list):
        raise CallFailed("the result has no documents list", attempts=attempts, usage=usage)
    sizes = _page_sizes(pages)
    notes: list[str] = []
    fields: dict[str, ExtractedField] = {}
    lines: tuple[ExtractedLine, ...] = ()
    if not documents:
        notes.append("Azure found no invoice in the document")
    else:
        if len(documents) > 1:
            notes.append(f"Azure found {len(documents)} invoices in the document; the first is read")
        found = dig(documents[0], "fields")
        found = found if isinstance(found, dict) else {}
        for name, azure_name in FIELD_NAMES.items():
            read = _field(found.get(azure_name), name, azure_name, sizes, notes)
            if read is not None:
                fields[name] = read
        currency = _currency(found, sizes)
        if currency is not None:
            fields["currency"] = currency
        lines = _lines(dig(found, "Items", "valueArray"), sizes, notes)
    return ProviderAnswer(
        pages=len(pages), fields=fields, lines=lines, usage=usage, attempts=attempts, notes=tuple(notes)
    )


def _page_sizes(pages: list[Any]) -> dict[int, tuple[float, float]]:
    sizes = {}
    for page in pages:
        number, width, height = dig(page, "pageNumber"), dig(page, "width"), dig(page, "height")
        if isinstance(number, int) and _positive(width) and _positive(height):
            sizes[number] = (float(width), float(height))
    return sizes


def _number(value: Any) -> TypeGuard[int | Decimal]:
    """A JSON number as read here: an int, or a Decimal (parse_float=Decimal), never a bool."""
    return isinstance(value, int | Decimal) and not isinstance(value, bool) and Decimal(value).is_finite()


def _positive(value: Any) -> bool:
    return _number(value) and value > 0


def _lines(items: Any, sizes: dict[int, tuple[float, float]], notes: list[str]) -> tuple[ExtractedLine, ...]:
    if not isinstance(items, list):
        return ()
    lines = []
    for index, item in enumerate(items):
        found = dig(item, "valueObject")
        if not isinstance(found, dict):
            continue
        values = {}
        for name, azure_name in LINE_FIELD_NAMES.items():
            read = _field(found.get(azure_name), name, f"Items[{index}].{azure_name}", sizes, notes)
            if read is not None:
                values[name] = read
        if values:
            lines.append(ExtractedLine(**values))
    return tuple(lines)


def _field(
    found: Any, name: str, path: str, sizes: dict[int, tuple[float, float]], notes: list[str]
) -> ExtractedField | None:
    if not isinstance(found, dict):
        return None
    checked = check_value(path, name, _raw_value(found))
    if checked.note:
        notes.append(checked.note)
    if checked.value is None:
        return None
    return ExtractedField(value=checked.value, confidence=_confidence(found), box=_box(found, sizes))


def _raw_value(found: dict[str, Any]) -> Any:
    """The field's typed value, in the domain's form where Azure's differs (amounts keep printed
    decimals); the printed `content` when Azure gave no typed value (check_value then judges it)."""
    content = found.get("content")
    if "valueCurrency" in found:
        return _amount(dig(found, "valueCurrency", "amount"), content)
    for key in ("valueNumber", "valueInteger"):
        if key in found:
            return _amount(found[key], content)
    for key in ("valueDate", "valueString"):
        if key in found:
            return found[key]
    return content


def _amount(number: Any, content: Any) -> Any:
    if _number(number):
        return printed_amount(Decimal(number), content if isinstance(content, str) else None)
    return number  # not a number: check_value notes it


def _currency(found: dict[str, Any], sizes: dict[int, tuple[float, float]]) -> ExtractedField | None:
    for azure_name in _CURRENCY_SOURCES:
        source = found.get(azure_name)
        code = dig(source, "valueCurrency", "currencyCode")
        if isinstance(source, dict) and isinstance(code, str):
            checked = check_value(f"{azure_name}.currencyCode", "currency", code)
            if checked.value is not None:
                return ExtractedField(value=checked.value, confidence=_confidence(source), box=_box(source, sizes))
    return None


def _confidence(found: dict[str, Any]) -> float:
    confidence = found.get("confidence")
    if _number(confidence):
        return min(1.0, max(0.0, float(confidence)))
    return 0.0  # Azure gives one for every field it reads; without one, a person looks


def _box(found: dict[str, Any], sizes: dict[int, tuple[float, float]]) -> Box | None:
    page, polygon = dig(found, "boundingRegions", 0, "pageNumber"), dig(found, "boundingRegions", 0, "polygon")
    if not isinstance(page, int) or page not in sizes or not isinstance(polygon, list) or len(polygon) < 4:
        return None
    if not all(_number(value) for value in polygon):
        return None
    width, height = sizes[page]
    xs, ys = [float(x) for x in polygon[0::2]], [float(y) for y in polygon[1::2]]
    return Box(
        page=page,
        x0=_fraction(min(xs) / width),
        y0=_fraction(min(ys) / height),
        x1=_fraction(max(xs) / width),
        y1=_fraction(max(ys) / height),
    )


def _fraction(value: float) -> float:
    return min(1.0, max(0.0, value))
