"""Documents in a real browser (Debian's headless Chromium through Playwright): the verification
screen worked by keyboard alone, a field and its box on the page found from either side, the verdict
on the same screen and the entry it became. A failing test keeps a screenshot (tests/browsing.py)."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from api.main import create_app
from services.runtime import Services
from tests.api_fixtures import INVOICE_DATE, PASSWORD, ApiWorld, api_world, served
from tests.browsing import document, sign_in
from tests.page_fixtures import create_person
from tests.review_samples import invoice_needing_review

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


@contextmanager
def documents_desk(tmp_path: Path) -> Iterator[tuple[ApiWorld, str]]:
    """The test world with a clerk `cleo`, served over HTTP."""
    with api_world(tmp_path) as world:
        create_person(world, "cleo", "clerk")
        with served(create_app(world.settings), world.settings) as base_url:
            yield world, base_url


def extract_waiting(world: ApiWorld) -> None:
    services: Services = world.client.app_state["services"]
    services.documents.extract_waiting(actor="flow:test")


def uploaded_and_read(world: ApiWorld, invoice_number: str) -> int:
    pdf = invoice_needing_review(invoice_number, issue_date=INVOICE_DATE)
    answer = world.client.post("/api/v1/documents", files=[("files", ("acme-invoice.pdf", pdf))])
    document_id: int = answer.json()["documents"][0]["id"]
    extract_waiting(world)
    return document_id


def test_a_clerk_checks_a_document_by_keyboard_alone_and_sees_the_verdict(tmp_path: Path, page: Page) -> None:
    with documents_desk(tmp_path) as (world, base_url):
        document_id = uploaded_and_read(world, "INV-900")
        sign_in(page, base_url, "cleo", PASSWORD)
        page.goto(f"{base_url}/documents/{document_id}")
        expect(page.locator("#document-status")).to_have_text("needs_review")
        page_image = page.get_by_alt_text("Page 1 of acme-invoice.pdf")
        expect(page_image).to_be_visible()
        assert page_image.evaluate("image => image.complete && image.naturalWidth > 0")

        # the first field to check has the focus, its box is drawn; Tab goes to the next one to check
        expect(page.locator("#field-subtotal")).to_be_focused()
        expect(page.locator('.field-box[data-path="subtotal"]')).to_have_class("field-box flagged active")
        page.keyboard.press("Tab")
        expect(page.locator("#field-tax_total")).to_be_focused()
        page.keyboard.press("Tab")
        expect(page.locator("#field-total")).to_be_focused()
        expect(page.locator('.field-box[data-path="total"]')).to_have_class("field-box flagged active")
        expect(page.locator('.field-box[data-path="subtotal"]')).to_have_class("field-box flagged")
        document(page, "verification")

        page.keyboard.press("Control+A")
        page.keyboard.type("20.00")
        page.keyboard.press("Control+s")
        expect(page.get_by_role("status")).to_have_text("Corrections saved.")
        expect(page.locator("#conf-total")).to_have_text("corrected")
        expect(page.locator("#history")).to_contain_text("total: 25.00 → 20.00")

        page.locator("#field-invoice_number").focus()
        page.keyboard.press("Control+Enter")
        expect(page.locator("#verdict-status")).to_have_text("ready_to_process")
        expect(page.locator("#findings")).to_contain_text("No findings: every rule passed.")
        page.locator("#entry-link").click()
        expect(page.locator("#entry-status")).to_have_text("ready_to_process")
        expect(page.locator("#history")).to_contain_text("user:cleo")


def test_an_upload_through_the_page_is_read_checked_submitted_and_found_in_the_queue(
    tmp_path: Path, page: Page
) -> None:
    with documents_desk(tmp_path) as (world, base_url):
        sign_in(page, base_url, "cleo", PASSWORD)
        page.get_by_role("link", name="Documents").click()
        pdf = tmp_path / "acme-invoice.pdf"
        pdf.write_bytes(invoice_needing_review("INV-902", issue_date=INVOICE_DATE))
        page.locator("#upload-files").set_input_files(pdf)
        row = page.locator('#documents tr[data-document="1"]')
        expect(row).to_have_attribute("data-status", "queued")

        extract_waiting(world)  # what the extract-documents flow does; the page follows by itself
        expect(row).to_have_attribute("data-status", "needs_review")
        row.get_by_role("link", name="1", exact=True).click()

        expect(page.locator("#field-subtotal")).to_be_focused()
        page.locator("#field-total").fill("20.00")
        page.get_by_role("button", name="Submit as invoice").click()
        expect(page.locator("#verdict-status")).to_have_text("ready_to_process")
        page.get_by_role("link", name="Work queue").click()
        queued = page.locator("#queue tbody tr", has_text="INV-902")
        expect(queued).to_have_count(1)
        expect(queued).to_contain_text("ready_to_process")


def test_clicking_a_box_on_the_page_focuses_its_field_and_the_pages_zoom(tmp_path: Path, page: Page) -> None:
    with documents_desk(tmp_path) as (world, base_url):
        document_id = uploaded_and_read(world, "INV-901")
        sign_in(page, base_url, "cleo", PASSWORD)
        page.goto(f"{base_url}/documents/{document_id}")
        expect(page.get_by_alt_text("Page 1 of acme-invoice.pdf")).to_be_visible()

        page.locator('.field-box[data-path="invoice_number"]').click()
        expect(page.locator("#field-invoice_number")).to_be_focused()
        expect(page.locator('.field-box[data-path="invoice_number"]')).to_have_class("field-box active")

        frame = page.locator(".page-frame").first
        width = frame.evaluate("frame => frame.getBoundingClientRect().width")
        page.keyboard.press("Alt+=")
        expect(page.locator("#zoom-label")).to_have_text("125%")
        assert frame.evaluate("frame => frame.getBoundingClientRect().width") > width * 1.2
        page.get_by_role("button", name="Zoom out").click()
        expect(page.locator("#zoom-label")).to_have_text("100%")
