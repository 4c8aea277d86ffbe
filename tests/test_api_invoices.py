"""POST /api/v1/invoices/{source_id}/validate over the real HTTP stack and real databases."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # types-jsonschema is not a dependency

from tests.api_fixtures import ONE_CENT_OFF, ApiWorld, api_world, dry_run_invoice


@pytest.fixture
def world(tmp_path: Path) -> Iterator[ApiWorld]:
    with api_world(tmp_path) as world:
        yield world


def entry_ids(world: ApiWorld) -> list[int]:
    return [item["id"] for item in world.client.get("/api/v1/entries").json()["items"]]


def test_a_ready_invoice_gets_200_and_a_payload_that_keeps_the_published_schema(world: ApiWorld) -> None:
    world.add_invoice(1)

    response = world.validate(1)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready_to_process"
    assert body["findings"] == []
    payload = body["payload"]
    schema = world.client.get("/api/v1/schemas/rpa-payload").json()
    Draft202012Validator(schema).validate(payload)
    assert (payload["po_number"], payload["total"]) == ("PO-1", "24.60")
    assert [(line["erp_item_id"], line["quantity"], line["amount"]) for line in payload["lines"]] == [
        ("ITM-HX-001", "2", "20.00"),
        ("ITM-HX-002", "0.5", "4.60"),
    ]
    assert entry_ids(world) == [body["entry_id"]]


def test_a_price_one_cent_off_gets_400_with_the_finding(world: ApiWorld) -> None:
    world.add_invoice(1, lines=ONE_CENT_OFF, subtotal="24.62", total_amount="24.62")

    response = world.validate(1)

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "manual_review"
    assert "needs manual review" in error["message"]
    [verdict] = error["details"]
    assert verdict["status"] == "manual_review"
    assert [
        (f["rule_id"], f["severity"], f["invoice_line_no"], f["po_line_no"], f["actual"]) for f in verdict["findings"]
    ] == [("price.unit_mismatch", "soft", 1, 1, "10.01")]
    assert entry_ids(world) == [verdict["entry_id"]]


def test_an_unknown_invoice_gets_404(world: ApiWorld) -> None:
    for source_id in ("404", "not-a-number"):
        response = world.validate(source_id)

        assert response.status_code == 404
        assert response.json()["error"]["code"] == "invoice_not_found"
        assert source_id in response.json()["error"]["message"]
    assert world.process_row_counts()["process_scheduler"] == 0


def test_an_unknown_po_gets_404_with_the_recorded_verdict(world: ApiWorld) -> None:
    world.add_invoice(1, po_number="PO-404")

    response = world.validate(1)

    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "po_not_found"
    assert "PO PO-404 does not exist" in error["message"]
    [verdict] = error["details"]
    assert verdict["status"] == "bad_invoice"
    assert "po.not_found" in [finding["rule_id"] for finding in verdict["findings"]]
    assert world.client.get(f"/api/v1/entries/{verdict['entry_id']}").json()["status"] == "bad_invoice"


def test_a_locked_po_gets_409_naming_the_po_and_its_holder(world: ApiWorld) -> None:
    world.add_invoice(1)
    world.add_invoice(2, invoice_number="INV-00002-B")
    holder = world.validate(1).json()["entry_id"]

    response = world.validate(2)

    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "po_locked"
    assert (
        f"PO PO-1 is locked by entry {holder}, which is ready_to_process (queued for the RPA bot)" in error["message"]
    )
    assert error["details"] == [{"po_number": "PO-1", "holding_entry_id": holder, "holding_status": "ready_to_process"}]
    assert entry_ids(world) == [holder]


def test_validating_twice_returns_the_recorded_verdict_and_records_once(world: ApiWorld) -> None:
    world.add_invoice(1, lines=ONE_CENT_OFF, subtotal="24.62", total_amount="24.62")

    first, second = world.validate(1), world.validate(1)

    assert (first.status_code, second.status_code) == (400, 400)
    assert first.json() == second.json()
    [entry_id] = entry_ids(world)
    assert len(world.client.get(f"/api/v1/entries/{entry_id}").json()["history"]) == 1
    assert world.process_row_counts() == {
        "inbox": 0,
        "intake_errors": 0,
        "pull_cursors": 0,
        "process_scheduler": 1,
        "entry_events": 1,
        "po_locks": 0,
        "webhook_deliveries": 0,
        "vendor_locks": 1,  # taken while recording, kept for the vendor's next entries
        "version_locks": 1,  # in manual review, it is the live version of its invoice
        "erp_documents": 0,
        "poll_runs": 0,
        "entry_findings": 1,  # its one finding's rule
        "documents": 0,
        "document_events": 0,
        "extraction_calls": 0,
    }


def test_a_new_version_of_an_invoice_is_judged_again(world: ApiWorld) -> None:
    world.add_invoice(1, lines=ONE_CENT_OFF, subtotal="24.62", total_amount="24.62")
    refused = world.validate(1).json()["error"]["details"][0]["entry_id"]
    world.add_invoice(1, version=2)

    response = world.validate(1)

    assert response.status_code == 200
    assert entry_ids(world) == [response.json()["entry_id"], refused]


def test_a_garbled_marketplace_invoice_gets_422_naming_every_field(world: ApiWorld) -> None:
    garbled_lines = [
        {"line_no": 1, "part_number": "HX-001", "quantity": "twelve", "unit_price": "-1", "line_total": "20.00"},
    ]
    world.add_invoice(1, lines=garbled_lines, currency="DOLLARS", total_amount=None)

    response = world.validate(1)

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invoice_unreadable"
    assert {(d["field"], d["value"]) for d in error["details"]} == {
        ("currency", "DOLLARS"),
        ("lines[1].quantity", "twelve"),
        ("lines[1].unit_price", "-1"),
        ("total", None),
    }
    assert all(d["message"] for d in error["details"])
    assert world.process_row_counts()["process_scheduler"] == 0


def test_validation_records_on_postgresql(tmp_path: Path, postgres_url: str) -> None:
    with api_world(tmp_path, process_db_url=postgres_url) as world:
        world.add_invoice(1)
        world.add_invoice(2, po_number="PO-2", lines=ONE_CENT_OFF, subtotal="24.62", total_amount="24.62")

        ready, review = world.validate(1), world.validate(2)

        assert ready.status_code == 200, ready.text
        assert ready.json()["payload"]["total"] == "24.60"
        assert review.status_code == 400
        assert world.validate(1).json() == ready.json()
        assert entry_ids(world) == [review.json()["error"]["details"][0]["entry_id"], ready.json()["entry_id"]]
        assert world.process_row_counts()["po_locks"] == 1


def test_a_po_number_written_in_other_case_with_spaces_is_the_erps_po(world: ApiWorld) -> None:
    """The vendor writes "po-1 ": it is the ERP's PO-1, judged, locked and paid under that spelling."""
    world.add_invoice(1, po_number="po-1 ")
    world.add_invoice(2, po_number="PO-1", invoice_number="INV-00002-B", total_amount="24.60")

    first = world.validate(1)
    second = world.validate(2)

    assert first.status_code == 200, first.text
    assert first.json()["payload"]["po_number"] == "PO-1"
    entry = world.client.get(f"/api/v1/entries/{first.json()['entry_id']}").json()
    assert entry["po_number"] == "PO-1"
    # one PO, one lock, whatever the spelling
    assert second.status_code == 409, second.text
    assert second.json()["error"]["details"] == [
        {"po_number": "PO-1", "holding_entry_id": entry["id"], "holding_status": "ready_to_process"}
    ]


def test_a_dry_run_finds_the_po_in_other_case_too(world: ApiWorld) -> None:
    response = world.client.post("/api/v1/validate", json=dry_run_invoice(po_number="po-1"))

    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["payload"]["po_number"]) == ("ready_to_process", "PO-1")
