"""A vendor in a real browser (Debian's headless Chromium, Playwright): signs in, sees its invoices
and why one was refused in its own words, and finds nothing at another vendor's addresses."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from api.main import create_app
from tests.api_fixtures import PASSWORD, served
from tests.browsing import document, sign_in
from tests.vendor_fixtures import two_vendors

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_a_vendor_sees_its_invoices_and_a_refusal_in_its_words_and_nothing_of_another_vendor(
    tmp_path: Path, page: Page
) -> None:
    with two_vendors(tmp_path) as vendors, served(create_app(vendors.world.settings), vendors.world.settings) as base:
        v1, v2 = vendors.v1, vendors.v2
        sign_in(page, base, "v1-pages", PASSWORD)

        expect(page).to_have_url(re.compile(r"/vendor$"))
        expect(page.get_by_role("navigation", name="Main")).to_have_text(re.compile(r"My invoices\s*My documents"))
        rows = page.locator("#vendor-invoices tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.first).to_contain_text("Refused: please send a corrected invoice")
        document(page, "vendor-invoices")

        page.get_by_role("link", name="UP-V1").click()
        expect(page.locator("#invoice-status")).to_have_text("Refused: please send a corrected invoice")
        expect(page.locator("#findings")).to_contain_text("Line 1: part HX-999 is not on purchase order PO-1.")
        expect(page.get_by_role("button", name="Upload the corrected version")).to_be_visible()
        document(page, "vendor-invoice")

        for address in (f"/vendor/invoices/{v2.upload_entry}", f"/vendor/documents/{v2.document}"):
            answer = page.goto(f"{base}{address}")
            assert answer is not None and answer.status == 404, address
            expect(page.get_by_role("alert")).to_contain_text("There is no")
        answer = page.goto(f"{base}/api/v1/documents/{v2.document}/file")
        assert answer is not None and answer.status == 404
        answer = page.goto(f"{base}/queue")
        assert answer is not None and answer.status == 403
        answer = page.goto(f"{base}/vendor/invoices/{v1.marketplace_entry}")
        assert answer is not None and answer.status == 200
        expect(page.get_by_text("Correct it on the marketplace")).to_be_visible()
