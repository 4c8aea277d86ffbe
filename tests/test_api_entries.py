"""GET /api/v1/entries and /api/v1/entries/{id}: filters, keyset pagination, detail with history."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.store import Entry
from demo.factories import make_invoice, make_payload, make_verdict
from domain import EntryStatus
from tests.api_fixtures import ApiWorld, api_world

URL = "/api/v1/entries"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[ApiWorld]:
    with api_world(tmp_path) as world:
        yield world


def record(world: ApiWorld, number: int, status: EntryStatus, **invoice_fields: object) -> Entry:
    """Entry for invoice `number` with a verdict of `status`, written straight into the store."""
    invoice = make_invoice(source_invoice_id=str(number), invoice_number=f"INV-{number}", **invoice_fields)
    store = world.store()
    try:
        return store.verdicts.record_one(invoice, make_verdict(status), make_payload(invoice), actor="flow:test")
    finally:
        store.close()


def listed_ids(world: ApiWorld, **params: object) -> list[int]:
    response = world.client.get(URL, params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_entries_are_listed_newest_first_and_filtered(world: ApiWorld) -> None:
    ready = record(world, 1, EntryStatus.READY_TO_PROCESS, po_number="PO-A")
    review = record(world, 2, EntryStatus.MANUAL_REVIEW, po_number="PO-B")
    bad = record(world, 3, EntryStatus.BAD_INVOICE, po_number="PO-B", vendor_id="V002")

    assert listed_ids(world) == [bad.id, review.id, ready.id]
    assert listed_ids(world, status="manual_review") == [review.id]
    assert listed_ids(world, po_number="PO-B") == [bad.id, review.id]
    assert listed_ids(world, po_number="PO-B", vendor_id="V001") == [review.id]
    assert listed_ids(world, status="entered") == []


def test_a_summary_shows_the_entry_without_internal_fields(world: ApiWorld) -> None:
    entry = record(world, 1, EntryStatus.MANUAL_REVIEW)

    [item] = world.client.get(URL).json()["items"]

    assert item["id"] == entry.id
    assert (item["status"], item["po_number"], item["total"], item["invoice_date"]) == (
        "manual_review",
        "PO-1001",
        "424.9700",
        "2024-03-01",
    )
    assert not {"normalised_invoice_number", "flow_run_id", "invoice", "payload", "findings"} & set(item)


def test_pages_follow_the_cursor_to_the_last_one(world: ApiWorld) -> None:
    entries = [record(world, n, EntryStatus.MANUAL_REVIEW, po_number=f"PO-{n}") for n in range(1, 6)]
    seen, pages, cursor = [], 0, None

    while True:
        params = {"limit": 2, "status": "manual_review"} | ({"cursor": cursor} if cursor else {})
        page = world.client.get(URL, params=params).json()
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == [entry.id for entry in reversed(entries)]
    assert pages == 3
    assert world.client.get(URL, params={"limit": 5}).json()["next_cursor"] is None


def test_a_cursor_that_is_not_ours_gets_422(world: ApiWorld) -> None:
    for cursor in ("garbage!", "", "YWZ0ZXI6MQ"):  # the last one is "after:1"
        response = world.client.get(URL, params={"cursor": cursor})

        assert response.status_code == 422
        error = response.json()["error"]
        assert error["code"] == "invalid_cursor"
        assert error["details"][0]["field"] == "query.cursor"


def test_bad_query_parameters_get_422_naming_each(world: ApiWorld) -> None:
    response = world.client.get(URL, params={"limit": 201, "status": "lost"})

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert sorted(detail["field"] for detail in error["details"]) == ["query.limit", "query.status"]
    assert world.client.get(URL, params={"limit": 0}).status_code == 422
    assert world.client.get(URL, params={"limit": 200}).status_code == 200


def test_an_entry_shows_invoice_findings_payload_and_history(world: ApiWorld) -> None:
    one_cent_off = [
        {"line_no": 1, "part_number": "HX-001", "quantity": "2", "unit_price": "10.01", "line_total": "20.02"}
    ]
    world.add_invoice(1, lines=one_cent_off, subtotal="20.02", total_amount="20.02")
    entry_id = world.validate(1).json()["error"]["details"][0]["entry_id"]
    store = world.store()
    store.lifecycle.transition(entry_id, EntryStatus.READY_TO_PROCESS, actor="ap:alice", reason="price agreed by phone")
    store.close()

    response = world.client.get(f"{URL}/{entry_id}")

    assert response.status_code == 200, response.text
    detail = response.json()
    assert (detail["id"], detail["status"], detail["source_invoice_id"]) == (entry_id, "ready_to_process", "1")
    assert detail["invoice"]["lines"][0]["unit_price"] == "10.01"
    assert [finding["rule_id"] for finding in detail["findings"]] == ["price.unit_mismatch"]
    assert detail["payload"]["lines"][0]["erp_item_id"] == "ITM-HX-001"
    assert [(e["actor"], e["from_status"], e["to_status"], e["reason"]) for e in detail["history"]] == [
        ("user:test-clerk", None, "manual_review", "judged by rule set 2026.11.1"),
        ("ap:alice", "manual_review", "ready_to_process", "price agreed by phone"),
    ]
    assert detail["history"][0]["occurred_at"] <= detail["history"][1]["occurred_at"]


def test_an_unknown_entry_gets_404(world: ApiWorld) -> None:
    response = world.client.get(f"{URL}/404")

    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "entry_not_found",
        "message": "There is no process entry with id 404.",
        "details": [],
    }
    assert world.client.get(f"{URL}/not-a-number").json()["error"]["code"] == "invalid_request"
