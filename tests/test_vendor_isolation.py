"""Vendor isolation, everywhere: two vendors, V1 and V2, each with invoices from both sources and
uploaded documents. V1 tries every route of the app with V2's ids: a route scoped to vendors answers
404 exactly as for an id that does not exist, every other route 403 without telling whether the id
exists. The route table is walked, so a new route a vendor can reach fails here until it is scoped
and listed."""

from collections.abc import Iterator

import httpx
import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Route

from api.pages import PAGE_ROUTERS
from api.routes.docs import router as docs_router
from tests.vendor_fixtures import TwoVendors, VendorSide, two_vendors

# Routes with an id a vendor may call: each answers for the vendor's own ids only (404 otherwise).
VENDOR_SCOPED = {
    ("GET", "/api/v1/documents/{document_id}"),
    ("GET", "/api/v1/documents/{document_id}/file"),
    ("GET", "/api/v1/documents/{document_id}/pages/{page}"),
    ("GET", "/api/v1/vendor/invoices/{entry_id}"),
    ("GET", "/vendor/invoices/{entry_id}"),
    ("GET", "/vendor/documents/{document_id}"),
}
# Routes without an id a vendor may call (lists are its own: test_lists_show_only_the_vendors_own).
VENDOR_OPEN = {
    ("GET", "/"),  # sends a vendor to /vendor
    ("GET", "/vendor"),
    ("GET", "/vendor/documents"),
    ("POST", "/vendor/documents"),
    ("GET", "/api/v1/vendor/invoices"),
    ("GET", "/api/v1/documents"),
    ("POST", "/api/v1/documents"),
    ("GET", "/api/v1/auth/me"),
    ("POST", "/api/v1/auth/logout"),
    ("POST", "/logout"),
}
PUBLIC = {
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/api/v1/auth/login"),
    ("GET", "/api/v1/schemas/rpa-payload"),
    ("GET", "/health"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
}
MISSING_ID = "999999"


@pytest.fixture(scope="module")
def vendors(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TwoVendors]:
    with two_vendors(tmp_path_factory.mktemp("isolation")) as vendors:
        yield vendors


def operations(vendors: TwoVendors) -> set[tuple[str, str]]:
    """Every (method, path) of the app: the API from its OpenAPI schema (FastAPI's app.routes no longer
    lists included routers' routes), the pages and the docs from their routers (static files left out)."""
    spec = vendors.world.anonymous_client().get("/openapi.json").json()
    found = {(method.upper(), path) for path, methods in spec["paths"].items() for method in methods}
    for router in (*PAGE_ROUTERS, docs_router):
        for route in router.routes:
            assert isinstance(route, APIRoute | Route), f"{route} is not a plain route: walk it too"
            found |= {(method, route.path) for method in route.methods or () if method != "HEAD"}
    found.add(("GET", "/openapi.json"))
    assert len(found) > 50
    return found


def ids_of(side: VendorSide) -> list[dict[str, str]]:
    """Path values naming the other vendor's things, one set per thing of each kind."""
    return [
        {"entry_id": str(side.marketplace_entry), "document_id": str(side.document), "source_id": "2", "page": "1"},
        {
            "entry_id": str(side.upload_entry),
            "document_id": str(side.document),
            "source_id": str(side.document),
            "page": "1",
        },
    ]


def missing_ids() -> dict[str, str]:
    return {"entry_id": MISSING_ID, "document_id": MISSING_ID, "source_id": MISSING_ID, "page": "1"}


def call(vendors: TwoVendors, side: VendorSide, method: str, path: str, values: dict[str, str]) -> httpx.Response:
    """As the vendor: its API token for /api, its signed-in browser session for the pages."""
    url = path.format_map({"username": "v2-api", "name": "nobody", "action": "approve", **values})
    if path.startswith("/api/"):
        client: TestClient = vendors.world.anonymous_client()
        answer: httpx.Response = client.request(method, url, headers=side.headers, json={} if method != "GET" else None)
    else:
        answer = side.pages.request(method, url, follow_redirects=False)
    return answer


def test_every_route_is_known(vendors: TwoVendors) -> None:
    with_id = {op for op in operations(vendors) if "{" in op[1]}
    assert with_id >= VENDOR_SCOPED and operations(vendors) >= VENDOR_OPEN | PUBLIC


def test_every_route_with_an_id_refuses_another_vendors_ids_as_it_refuses_missing_ones(vendors: TwoVendors) -> None:
    v1, v2 = vendors.v1, vendors.v2
    checked = 0
    for method, path in sorted(op for op in operations(vendors) if "{" in op[1]):
        missing = call(vendors, v1, method, path, missing_ids())
        for values in ids_of(v2):
            theirs = call(vendors, v1, method, path, values)
            where = f"{method} {path} with V2's {values}"
            if (method, path) in VENDOR_SCOPED:
                assert theirs.status_code == missing.status_code == 404, where
                if path.startswith("/api/"):  # the same error, or the code would tell the id exists
                    assert theirs.json()["error"]["code"] == missing.json()["error"]["code"], where
            else:
                # Not a vendor's route: refused before any look-up, the same for any id.
                assert theirs.status_code == 403, f"{where}: a vendor reaches it; scope it and list it in VENDOR_SCOPED"
                assert theirs.text == missing.text, f"{where}: the refusal tells whether the id exists"
            checked += 1
    assert checked > 30


def test_the_vendor_scoped_routes_answer_for_the_vendors_own_ids(vendors: TwoVendors) -> None:
    for side in (vendors.v1, vendors.v2):
        for method, path in sorted(VENDOR_SCOPED):
            for values in ids_of(side):
                answer = call(vendors, side, method, path, values)
                if path.endswith("/pages/{page}"):  # their documents are XML e-invoices: no page to show
                    assert answer.json()["error"]["code"] == "no_page_image", answer.text
                    continue
                assert answer.status_code == 200, f"{side.vendor_id}: {method} {path} {values}: {answer.text[:200]}"


def test_every_other_route_a_vendor_reaches_is_known(vendors: TwoVendors) -> None:
    for method, path in sorted(operations(vendors) - VENDOR_OPEN - PUBLIC):
        if "{" in path:
            continue
        answer = call(vendors, vendors.v1, method, path, {})
        assert answer.status_code == 403, f"{method} {path}: a vendor reaches it ({answer.status_code}); list it"


def test_staff_routes_refuse_a_vendor_alike_for_an_existing_and_a_missing_entry(vendors: TwoVendors) -> None:
    v1 = vendors.v1
    for path in ("/api/v1/entries/{entry_id}", "/entries/{entry_id}"):
        own = call(vendors, v1, "GET", path, {"entry_id": str(v1.upload_entry)})
        missing = call(vendors, v1, "GET", path, missing_ids())
        assert own.status_code == missing.status_code == 403 and own.text == missing.text
    for path in ("/queue", "/flow-runs", "/admin/users", "/admin/api-keys", "/admin/webhooks"):
        assert call(vendors, v1, "GET", path, {}).status_code == 403, path


def test_lists_show_only_the_vendors_own(vendors: TwoVendors) -> None:
    world, v1, v2 = vendors.world, vendors.v1, vendors.v2
    invoices = world.client.get("/api/v1/vendor/invoices", headers=v1.headers).json()["items"]
    documents = world.client.get("/api/v1/documents", headers=v1.headers).json()["items"]
    invoice_page, document_page = v1.pages.get("/vendor").text, v1.pages.get("/vendor/documents").text

    assert {item["entry_id"] for item in invoices} == {v1.marketplace_entry, v1.upload_entry}
    assert [item["id"] for item in documents] == [v1.document]
    for entry_id in (v2.marketplace_entry, v2.upload_entry):
        assert f"/vendor/invoices/{entry_id}" not in invoice_page
    assert f"/vendor/documents/{v2.document}" not in document_page and "UP-V2" not in invoice_page
