"""What the browser tests share: the system Chromium, screenshots, signing in through the page."""

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from settings import REPO_ROOT
from tests.databases import IN_CI

CALL_REPORT = pytest.StashKey[pytest.TestReport]()
# Screenshots of failed browser tests; CI keeps the folder.
FAILURE_SCREENSHOTS = Path(os.environ.get("BROWSER_FAILURE_SCREENSHOTS", REPO_ROOT / "var" / "test-screenshots"))
# Set by `make screenshots`: the browser tests then also save the README's pictures of each page here.
DOCS_SCREENSHOTS = os.environ.get("DOCS_SCREENSHOTS")


def chromium_path() -> str:
    """Debian's chromium; the test skips without it (fails under CI=true, where .ci/run installs it)."""
    path = shutil.which("chromium")
    if path is None:
        reason = "Debian's chromium is not installed (apt-get install chromium chromium-driver; .ci/run does)"
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    return path


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])


def new_tab(browser: Browser) -> Page:
    """A tab at 1280 × 900, the width the pages are designed for, in a context of its own."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    return context.new_page()


@contextmanager
def browser_tab(test_name: str) -> Iterator[Page]:
    """A tab of a browser started for this block alone, for a test among Prefect ones (where a
    module-wide browser would disturb Prefect's clients: see the `browser` fixture); a failing block
    keeps a screenshot."""
    with sync_playwright() as playwright:
        browser = launch(playwright)
        tab = new_tab(browser)
        try:
            yield tab
        except BaseException:
            print(f"screenshot of the failed test: {save_failure_screenshot(tab, test_name)}")
            raise
        finally:
            browser.close()


def save_failure_screenshot(page: Page, test_name: str) -> Path:
    FAILURE_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = FAILURE_SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', test_name)}.png"
    page.screenshot(path=path, full_page=True)
    return path


def document(page: Page, name: str) -> None:
    """Save the README's screenshot of this page as docs/screenshots/NAME.png, when asked to."""
    if DOCS_SCREENSHOTS:
        Path(DOCS_SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(DOCS_SCREENSHOTS) / f"{name}.png", full_page=True)


def sign_in(page: Page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"^(?!.*/login).*$"))
