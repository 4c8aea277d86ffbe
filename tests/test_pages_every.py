"""Every page of the dashboard, on an empty database and on the demo data as the poll judges it:
no 500, and user text shown as text."""

import re
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from connectors.marketplace.schema import mp_invoice
from connectors.store.partitions import VendorPartition
from demo import seed_demo
from services.polling import judge_partition, pull_into_inbox
from services.runtime import Services
from tests.page_fixtures import page_world, signed_in

SCRIPT = "<script>alert(1)</script>"
PAGES = (
    "/",
    "/?period=today",
    "/?period=30d",
    "/queue",
    "/queue?status=manual_review",
    "/flow-runs",
    "/admin/users",
    "/admin/api-keys",
    "/admin/webhooks",
    "/documents",
    "/extraction-usage",
    "/extraction-usage?period=last_month",
)


def _visit_every_page(admin: TestClient) -> str:
    """Every page and, from the queue, every entry of its first page; all their HTML."""
    seen = []
    for path in PAGES:
        answer = admin.get(path)
        assert answer.status_code == 200, (path, answer.text[:300])
        seen.append(answer.text)
    for entry_id in re.findall(r'<a href="/entries/(\d+)">', seen[3]):
        answer = admin.get(f"/entries/{entry_id}")
        assert answer.status_code == 200, entry_id
        seen.append(answer.text)
    return "".join(seen)


def test_every_page_of_an_empty_database(tmp_path: Path) -> None:
    with page_world(tmp_path) as world:
        html = _visit_every_page(signed_in(world, "ada", "admin"))
        assert "No entries match." in html


@pytest.mark.parametrize("invoices", [300])
def test_every_page_with_the_demo_data_judged(tmp_path: Path, invoices: int) -> None:
    with page_world(tmp_path) as world:
        seed_demo(world.settings.marketplace_db_url, world.settings.erp_db_url, invoices=invoices, today=date.today())
        # a vendor's own text on an invoice, which every page must show as text
        with world.marketplace.begin() as connection:
            connection.execute(sa.update(mp_invoice).values(vendor_name=SCRIPT))
        services = Services.from_settings(world.settings)
        try:
            everything = VendorPartition(0, 1)
            pull_into_inbox(services.marketplace, services.store, actor="tests", judged_here=everything)
            judge_partition(
                services.judging, everything, batch_size=100, max_batches=100, actor="tests", flow_run_id=None
            )
        finally:
            services.close()
        html = _visit_every_page(signed_in(world, "ada", "admin"))
        assert SCRIPT not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert html.count('<a href="/entries/') >= 50
