"""POST /api/v1/validate: an invoice posted as JSON is judged with exact decimals and nothing is recorded."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api_fixtures import ApiWorld, api_world, dry_run_invoice

URL = "/api/v1/validate"
NOTHING_RECORDED = {
    "inbox": 0,
    "intake_errors": 0,
    "pull_cursors": 0,
    "process_scheduler": 0,
    "entry_events": 0,
    "po_locks": 0,
    "webhook_deliveries": 0,
    "vendor_locks": 0,
    "version_locks": 0,
    "erp_documents": 0,
    "poll_runs": 0,
    "entry_findings": 0,
    "documents": 0,
    "document_events": 0,
    "extraction_calls": 0,
}


@pytest.fixture
def world(tmp_path: Path) -> Iterator[ApiWorld]:
    with api_world(tmp_path) as world:
        yield world


def post_json_text(world: ApiWorld, text: str | bytes) -> dict[str, Any]:
    response = world.client.post(URL, content=text, headers={"content-type": "application/json"})
    return {"status_code": response.status_code, **response.json()}


def test_a_valid_invoice_is_judged_and_nothing_is_recorded(world: ApiWorld) -> None:
    response = world.client.post(URL, json=dry_run_invoice())

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["findings"], body["rule_set_version"]) == ("ready_to_process", [], "2026.11.1")
    assert body["payload"]["lines"][0]["amount"] == "20.00"
    assert "entry_id" not in body
    assert world.process_row_counts() == NOTHING_RECORDED


def test_a_refused_invoice_is_200_with_its_findings_and_no_payload(world: ApiWorld) -> None:
    one_cent_off = [
        {"line_no": 1, "part_number": "HX-001", "quantity": "2", "unit_price": "10.01", "line_total": "20.02"}
    ]

    response = world.client.post(URL, json=dry_run_invoice(lines=one_cent_off, subtotal="20.02", total="20.02"))

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "manual_review"
    assert [finding["rule_id"] for finding in body["findings"]] == ["price.unit_mismatch"]
    assert body["payload"] is None
    assert world.process_row_counts() == NOTHING_RECORDED


def test_json_numbers_are_read_as_exact_decimals(world: ApiWorld) -> None:
    # 3 × 0.1 is 0.30000000000000004 in binary floats, which would break qty × price = line total.
    lines = [{"line_no": 1, "part_number": "HX-003", "quantity": 3, "unit_price": 0.1, "line_total": 0.3}]
    text = json.dumps(dry_run_invoice(lines=lines, subtotal=0.3, total=0.3))
    assert '"unit_price": 0.1' in text

    body = post_json_text(world, text)

    assert body["status_code"] == 200
    assert (body["status"], body["findings"]) == ("ready_to_process", [])
    [line] = body["payload"]["lines"]
    assert (line["quantity"], line["unit_price"], line["amount"]) == ("3", "0.1", "0.3")


@pytest.mark.parametrize(
    "text", [b'{"source": "vendor-portal",', b"", b"\xff\xfe not utf-8"], ids=["cut", "empty", "bytes"]
)
def test_malformed_json_gets_422(world: ApiWorld, text: bytes) -> None:
    body = post_json_text(world, text)

    assert body["status_code"] == 422
    assert body["error"]["code"] == "malformed_json"
    assert [d["field"] for d in body["error"]["details"]] == ["body"]
    assert body["error"]["message"].startswith("The request body is not valid JSON")


def test_invalid_fields_get_422_naming_each_one(world: ApiWorld) -> None:
    invoice = dry_run_invoice(
        invoice_date="yesterday",
        total="12,50",
        lines=[
            {"line_no": 1, "part_number": "HX-001", "quantity": "2", "unit_price": "10.00", "line_total": "20.00"},
            {"line_no": 2, "part_number": "HX-002", "quantity": "lots", "unit_price": "9.20", "line_total": "4.60"},
        ],
    )
    del invoice["currency"]

    response = world.client.post(URL, json=invoice)

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_invoice"
    assert {(d["field"], d["value"]) for d in error["details"]} == {
        ("currency", None),
        ("invoice_date", "yesterday"),
        ("lines[1].quantity", "lots"),
        ("total", "12,50"),
    }
    assert next(d["message"] for d in error["details"] if d["field"] == "currency") == "is required"
    assert "lines[1].quantity" in error["message"]


def test_a_document_level_problem_is_named_after_the_invoice(world: ApiWorld) -> None:
    response = world.client.post(URL, json=dry_run_invoice(due_date="2000-01-01"))

    assert response.status_code == 422
    assert response.json()["error"]["details"] == [
        {"field": "invoice", "message": "due_date must not be before invoice_date", "value": None}
    ]


def test_the_request_body_is_documented_as_an_invoice(world: ApiWorld) -> None:
    operation = world.client.get("/openapi.json").json()["paths"][URL]["post"]

    schema = operation["requestBody"]["content"]["application/json"]["schema"]

    assert {"vendor_id", "po_number", "lines", "total"} <= set(schema["required"])
    assert "quantity" in schema["properties"]["lines"]["items"]["properties"]
    assert "$ref" not in json.dumps(schema)


def test_an_amount_past_a_hundred_trillion_is_422_naming_it_and_the_largest_is_judged(world: ApiWorld) -> None:
    """Found by schemathesis: 930 trillion overflowed SQLite's 64-bit column in the duplicate
    look-up (a 500). Amounts have 14 integer digits at most, everywhere."""
    largest = "99999999999999.9999"
    too_large = world.client.post(URL, json=dry_run_invoice(total="930000000000000"))
    judged = world.client.post(URL, json=dry_run_invoice(total=largest, subtotal=largest))

    assert too_large.status_code == 422
    assert [detail["field"] for detail in too_large.json()["error"]["details"]] == ["total"]
    assert judged.status_code == 200, judged.text
    assert world.process_row_counts() == NOTHING_RECORDED
