"""Mailing RPA payloads to the bot's mailbox, against a real SMTP server (aiosmtpd, on 127.0.0.1)
and a real SQLite process store."""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from connectors.mail import MailDispatchError, PayloadMailer
from connectors.store import Entry, IllegalTransitionError, ProcessStore
from connectors.store.migrate import upgrade
from demo.factories import make_invoice, make_payload, make_verdict
from domain import EntryStatus
from domain.payload_schema import payload_json
from services.mail_dispatch import mail_ready_entries, mail_to_bot
from settings import Settings
from tests.mailroom import MAILBOX, Mailroom, free_port

SENDER = "invoice-automation@example.com"
CLERK = "clerk:alice"


# ---------------------------------------------------------------------- the SMTP server


@dataclass
class SmtpServer:
    mailroom: Mailroom
    port: int


@pytest.fixture
def serve_smtp() -> Iterator[Callable[..., SmtpServer]]:
    """Starts an SMTP server on 127.0.0.1 around a Mailroom (extra Controller options passed through)."""
    controllers: list[Controller] = []

    def start(mailroom: Mailroom, **options: Any) -> SmtpServer:
        controller = Controller(mailroom, hostname="127.0.0.1", port=free_port(), **options)
        controller.start()
        controllers.append(controller)
        return SmtpServer(mailroom, controller.port)

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def smtp(serve_smtp: Callable[..., SmtpServer]) -> SmtpServer:
    return serve_smtp(Mailroom())


def mailer_for(port: int, **settings: Any) -> PayloadMailer:
    """The mailer the service builds from its settings, pointed at the test server (no TLS there)."""
    defaults: dict[str, Any] = {
        "smtp_starttls": False,
        "smtp_timeout_seconds": 5,
        "mail_from": SENDER,
        "rpa_mailbox": MAILBOX,
    }
    mailer = PayloadMailer.from_settings(
        Settings(_env_file=None, smtp_host="127.0.0.1", smtp_port=port, **defaults | settings)
    )
    assert mailer is not None
    return mailer


# ---------------------------------------------------------------------- the process store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ProcessStore]:
    url = f"sqlite:///{tmp_path / 'process.db'}"
    upgrade(url)
    store = ProcessStore.from_url(url)
    yield store
    store.close()


def record(store: ProcessStore, number: int, status: EntryStatus = EntryStatus.READY_TO_PROCESS) -> Entry:
    """Invoice `number` on its own PO (a ready entry locks its PO), judged `status`."""
    invoice = make_invoice(source_invoice_id=str(number), invoice_number=f"INV-{number}", po_number=f"PO-{number}")
    payload = make_payload(invoice) if status is EntryStatus.READY_TO_PROCESS else None
    return store.verdicts.record_one(invoice, make_verdict(status), payload, actor="flow:test")


def assert_unchanged(store: ProcessStore, before: Entry) -> None:
    after = store.entries.get(before.id)
    assert (after.status, after.dispatched_to, after.updated_at) == (
        before.status,
        before.dispatched_to,
        before.updated_at,
    )
    assert len(store.entries.history(before.id)) == 1  # its creation only


# ---------------------------------------------------------------------- one entry, by a clerk


