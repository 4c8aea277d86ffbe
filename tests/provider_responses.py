"""Provider answers shaped exactly as each provider documents them.

Azure: Document Intelligence REST 2024-11-30, `prebuilt-invoice` (analyze → 202 + Operation-Location,
then the analyze result: status, analyzeResult.pages/documents[].fields with type, value*, content,
boundingRegions, confidence, spans). Gemini: `GenerateContentResponse` (candidates, usageMetadata,
modelVersion, responseId). OpenAI: `chat.completion` (choices[].message, usage).
"""

from typing import Any

AZURE_ENDPOINT = "https://contoso-di.cognitiveservices.azure.com"
AZURE_RESULT_URL = (
    f"{AZURE_ENDPOINT}/documentintelligence/documentModels/prebuilt-invoice/analyzeResults/"
    "3b31320d-8bab-4f88-b19c-2322a7f11034?api-version=2024-11-30"
)
GEMINI_BASE_URL = "https://generativelanguage.googleapis.com"
OPENAI_BASE_URL = "https://api.openai.com/v1"


# --- Azure Document Intelligence --------------------------------------------------------------


def _region(page: int, x0: float, y0: float, x1: float, y1: float) -> list[dict[str, Any]]:
    return [{"pageNumber": page, "polygon": [x0, y0, x1, y0, x1, y1, x0, y1]}]


def _string(value: str, confidence: float, region: list[dict[str, Any]], offset: int) -> dict[str, Any]:
    return {
        "type": "string",
        "valueString": value,
        "content": value,
        "boundingRegions": region,
        "confidence": confidence,
        "spans": [{"offset": offset, "length": len(value)}],
    }


def _currency(amount: float, content: str, confidence: float, region: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "currency",
        "valueCurrency": {"currencySymbol": "€", "amount": amount, "currencyCode": "EUR"},
        "content": content,
        "boundingRegions": region,
        "confidence": confidence,
        "spans": [{"offset": 400, "length": len(content)}],
    }


def _number(value: float, content: str, confidence: float, region: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "number",
        "valueNumber": value,
        "content": content,
        "boundingRegions": region,
        "confidence": confidence,
        "spans": [{"offset": 300, "length": len(content)}],
    }


def _date(value: str, content: str, confidence: float, region: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "date",
        "valueDate": value,
        "content": content,
        "boundingRegions": region,
        "confidence": confidence,
        "spans": [{"offset": 80, "length": len(content)}],
    }


def _item(
    description: str,
    code: str,
    quantity: tuple[float, str],
    unit: str,
    price: tuple[float, str],
    amount: tuple[float, str],
    y: float,
) -> dict[str, Any]:
    def at(x0: float, x1: float) -> list[dict[str, Any]]:
        return _region(1, x0, y, x1, y + 0.15)

    return {
        "type": "object",
        "valueObject": {
            "Description": _string(description, 0.91, at(1.0, 3.5), 600),
            "ProductCode": _string(code, 0.88, at(0.5, 0.95), 590),
            "Quantity": _number(quantity[0], quantity[1], 0.9, at(4.5, 4.8)),
            "Unit": _string(unit, 0.87, at(4.9, 5.2), 640),
            "UnitPrice": _currency(price[0], price[1], 0.86, at(5.9, 6.6)),
            "Amount": _currency(amount[0], amount[1], 0.92, at(7.2, 7.9)),
        },
        "content": f"{code} {description} {quantity[1]} {unit} {price[1]} {amount[1]}",
        "boundingRegions": at(0.5, 7.9),
        "confidence": 0.95,
        "spans": [{"offset": 590, "length": 60}],
    }


def azure_invoice_result(
    *, unit: str = "inch", width: float = 8.5, height: float = 11, scale: float = 1.0
) -> dict[str, Any]:
    """A `succeeded` analyze result of a German invoice: amounts printed `1.018,75 €`, read by Azure
    as numbers; `scale` turns the inch polygons into pixels for an image's result."""

    def region(x0: float, y0: float, x1: float, y1: float) -> list[dict[str, Any]]:
        return _region(1, x0 * scale, y0 * scale, x1 * scale, y1 * scale)

    fields = {
        "InvoiceId": _string("RE-2026-0042", 0.973, region(6.9, 1.4, 7.9, 1.55), 51),
        "InvoiceDate": _date("2026-03-02", "02.03.2026", 0.968, region(6.9, 1.6, 7.9, 1.75)),
        "DueDate": _date("2026-04-01", "01.04.2026", 0.951, region(6.9, 1.8, 7.9, 1.95)),
        "VendorName": _string("Muster GmbH", 0.94, region(0.6, 0.7, 2.3, 0.9), 0),
        "VendorTaxId": _string("DE123456789", 0.93, region(0.6, 10.2, 1.9, 10.35), 900),
        "CustomerName": _string("Contoso Ltd", 0.949, region(0.6, 2.6, 1.6, 2.8), 238),
        "PurchaseOrder": _string("PO-7781", 0.962, region(1.8, 4.8, 2.6, 4.95), 541),
        "SubTotal": _currency(1018.75, "1.018,75 €", 0.958, region(6.8, 7.0, 7.9, 7.15)),
        "TotalTax": _currency(193.56, "193,56 €", 0.941, region(6.8, 7.25, 7.9, 7.4)),
        "InvoiceTotal": _currency(1212.31, "1.212,31 €", 0.968, region(6.8, 7.5, 7.9, 7.65)),
        "Items": {
            "type": "array",
            "valueArray": [
                _item("Hydraulikpumpe HX-200", "HX-200", (2, "2"), "Stk", (450, "450,00"), (900, "900,00"), 5.7),
                _item("Dichtungssatz", "SK-15", (4, "4"), "Stk", (25, "25,00"), (100, "100,00"), 6.0),
                _item("Montage", "SRV-1", (1.5, "1,5"), "h", (12.5, "12,50"), (18.75, "18,75"), 6.3),
            ],
        },
    }
    return {
        "status": "succeeded",
        "createdDateTime": "2026-03-05T09:12:01Z",
        "lastUpdatedDateTime": "2026-03-05T09:12:04Z",
        "analyzeResult": {
            "apiVersion": "2024-11-30",
            "modelId": "prebuilt-invoice",
            "stringIndexType": "textElements",
            "contentFormat": "text",
            "content": "Muster GmbH\nRECHNUNG\n...",
            "pages": [
                {
                    "pageNumber": 1,
                    "angle": 0,
                    "width": width,
                    "height": height,
                    "unit": unit,
                    "words": [],
                    "lines": [],
                    "spans": [{"offset": 0, "length": 960}],
                }
            ],
            "tables": [],
            "documents": [
                {
                    "docType": "invoice",
                    "boundingRegions": region(0, 0, 8.5, 11),
                    "fields": fields,
                    "confidence": 1,
                    "spans": [{"offset": 0, "length": 960}],
                }
            ],
        },
    }


