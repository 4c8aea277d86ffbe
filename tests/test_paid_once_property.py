"""One bill is paid once, whatever happens in whatever order: a stateful property test.

Hypothesis drives the service through random sequences of what happens to invoices in real life:
vendors upload bills (copies of one bill under differently spelled numbers, on different POs) and
new versions of them, polls pull and judge, clerks validate, approve, reject and requeue, the bot
claims and calls back (and on success keys the invoice into the ERP, as the real bot does); two bots
work the queue, a bot may key an invoice and lose its callback, deliver it late, and housekeeping
releases stale dispatches. After every step the invariants AP buys the product for must hold:

- at most one version of an invoice is live or entered, and it holds that invoice's version lock;
- no two entered invoices of one vendor share a normalised number;
- no entry is keyed into the ERP twice, and every document keyed is recorded on its entry, unless
  its callback is still on its way and the entry still with the bot;
- every PO lock belongs to exactly one entry in a locking status, and every such entry holds its lock;
- no pulled invoice is lost: every inbox row is waiting, judged into an existing entry, failed with a
  reason, or withdrawn for a newer version that is known.

SQLite always; PostgreSQL too (under CI=true it must run).
"""

from collections.abc import Callable
from contextlib import ExitStack, suppress
from datetime import UTC, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from chaos.scenarios import keyed_fields
from connectors.erp.demo_schema import ap_invoice
from connectors.store import (
    AlreadyEnteredError,
    CallbackConflictError,
    DuplicateCheckOutdatedError,
    EarlierVersionDispatchedError,
    EntryExistsError,
    IllegalTransitionError,
    NewerVersionKnownError,
    NoPayloadError,
    NotClaimHolderError,
    POLockedError,
    VersionTakenError,
)
from connectors.store.partitions import VendorPartition
from demo.rpa_bot import key_in_ap_invoice
from domain import PO_LOCKING_STATUSES, VERSION_HOLDING_STATUSES, EntryStatus
from services import decisions, rpa
from services.polling import judge_partition, pull_into_inbox
from services.runtime import Services
from settings import Settings
from tests.api_fixtures import INVOICE_DATE, PO_NUMBERS, prepare_databases, settings_in
from tests.databases import scratch_database
from tests.marketplace_rows import add_invoice

POLL = "flow:poll-marketplace"
CLERK = "user:clerk"
BOTS = ("bot:rpa-1", "bot:rpa-2")
# What a step may be refused with: the service saying no is fine, as long as the invariants hold.
REFUSALS = (
    AlreadyEnteredError,
    CallbackConflictError,
    DuplicateCheckOutdatedError,
    EarlierVersionDispatchedError,
    EntryExistsError,
    IllegalTransitionError,
    NewerVersionKnownError,
    NoPayloadError,
    NotClaimHolderError,
    POLockedError,
    VersionTakenError,
    decisions.DecisionRefusedError,
)
SPELLINGS = ("INV-{:05d}", "inv {}", "Inv_{:04d}")  # one bill number, written three ways
HOLDING = sorted(status.value for status in VERSION_HOLDING_STATUSES)
LOCKING = sorted(status.value for status in PO_LOCKING_STATUSES)


