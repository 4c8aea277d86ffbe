"""The demo RPA bot, through the public API with its own key, against the demo ERP database."""

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from connectors.erp.demo_schema import ap_invoice, po_line
from demo.rpa_bot import DemoRpaBot
from tests.api_fixtures import ApiWorld, api_world


@pytest.fixture
def world(tmp_path: Path) -> Iterator[ApiWorld]:
    with api_world(tmp_path) as world:
        yield world


@pytest.fixture
def erp(world: ApiWorld) -> Iterator[sa.Engine]:
    engine = sa.create_engine(world.settings.erp_db_url)
    yield engine
    engine.dispose()


def bot_on(world: ApiWorld, erp: sa.Engine, *, failure_percent: int) -> DemoRpaBot:
    client = world.anonymous_client()
    client.headers.update(world.headers("bot"))
    return DemoRpaBot(client, erp, failure_percent=failure_percent)


def invoiced(erp: sa.Engine, po_number: str) -> dict[str, Decimal]:
    with erp.connect() as connection:
        rows = connection.execute(
            sa.select(po_line.c.part_number, po_line.c.qty_invoiced).where(po_line.c.po_number == po_number)
        )
        return {part: Decimal(qty) for part, qty in rows}


def test_the_bot_enters_a_ready_invoice_and_later_validations_see_it(world: ApiWorld, erp: sa.Engine) -> None:
    world.add_invoice(1)
    entry_id = world.validate(1).json()["entry_id"]
    bot = bot_on(world, erp, failure_percent=0)

    outcome = bot.work_once()

    assert outcome is not None and (outcome.entry_id, outcome.entered_as) == (entry_id, f"AP-{entry_id:08d}")
    assert bot.work_once() is None  # nothing else is ready
    entry = world.client.get(f"/api/v1/entries/{entry_id}").json()
    assert (entry["status"], entry["erp_document_id"]) == ("entered", outcome.entered_as)
    assert entry["history"][-1]["actor"] == "bot:test-bot"
    assert invoiced(erp, "PO-1") == {"HX-001": Decimal(2), "HX-002": Decimal("0.5"), "HX-003": Decimal(0)}
    with erp.connect() as connection:
        assert connection.scalar(
            sa.select(ap_invoice.c.invoice_total).where(ap_invoice.c.ap_doc_id == outcome.entered_as)
        ) == Decimal("24.60")
    # The same invoice number uploaded again is now a duplicate of what the ERP holds.
    world.add_invoice(2, invoice_number=entry["invoice_number"])
    again = world.validate(2)
    assert again.status_code == 400
    assert "duplicate.exact" in [f["rule_id"] for f in again.json()["error"]["details"][0]["findings"]]


def test_the_bot_fails_its_share_and_the_po_stays_locked(world: ApiWorld, erp: sa.Engine) -> None:
    world.add_invoice(1)
    entry_id = world.validate(1).json()["entry_id"]

    outcome = bot_on(world, erp, failure_percent=100).work_once()

    assert outcome is not None and outcome.entered_as is None
    entry = world.client.get(f"/api/v1/entries/{entry_id}").json()
    assert entry["status"] == "rpa_failed" and entry["failure_reason"] == outcome.failure_reason
    assert outcome.describe() == f"entry {entry_id}: failed ({entry['failure_reason']})"
    assert invoiced(erp, "PO-1")["HX-001"] == 0
    world.add_invoice(2, invoice_number="INV-OTHER")
    assert world.validate(2).json()["error"]["code"] == "po_locked"


def test_entering_twice_writes_the_erp_once(world: ApiWorld, erp: sa.Engine) -> None:
    """A success callback lost after keying in: the next attempt reports the same document."""
    world.add_invoice(1)
    entry_id = world.validate(1).json()["entry_id"]
    payload = world.client.get(f"/api/v1/entries/{entry_id}").json()["payload"]
    bot = bot_on(world, erp, failure_percent=0)

    first, second = bot.enter_into_erp(entry_id, payload), bot.enter_into_erp(entry_id, payload)

    assert first == second
    assert invoiced(erp, "PO-1")["HX-001"] == 2
