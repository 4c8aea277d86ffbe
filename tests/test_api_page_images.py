"""GET /api/v1/documents/{id}/pages/{page}: the page as an image, cached by the browser (ETag, 304), only for
those who may see the document, with clear 404s for pages and documents that have none."""

import io
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image

from tests.api_fixtures import INVOICE_DATE, ApiWorld, api_world, credentials_for
from tests.document_samples import ubl_invoice
from tests.ocr_samples import invoice_pdf
from tests.page_fixtures import signed_in


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiWorld]:
    with api_world(tmp_path_factory.mktemp("pages")) as world:
        yield world


def uploaded(world: ApiWorld, name: str, content: bytes, headers: dict[str, str] | None = None) -> int:
    response = world.client.post("/api/v1/documents", files=[("files", (name, content))], headers=headers)
    assert response.status_code == 202, response.text
    document_id: int = response.json()["documents"][0]["id"]
    return document_id


@pytest.fixture(scope="module")
def two_pages(world: ApiWorld) -> int:
    return uploaded(world, "two-pages.pdf", invoice_pdf(pages=2), world.headers("vendor"))


def test_a_page_is_a_png_with_cache_headers_and_304_when_the_browser_has_it(world: ApiWorld, two_pages: int) -> None:
    first: httpx.Response = world.client.get(f"/api/v1/documents/{two_pages}/pages/2")

    assert first.status_code == 200, first.text
    assert first.headers["content-type"] == "image/png"
    assert first.headers["x-content-type-options"] == "nosniff"
    assert first.headers["cache-control"] == "private, max-age=300"
    image = Image.open(io.BytesIO(first.content))
    assert image.format == "PNG" and max(image.size) == 1600
    etag = first.headers["etag"]

    again = world.client.get(f"/api/v1/documents/{two_pages}/pages/2", headers={"If-None-Match": etag})
    weakly = world.client.get(f"/api/v1/documents/{two_pages}/pages/2", headers={"If-None-Match": f'"x", W/{etag}'})
    other_page = world.client.get(f"/api/v1/documents/{two_pages}/pages/1", headers={"If-None-Match": etag})

    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    assert again.headers["cache-control"] == "private, max-age=300"
    assert weakly.status_code == 304
    assert other_page.status_code == 200 and other_page.headers["etag"] != etag


def test_a_page_past_the_last_and_an_xml_e_invoice_are_404s_naming_why(world: ApiWorld, two_pages: int) -> None:
    xml = uploaded(world, "invoice.xml", ubl_invoice("INV-P1", issue_date=INVOICE_DATE))

    past = world.client.get(f"/api/v1/documents/{two_pages}/pages/3")
    no_image = world.client.get(f"/api/v1/documents/{xml}/pages/1")
    unknown = world.client.get("/api/v1/documents/424242/pages/1")

    assert past.status_code == 404 and past.json()["error"]["code"] == "page_not_found"
    assert past.json()["error"]["details"][0]["field"] == "path.page"
    assert "the document has 2 pages" in past.json()["error"]["message"]
    assert no_image.status_code == 404 and no_image.json()["error"]["code"] == "no_page_image"
    assert "XML e-invoice" in no_image.json()["error"]["message"]
    assert unknown.json()["error"]["code"] == "document_not_found"
    assert world.client.get(f"/api/v1/documents/{two_pages}/pages/0").status_code == 422


def test_only_people_who_may_see_the_document_get_its_pages(world: ApiWorld, two_pages: int) -> None:
    path = f"/api/v1/documents/{two_pages}/pages/1"
    anonymous = world.anonymous_client()
    other_vendor = credentials_for(world.settings, "vendor", "vendor-two", vendor_id="V2")

    assert anonymous.get(path).status_code == 401
    assert anonymous.get(path, headers=world.headers("bot")).status_code == 403
    refused = anonymous.get(path, headers=other_vendor)
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "document_not_found"
    assert anonymous.get(path, headers=world.headers("vendor")).status_code == 200  # its own vendor's


def test_the_dashboards_img_gets_it_with_the_session_cookie(world: ApiWorld, two_pages: int) -> None:
    browser = signed_in(world, "cleo-pages", "clerk")

    answer = browser.get(f"/api/v1/documents/{two_pages}/pages/1")

    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
