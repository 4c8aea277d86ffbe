"""The overview page: the period's figures, each a link to exactly its entries in the queue."""

import re
from pathlib import Path

from tests.api_fixtures import ONE_CENT_OFF
from tests.page_fixtures import page_world, signed_in


def _tile(html: str, tile_id: str) -> tuple[str, str]:
    """The number a tile shows and the queue link it carries."""
    found = re.search(rf'id="{tile_id}">.*?<div class="value"><a href="([^"]+)">([^<]+)</a>', html, re.S)
    assert found is not None, tile_id
    return found.group(2), found.group(1).replace("&amp;", "&")


def _queue_ids(client, link: str) -> list[int]:  # type: ignore[no-untyped-def]
    return [int(found) for found in re.findall(r'<a href="/entries/(\d+)">', client.get(link).text)]


def test_the_overview_shows_the_figures_of_the_database_and_links_to_their_entries(tmp_path: Path) -> None:
    with page_world(tmp_path) as world:
        world.add_invoice(1, lines=ONE_CENT_OFF, subtotal="24.62", total_amount="24.62")
        world.add_invoice(2, po_number="PO-2")
        world.add_invoice(3, po_number="PO-9")  # no such PO: bad invoice
        for invoice_id in (1, 2, 3):
            world.validate(invoice_id)
        clerk = signed_in(world, "cleo", "clerk")
        page = clerk.get("/")
        assert page.status_code == 200
        assert _tile(page.text, "kpi-judged")[0] == "3"
        count, link = _tile(page.text, "kpi-verdict-manual_review")
        assert count == "1" and _queue_ids(clerk, link) == [1]
        count, link = _tile(page.text, "kpi-verdict-bad_invoice")
        assert count == "1" and _queue_ids(clerk, link) == [3]
        count, link = _tile(page.text, "kpi-backlog")
        assert count == "1" and _queue_ids(clerk, link) == [1]
        assert _tile(page.text, "kpi-first-pass")[0] == "33.3 %"
        assert "po.not_found" in page.text
        # the JSON behind it says the same
        kpis = world.client.get("/api/v1/kpis").json()
        assert kpis["judged"]["count"] == 3


def test_every_period_and_a_bad_one(tmp_path: Path) -> None:
    with page_world(tmp_path) as world:
        clerk = signed_in(world, "cleo", "clerk")
        for params in (
            {"period": "today"},
            {"period": "30d"},
            {"period": "custom", "from": "2026-11-01", "to": "2026-11-30"},
        ):
            answer = clerk.get("/", params=params)
            assert answer.status_code == 200, params
            assert "No bad invoices in the period." in answer.text
        backwards = clerk.get("/", params={"period": "custom", "from": "2026-11-30", "to": "2026-11-01"})
        assert backwards.status_code == 422
        assert "must end after it starts" in backwards.text
        fragment = clerk.get("/", headers={"HX-Request": "true"})
        assert "<html" not in fragment.text and 'id="kpi-judged"' in fragment.text
