"""The API over real databases: SQLite files in tmp_path (or a given process database), seeded by hand.

The ERP holds vendor V1 (Acme Fasteners, USD) with open POs PO-1 to PO-3, each ordering
10 × HX-001 at 10.00, 10 × HX-002 at 9.20 and 10 × HX-003 at 0.10. The marketplace starts empty:
`add_invoice` uploads an invoice (by default 2 × HX-001 + 0.5 × HX-002 = 24.60 on PO-1, dated
a few days ago so that the date rules pass).
"""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.main import create_app
from api.server import server_config
from connectors.erp.demo_schema import metadata as erp_metadata
from connectors.erp.demo_schema import po_header, po_line, vendor
from connectors.marketplace.schema import metadata as marketplace_metadata
from connectors.store import Entry, ProcessStore
from connectors.store.migrate import upgrade
from connectors.store.tables import Base
from demo.factories import make_invoice, make_line, make_payload, make_purchase_order, make_verdict
from domain import EntryStatus, Invoice
from settings import Settings
from tests.mailroom import free_port
from tests.marketplace_rows import add_invoice as add_marketplace_invoice

TODAY = datetime.now(UTC).date()
INVOICE_DATE = TODAY - timedelta(days=3)
PO_NUMBERS = ("PO-1", "PO-2", "PO-3")
PO_PRICES = {"HX-001": Decimal("10.00"), "HX-002": Decimal("9.20"), "HX-003": Decimal("0.10")}
# Marketplace lines billing HX-001 a cent above PO-1's price: manual review for the price alone.
ONE_CENT_OFF = [
    {"line_no": 1, "part_number": "HX-001", "quantity": "2", "unit_price": "10.01", "line_total": "20.02"},
    {"line_no": 2, "part_number": "HX-002", "quantity": "0.5", "unit_price": "9.20", "line_total": "4.60"},
]


def settings_in(tmp_path: Path, process_db_url: str | None = None, **overrides: Any) -> Settings:
    """Settings over SQLite files in `tmp_path`, ignoring any .env; `process_db_url` replaces the process one.
    Prefect is a closed port unless `prefect_api_url` is given: no test reaches a Prefect server it did not start."""
    overrides.setdefault("prefect_api_url", closed_prefect_url())
    overrides.setdefault("documents_dir", tmp_path / "documents")
    return Settings(
        _env_file=None,
        marketplace_db_url=f"sqlite:///{tmp_path / 'marketplace.db'}",
        erp_db_url=f"sqlite:///{tmp_path / 'erp.db'}",
        process_db_url=process_db_url or f"sqlite:///{tmp_path / 'process.db'}",
        **overrides,
    )


def closed_prefect_url() -> str:
    """A Prefect API URL on a port nothing listens on: connections are refused at once."""
    return f"http://127.0.0.1:{free_port()}/api"


def prepare_databases(settings: Settings) -> None:
    """Empty marketplace, seeded ERP, migrated process database."""
    marketplace = sa.create_engine(settings.marketplace_db_url)
    marketplace_metadata.create_all(marketplace)
    marketplace.dispose()
    erp = sa.create_engine(settings.erp_db_url)
    erp_metadata.create_all(erp)
    with erp.begin() as connection:
        _seed_erp(connection)
    erp.dispose()
    upgrade(settings.process_db_url)


def _seed_erp(connection: sa.Connection) -> None:
    connection.execute(
        vendor.insert(),
        [{"vendor_id": "V1", "vendor_name": "Acme Fasteners", "currency_code": "USD", "is_active": "Y"}],
    )
    connection.execute(
        po_header.insert(),
        [
            {
                "po_number": po,
                "vendor_id": "V1",
                "currency_code": "USD",
                "po_status": "O",
                "po_date": TODAY - timedelta(days=40),
            }
            for po in PO_NUMBERS
        ],
    )
    connection.execute(
        po_line.insert(),
        [
            {
                "po_number": po,
                "po_line_no": line_no,
                "item_id": f"ITM-{part}",
                "part_number": part,
                "description": f"part {part}",
                "uom": "EA",
                "qty_ordered": Decimal("10"),
                "qty_received": None,
                "qty_invoiced": Decimal("0"),
                "unit_cost": price,
            }
            for po in PO_NUMBERS
            for line_no, (part, price) in enumerate(PO_PRICES.items(), start=1)
        ],
    )


PASSWORD = "correct horse battery staple"
ACCOUNT_TABLES = {"users", "user_tokens", "api_keys", "sign_in_failures"}


