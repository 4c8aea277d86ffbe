"""A vendor's own pages and API: its invoices from both sources in its words, its documents, and
a corrected upload that becomes the next version of the same invoice."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api_fixtures import INVOICE_DATE
from tests.document_samples import ubl_invoice
from tests.page_fixtures import csrf_of, signed_in
from tests.vendor_fixtures import TwoVendors, judge_upload, two_vendors


@pytest.fixture
def vendors(tmp_path: Path) -> Iterator[TwoVendors]:
    with two_vendors(tmp_path) as vendors:
        yield vendors


def test_a_vendor_signs_in_to_its_own_invoices(vendors: TwoVendors) -> None:
    client = vendors.world.anonymous_client()
    form = client.get("/login")
    signed = client.post(
        "/login",
        data={"username": "v1-pages", "password": "correct horse battery staple", "csrf_token": csrf_of(form)},
        follow_redirects=False,
    )
    landing = client.get("/", follow_redirects=False)

    assert signed.status_code == 303 and signed.headers["location"] == "/vendor"
    assert landing.status_code == 303 and landing.headers["location"] == "/vendor"
    page = client.get("/vendor")
    assert page.status_code == 200
    assert "My invoices" in page.text and "Work queue" not in page.text and "Overview" not in page.text
    assert "UP-V1" in page.text and "INV-00001" in page.text
    assert "UP-V2" not in page.text and "INV-00002" not in page.text
    assert "Refused: please send a corrected invoice" in page.text


def test_the_invoice_page_says_why_it_was_refused_and_offers_a_corrected_upload(vendors: TwoVendors) -> None:
    page = vendors.v1.pages.get(f"/vendor/invoices/{vendors.v1.upload_entry}")

    assert page.status_code == 200
    assert "Line 1: part HX-999 is not on purchase order PO-1." in page.text
    assert f'name="replaces" value="{vendors.v1.document}"' in page.text
    assert f"/vendor/documents/{vendors.v1.document}" in page.text
    assert "Received and checked: Refused: please send a corrected invoice" in page.text
    for internal in ("rule set", "line.part_not_on_po", "flow:test", "user:", "ERP"):
        assert internal not in page.text
    marketplace = vendors.v1.pages.get(f"/vendor/invoices/{vendors.v1.marketplace_entry}")
    assert "Correct it on the marketplace" in marketplace.text


def test_a_staff_member_may_not_open_a_vendors_page(vendors: TwoVendors) -> None:
    clerk = signed_in(vendors.world, "cleo", "clerk")

    answer = clerk.get("/vendor")

    assert answer.status_code == 403 and "AP staff find every invoice in the work queue" in answer.text
    assert clerk.get("/").status_code == 200


def test_the_vendor_api_lists_and_shows_its_invoices_in_vendor_words(vendors: TwoVendors) -> None:
    client, v1 = vendors.world.client, vendors.v1

    listed = client.get("/api/v1/vendor/invoices", headers=v1.headers, params={"limit": 1})
    rest = client.get("/api/v1/vendor/invoices", headers=v1.headers, params={"cursor": listed.json()["next_cursor"]})
    refused = client.get("/api/v1/vendor/invoices", headers=v1.headers, params={"stage": "refused"})
    detail = client.get(f"/api/v1/vendor/invoices/{v1.upload_entry}", headers=v1.headers)

    assert [item["entry_id"] for item in listed.json()["items"] + rest.json()["items"]] == [
        v1.upload_entry,
        v1.marketplace_entry,
    ]
    assert [item["entry_id"] for item in refused.json()["items"]] == [v1.upload_entry]
    body = detail.json()
    assert body["status_words"] == "Refused: please send a corrected invoice" and body["document_id"] == v1.document
    assert body["findings"][0]["problem"] == "Line 1: part HX-999 is not on purchase order PO-1."
    assert "rule_set_version" not in body and "payload" not in body
    assert client.get("/api/v1/vendor/invoices").status_code == 403  # the clerk: /api/v1/entries is theirs


def test_a_corrected_upload_is_the_next_version_of_the_same_invoice(vendors: TwoVendors) -> None:
    world, v1 = vendors.world, vendors.v1
    page = v1.pages.get(f"/vendor/documents/{v1.document}")
    corrected = ubl_invoice("UP-V1", issue_date=INVOICE_DATE, lines=(("HX-001", "2", "10.00"),))

    uploaded = v1.pages.post(
        "/vendor/documents",
        data={"csrf_token": csrf_of(page), "replaces": str(v1.document)},
        files=[("files", ("corrected.xml", corrected))],
        follow_redirects=False,
    )

    assert uploaded.status_code == 303, uploaded.text
    new_document = int(uploaded.headers["location"].split("/")[-1].split("?")[0])
    detail = world.client.get(f"/api/v1/documents/{new_document}", headers=v1.headers).json()
    assert detail["replaces_id"] == v1.document
    new_entry = judge_upload(world, new_document)
    judged = world.client.get(f"/api/v1/vendor/invoices/{new_entry}", headers=v1.headers).json()
    assert (judged["source"], judged["version"], judged["stage"]) == ("upload", 2, "accepted")
    entry = world.client.get(f"/api/v1/entries/{new_entry}").json()
    assert entry["source_invoice_id"] == str(v1.document)
    # A refused version stays refused (final for its version); it is no longer the latest.
    old = world.client.get(f"/api/v1/vendor/invoices/{v1.upload_entry}", headers=v1.headers).json()
    assert old["status"] == "bad_invoice" and old["is_latest"] is False
    listing = v1.pages.get("/vendor").text
    assert listing.index(f"/vendor/invoices/{new_entry}") < listing.index(f"/vendor/invoices/{v1.upload_entry}")
    assert "You sent version 2 since." in listing


def test_a_vendor_may_not_replace_another_vendors_document(vendors: TwoVendors) -> None:
    world, v1, v2 = vendors.world, vendors.v1, vendors.v2
    content = ubl_invoice("UP-X", issue_date=INVOICE_DATE)

    theirs = world.client.post(
        "/api/v1/documents",
        files=[("files", ("x.xml", content))],
        data={"replaces": str(v2.document)},
        headers=v1.headers,
    )
    nowhere = world.client.post(
        "/api/v1/documents", files=[("files", ("x.xml", content))], data={"replaces": "999999"}, headers=v1.headers
    )

    assert theirs.status_code == nowhere.status_code == 404
    assert theirs.json()["error"]["code"] == nowhere.json()["error"]["code"] == "document_not_found"
    by_staff = world.client.post(
        "/api/v1/documents", files=[("files", ("x.xml", content))], data={"replaces": str(v2.document)}
    )
    assert by_staff.status_code == 202 and by_staff.json()["documents"][0]["vendor_id"] == "V2"


def test_a_vendors_documents_page_lists_its_own_and_uploads(vendors: TwoVendors) -> None:
    v1 = vendors.v1
    page = v1.pages.get("/vendor/documents")

    uploaded = v1.pages.post(
        "/vendor/documents",
        data={"csrf_token": csrf_of(page)},
        files=[
            ("files", ("a.xml", ubl_invoice("NEW-1", issue_date=INVOICE_DATE))),
            ("files", ("b.xml", ubl_invoice("NEW-2", issue_date=INVOICE_DATE))),
        ],
    )
    no_token = v1.pages.post(
        "/vendor/documents", files=[("files", ("c.xml", ubl_invoice("NEW-3", issue_date=INVOICE_DATE)))]
    )

    assert page.status_code == 200 and f"/vendor/documents/{v1.document}" in page.text
    assert f"/vendor/documents/{vendors.v2.document}" not in page.text
    assert uploaded.status_code == 200 and "2 files uploaded" in uploaded.text
    assert uploaded.text.count("Being read") == 2
    assert no_token.status_code == 403
