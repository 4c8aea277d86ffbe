"""GET /api/v1/entries as the work queue (filters, sorts, keyset pages) and GET
/api/v1/entries/export.csv, over each kind of process database."""

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from connectors.store import ProcessStore
from demo.factories import make_line
from domain import EntryStatus
from services.entry_export import COLUMNS
from tests.api_fixtures import ApiWorld, api_world
from tests.entry_factory import EntryFactory
from tests.fakes import FakeClock

URL, EXPORT = "/api/v1/entries", "/api/v1/entries/export.csv"
S = EntryStatus
T = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
H = timedelta(hours=1)


@pytest.fixture
def world(tmp_path: Path, db_url: str) -> Iterator[ApiWorld]:
    with api_world(tmp_path, process_db_url=db_url) as world:
        yield world


@pytest.fixture
def made(world: ApiWorld) -> Iterator[EntryFactory]:
    clock = FakeClock(T)
    store = ProcessStore.from_url(world.settings.process_db_url, clock=clock)
    try:
        yield EntryFactory(store, clock)
    finally:
        store.close()


def listed_ids(world: ApiWorld, **params: object) -> list[int]:
    """Every entry the search lists, following its pages of one entry each."""
    ids: list[int] = []
    cursor = None
    while True:
        response = world.client.get(URL, params={**params, "limit": 1} | ({"cursor": cursor} if cursor else {}))
        assert response.status_code == 200, response.text
        ids += [item["id"] for item in response.json()["items"]]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return ids


def test_the_queue_filters_and_sorts(world: ApiWorld, made: EntryFactory) -> None:
    cheap = made.judged(S.READY_TO_PROCESS, at=T, lines=(make_line(1, unit_price=Decimal("1.00")),))
    review = made.judged(S.MANUAL_REVIEW, at=T + H, vendor_id="V002")
    bad = made.judged(S.BAD_INVOICE, at=T + 2 * H, vendor_id="V002")
    failed = made.judged(S.READY_TO_PROCESS, at=T + 3 * H, lines=(make_line(1, unit_price=Decimal("1.00")),))
    made.dispatched(failed, at=T + 4 * H)
    made.failed(failed, "ERP timeout", at=T + 5 * H)

    assert listed_ids(world) == [failed, bad, review, cheap]
    assert listed_ids(world, sort="total", order="asc") == [cheap, failed, review, bad]  # ties by id
    assert listed_ids(world, sort="vendor_id", order="desc") == [bad, review, failed, cheap]
    assert listed_ids(world, exception="true", judged_from=(T + H).isoformat()) == [failed, bad, review]
    assert listed_ids(world, vendor_id="V002", verdict="bad_invoice") == [bad]
    assert listed_ids(world, rule_id="po.exists", rule_severity="hard") == [bad]
    assert listed_ids(
        world, reached="rpa_failed", reached_from="2026-12-01T14:00:00", failure_reason="ERP timeout"
    ) == [failed]
    assert listed_ids(world, judged_to="2026-12-01T10:00:00+01:00") == []  # 09:00 UTC: before the first
    [item] = world.client.get(URL, params={"status": "rpa_failed"}).json()["items"]
    assert (item["id"], item["verdict"], item["failure_reason"], item["pulled_at"], item["entered_at"]) == (
        failed,
        "ready_to_process",
        "ERP timeout",
        None,
        None,
    )


def test_bad_query_values_get_422_naming_each(world: ApiWorld) -> None:
    params = {"sort": "price", "order": "up", "judged_from": "yesterday", "reached": "lost", "exception": "maybe"}

    response = world.client.get(URL, params=params)

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    assert sorted(detail["field"] for detail in error["details"]) == [
        "query.exception",
        "query.judged_from",
        "query.order",
        "query.reached",
        "query.sort",
    ]
    assert world.client.get(EXPORT, params={"sort": "price"}).json()["error"]["details"][0]["field"] == "query.sort"


def test_the_export_is_the_filtered_queue_as_csv(world: ApiWorld, made: EntryFactory) -> None:
    formula = made.judged(
        S.MANUAL_REVIEW, at=T, vendor_name='=HYPERLINK("http://evil.example")', invoice_number='A,"B"\nC'
    )
    credit = made.judged(S.READY_TO_PROCESS, at=T + H, lines=(make_line(1, quantity=Decimal("-2")),))
    made.dispatched(credit, at=T + 2 * H)
    made.failed(credit, "-ERP down, @admin", at=T + 3 * H)
    made.judged(S.BAD_INVOICE, at=T + 4 * H)  # not an exception of the verdicts asked for

    response = world.client.get(EXPORT, params={"verdict": ["manual_review"], "sort": "id", "order": "asc"})
    both = world.client.get(EXPORT, params={"exception": "true", "judged_to": (T + 4 * H).isoformat(), "order": "asc"})

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="entries.csv"'
    assert '"A,""B""\nC"' in response.text
    rows = list(csv.reader(io.StringIO(both.text)))
    assert rows[0] == list(COLUMNS)
    exported = [dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]]
    assert [
        {k: row[k] for k in ("id", "status", "verdict", "vendor_name", "invoice_number", "total")} for row in exported
    ] == [
        {
            "id": str(formula),
            "status": "manual_review",
            "verdict": "manual_review",
            "vendor_name": '\'=HYPERLINK("http://evil.example")',
            "invoice_number": 'A,"B"\nC',
            "total": "424.9700",
        },
        {
            "id": str(credit),
            "status": "rpa_failed",
            "verdict": "ready_to_process",
            "vendor_name": "Acme Industrial Supply",
            "invoice_number": "INV-2",
            "total": "-25.0000",  # a number, not a formula
        },
    ]
    assert (exported[1]["failure_reason"], exported[1]["created_at"], exported[1]["possible_double_entry"]) == (
        "'-ERP down, @admin",
        (T + H).isoformat(),
        "false",
    )
    assert [row[0] for row in csv.reader(io.StringIO(response.text))] == ["id", str(formula)]


@pytest.mark.parametrize("role", ["admin", "clerk", "bot"])
def test_every_caller_may_export(world: ApiWorld, role: str) -> None:
    response = world.client.get(EXPORT, headers=world.headers(role))

    assert response.status_code == 200
    assert response.text == ",".join(COLUMNS) + "\r\n"
