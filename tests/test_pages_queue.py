"""The work queue page: tabs with counts, filters, sort, pages, the CSV link and bulk actions."""

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.api_fixtures import ONE_CENT_OFF
from tests.page_fixtures import csrf_of, page_world, signed_in


def _ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'<a href="/entries/(\d+)">', html)]


def _count(html: str, status: str) -> int:
    found = re.search(rf'data-count="{status}">(\d+)<', html)
    assert found is not None, status
    return int(found.group(1))


def test_tabs_filters_sort_and_pages(tmp_path: Path) -> None:
    with page_world(tmp_path) as world:
        for invoice_id, po in ((1, "PO-1"), (2, "PO-2"), (3, "PO-3")):
            world.add_invoice(invoice_id, po_number=po, lines=ONE_CENT_OFF, subtotal="24.62", total_amount="24.62")
            assert world.validate(invoice_id).status_code == 400
        world.add_invoice(4, po_number="PO-1")
        assert world.validate(4).status_code == 200
        clerk = signed_in(world, "cleo", "clerk")

        everything = clerk.get("/queue")
        assert everything.status_code == 200
        assert _ids(everything.text) == [4, 3, 2, 1]
        assert (_count(everything.text, "manual_review"), _count(everything.text, "ready_to_process")) == (3, 1)

        review = clerk.get("/queue", params={"status": "manual_review", "po_number": "", "vendor_id": ""})
        assert _ids(review.text) == [3, 2, 1]
        assert _count(review.text, "ready_to_process") == 1  # the tabs count the filter without its status

        assert _ids(clerk.get("/queue", params={"po_number": "PO-1"}).text) == [4, 1]
        assert _ids(clerk.get("/queue", params={"rule_id": "price.unit_mismatch"}).text) == [3, 2, 1]
        assert _ids(clerk.get("/queue", params={"invoice_number": "inv 0002"}).text) == [2]
        assert _ids(clerk.get("/queue", params={"sort": "id", "order": "asc"}).text) == [1, 2, 3, 4]

        first = clerk.get("/queue", params={"sort": "id", "order": "asc", "limit": "25"})
        assert "Next page" not in first.text
        bad = clerk.get("/queue", params={"status": "nonsense"})
        assert bad.status_code == 422
        assert "status" in bad.text


def test_the_export_link_is_the_csv_of_exactly_the_filter(tmp_path: Path) -> None:
    with page_world(tmp_path) as world:
        world.add_invoice(1, lines=ONE_CENT_OFF, subtotal="24.62", total_amount="24.62")
        world.add_invoice(2, po_number="PO-2")
        world.validate(1)
        world.validate(2)
        clerk = signed_in(world, "cleo", "clerk")
        page = clerk.get("/queue", params={"status": "manual_review"})
        link = re.search(r'href="(/api/v1/entries/export\.csv[^"]*)"', page.text)
        assert link is not None
        url = link.group(1).replace("&amp;", "&")
        assert parse_qs(urlsplit(url).query)["status"] == ["manual_review"]
        exported = clerk.get(url)
        assert exported.status_code == 200
        rows = exported.text.strip().splitlines()
        assert len(rows) == 2 and rows[1].startswith("1,manual_review,")


def test_bulk_reject_decides_each_entry_and_says_what_happened(tmp_path: Path) -> None:
    with page_world(tmp_path) as world:
        for invoice_id, po in ((1, "PO-1"), (2, "PO-2")):
            world.add_invoice(invoice_id, po_number=po, lines=ONE_CENT_OFF, subtotal="24.62", total_amount="24.62")
            world.validate(invoice_id)
        clerk = signed_in(world, "cleo", "clerk")
        page = clerk.get("/queue")
        answer = clerk.post(
            "/queue/bulk",
            data={
                "csrf_token": csrf_of(page),
                "action": "requeue",
                "reason": "vendor confirmed",
                "entry_ids": ["1", "2"],
                "return_query": "status=manual_review",
            },
        )
        assert answer.status_code == 200
        assert "Requeued 0 of 2." in answer.text
        assert answer.text.count("cannot move to ready_to_process") == 2
        rejected = clerk.post(
            "/queue/bulk",
            data={"csrf_token": csrf_of(page), "action": "reject", "reason": "duplicates", "entry_ids": ["1", "2"]},
        )
        assert "Rejected 2 of 2 (1, 2)." in rejected.text
        statuses = {entry["id"]: entry["status"] for entry in world.client.get("/api/v1/entries").json()["items"]}
        assert statuses == {1: "rejected", 2: "rejected"}
        history = world.client.get("/api/v1/entries/1").json()["history"]
        assert (history[-1]["actor"], history[-1]["reason"]) == ("user:cleo", "duplicates")
        no_reason = clerk.post(
            "/queue/bulk", data={"csrf_token": csrf_of(page), "action": "reject", "reason": " ", "entry_ids": ["1"]}
        )
        assert no_reason.status_code == 422


def test_htmx_refresh_gets_the_table_alone(tmp_path: Path) -> None:
    with page_world(tmp_path) as world:
        clerk = signed_in(world, "cleo", "clerk")
        fragment = clerk.get("/queue", headers={"HX-Request": "true"})
        assert fragment.status_code == 200
        assert "<html" not in fragment.text and 'id="queue"' in fragment.text