class PaidOnce(RuleBasedStateMachine):
    """The service over fresh databases; `open_databases` (set per test) gives their settings."""

    open_databases: Callable[[ExitStack], Settings]

    def __init__(self) -> None:
        super().__init__()
        self.resources = ExitStack()
        self.settings = self.open_databases(self.resources)
        self.services = Services.from_settings(self.settings)
        self.resources.callback(self.services.close)
        self.marketplace = sa.create_engine(self.settings.marketplace_db_url)
        self.erp = sa.create_engine(self.settings.erp_db_url)
        self.process = sa.create_engine(self.settings.process_db_url)
        for engine in (self.marketplace, self.erp, self.process):
            self.resources.callback(engine.dispose)
        self.numbers: dict[int, str] = {}  # marketplace invoice id → its invoice number
        self.versions: dict[int, int] = {}
        self.ticks = count(1)
        # keyed into the ERP by a bot whose callback did not arrive (yet): (entry id, bot, document)
        self.lost_callbacks: list[tuple[int, str, str]] = []

    def teardown(self) -> None:
        self.resources.close()

    invoices = Bundle("invoices")

    # ---------------------------------------------------------------- what vendors do

    @rule(target=invoices, bill=st.integers(1, 3), spelling=st.sampled_from(SPELLINGS), po=st.sampled_from(PO_NUMBERS))
    def upload_a_bill(self, bill: int, spelling: str, po: str) -> int:
        invoice_id = len(self.numbers) + 1
        self.numbers[invoice_id], self.versions[invoice_id] = spelling.format(bill), 1
        self._upload(invoice_id, po)
        return invoice_id

    @rule(invoice_id=invoices, po=st.sampled_from(PO_NUMBERS))
    def upload_a_new_version(self, invoice_id: int, po: str) -> None:
        self.versions[invoice_id] += 1
        self._upload(invoice_id, po)

    def _upload(self, invoice_id: int, po: str) -> None:
        add_invoice(
            self.marketplace,
            invoice_id,
            updated_at=datetime(2026, 1, 1) + timedelta(minutes=next(self.ticks)),
            version=self.versions[invoice_id],
            po_number=po,
            invoice_number=self.numbers[invoice_id],
            invoice_date=INVOICE_DATE,
            due_date=INVOICE_DATE + timedelta(days=30),
        )

    # ---------------------------------------------------------------- what the service and AP do

    @rule()
    def poll(self) -> None:
        pull_into_inbox(self.services.marketplace, self.services.store, actor=POLL)
        judge_partition(
            self.services.judging, VendorPartition(0, 1), batch_size=3, max_batches=20, actor=POLL, flow_run_id=None
        )

    @rule(invoice_id=invoices)
    def validate(self, invoice_id: int) -> None:
        with suppress(*REFUSALS):
            self.services.judging.validate_marketplace_invoice(str(invoice_id), actor=CLERK)

    @precondition(lambda self: self._entry_ids())
    @rule(data=st.data(), action=st.sampled_from(["approve", "requeue", "reject"]), acknowledge=st.booleans())
    def decide(self, data: st.DataObject, action: str, acknowledge: bool) -> None:
        entry_id = data.draw(st.sampled_from(self._entry_ids()))
        with suppress(*REFUSALS):
            if action == "reject":
                decisions.reject(self.services.store, entry_id, actor=CLERK, reason="not ours")
                return
            acknowledged = ("duplicate.possible", "qty.over_open", "qty.over_received") if acknowledge else ()
            decide = decisions.approve if action == "approve" else decisions.requeue
            decide(self.services.judging, entry_id, actor=CLERK, reason="checked", acknowledge=acknowledged)

    # ---------------------------------------------------------------- what the bot does

    @rule(bot=st.sampled_from(BOTS))
    def claim(self, bot: str) -> None:
        self.services.store.bot.claim_next(bot)

    @precondition(lambda self: self._waiting_for_the_bot())
    @rule(data=st.data(), outcome=st.sampled_from(["entered", "failed", "entered, callback lost"]))
    def call_back(self, data: st.DataObject, outcome: str) -> None:
        entry_id = data.draw(st.sampled_from(self._waiting_for_the_bot()))
        entry = self.services.store.entries.get(entry_id)
        bot = entry.dispatched_to or BOTS[0]
        if outcome == "failed":
            self.services.store.bot.record_failure(entry_id, "ERP screen timed out", bot=bot)
            return
        document = f"AP-{entry_id}-{bot}"
        with self.erp.begin() as connection:  # keyed in, as the real bot does
            key_in_ap_invoice(connection, document, **keyed_fields(entry))
        if outcome == "entered":
            self.services.store.bot.record_success(entry_id, document, bot=bot)
        else:
            self.lost_callbacks.append((entry_id, bot, document))

    @precondition(lambda self: self.lost_callbacks)
    @rule(data=st.data())
    def late_callback(self, data: st.DataObject) -> None:
        entry_id, bot, document = self.lost_callbacks.pop(data.draw(st.integers(0, len(self.lost_callbacks) - 1)))
        with suppress(*REFUSALS):
            self.services.store.bot.record_success(entry_id, document, bot=bot)

    @rule()
    def release_stale_dispatches(self) -> None:
        """Housekeeping, with every dispatch stale by now."""
        rpa.release_stale_dispatches(
            self.services.store,
            self.services.erp,
            lambda: datetime.now(UTC) + timedelta(seconds=1),
            stale_after_minutes=0,
            actor="flow:release-stale-dispatches",
        )

    def _waiting_for_the_bot(self) -> list[int]:
        """Dispatched entries the bot has not keyed yet (one whose callback was lost is done, as far as it knows)."""
        lost = {entry_id for entry_id, _bot, _document in self.lost_callbacks}
        return [entry_id for entry_id in self._entry_ids(EntryStatus.DISPATCHED) if entry_id not in lost]

    def _entry_ids(self, status: EntryStatus | None = None) -> list[int]:
        query = sa.text("SELECT id FROM process_scheduler" + ("" if status is None else " WHERE status = :status"))
        with self.process.connect() as connection:
            return sorted(connection.execute(query, {} if status is None else {"status": status.value}).scalars())

    # ---------------------------------------------------------------- what must always hold

    def _rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        with self.process.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(sql), params)]

    @invariant()
    def one_version_of_an_invoice_is_live_or_entered(self) -> None:
        placeholders = ", ".join(f"'{status}'" for status in HOLDING)
        holding = self._rows(
            "SELECT e.id, e.source, e.source_invoice_id, l.entry_id FROM process_scheduler e "
            f"LEFT JOIN version_locks l ON l.entry_id = e.id WHERE e.status IN ({placeholders})"
        )
        identities = [(source, invoice_id) for _id, source, invoice_id, _lock in holding]
        assert len(identities) == len(set(identities)), holding
        assert all(lock == entry_id for entry_id, _source, _invoice_id, lock in holding), holding
        assert self._rows("SELECT count(*) FROM version_locks") == [(len(holding),)]

    @invariant()
    def no_bill_is_entered_twice(self) -> None:
        entered = self._rows(
            "SELECT vendor_id, normalised_invoice_number FROM process_scheduler WHERE status = 'entered'"
        )
        assert len(entered) == len(set(entered)), entered

    @invariant()
    def no_entry_is_keyed_twice_and_every_document_is_recorded(self) -> None:
        with self.erp.connect() as connection:
            keyed = list(connection.execute(sa.select(ap_invoice.c.ap_doc_id)).scalars())
        keyed_entries = [int(document.split("-")[1]) for document in keyed]
        assert len(keyed_entries) == len(set(keyed_entries)), keyed
        recorded = {document for (document,) in self._rows("SELECT erp_document_id FROM erp_documents")}
        on_the_way = {document for _entry_id, _bot, document in self.lost_callbacks}
        for entry_id, document in zip(keyed_entries, keyed, strict=True):
            if document not in recorded:
                assert document in on_the_way, document
                assert self._rows("SELECT status FROM process_scheduler WHERE id = :id", id=entry_id) == [
                    ("dispatched",)
                ], document

    @invariant()
    def po_locks_belong_to_the_locking_entries(self) -> None:
        placeholders = ", ".join(f"'{status}'" for status in LOCKING)
        locking = self._rows(f"SELECT id, po_number FROM process_scheduler WHERE status IN ({placeholders})")
        locks = self._rows("SELECT entry_id, po_number FROM po_locks")
        assert sorted(locks) == sorted(locking)

    @invariant()
    def no_pulled_invoice_is_lost(self) -> None:
        for state, entry_id, error, source, invoice_id, version in self._rows(
            "SELECT state, entry_id, error, source, source_invoice_id, version FROM inbox"
        ):
            if state == "judged":
                assert self._rows(
                    "SELECT version FROM process_scheduler WHERE id = :id AND source_invoice_id = :invoice_id",
                    id=entry_id,
                    invoice_id=invoice_id,
                ) == [(version,)]
            elif state == "failed":
                assert error
            elif state == "withdrawn":
                newer = self._rows(
                    "SELECT version FROM inbox WHERE source = :source AND source_invoice_id = :invoice_id "
                    "AND version > :version UNION SELECT version FROM process_scheduler WHERE source = :source "
                    "AND source_invoice_id = :invoice_id AND version > :version",
                    source=source,
                    invoice_id=invoice_id,
                    version=version,
                )
                assert newer, (invoice_id, version)
            else:
                assert state == "waiting"


