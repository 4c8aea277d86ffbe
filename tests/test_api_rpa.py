"""The bot's claim and callbacks and AP's decisions, through the API: every action from every status
(legal moves succeed, the others are 409 with the current status), idempotent callbacks, audit."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from domain import LEGAL_TRANSITIONS, EntryStatus
from tests.api_fixtures import ApiWorld, api_world, credentials_for, entry_in

# Each action of the API: who calls it, the body, the status it moves to, and from which statuses it may.
ACTIONS = {
    "approve": (
        "clerk",
        {"reason": "price agreed by phone"},
        EntryStatus.READY_TO_PROCESS,
        {EntryStatus.MANUAL_REVIEW},
    ),
    "reject": (
        "clerk",
        {"reason": "vendor withdrew it"},
        EntryStatus.REJECTED,
        {s for s, targets in LEGAL_TRANSITIONS.items() if EntryStatus.REJECTED in targets},
    ),
    "requeue": ("clerk", {"reason": "ERP was down, try again"}, EntryStatus.READY_TO_PROCESS, {EntryStatus.RPA_FAILED}),
    "success": ("bot", {"erp_document_id": "AP-77001"}, EntryStatus.ENTERED, {EntryStatus.DISPATCHED}),
    "failure": ("bot", {"reason": "ERP screen timed out"}, EntryStatus.RPA_FAILED, {EntryStatus.DISPATCHED}),
}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiWorld]:
    """One API for the module: each test makes entries on POs of their own."""
    with api_world(tmp_path_factory.mktemp("api")) as world:
        yield world


@pytest.fixture
def fresh_world(tmp_path: Path) -> Iterator[ApiWorld]:
    """An API with no entry yet, for what depends on every entry there is (the claim's order)."""
    with api_world(tmp_path) as world:
        yield world


def act(world: ApiWorld, action: str, entry_id: int, body: dict[str, str] | None = None) -> httpx.Response:
    role, default_body, _, _ = ACTIONS[action]
    prefix = "/api/v1/rpa" if role == "bot" else "/api/v1/entries"
    # TestClient's methods are Any to mypy (see ApiWorld.validate)
    response: httpx.Response = world.client.post(
        f"{prefix}/{entry_id}/{action}", json=default_body if body is None else body, headers=world.headers(role)
    )
    return response


def history(world: ApiWorld, entry_id: int) -> list[dict[str, object]]:
    events: list[dict[str, object]] = world.client.get(f"/api/v1/entries/{entry_id}").json()["history"]
    return events


@pytest.mark.parametrize("start", list(EntryStatus))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_action_from_every_status(world: ApiWorld, action: str, start: EntryStatus) -> None:
    _, _, target, allowed_from = ACTIONS[action]
    entry = entry_in(world, start)
    events_before = len(history(world, entry.id))

    response = act(world, action, entry.id)

    if start in allowed_from:
        assert response.status_code == 200, response.text
        assert response.json()["status"] == target
        assert len(history(world, entry.id)) == events_before + 1
    elif start is EntryStatus.ENTERED and ACTIONS[action][0] == "bot":
        # entered by another bot, which the tests' bot never took it from: nothing recorded
        assert response.status_code == 409, response.text
        assert response.json()["error"]["code"] == "already_entered"
        assert response.json()["error"]["details"] == [
            {"entry_id": entry.id, "erp_document_id": "AP-00001", "reported_document_id": None}
        ]
        assert len(history(world, entry.id)) == events_before
    else:
        assert response.status_code == 409, response.text
        error = response.json()["error"]
        assert error["code"] in {"illegal_transition", "callback_conflict", "superseded"}
        if start is EntryStatus.SUPERSEDED and ACTIONS[action][0] == "clerk":
            assert error["code"] == "superseded"
            assert "version 2 of the same invoice replaced it" in error["message"]
        assert error["details"] == [{"entry_id": entry.id, "current_status": start.value}]
        assert len(history(world, entry.id)) == events_before  # nothing written


def test_the_same_callback_twice_answers_the_same_and_writes_nothing(world: ApiWorld) -> None:
    entered, failed = entry_in(world, EntryStatus.DISPATCHED), entry_in(world, EntryStatus.DISPATCHED)

    first_success, second_success = act(world, "success", entered.id), act(world, "success", entered.id)
    first_failure, second_failure = act(world, "failure", failed.id), act(world, "failure", failed.id)

    assert first_success.status_code == second_success.status_code == 200
    assert first_success.json() == second_success.json()
    assert first_success.json()["erp_document_id"] == "AP-77001"
    assert first_failure.status_code == second_failure.status_code == 200
    assert first_failure.json() == second_failure.json()
    assert first_failure.json()["failure_reason"] == "ERP screen timed out"
    assert [e["to_status"] for e in history(world, entered.id)] == ["ready_to_process", "dispatched", "entered"]
    assert [e["to_status"] for e in history(world, failed.id)] == ["ready_to_process", "dispatched", "rpa_failed"]


def test_a_callback_on_an_entered_entry_is_409_already_entered_naming_the_document(world: ApiWorld) -> None:
    entry = entry_in(world, EntryStatus.DISPATCHED)
    act(world, "success", entry.id)

    failure_after_success = act(world, "failure", entry.id)

    assert failure_after_success.status_code == 409
    assert failure_after_success.json()["error"]["code"] == "already_entered"
    assert "as ERP document AP-77001" in failure_after_success.json()["error"]["message"]
    assert failure_after_success.json()["error"]["details"] == [
        {"entry_id": entry.id, "erp_document_id": "AP-77001", "reported_document_id": None}
    ]
    assert [e["to_status"] for e in history(world, entry.id)] == ["ready_to_process", "dispatched", "entered"]


def test_a_second_document_is_kept_and_flags_a_possible_double_entry(world: ApiWorld) -> None:
    entry = entry_in(world, EntryStatus.DISPATCHED)
    act(world, "success", entry.id)

    other_document = act(world, "success", entry.id, {"erp_document_id": "AP-99999"})
    again = act(world, "success", entry.id, {"erp_document_id": "AP-99999"})

    for response in (other_document, again):
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "already_entered"
        assert response.json()["error"]["details"] == [
            {"entry_id": entry.id, "erp_document_id": "AP-77001", "reported_document_id": "AP-99999"}
        ]
    detail = world.client.get(f"/api/v1/entries/{entry.id}", headers=world.headers("clerk")).json()
    assert (detail["status"], detail["erp_document_id"], detail["possible_double_entry"]) == (
        "entered",
        "AP-77001",
        True,
    )
    assert [document["erp_document_id"] for document in detail["erp_documents"]] == ["AP-77001", "AP-99999"]
    flagged = world.client.get(
        "/api/v1/entries", params={"possible_double_entry": "true"}, headers=world.headers("clerk")
    ).json()["items"]
    assert entry.id in [item["id"] for item in flagged]
    # one audit event for the flag, however often it is reported
    assert [(e["from_status"], e["to_status"]) for e in history(world, entry.id)][-1] == ("entered", "entered")
    assert len(history(world, entry.id)) == 4


def test_claim_hands_out_the_oldest_ready_entry_then_204(fresh_world: ApiWorld) -> None:
    world = fresh_world
    older, newer = entry_in(world, EntryStatus.READY_TO_PROCESS), entry_in(world, EntryStatus.READY_TO_PROCESS)
    bot = world.headers("bot")

    claims = [world.client.post("/api/v1/rpa/claim", headers=bot) for _ in range(3)]

    assert [c.status_code for c in claims] == [200, 200, 204]
    assert [c.json()["entry_id"] for c in claims[:2]] == [older.id, newer.id]
    assert claims[0].json()["payload"]["source_invoice_id"] == older.source_invoice_id
    assert claims[2].content == b""
    detail = world.client.get(f"/api/v1/entries/{older.id}").json()
    assert (detail["status"], detail["dispatched_to"]) == ("dispatched", "bot:test-bot")
    assert detail["history"][-1]["actor"] == "bot:test-bot"


def test_success_releases_the_po_and_failure_keeps_it_locked(world: ApiWorld) -> None:
    entered, failed = (
        entry_in(world, EntryStatus.DISPATCHED, po_number="PO-X"),
        entry_in(world, EntryStatus.DISPATCHED, po_number="PO-Y"),
    )

    act(world, "success", entered.id)
    act(world, "failure", failed.id)

    store = world.store()
    try:
        assert store.entries.po_lock_holder("PO-X") is None
        assert store.entries.po_lock_holder("PO-Y") == failed.id
    finally:
        store.close()


def test_a_clerks_decision_is_one_event_naming_the_clerk_and_the_reason(world: ApiWorld) -> None:
    entry = entry_in(world, EntryStatus.MANUAL_REVIEW)

    response = act(world, "approve", entry.id)

    assert response.status_code == 200
    last = history(world, entry.id)[-1]
    assert (last["actor"], last["from_status"], last["to_status"], last["reason"]) == (
        "user:test-clerk",
        "manual_review",
        "ready_to_process",
        "price agreed by phone",
    )


def test_a_decision_needs_a_reason(world: ApiWorld) -> None:
    entry = entry_in(world, EntryStatus.MANUAL_REVIEW)

    for body in ({}, {"reason": ""}):
        response = act(world, "approve", entry.id, body)
        assert response.status_code == 422
        assert [p["field"] for p in response.json()["error"]["details"]] == ["body.reason"]
    assert len(history(world, entry.id)) == 1


def test_approve_waits_while_another_entry_holds_the_po(world: ApiWorld) -> None:
    holder = entry_in(world, EntryStatus.READY_TO_PROCESS, po_number="PO-SHARED")
    review = entry_in(world, EntryStatus.MANUAL_REVIEW, po_number="PO-SHARED")

    response = act(world, "approve", review.id)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "po_locked"
    assert response.json()["error"]["details"] == [
        {"po_number": "PO-SHARED", "holding_entry_id": holder.id, "holding_status": "ready_to_process"}
    ]
    assert f"locked by entry {holder.id}, which is ready_to_process" in response.json()["error"]["message"]
    assert world.client.get(f"/api/v1/entries/{review.id}").json()["status"] == "manual_review"


def test_an_entry_without_payload_cannot_be_approved(world: ApiWorld) -> None:
    entry = entry_in(world, EntryStatus.MANUAL_REVIEW, with_payload=False)

    response = act(world, "approve", entry.id)

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "no_payload"
    assert world.client.get(f"/api/v1/entries/{entry.id}").json()["status"] == "manual_review"


def test_a_bot_cannot_call_back_on_an_entry_another_bot_claimed(fresh_world: ApiWorld) -> None:
    entry = entry_in(fresh_world, EntryStatus.READY_TO_PROCESS)
    claimed = fresh_world.client.post("/api/v1/rpa/claim", headers=fresh_world.headers("bot")).json()
    assert claimed["entry_id"] == entry.id
    other_bot = credentials_for(fresh_world.settings, "bot", name="other-bot")

    refused = fresh_world.client.post(
        f"/api/v1/rpa/{entry.id}/success", json={"erp_document_id": "AP-1"}, headers=other_bot
    )

    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "not_claim_holder"
    detail = fresh_world.client.get(f"/api/v1/entries/{entry.id}").json()
    assert (detail["status"], detail["dispatched_to"]) == ("dispatched", "bot:test-bot")
    last = detail["history"][-1]
    assert (last["actor"], last["from_status"], last["to_status"]) == ("bot:other-bot", "dispatched", "dispatched")
    assert last["reason"].startswith("refused: bot:other-bot reported entered")
    # the claim holder still reports
    entered = fresh_world.client.post(
        f"/api/v1/rpa/{entry.id}/success", json={"erp_document_id": "AP-1"}, headers=fresh_world.headers("bot")
    )
    assert entered.status_code == 200, entered.text


def test_requeue_of_an_entry_in_review_says_what_requeue_is_for(world: ApiWorld) -> None:
    entry = entry_in(world, EntryStatus.MANUAL_REVIEW)

    response = act(world, "requeue", entry.id)

    assert response.status_code == 409
    assert response.json()["error"]["message"] == (
        f"Entry {entry.id} is manual_review and cannot move to ready_to_process "
        "(this action moves only a rpa_failed entry to ready_to_process)."
    )
