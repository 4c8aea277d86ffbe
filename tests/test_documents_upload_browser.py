"""The documents and extraction usage pages in a real browser (Debian's headless Chromium via
Playwright), against the app served by uvicorn over SQLite: two files dropped on the drop zone, each
with its own progress bar and outcome, and the table showing the new document queued."""

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from api.main import create_app
from connectors.store import ProcessStore
from tests.api_fixtures import PASSWORD, api_world, served
from tests.browsing import document, sign_in
from tests.documents_intake_samples import pdf_with_pages
from tests.extraction_usage_fixtures import NOW, record_usage_scenario
from tests.fakes import FakeClock
from tests.page_fixtures import create_person

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

# A DataTransfer holding the files, as the browser hands a drop of files from the desktop.
_FILES_DROPPED = """(files) => {
  const dropped = new DataTransfer();
  for (const [name, content, type] of files) {
    const bytes = Uint8Array.from(atob(content), (c) => c.charCodeAt(0));
    dropped.items.add(new File([bytes], name, { type }));
  }
  return dropped;
}"""


@contextmanager
def documents_app(tmp_path: Path) -> Iterator[str]:
    """The app at NOW, with the usage scenario's documents and calls and a clerk `cleo`, served over HTTP."""
    clock = FakeClock(NOW)
    with api_world(tmp_path) as world:
        store = ProcessStore.from_url(world.settings.process_db_url, clock=clock)
        try:
            record_usage_scenario(store, clock)
        finally:
            store.close()
        create_person(world, "cleo", "clerk")
        with served(create_app(world.settings, clock=clock), world.settings) as base_url:
            yield base_url


def test_dropped_files_upload_each_with_its_progress_and_outcome(tmp_path: Path, page: Page) -> None:
    with documents_app(tmp_path) as base_url:
        sign_in(page, base_url, "cleo", PASSWORD)
        page.goto(f"{base_url}/documents")
        expect(page.locator("#documents tbody tr[data-document]")).to_have_count(5)

        files = [
            ["invoice.pdf", base64.b64encode(pdf_with_pages(2)).decode(), "application/pdf"],
            ["notes.txt", base64.b64encode(b"not an invoice at all").decode(), "text/plain"],
        ]
        page.dispatch_event("#drop-zone", "drop", {"dataTransfer": page.evaluate_handle(_FILES_DROPPED, files)})

        pdf_row = page.locator("#upload-list li", has_text="invoice.pdf")
        expect(pdf_row.locator(".upload-result")).to_have_text("Created document 6 (queued)")
        expect(pdf_row.locator("progress")).to_have_attribute("value", "100")
        text_row = page.locator("#upload-list li", has_text="notes.txt")
        expect(text_row).to_have_attribute("data-outcome", "refused")
        expect(text_row.locator(".upload-result")).to_contain_text("Refused (415)")
        expect(text_row.locator(".upload-result")).to_contain_text("notes.txt")
        # the table was refreshed after the uploads, and polls while the new document waits
        expect(page.locator('#documents tr[data-document="6"]')).to_have_attribute("data-status", "queued")
        expect(page.locator("#documents-live")).to_have_attribute("hx-trigger", "every 2s")
        document(page, "documents")
        page.locator("#drop-zone").focus()  # the drop zone is the file input's label: reachable by keyboard
        expect(page.locator("#upload-files")).to_be_focused()

        page.goto(f"{base_url}/extraction-usage")
        expect(page.locator("#usage-models tbody tr")).to_have_count(2)
        expect(page.locator("canvas[data-chart=calls-chart]")).to_be_visible()
        document(page, "extraction-usage")
