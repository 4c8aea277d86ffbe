"""Approve and requeue judge the entry again before it goes to the bot: a hard finding now stops
it, a soft one the clerk has not seen stops it until acknowledged, and what was seen is not asked again."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from connectors.erp.demo_schema import ap_invoice, po_header, po_line
from connectors.store import DuplicateCheckOutdatedError, DuplicateRecheck, ProcessStore
from demo.factories import invoice_for, make_invoice, make_payload, make_verdict
from domain import EntryStatus, Invoice
from services.judging import JudgedBatch, JudgingService, RecordedVerdict
from services.runtime import Services
from tests.api_fixtures import ONE_CENT_OFF, ApiWorld, api_world


@pytest.fixture
def world(tmp_path: Path) -> Iterator[ApiWorld]:
    with api_world(tmp_path) as world:
        yield world


def in_review(world: ApiWorld, invoice_id: int = 1, po_number: str = "PO-1") -> int:
    world.add_invoice(invoice_id, lines=ONE_CENT_OFF, subtotal="24.62", total_amount="24.62", po_number=po_number)
    response = world.validate(invoice_id)
    assert response.status_code == 400 and response.json()["error"]["code"] == "manual_review", response.text
    entry_id: int = response.json()["error"]["details"][0]["entry_id"]
    return entry_id


def erp(world: ApiWorld, statement: sa.Executable) -> None:
    engine = sa.create_engine(world.settings.erp_db_url)
    try:
        with engine.begin() as connection:
            connection.execute(statement)
    finally:
        engine.dispose()


def decide(world: ApiWorld, action: str, entry_id: int, **body: Any) -> httpx.Response:
    response: httpx.Response = world.client.post(
        f"/api/v1/entries/{entry_id}/{action}", json={"reason": "price agreed by phone", **body}
    )
    return response


def history(world: ApiWorld, entry_id: int) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = world.client.get(f"/api/v1/entries/{entry_id}").json()["history"]
    return events


def test_findings_seen_at_review_are_not_asked_again(world: ApiWorld) -> None:
    entry_id = in_review(world)

    response = decide(world, "approve", entry_id)

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ready_to_process"
    assert history(world, entry_id)[-1]["reason"] == "price agreed by phone"


def test_a_po_closed_since_the_review_stops_the_approval(world: ApiWorld) -> None:
    entry_id = in_review(world)
    erp(world, po_header.update().where(po_header.c.po_number == "PO-1").values(po_status="C"))
    events_before = len(history(world, entry_id))

    response = decide(world, "approve", entry_id)

    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "hard_findings"
    [verdict] = error["details"]
    assert (verdict["entry_id"], verdict["status"]) == (entry_id, "manual_review")
    assert [(f["rule_id"], f["severity"]) for f in verdict["findings"]] == [("po.not_open", "hard")]
    assert len(history(world, entry_id)) == events_before  # nothing written, still in review


def test_a_po_line_used_up_since_the_review_asks_the_clerk_again(world: ApiWorld) -> None:
    entry_id = in_review(world)
    erp(world, po_line.update().where(po_line.c.po_number == "PO-1", po_line.c.po_line_no == 1).values(qty_invoiced=9))

    refused = decide(world, "approve", entry_id)

    assert refused.status_code == 409, refused.text
    error = refused.json()["error"]
    assert error["code"] == "changed_since_review"
    assert "qty.over_open" in error["message"]
    assert [f["rule_id"] for f in error["details"][0]["findings"]] == ["qty.over_open"]

    approved = decide(world, "approve", entry_id, acknowledge=["qty.over_open"])

    assert approved.status_code == 200, approved.text
    last = history(world, entry_id)[-1]
    assert (last["to_status"], last["reason"]) == (
        "ready_to_process",
        "price agreed by phone (acknowledged: qty.over_open)",
    )


def test_a_requeue_after_the_same_number_was_entered_is_refused(world: ApiWorld) -> None:
    world.add_invoice(1)
    entry_id = world.validate(1).json()["entry_id"]
    claimed = world.client.post("/api/v1/rpa/claim", headers=world.headers("bot")).json()
    assert claimed["entry_id"] == entry_id
    failed = world.client.post(
        f"/api/v1/rpa/{entry_id}/failure", json={"reason": "ERP screen timed out"}, headers=world.headers("bot")
    )
    assert failed.status_code == 200
    # a clerk keyed it in by hand meanwhile
    erp(
        world,
        ap_invoice.insert().values(
            ap_doc_id="AP-HAND-1", vendor_id="V1", vendor_invoice_no="INV-00001", invoice_date=datetime(2026, 11, 2),
            po_number="PO-1", currency_code="USD", invoice_total=24.60, entered_at=datetime.now(UTC).replace(tzinfo=None),
        ),
    )  # fmt: skip

    response = decide(world, "requeue", entry_id)

    assert response.status_code == 409, response.text
    findings = response.json()["error"]["details"][0]["findings"]
    assert [(f["rule_id"], f["actual"]) for f in findings] == [("duplicate.exact", "INV-00001")]
    assert world.client.get(f"/api/v1/entries/{entry_id}").json()["status"] == "rpa_failed"


def test_acknowledging_an_unknown_rule_is_refused_naming_the_field(world: ApiWorld) -> None:
    entry_id = in_review(world)

    response = decide(world, "approve", entry_id, acknowledge=["qty.over_opne"])

    assert response.status_code == 422
    [problem] = response.json()["error"]["details"]
    assert problem["field"] == "body.acknowledge" and "qty.over_opne" in problem["message"]


def test_a_copy_recorded_while_the_approval_judges_makes_it_judge_again(
    world: ApiWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Invoice 2, the same amount as invoice 1 under another number on another PO (maybe the same bill), is
    recorded between the approval's judging and its move: the move sees what the judging did not, the
    approval judges again, and the clerk is asked about it."""
    entry_id = in_review(world, 1, po_number="PO-1")
    world.add_invoice(2, lines=ONE_CENT_OFF, subtotal="24.62", total_amount="24.62", po_number="PO-2")
    judging: JudgingService = world.client.app_state["services"].judging
    judge = judging.judge
    copies: list[RecordedVerdict] = []

    def judge_while_the_copy_is_recorded(invoices: list[Invoice]) -> JudgedBatch:
        judged = judge(invoices)
        if not copies:
            other = Services.from_settings(world.settings)
            try:
                copies.append(other.judging.validate_marketplace_invoice("2", actor="user:other-clerk"))
            finally:
                other.close()
        return judged

    monkeypatch.setattr(judging, "judge", judge_while_the_copy_is_recorded)
    response = decide(world, "approve", entry_id)

    assert copies[0].entry.status.value == "manual_review"  # live: a possible duplicate of invoice 1
    assert response.status_code == 409, response.text
    # judged again, invoice 1 sees invoice 2 as a possible duplicate the clerk has not been shown
    error = response.json()["error"]
    assert error["code"] == "changed_since_review"
    assert [f["rule_id"] for f in error["details"][0]["findings"]] == ["duplicate.possible"]


def test_a_move_rechecked_under_the_vendor_lock_refuses_what_its_judgement_did_not_see(store: ProcessStore) -> None:
    """On every database: the entry's judgement saw no live entry, but one with the same number was recorded since."""
    in_review = store.verdicts.record_one(
        invoice_for(1), make_verdict(EntryStatus.MANUAL_REVIEW), make_payload(invoice_for(1)), actor="flow:test"
    )
    copy = make_invoice(source_invoice_id="2", invoice_number="INV-1", po_number="PO-2002")
    store.verdicts.record_one(copy, make_verdict(EntryStatus.MANUAL_REVIEW), make_payload(copy), actor="flow:test")

    with pytest.raises(DuplicateCheckOutdatedError):
        store.lifecycle.transition(
            in_review.id,
            EntryStatus.READY_TO_PROCESS,
            actor="user:clerk",
            reason="checked",
            only_from=EntryStatus.MANUAL_REVIEW,
            recheck=DuplicateRecheck(invoice_for(1), seen_entry_ids=[in_review.id]),
        )
    assert store.entries.get(in_review.id).status is EntryStatus.MANUAL_REVIEW