def _on_sqlite(template: Path) -> Callable[[ExitStack], Settings]:
    """Copies of the databases prepared once in `template` (a folder): the examples start in milliseconds."""
    counter = count()

    def open_databases(_resources: ExitStack) -> Settings:
        folder = template.parent / f"example-{next(counter)}"
        folder.mkdir()
        for database in template.glob("*.db"):
            (folder / database.name).write_bytes(database.read_bytes())
        return settings_in(folder)

    return open_databases


def _on_server(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Callable[[ExitStack], Settings]:
    def open_databases(resources: ExitStack) -> Settings:
        url = resources.enter_context(scratch_database(kind, tmp_path_factory))
        configured = settings_in(tmp_path_factory.mktemp("paid-once"), process_db_url=url)
        prepare_databases(configured)
        return configured

    return open_databases


@pytest.mark.parametrize(
    ("kind", "examples"),
    [("sqlite", 25), pytest.param("postgresql", 8, marks=pytest.mark.postgres)],
)
def test_one_bill_is_paid_once(kind: str, examples: int, tmp_path_factory: pytest.TempPathFactory) -> None:
    if kind == "sqlite":
        template = tmp_path_factory.mktemp("template")
        prepare_databases(settings_in(template))
        open_databases = _on_sqlite(template)
    else:
        open_databases = _on_server(kind, tmp_path_factory)
    machine = type(f"PaidOnceOn{kind.capitalize()}", (PaidOnce,), {"open_databases": staticmethod(open_databases)})
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