def test_a_mailed_payload_is_the_stored_one_in_body_and_attachment_and_the_entry_is_dispatched(
    store: ProcessStore, smtp: SmtpServer
) -> None:
    entry = record(store, 1001)

    dispatched = mail_to_bot(store, mailer_for(smtp.port), entry.id, actor=CLERK)

    [envelope] = smtp.mailroom.received
    assert (envelope.mail_from, envelope.rcpt_tos) == (SENDER, [MAILBOX])
    [message] = smtp.mailroom.messages()
    assert message["Subject"] == f"RPA payload: entry {entry.id}, invoice INV-1001, PO PO-1001"
    assert message["X-Invoice-Automation-Entry"] == str(entry.id)
    assert message["Message-ID"].startswith(f"<entry-{entry.id}.") and message["Message-ID"].endswith("@example.com>")
    [attachment] = message.iter_attachments()
    assert (attachment.get_filename(), attachment.get_content_type()) == (
        f"payload-{entry.id}.json",
        "application/json",
    )
    payload = store.entries.get(entry.id).payload
    assert payload is not None
    stored = payload_json(payload)
    plain = message.get_body(("plain",))
    assert plain is not None
    body = json.loads(plain.get_content())
    assert body == json.loads(attachment.get_content()) == stored
    assert body["lines"][0]["unit_price"] == "12.50"  # the exact decimal string, not a float

    assert dispatched.status is EntryStatus.DISPATCHED and dispatched.dispatched_to == MAILBOX
    assert store.entries.get(entry.id).dispatched_to == MAILBOX
    [_, event] = store.entries.history(entry.id)
    assert (event.from_status, event.to_status) == (EntryStatus.READY_TO_PROCESS, EntryStatus.DISPATCHED)
    assert (event.actor, event.reason) == (CLERK, f"mailed to {MAILBOX}")

    # mailing it again is refused: the bot gets each payload once
    with pytest.raises(IllegalTransitionError):
        mail_to_bot(store, mailer_for(smtp.port), entry.id, actor=CLERK)
    assert len(smtp.mailroom.received) == 1


def test_an_entry_that_is_not_ready_is_refused_and_nothing_is_mailed(store: ProcessStore, smtp: SmtpServer) -> None:
    entry = record(store, 1001, EntryStatus.MANUAL_REVIEW)

    with pytest.raises(IllegalTransitionError, match=f"Entry {entry.id} is manual_review"):
        mail_to_bot(store, mailer_for(smtp.port), entry.id, actor=CLERK)

    assert smtp.mailroom.attempts == 0
    assert_unchanged(store, entry)


# ---------------------------------------------------------------------- SMTP failures change nothing


def test_a_mail_the_server_refuses_leaves_the_entry_ready(
    store: ProcessStore, serve_smtp: Callable[..., SmtpServer]
) -> None:
    server = serve_smtp(Mailroom(accept=0))
    entry = record(store, 1001)

    with pytest.raises(
        MailDispatchError, match=rf"entry {entry.id} .* 127\.0\.0\.1:{server.port}: 550 5\.7\.1 Message rejected"
    ):
        mail_to_bot(store, mailer_for(server.port), entry.id, actor=CLERK)

    assert server.mailroom.attempts == 1
    assert_unchanged(store, entry)


def test_an_smtp_server_that_does_not_answer_leaves_the_entry_ready(store: ProcessStore) -> None:
    closed_port = free_port()  # nothing listens there
    entry = record(store, 1001)

    with pytest.raises(MailDispatchError, match=rf"127\.0\.0\.1:{closed_port}: .*refused"):
        mail_to_bot(store, mailer_for(closed_port), entry.id, actor=CLERK)

    assert_unchanged(store, entry)


def test_without_the_starttls_it_asks_for_nothing_is_sent_in_clear(store: ProcessStore, smtp: SmtpServer) -> None:
    entry = record(store, 1001)

    with pytest.raises(MailDispatchError, match="STARTTLS extension not supported"):
        mail_to_bot(store, mailer_for(smtp.port, smtp_starttls=True), entry.id, actor=CLERK)

    assert smtp.mailroom.attempts == 0
    assert_unchanged(store, entry)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_the_mailer_signs_in_when_a_username_is_set(store: ProcessStore, serve_smtp: Callable[..., SmtpServer]) -> None:
    sign_ins: list[tuple[bytes, bool]] = []

    def authenticator(_server: Any, _session: Session, _envelope: Envelope, mechanism: str, auth: Any) -> AuthResult:
        assert isinstance(auth, LoginPassword)
        success = auth.password == b"s3cret"
        sign_ins.append((auth.login, success))
        return AuthResult(success=success, handled=False)  # handled=False: the server answers 535 itself

    # no TLS in this test server, so AUTH is allowed in clear here (and only here)
    server = serve_smtp(Mailroom(), authenticator=authenticator, auth_required=True, auth_require_tls=False)
    entry = record(store, 1001)

    with pytest.raises(MailDispatchError, match="535"):
        mail_to_bot(
            store,
            mailer_for(server.port, smtp_username="invoice-automation", smtp_password="wrong"),
            entry.id,
            actor=CLERK,
        )
    assert sign_ins and set(sign_ins) == {(b"invoice-automation", False)}  # smtplib tries each mechanism offered
    assert_unchanged(store, entry)
    sign_ins.clear()

    mail_to_bot(
        store,
        mailer_for(server.port, smtp_username="invoice-automation", smtp_password="s3cret"),
        entry.id,
        actor=CLERK,
    )

    assert sign_ins == [(b"invoice-automation", True)]
    assert len(server.mailroom.received) == 1
    assert store.entries.get(entry.id).status is EntryStatus.DISPATCHED