AZURE_RUNNING = {
    "status": "running",
    "createdDateTime": "2026-03-05T09:12:01Z",
    "lastUpdatedDateTime": "2026-03-05T09:12:02Z",
}
AZURE_FAILED = {
    "status": "failed",
    "createdDateTime": "2026-03-05T09:12:01Z",
    "lastUpdatedDateTime": "2026-03-05T09:12:03Z",
    "error": {
        "code": "InvalidRequest",
        "message": "Invalid request.",
        "innererror": {"code": "InvalidContent", "message": "The file is corrupted or format is unsupported."},
    },
}
AZURE_UNAUTHORIZED = {
    "error": {
        "code": "401",
        "message": "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid "
        "key for an active subscription and use a correct regional API endpoint for your resource.",
    }
}

# --- the answer both LLMs give, as the JSON text of their message -----------------------------

LLM_ANSWER: dict[str, Any] = {
    "invoice_number": "RE-2026-0042",
    "issue_date": "2026-03-02",
    "due_date": "2026-04-01",
    "currency": "EUR",
    "seller": {"name": "Muster GmbH", "vat_id": "DE123456789"},
    "buyer": {"name": "Contoso Ltd"},
    "po_number": "PO-7781",
    "subtotal": "1018.75",
    "tax_total": "193.56",
    "total": "1212.31",
    "lines": [
        {
            "description": "Hydraulikpumpe HX-200",
            "part_number": "HX-200",
            "quantity": "2",
            "unit": "Stk",
            "unit_price": "450.00",
            "line_total": "900.00",
        },
        {
            "description": "Montage",
            "part_number": None,
            "quantity": "1.5",
            "unit": "h",
            "unit_price": "12.50",
            "line_total": "18.75",
        },
    ],
}


def gemini_response(text: str, *, finish_reason: str = "STOP") -> dict[str, Any]:
    return {
        "candidates": [
            {"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": finish_reason, "index": 0}
        ],
        "usageMetadata": {
            "promptTokenCount": 1290,
            "candidatesTokenCount": 310,
            "totalTokenCount": 1850,
            "promptTokensDetails": [
                {"modality": "TEXT", "tokenCount": 32},
                {"modality": "DOCUMENT", "tokenCount": 1258},
            ],
            "thoughtsTokenCount": 250,
        },
        "modelVersion": "gemini-2.5-flash",
        "responseId": "mAitaJ3nBIuDz7IPk5aQ6AQ",
    }


GEMINI_RATE_LIMITED = {
    "error": {
        "code": 429,
        "message": "You exceeded your current quota, please check your plan and billing details.",
        "status": "RESOURCE_EXHAUSTED",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                "violations": [
                    {"quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests"}
                ],
            },
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "7s"},
        ],
    }
}


def openai_response(content: str | None, *, finish_reason: str = "stop", refusal: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
        "object": "chat.completion",
        "created": 1741570283,
        "model": "gpt-4o-2024-08-06",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": refusal, "annotations": []},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": 1117,
            "completion_tokens": 246,
            "total_tokens": 1363,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
        "service_tier": "default",
        "system_fingerprint": "fp_fc9f1d7035",
    }


OPENAI_RATE_LIMITED = {
    "error": {
        "message": "Rate limit reached for gpt-4o in organization org-abc on tokens per min (TPM): "
        "Limit 30000, Used 29500, Requested 1363.",
        "type": "tokens",
        "param": None,
        "code": "rate_limit_exceeded",
    }
}
OPENAI_UNAUTHORIZED = {
    "error": {
        "message": "Incorrect API key provided: sk-wrong. You can find your API key at https://platform.openai.com/account/api-keys.",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_api_key",
    }
}
