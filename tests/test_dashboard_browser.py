"""The dashboard in a real browser: Debian's headless Chromium, driven by Playwright, against the
app served by uvicorn over SQLite databases. A failing test keeps a screenshot (tests/browsing.py)."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from api.main import create_app
from tests.api_fixtures import ONE_CENT_OFF, PASSWORD, ApiWorld, api_world, served
from tests.browsing import document, sign_in
from tests.page_fixtures import create_person

# One worker runs them one after another, so the browser starts once (see the `browser` fixture).
pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@contextmanager
def dashboard(tmp_path: Path) -> Iterator[tuple[ApiWorld, str]]:
    """Prepared databases with a manual-review entry (1) and a ready one (2, on another PO), a clerk
    `cleo` and an admin `ada`, and the app served over HTTP."""
    with api_world(tmp_path) as world:
        world.add_invoice(1, lines=ONE_CENT_OFF, subtotal="24.62", total_amount="24.62")
        world.add_invoice(2, po_number="PO-2")
        assert world.validate(1).status_code == 400
        assert world.validate(2).status_code == 200
        create_person(world, "cleo", "clerk")
        create_person(world, "ada", "admin")
        with served(create_app(world.settings), world.settings) as base_url:
            yield world, base_url


def test_a_clerk_works_a_manual_review_entry_to_ready_in_the_browser(tmp_path: Path, page: Page) -> None:
    with dashboard(tmp_path) as (world, base_url):
        sign_in(page, base_url, "cleo", PASSWORD)
        page.goto(f"{base_url}/queue")
        expect(page.locator("#queue tbody tr")).to_have_count(2)
        page.get_by_role("link", name="manual_review").click()
        page.get_by_label("PO number").fill("PO-1")
        page.get_by_role("button", name="Apply").click()
        expect(page.locator("#queue tbody tr")).to_have_count(1)
        document(page, "queue")
        page.get_by_role("link", name="1", exact=True).click()
        expect(page.locator("#entry-status")).to_have_text("manual_review")
        expect(page.locator("#findings")).to_contain_text("price.unit_mismatch")
        document(page, "entry")
        page.get_by_label("Reason (goes into the audit trail)").fill("Price agreed with the vendor by phone")
        page.get_by_role("button", name="Approve").click()
        expect(page.locator("#entry-status")).to_have_text("ready_to_process")
        expect(page.get_by_role("status")).to_have_text("Approved: it is queued for the bot.")
        last_event = page.locator("#history li").last
        expect(last_event).to_contain_text("manual_review → ready_to_process")
        expect(last_event).to_contain_text("user:cleo")
        expect(last_event).to_contain_text("Price agreed with the vendor by phone")
        assert world.client.get("/api/v1/entries/1").json()["status"] == "ready_to_process"


def test_an_action_without_its_csrf_token_is_refused(tmp_path: Path, page: Page) -> None:
    with dashboard(tmp_path) as (world, base_url):
        sign_in(page, base_url, "cleo", PASSWORD)
        page.goto(f"{base_url}/entries/1")
        page.locator("form[action='/entries/1/approve'] input[name=csrf_token]").evaluate("input => input.remove()")
        page.get_by_label("Reason (goes into the audit trail)").fill("no token")
        page.get_by_role("button", name="Reject").click()
        expect(page.get_by_role("alert")).to_contain_text("security token")
        assert world.client.get("/api/v1/entries/1").json()["status"] == "manual_review"


def test_a_clerk_typing_an_admin_address_gets_403(tmp_path: Path, page: Page) -> None:
    with dashboard(tmp_path) as (_world, base_url):
        sign_in(page, base_url, "cleo", PASSWORD)
        expect(page.get_by_role("link", name="Admin")).to_have_count(0)
        answer = page.goto(f"{base_url}/admin/users")
        assert answer is not None and answer.status == 403
        expect(page.get_by_role("alert")).to_contain_text("for administrators")


def test_an_admin_creates_a_clerk_and_an_api_key_whose_secret_is_shown_once(tmp_path: Path, page: Page) -> None:
    with dashboard(tmp_path) as (world, base_url):
        sign_in(page, base_url, "ada", PASSWORD)
        page.goto(f"{base_url}/admin/users")
        page.get_by_label("Username").fill("bea")
        page.get_by_label("Password (12 characters at least)").fill("a long enough password")
        page.get_by_role("button", name="Create user").click()
        expect(page.get_by_role("status")).to_have_text("Created the user bea.")
        document(page, "admin")
        page.get_by_role("link", name="API keys").click()
        page.get_by_label("The bot's name").fill("uipath-07")
        page.get_by_role("button", name="Create key").click()
        secret = page.get_by_label("API key").input_value()
        assert world.anonymous_client().get(
            "/api/v1/auth/me", headers={"Authorization": f"Bearer {secret}"}
        ).json() == {"kind": "bot", "name": "uipath-07", "role": "bot", "vendor_id": None}
        page.reload()  # the browser asks to send the form again: the secret is not in the page it gets
        page.goto(f"{base_url}/admin/api-keys")
        assert secret not in page.content()


def test_the_overview_shows_the_numbers_in_the_database(tmp_path: Path, page: Page) -> None:
    with dashboard(tmp_path) as (world, base_url):
        sign_in(page, base_url, "ada", PASSWORD)
        expect(page).to_have_url(f"{base_url}/")
        with world.process.connect() as connection:
            judged = connection.execute(sa.text("SELECT count(*) FROM process_scheduler")).scalar_one()
            in_review = connection.execute(
                sa.text("SELECT count(*) FROM process_scheduler WHERE status = 'manual_review'")
            ).scalar_one()
        expect(page.locator("#kpi-judged .value")).to_have_text(str(judged))
        expect(page.locator("#kpi-backlog .value")).to_have_text(str(in_review))
        expect(page.locator("canvas[data-chart=verdicts-chart]")).to_be_visible()
        document(page, "overview")
        page.locator("#kpi-backlog .value a").click()
        expect(page.locator("#queue tbody tr")).to_have_count(in_review)