def credentials_for(
    settings: Settings, role: str, name: str | None = None, *, vendor_id: str | None = None
) -> dict[str, str]:
    """An Authorization header of a new user (admin, clerk, vendor of `vendor_id`) or bot API key, made in
    the process database."""
    name = name or f"test-{role}"
    store = ProcessStore.from_url(settings.process_db_url)
    try:
        if role == "bot":
            return {"Authorization": f"Bearer {store.accounts.create_api_key(name, created_by='tests').secret}"}
        # Roles come as plain strings from parametrised tests; create_user refuses any it does not know.
        store.accounts.create_user(name, PASSWORD, role, vendor_id=vendor_id)  # type: ignore[arg-type]
        issued = store.accounts.sign_in(name, PASSWORD, lifetime=timedelta(hours=1))
        assert issued is not None
        return {"Authorization": f"Bearer {issued.token}"}
    finally:
        store.close()


@dataclass
class ApiWorld:
    """`client` sends a clerk's credentials; `headers(role)` gives an admin's, a clerk's or a bot's."""

    client: TestClient
    settings: Settings
    marketplace: sa.Engine
    process: sa.Engine
    _headers: dict[str, dict[str, str]] = field(default_factory=dict)

    def anonymous_client(self) -> TestClient:
        """Another client of the running app, with no credentials and cookies of its own."""
        client = TestClient(self.client.app)
        client.app_state.update(self.client.app_state)  # the started app's state: its judging service
        return client

    def headers(self, role: str) -> dict[str, str]:
        if role not in self._headers:
            # a vendor's user speaks for the test ERP's vendor V1
            self._headers[role] = credentials_for(self.settings, role, vendor_id="V1" if role == "vendor" else None)
        return self._headers[role]

    def add_invoice(self, invoice_id: int, **header: Any) -> None:
        """Upload marketplace invoice `invoice_id` (see tests.marketplace_rows.add_invoice)."""
        header.setdefault("invoice_date", INVOICE_DATE)
        header.setdefault("due_date", INVOICE_DATE + timedelta(days=30))
        add_marketplace_invoice(self.marketplace, invoice_id, updated_at=datetime(2026, 1, 1), **header)

    def validate(self, invoice_id: int | str) -> httpx.Response:
        # Starlette types TestClient against httpx2, which is not installed: mypy sees its methods return Any.
        response: httpx.Response = self.client.post(f"/api/v1/invoices/{invoice_id}/validate")
        return response

    def store(self) -> ProcessStore:
        """A store of its own on the process database (close it after use)."""
        return ProcessStore.from_url(self.settings.process_db_url)

    def process_row_counts(self) -> dict[str, int]:
        """Rows per table of the invoices' processing (people, keys and sign-in failures left out)."""
        with self.process.connect() as connection:
            return {
                table.name: connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                for table in Base.metadata.sorted_tables
                if table.name not in ACCOUNT_TABLES
            }


@contextmanager
def api_world(
    tmp_path: Path, *, process_db_url: str | None = None, app: FastAPI | None = None, **setting_values: Any
) -> Iterator[ApiWorld]:
    """Prepared databases and a started app (`create_app(settings)` unless `app` is given) with a client;
    keyword arguments are further settings."""
    settings = settings_in(tmp_path, process_db_url, **setting_values)
    prepare_databases(settings)
    marketplace = sa.create_engine(settings.marketplace_db_url)
    process = sa.create_engine(settings.process_db_url)
    try:
        with TestClient(app or create_app(settings)) as client:
            world = ApiWorld(client=client, settings=settings, marketplace=marketplace, process=process)
            client.headers.update(world.headers("clerk"))
            yield world
    finally:
        marketplace.dispose()
        process.dispose()