def test_no_mailer_without_an_smtp_server_or_a_mailbox() -> None:
    assert PayloadMailer.from_settings(Settings(_env_file=None, rpa_mailbox=MAILBOX)) is None
    assert PayloadMailer.from_settings(Settings(_env_file=None, smtp_host="127.0.0.1")) is None


# ---------------------------------------------------------------------- every ready entry, by the flow


def mailed_entry_ids(mailroom: Mailroom) -> list[int]:
    return [int(message["X-Invoice-Automation-Entry"]) for message in mailroom.messages()]


def test_ready_entries_are_mailed_the_one_ready_longest_first_up_to_the_limit(
    store: ProcessStore, smtp: SmtpServer
) -> None:
    first, second, third = (record(store, number) for number in (1001, 1002, 1003))
    record(store, 1004, EntryStatus.MANUAL_REVIEW)
    # the first goes to the bot and comes back: it is now ready since after the others
    store.lifecycle.transition(first.id, EntryStatus.DISPATCHED, actor="bot:rpa-1", reason="claimed")
    store.lifecycle.transition(first.id, EntryStatus.READY_TO_PROCESS, actor="flow:test", reason="no callback")
    mailer = mailer_for(smtp.port)

    run = mail_ready_entries(store, mailer, limit=2, actor="flow:mail-ready-payloads")

    assert run.mailed == (second.id, third.id) and run.skipped == ()
    assert mailed_entry_ids(smtp.mailroom) == [second.id, third.id]
    assert store.entries.get(first.id).status is EntryStatus.READY_TO_PROCESS

    again = mail_ready_entries(store, mailer, limit=2, actor="flow:mail-ready-payloads")

    assert again.mailed == (first.id,)
    assert [store.entries.get(e.id).dispatched_to for e in (first, second, third)] == [MAILBOX] * 3
    assert store.entries.history(first.id)[-1].actor == "flow:mail-ready-payloads"


def test_an_entry_the_bot_claimed_meanwhile_is_skipped_not_mailed(
    tmp_path: Path, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'process.db'}"
    upgrade(url)
    store = ProcessStore.from_url(url)
    list_ready = store.bot.ready_entry_ids

    def bot_claims_right_after_the_listing(limit: int) -> list[int]:
        """The race the run must survive: the bot claims the oldest ready entry just after the run listed it."""
        listed = list_ready(limit)
        store.bot.claim_next("bot:rpa-1")
        return listed

    monkeypatch.setattr(store.bot, "ready_entry_ids", bot_claims_right_after_the_listing)
    claimed, other = record(store, 1001), record(store, 1002)

    run = mail_ready_entries(store, mailer_for(smtp.port), limit=10, actor="flow:mail-ready-payloads")

    assert (run.mailed, run.skipped) == ((other.id,), (claimed.id,))
    assert mailed_entry_ids(smtp.mailroom) == [other.id]
    assert store.entries.get(claimed.id).dispatched_to == "bot:rpa-1"
    store.close()


def test_the_run_stops_at_the_first_mail_refused(store: ProcessStore, serve_smtp: Callable[..., SmtpServer]) -> None:
    server = serve_smtp(Mailroom(accept=1))
    mailed, refused, never_tried = (record(store, number) for number in (1001, 1002, 1003))

    with pytest.raises(MailDispatchError, match=rf"entry {refused.id} .*550.*stopped after mailing 1 of 3"):
        mail_ready_entries(store, mailer_for(server.port), limit=10, actor="flow:mail-ready-payloads")

    assert server.mailroom.attempts == 2
    assert store.entries.get(mailed.id).status is EntryStatus.DISPATCHED
    assert_unchanged(store, refused)
    assert_unchanged(store, never_tried)
