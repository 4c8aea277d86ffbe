"""The document API end to end over a real app and SQLite: upload, extraction (the flow's use case),
corrections, submission into the inbox, validation, and every bad input refused without harm."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.runtime import Services
from tests.api_fixtures import INVOICE_DATE, ApiWorld, api_world, credentials_for
from tests.document_samples import encrypted_pdf, external_entity_xml, ubl_invoice


@pytest.fixture
def world(tmp_path: Path) -> Iterator[ApiWorld]:
    with api_world(tmp_path) as world:
        yield world


def services_of(world: ApiWorld) -> Services:
    services: Services = world.client.app_state["services"]
    return services


def upload(
    world: ApiWorld, *files: tuple[str, bytes], headers: dict[str, str] | None = None, **form: str
) -> httpx.Response:
    response: httpx.Response = world.client.post(
        "/api/v1/documents",
        files=[("files", (name, content)) for name, content in files],
        data=form,
        headers=headers,
    )
    return response


def extract_waiting(world: ApiWorld) -> None:
    services_of(world).documents.extract_waiting(actor="flow:test")


def document(world: ApiWorld, document_id: int, headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = world.client.get(f"/api/v1/documents/{document_id}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_an_e_invoice_is_uploaded_extracted_exactly_submitted_and_judged_ready(world: ApiWorld) -> None:
    xml = ubl_invoice("INV-100", issue_date=INVOICE_DATE)

    first = upload(world, ("invoice.xml", xml))
    again = upload(world, ("same-again.xml", xml))

    assert first.status_code == 202, first.text
    [uploaded] = first.json()["documents"]
    assert uploaded["status"] == "queued" and uploaded["created"] is True and uploaded["kind"] == "xml"
    assert again.json()["documents"][0]["id"] == uploaded["id"] and again.json()["documents"][0]["created"] is False

    extract_waiting(world)
    read = document(world, uploaded["id"])
    assert read["status"] == "extracted" and read["engine"] == "einvoice"
    assert read["fields"]["total"] == {"value": "20.00", "confidence": 1.0, "box": None, "corrected": False}
    assert read["fields"]["po_number"]["value"] == "PO-1"
    assert [line["part_number"]["value"] for line in read["lines"]] == ["HX-001"]

    submitted = world.client.post(f"/api/v1/documents/{uploaded['id']}/submit")
    assert submitted.status_code == 202, submitted.text
    assert submitted.json()["document"]["status"] == "submitted"

    validated = world.client.post(f"/api/v1/invoices/{uploaded['id']}/validate", params={"source": "upload"})
    assert validated.status_code == 200, validated.text
    payload = validated.json()["payload"]
    assert payload["source"] == "upload" and payload["source_invoice_id"] == str(uploaded["id"])
    assert payload["vendor_id"] == "V1" and payload["total"] == "20.00"
    invoice = document(world, uploaded["id"])["invoice"]
    assert invoice["status"] == "ready_to_process" and invoice["entry_id"] == validated.json()["entry_id"]


def test_an_invoice_without_a_po_number_goes_to_manual_review_with_a_finding_saying_so(world: ApiWorld) -> None:
    [uploaded] = upload(world, ("no-po.xml", ubl_invoice("INV-200", issue_date=INVOICE_DATE, po_number=None))).json()[
        "documents"
    ]
    extract_waiting(world)

    submitted = world.client.post(f"/api/v1/documents/{uploaded['id']}/submit")

    assert submitted.status_code == 202, submitted.text
    invoice = submitted.json()["document"]["invoice"]
    assert invoice["status"] == "manual_review"
    assert [finding["rule_id"] for finding in invoice["findings"]] == ["document.po_number_missing"]


def test_corrections_are_checked_audited_and_make_the_submitted_invoice(world: ApiWorld) -> None:
    [uploaded] = upload(world, ("x.xml", ubl_invoice("INV-300", issue_date=INVOICE_DATE, po_number="PO-9"))).json()[
        "documents"
    ]
    extract_waiting(world)
    path = f"/api/v1/documents/{uploaded['id']}/fields"

    wrong = world.client.put(path, json={"fields": {"issue_date": "31.12.2026"}})
    unknown = world.client.put(path, json={"fields": {"lines[0].colour": "red"}})
    right = world.client.put(path, json={"fields": {"po_number": "PO-2"}})

    assert wrong.status_code == 422 and wrong.json()["error"]["details"][0]["field"] == "body.fields.issue_date"
    assert (
        unknown.status_code == 422 and unknown.json()["error"]["details"][0]["field"] == "body.fields.lines[0].colour"
    )
    assert right.status_code == 200, right.text
    assert right.json()["fields"]["po_number"] == {"value": "PO-2", "confidence": 1.0, "box": None, "corrected": True}
    [corrected] = [event for event in right.json()["history"] if event["action"] == "corrected"]
    assert corrected["actor"] == "user:test-clerk"
    assert corrected["details"] == {"changes": {"po_number": {"old": "PO-9", "new": "PO-2"}}}

    world.client.post(f"/api/v1/documents/{uploaded['id']}/submit")
    validated = world.client.post(f"/api/v1/invoices/{uploaded['id']}/validate", params={"source": "upload"})
    assert validated.status_code == 200 and validated.json()["payload"]["po_number"] == "PO-2"


def test_the_original_file_is_served_with_a_safe_name(world: ApiWorld) -> None:
    xml = ubl_invoice("INV-400", issue_date=INVOICE_DATE)
    [uploaded] = upload(world, ("../../etc/pass\x00wd.xml", xml)).json()["documents"]

    served = world.client.get(f"/api/v1/documents/{uploaded['id']}/file")

    assert served.status_code == 200 and served.content == xml
    assert "/" not in uploaded["file_name"] and "\x00" not in uploaded["file_name"]
    assert served.headers["content-type"].startswith("application/xml")
    assert "attachment" in served.headers["content-disposition"]


def test_refused_uploads_record_nothing(world: ApiWorld, tmp_path: Path) -> None:
    not_a_pdf = upload(world, ("invoice.pdf", b"Dear AP team, please pay us."))
    one_of_two_bad = upload(world, ("good.xml", ubl_invoice("INV-1", issue_date=INVOICE_DATE)), ("bad.pdf", b"GIF89a"))

    assert not_a_pdf.status_code == 415 and not_a_pdf.json()["error"]["code"] == "unsupported_type"
    assert one_of_two_bad.status_code == 415
    assert world.client.get("/api/v1/documents").json()["items"] == []


def test_too_many_or_too_large_files_are_refused_413(tmp_path: Path) -> None:
    with api_world(tmp_path, documents_max_files=2, documents_max_bytes=3000) as w:
        xml = ubl_invoice("INV-1", issue_date=INVOICE_DATE)
        too_many = upload(w, ("a.xml", xml), ("b.xml", xml + b" "), ("c.xml", xml + b"  "))
        too_large = upload(w, ("big.xml", xml + b" " * 4000))

        assert too_many.status_code == 413 and too_many.json()["error"]["code"] == "too_large"
        assert too_large.status_code == 413 and "big.xml" in too_large.json()["error"]["message"]
        assert w.client.get("/api/v1/documents").json()["items"] == []


def test_unreadable_files_become_failed_documents_with_a_reason_and_harm_no_other(world: ApiWorld) -> None:
    response = upload(
        world,
        ("locked.pdf", encrypted_pdf()),
        ("xxe.xml", external_entity_xml()),
        ("good.xml", ubl_invoice("INV-500", issue_date=INVOICE_DATE)),
    )
    assert response.status_code == 202, response.text
    locked, xxe, good = response.json()["documents"]
    assert locked["status"] == "failed" and "password" in locked["status_reason"]

    extract_waiting(world)

    refused = document(world, xxe["id"])
    assert refused["status"] == "failed" and "root:" not in refused["status_reason"]
    assert "entit" in refused["status_reason"].lower()
    assert document(world, good["id"])["status"] == "extracted"


def test_vendors_see_only_their_own_documents_and_may_not_correct_or_submit(world: ApiWorld) -> None:
    v1 = credentials_for(world.settings, "vendor", "vendor-one", vendor_id="V1")
    v2 = credentials_for(world.settings, "vendor", "vendor-two", vendor_id="V2")
    bot = world.headers("bot")
    [mine] = upload(world, ("v1.xml", ubl_invoice("V1-1", issue_date=INVOICE_DATE)), headers=v1).json()["documents"]
    [theirs] = upload(world, ("v2.xml", ubl_invoice("V2-1", issue_date=INVOICE_DATE)), headers=v2).json()["documents"]
    other_vendor = upload(world, ("x.xml", ubl_invoice("V1-2", issue_date=INVOICE_DATE)), headers=v1, vendor_id="V2")

    assert mine["vendor_id"] == "V1" and other_vendor.status_code == 422
    assert [d["id"] for d in world.client.get("/api/v1/documents", headers=v1).json()["items"]] == [mine["id"]]
    assert document(world, mine["id"], headers=v1)["history"] is None
    for path in (f"/api/v1/documents/{theirs['id']}", f"/api/v1/documents/{theirs['id']}/file"):
        assert world.client.get(path, headers=v1).status_code == 404
    assert world.client.post(f"/api/v1/documents/{mine['id']}/submit", headers=v1).status_code == 403
    assert (
        world.client.put(
            f"/api/v1/documents/{mine['id']}/fields", json={"fields": {"total": "1"}}, headers=v1
        ).status_code
        == 403
    )
    assert world.client.get("/api/v1/entries", headers=v1).status_code == 403
    assert world.client.get("/api/v1/documents", headers=bot).status_code == 403
    assert upload(world, ("b.xml", ubl_invoice("B-1", issue_date=INVOICE_DATE)), headers=bot).status_code == 403


def test_extracting_again_with_an_engine_not_configured_is_refused(world: ApiWorld) -> None:
    [uploaded] = upload(world, ("x.xml", ubl_invoice("INV-600", issue_date=INVOICE_DATE))).json()["documents"]
    extract_waiting(world)

    refused = world.client.post(f"/api/v1/documents/{uploaded['id']}/reextract", json={"engine": "gemini"})
    queued = world.client.post(f"/api/v1/documents/{uploaded['id']}/reextract", json={})

    assert refused.status_code == 422 and refused.json()["error"]["details"][0]["field"] == "body.engine"
    assert queued.status_code == 202 and queued.json()["status"] == "queued"


def test_an_unknown_document_is_404(world: ApiWorld) -> None:
    assert world.client.get("/api/v1/documents/999").json()["error"]["code"] == "document_not_found"


def test_supporting_documents_are_kept_with_their_one_invoice_file_and_not_extracted(world: ApiWorld) -> None:
    invoice = ubl_invoice("INV-700", issue_date=INVOICE_DATE)
    response = world.client.post(
        "/api/v1/documents",
        files=[("files", ("invoice.xml", invoice)), ("supporting", ("delivery-note.xml", external_entity_xml()))],
    )
    two_invoices = world.client.post(
        "/api/v1/documents",
        files=[
            ("files", ("a.xml", ubl_invoice("INV-701", issue_date=INVOICE_DATE))),
            ("files", ("b.xml", ubl_invoice("INV-702", issue_date=INVOICE_DATE))),
            ("supporting", ("note.pdf", encrypted_pdf())),
        ],
    )

    assert response.status_code == 202, response.text
    main, supporting = response.json()["documents"]
    assert (main["purpose"], supporting["purpose"], supporting["status"]) == ("invoice", "supporting", "attached")
    assert document(world, main["id"])["supporting_ids"] == [supporting["id"]]
    assert document(world, supporting["id"])["parent_id"] == main["id"]
    assert two_invoices.status_code == 422
    assert two_invoices.json()["error"]["details"][0]["field"] == "form.supporting"

    extract_waiting(world)
    assert document(world, supporting["id"])["status"] == "attached"