@contextmanager
def served(app: FastAPI, settings: Settings) -> Iterator[str]:
    """`app` under a real uvicorn server on 127.0.0.1, configured as `python -m api` configures it
    (api.server), in a thread of this process: its base URL once it listens; it stops after."""
    port = free_port()
    server = uvicorn.Server(server_config(app, settings, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def dry_run_invoice(**overrides: Any) -> dict[str, Any]:
    """An invoice JSON for the dry run, matching PO-1: 2 × HX-001 at "10.00" (amounts as strings)."""
    invoice: dict[str, Any] = {
        "source": "vendor-portal",
        "source_invoice_id": "DRY-1",
        "vendor_id": "V1",
        "vendor_name": "Acme Fasteners",
        "invoice_number": "INV-DRY-1",
        "invoice_date": INVOICE_DATE.isoformat(),
        "due_date": (INVOICE_DATE + timedelta(days=30)).isoformat(),
        "currency": "USD",
        "po_number": "PO-1",
        "lines": [
            {"line_no": 1, "part_number": "HX-001", "quantity": "2", "unit_price": "10.00", "line_total": "20.00"}
        ],
        "subtotal": "20.00",
        "total": "20.00",
    }
    invoice.update(overrides)
    return invoice


_numbers = count(1)
# The bot that took the entries entry_in brings to entered or rpa_failed; a dispatched one is with no
# particular bot (as if mailed), so any bot may report on it.
EARLIER_BOT = "bot:earlier"

# How each status is reached from a fresh verdict: (created as, then moved through).
PATHS: dict[EntryStatus, tuple[EntryStatus, list[EntryStatus]]] = {
    EntryStatus.READY_TO_PROCESS: (EntryStatus.READY_TO_PROCESS, []),
    EntryStatus.MANUAL_REVIEW: (EntryStatus.MANUAL_REVIEW, []),
    EntryStatus.BAD_INVOICE: (EntryStatus.BAD_INVOICE, []),
    EntryStatus.DISPATCHED: (EntryStatus.READY_TO_PROCESS, [EntryStatus.DISPATCHED]),
    EntryStatus.ENTERED: (EntryStatus.READY_TO_PROCESS, [EntryStatus.DISPATCHED, EntryStatus.ENTERED]),
    EntryStatus.RPA_FAILED: (EntryStatus.READY_TO_PROCESS, [EntryStatus.DISPATCHED, EntryStatus.RPA_FAILED]),
    EntryStatus.REJECTED: (EntryStatus.MANUAL_REVIEW, [EntryStatus.REJECTED]),
    # superseded by a version 2 of the same invoice (see entry_in)
    EntryStatus.SUPERSEDED: (EntryStatus.MANUAL_REVIEW, []),
}


def add_to_erp(settings: Settings, invoice: Invoice) -> None:
    """The open PO `invoice` matches (and its vendor) in the test ERP, unless there already, with
    room for a thousand of each part: entries made for it (several may share it) stay clean when
    approval or requeue judges them again."""
    purchase_order = make_purchase_order(invoice)
    engine = sa.create_engine(settings.erp_db_url)
    try:
        with engine.begin() as connection:
            if connection.scalar(sa.select(vendor.c.vendor_id).where(vendor.c.vendor_id == invoice.vendor_id)) is None:
                connection.execute(
                    vendor.insert(),
                    {"vendor_id": invoice.vendor_id, "vendor_name": invoice.vendor_name,
                     "currency_code": invoice.currency, "is_active": "Y"},
                )  # fmt: skip
            if connection.scalar(sa.select(po_header.c.po_number).where(po_header.c.po_number == invoice.po_number)):
                return
            connection.execute(
                po_header.insert(),
                {"po_number": purchase_order.po_number, "vendor_id": purchase_order.vendor_id,
                 "currency_code": purchase_order.currency, "po_status": "O", "po_date": purchase_order.po_date},
            )  # fmt: skip
            connection.execute(
                po_line.insert(),
                [
                    {"po_number": purchase_order.po_number, "po_line_no": line.line_no, "item_id": line.erp_item_id,
                     "part_number": line.part_number, "description": line.description or "", "uom": line.uom,
                     "qty_ordered": Decimal(1000), "qty_received": None, "qty_invoiced": Decimal(0),
                     "unit_cost": line.unit_price}
                    for line in purchase_order.lines
                ],
            )  # fmt: skip
    finally:
        engine.dispose()


def entry_in(world: ApiWorld, status: EntryStatus, *, po_number: str | None = None, with_payload: bool = True) -> Entry:
    """A new entry (on a PO of its own unless given) brought to `status` the way the service would,
    for an invoice that matches its PO in the ERP."""
    number = next(_numbers)
    invoice = make_invoice(
        source_invoice_id=str(number),
        invoice_number=f"INV-{number}",
        po_number=po_number or f"PO-E{number}",
        lines=(make_line(1, quantity=Decimal(number)),),  # a total of its own: no entry a possible duplicate of another
        invoice_date=INVOICE_DATE,
        due_date=INVOICE_DATE + timedelta(days=30),
    )
    add_to_erp(world.settings, invoice)
    created_as, moves = PATHS[status]
    store = world.store()
    try:
        entry = store.verdicts.record_one(
            invoice, make_verdict(created_as), make_payload(invoice) if with_payload else None, actor="flow:test"
        )
        for move in moves:
            if move is EntryStatus.DISPATCHED and status is not EntryStatus.DISPATCHED:
                # claimed by a bot other than the tests' own, which then reports on it
                entry = store.bot.dispatch(
                    entry.id, to=EARLIER_BOT, actor=EARLIER_BOT, reason="claimed", hand_over=lambda _entry: None
                )
            elif move is EntryStatus.ENTERED:
                entry = store.bot.record_success(entry.id, "AP-00001", bot=EARLIER_BOT)
            elif move is EntryStatus.RPA_FAILED:
                entry = store.bot.record_failure(entry.id, "earlier failure", bot=EARLIER_BOT)
            else:
                entry = store.lifecycle.transition(entry.id, move, actor="flow:test", reason="set up")
        if status is EntryStatus.SUPERSEDED:
            corrected = invoice.model_copy(update={"version": 2})
            store.verdicts.record_one(corrected, make_verdict(EntryStatus.BAD_INVOICE), None, actor="flow:test")
            entry = store.entries.get(entry.id)
        return entry
    finally:
        store.close()
