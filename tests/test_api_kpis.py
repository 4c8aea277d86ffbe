"""GET /api/v1/kpis: the overview of a period, whose every count links to the work queue."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors.store import ProcessStore
from domain import EntryStatus
from tests.api_fixtures import ApiWorld, api_world
from tests.entry_factory import EntryFactory
from tests.fakes import FakeClock

URL = "/api/v1/kpis"
S = EntryStatus
DEC_1 = datetime(2026, 12, 1, tzinfo=UTC)
H = timedelta(hours=1)


@pytest.fixture
def world(tmp_path: Path, db_url: str) -> Iterator[ApiWorld]:
    with api_world(tmp_path, process_db_url=db_url) as world:
        yield world


def linked_counts(document: Any) -> list[dict[str, Any]]:
    """Every {"count", "queue_params"} in the answer, however nested."""
    if isinstance(document, dict):
        own = [document] if {"count", "queue_params"} <= document.keys() else []
        return own + [found for value in document.values() for found in linked_counts(value)]
    if isinstance(document, list):
        return [found for item in document for found in linked_counts(item)]
    return []


def queue_size(world: ApiWorld, params: dict[str, str]) -> int:
    response = world.client.get("/api/v1/entries", params={**params, "limit": 200})
    assert response.status_code == 200, response.text
    assert response.json()["next_cursor"] is None
    return len(response.json()["items"])


def test_every_count_of_the_overview_is_the_size_of_its_queue(world: ApiWorld) -> None:
    clock = FakeClock(DEC_1)
    store = ProcessStore.from_url(world.settings.process_db_url, clock=clock)
    try:
        make = EntryFactory(store, clock)
        entered = make.judged(S.READY_TO_PROCESS, at=DEC_1 + H, pulled_at=DEC_1)
        make.dispatched(entered, at=DEC_1 + 2 * H)
        make.entered(entered, at=DEC_1 + 3 * H)
        failed = make.judged(S.READY_TO_PROCESS, at=DEC_1 + H, vendor_id="V002", currency="EUR")
        make.dispatched(failed, at=DEC_1 + 4 * H)
        make.failed(failed, 'ERP = down, "again"', at=DEC_1 + 5 * H)
        make.judged(S.MANUAL_REVIEW, at=DEC_1 + 6 * H)
        make.judged(S.BAD_INVOICE, at=DEC_1 + 7 * H, vendor_id="V002")
    finally:
        store.close()

    response = world.client.get(URL, params={"from": "2026-12-01T00:00:00Z", "to": "2026-12-02T00:00:00+00:00"})

    assert response.status_code == 200, response.text
    kpis = response.json()
    assert (kpis["judged"]["count"], kpis["entered"]["count"], kpis["failed"]["count"], kpis["rpa_success_rate"]) == (
        4,
        1,
        1,
        0.5,
    )
    assert kpis["entered"]["queue_params"] == {
        "reached": "entered",
        "reached_from": "2026-12-01T00:00:00+00:00",
        "reached_to": "2026-12-02T00:00:00+00:00",
    }
    assert kpis["pull_to_entered_median_seconds"] == 3 * 3600
    assert kpis["ready_amounts"] == []
    assert [(a["currency"], a["amount"], a["count"]) for a in kpis["entered_amounts"]] == [("USD", "424.9700", 1)]
    counts = linked_counts(kpis)
    # judged, 3 verdicts, backlog, 1 rule, entered, failed, 1 reason, 4 hours, 1 amount, 2 vendors, 1 day of 3 verdicts
    assert len(counts) == 19
    assert [queue_size(world, found["queue_params"]) for found in counts] == [found["count"] for found in counts]


def test_the_default_period_is_the_last_seven_days(world: ApiWorld) -> None:
    before = datetime.now(UTC)
    kpis = world.client.get(URL).json()

    period_from, period_to = (datetime.fromisoformat(kpis[bound]) for bound in ("period_from", "period_to"))
    assert before <= period_to <= datetime.now(UTC)
    assert period_to - period_from == timedelta(days=7)
    assert len(kpis["verdicts_by_day"]) == 8  # a period of 7 days not starting at midnight touches 8 days
    assert kpis["judged"] == {
        "count": 0,
        "queue_params": {"judged_from": period_from.isoformat(), "judged_to": period_to.isoformat()},
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-12-02T00:00:00Z", "to": "2026-12-01T00:00:00Z"}, "query.from"),
        ({"from": "2026-12-01T00:00:00Z", "to": "2026-12-01T00:00:00Z"}, "query.from"),
        ({"from": "2025-11-29T00:00:00Z", "to": "2026-12-01T00:00:00Z"}, "query.from"),  # 367 days
        ({"to": "9999-12-31T23:00:00Z"}, "query.to"),
        ({"from": "0001-01-01T00:00:00+01:00", "to": "1970-01-02T00:00:00Z"}, "query.from"),
        ({"from": "last week"}, "query.from"),
    ],
    ids=["from after to", "empty", "over 366 days", "too late", "too early", "not a moment"],
)
def test_a_period_it_cannot_cover_gets_422_naming_the_bound(
    world: ApiWorld, params: dict[str, str], field: str
) -> None:
    response = world.client.get(URL, params=params)

    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_request"
    assert [detail["field"] for detail in response.json()["error"]["details"]] == [field]
    assert (
        world.client.get(URL, params={"from": "2025-12-01T00:00:00Z", "to": "2026-12-02T00:00:00Z"}).status_code == 200
    )
