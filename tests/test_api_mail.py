"""POST /api/v1/entries/{id}/mail: a clerk mails a ready payload to the bot's mailbox (a real SMTP
server on 127.0.0.1); the entry is dispatched only once the server accepted the mail."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from domain import EntryStatus
from domain.payload_schema import payload_json
from tests.api_fixtures import ApiWorld, api_world, entry_in
from tests.mailroom import MAILBOX, Mailroom, free_port


@pytest.fixture
def mailroom() -> Iterator[tuple[Mailroom, int]]:
    room = Mailroom()
    controller = Controller(room, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield room, controller.port
    controller.stop()


@pytest.fixture
def world(tmp_path: Path, mailroom: tuple[Mailroom, int]) -> Iterator[ApiWorld]:
    _, port = mailroom
    with api_world(tmp_path, smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False, rpa_mailbox=MAILBOX) as world:
        yield world


def test_a_clerk_mails_a_ready_payload_and_the_entry_is_dispatched(
    world: ApiWorld, mailroom: tuple[Mailroom, int]
) -> None:
    room, _ = mailroom
    entry = entry_in(world, EntryStatus.READY_TO_PROCESS)

    response = world.client.post(f"/api/v1/entries/{entry.id}/mail")

    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["dispatched_to"]) == ("dispatched", MAILBOX)
    [message] = room.messages()
    [attachment] = list(message.iter_attachments())
    assert entry.payload is not None
    assert json.loads(attachment.get_content()) == payload_json(entry.payload)
    last = world.client.get(f"/api/v1/entries/{entry.id}").json()["history"][-1]
    assert (last["actor"], last["to_status"]) == ("user:test-clerk", "dispatched")


def test_a_refused_mail_is_502_and_the_entry_stays_ready(world: ApiWorld, mailroom: tuple[Mailroom, int]) -> None:
    room, _ = mailroom
    room.accept = 0
    entry = entry_in(world, EntryStatus.READY_TO_PROCESS)

    response = world.client.post(f"/api/v1/entries/{entry.id}/mail")

    assert response.status_code == 502
    assert response.json()["error"]["code"] == "mail_failed"
    assert world.client.get(f"/api/v1/entries/{entry.id}").json()["status"] == "ready_to_process"


def test_an_entry_that_is_not_ready_is_409_and_nothing_is_mailed(
    world: ApiWorld, mailroom: tuple[Mailroom, int]
) -> None:
    room, _ = mailroom
    entry = entry_in(world, EntryStatus.MANUAL_REVIEW)

    response = world.client.post(f"/api/v1/entries/{entry.id}/mail")

    assert response.status_code == 409
    assert response.json()["error"]["details"] == [{"entry_id": entry.id, "current_status": "manual_review"}]
    assert room.attempts == 0


def test_without_smtp_settings_mail_is_503(tmp_path: Path) -> None:
    with api_world(tmp_path) as world:
        entry = entry_in(world, EntryStatus.READY_TO_PROCESS)

        response = world.client.post(f"/api/v1/entries/{entry.id}/mail")

        assert response.status_code == 503
        assert response.json()["error"]["code"] == "mail_not_configured"
