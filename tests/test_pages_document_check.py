"""The verification screen: a document's fields beside its pages, checked, corrected, extracted again
and submitted by an AP person, with the verdict on the same screen."""

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from services.runtime import Services
from tests.api_fixtures import INVOICE_DATE, ApiWorld
from tests.document_samples import ubl_invoice
from tests.page_fixtures import csrf_of, page_world, signed_in
from tests.review_samples import invoice_needing_review


def _upload(world: ApiWorld, name: str, content: bytes, **form: str) -> int:
    answer = world.client.post("/api/v1/documents", files=[("files", (name, content))], data=form)
    assert answer.status_code == 202, answer.text
    document_id: int = answer.json()["documents"][0]["id"]
    services: Services = world.client.app_state["services"]
    services.documents.extract_waiting(actor="flow:test")
    return document_id


def _document(world: ApiWorld, document_id: int) -> dict[str, Any]:
    body: dict[str, Any] = world.client.get(f"/api/v1/documents/{document_id}").json()
    return body


def _inputs(html: str) -> dict[str, str]:
    """Each field input's whole tag by its path."""
    return {m.group(1): m.group(0) for m in re.finditer(r'<input id="field-[^"]*" name="f\.([^"]+)"[^>]*>', html, re.S)}


def _form(page: httpx.Response, **changes: str) -> dict[str, str]:
    """What the browser sends: every field as shown, with `changes` typed over them."""
    values = {
        f"f.{path}": re.search(r'value="([^"]*)"', tag, re.S).group(1)  # type: ignore[union-attr]
        for path, tag in _inputs(page.text).items()
    }
    seen = re.search(r'name="seen" value="([^"]+)"', page.text)
    assert seen is not None
    return {
        **values,
        **{f"f.{path}": value for path, value in changes.items()},
        "csrf_token": csrf_of(page),
        "seen": seen.group(1),
    }


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def world(tmp_path: Path) -> Any:
    with page_world(tmp_path) as world:
        yield world


@pytest.fixture
def clerk(world: ApiWorld) -> TestClient:
    return signed_in(world, "cleo", "clerk")


def test_low_confidence_and_failing_fields_stand_out_and_come_first_in_the_tab_order(
    world: ApiWorld, clerk: TestClient
) -> None:
    document_id = _upload(world, "acme.pdf", invoice_needing_review("INV-700", issue_date=INVOICE_DATE))
    page = clerk.get(f"/documents/{document_id}")
    assert page.status_code == 200
    inputs = _inputs(page.text)
    first_in_tab_order = sorted(path for path, tag in inputs.items() if 'tabindex="1"' in tag)
    assert first_in_tab_order == ["subtotal", "tax_total", "total"]
    assert "autofocus" in inputs["subtotal"] and "autofocus" not in inputs["total"]
    assert 'class="field flagged failing"' in inputs["total"]
    assert 'class="field"' in inputs["invoice_number"] and 'value="INV-700"' in inputs["invoice_number"]
    # each field says how sure the engine was; the failing check says so too
    confidence = re.search(r'id="conf-total">([^<]*)</span>', page.text)
    assert confidence is not None and confidence.group(1).strip() == "50% · check fails"
    assert 'id="conf-invoice_number">90%' in page.text
    # focusing a field draws its box: the box is on page 1, over the printed total, for the script to show
    box = re.search(
        r'<button type="button" tabindex="-1" class="field-box flagged" data-path="total"\s+style="([^"]+)"', page.text
    )
    assert box is not None and "left:" in box.group(1)
    assert f'src="/api/v1/documents/{document_id}/pages/1"' in page.text
    assert "✗ subtotal 20.00 + tax 0.00 = 20.00, the total is 25.00" in page.text


def test_a_correction_is_saved_audited_and_clears_the_failing_check(world: ApiWorld, clerk: TestClient) -> None:
    document_id = _upload(world, "acme.pdf", invoice_needing_review("INV-701", issue_date=INVOICE_DATE))
    page = clerk.get(f"/documents/{document_id}")

    saved = clerk.post(f"/documents/{document_id}/fields", data=_form(page, total="20.00"), follow_redirects=False)

    assert (saved.status_code, saved.headers["location"]) == (303, f"/documents/{document_id}?done=saved")
    after = clerk.get(saved.headers["location"])
    assert "Corrections saved." in after.text
    assert 'id="conf-total">corrected' in after.text
    # the totals check passes now: it vouches for the subtotal and the tax, which no longer stand out
    assert not [path for path, tag in _inputs(after.text).items() if 'tabindex="1"' in tag]
    assert "✓ subtotal 20.00 + tax 0.00 = 20.00, the total is 20.00" in after.text
    assert "<code>total</code>: 25.00 → 20.00" in after.text and "user:cleo" in after.text
    # only what the person changed was recorded: the other fields keep the engine's confidence
    [corrected] = [event for event in _document(world, document_id)["history"] if event["action"] == "corrected"]
    assert corrected["details"] == {"changes": {"total": {"old": "25.00", "new": "20.00"}}}
    assert _document(world, document_id)["fields"]["invoice_number"]["corrected"] is False
    # saving the same values again records nothing
    again = clerk.post(f"/documents/{document_id}/fields", data=_form(after), follow_redirects=False)
    assert again.headers["location"].endswith("?done=unchanged")


def test_an_invalid_value_is_named_beside_its_field_and_nothing_is_saved(world: ApiWorld, clerk: TestClient) -> None:
    document_id = _upload(world, "acme.pdf", invoice_needing_review("INV-702", issue_date=INVOICE_DATE))
    page = clerk.get(f"/documents/{document_id}")

    refused = clerk.post(f"/documents/{document_id}/fields", data=_form(page, total="20.00", issue_date="31.13.2026"))

    assert refused.status_code == 422
    assert "Nothing was saved" in refused.text
    assert re.search(
        r'id="problem-issue_date" role="alert">&#39;31\.13\.2026&#39; is not a date as YYYY-MM-DD', refused.text
    )
    assert 'value="31.13.2026"' in _inputs(refused.text)["issue_date"]  # what was typed is kept
    assert 'aria-invalid="true"' in _inputs(refused.text)["issue_date"]
    assert _document(world, document_id)["fields"]["total"]["value"] == "25.00"


def test_submitting_shows_the_verdict_beside_the_po_lines_with_a_link_to_the_entry(
    world: ApiWorld, clerk: TestClient
) -> None:
    document_id = _upload(world, "acme.pdf", invoice_needing_review("INV-703", issue_date=INVOICE_DATE))
    page = clerk.get(f"/documents/{document_id}")

    judged = clerk.post(f"/documents/{document_id}/submit", data=_form(page, total="20.00"))

    assert judged.status_code == 200, _text(judged.text)[:500]
    assert re.search(r'id="verdict-status">ready_to_process<', judged.text)
    entry_id = _document(world, document_id)["invoice"]["entry_id"]
    assert f'<a href="/entries/{entry_id}" id="entry-link">entry {entry_id}</a>' in judged.text
    assert '<table id="lines">' in judged.text and "No findings: every rule passed." in judged.text
    entry = world.client.get(f"/api/v1/entries/{entry_id}").json()
    assert (entry["status"], entry["invoice"]["total"], entry["source"]) == ("ready_to_process", "20.00", "upload")


def test_a_refused_invoice_shows_its_findings_against_the_po_lines(world: ApiWorld, clerk: TestClient) -> None:
    pdf = invoice_needing_review("INV-704", issue_date=INVOICE_DATE, unit_price=Decimal("10.50"))
    document_id = _upload(world, "acme.pdf", pdf)
    page = clerk.get(f"/documents/{document_id}")

    judged = clerk.post(f"/documents/{document_id}/submit", data=_form(page, total="21.00"))

    assert re.search(r'id="verdict-status">manual_review<', judged.text)
    findings = re.search(r'<table id="findings">(.*?)</table>', judged.text, re.S)
    assert findings is not None and "price.unit_mismatch" in findings.group(1)
    # invoice line 1 at 10.50 beside PO line 1 at 10.00
    assert re.search(r'<td class="num concerned" rowspan="1">10.50</td>', judged.text)
    assert '<td class="num">10.00</td>' in judged.text


def test_an_incomplete_document_names_what_is_missing_and_stays_unsubmitted(world: ApiWorld, clerk: TestClient) -> None:
    document_id = _upload(world, "acme.pdf", invoice_needing_review("INV-705", issue_date=INVOICE_DATE))
    page = clerk.get(f"/documents/{document_id}")
    emptied = {
        f"lines[0].{name}": "" for name in ("description", "part_number", "quantity", "unit_price", "line_total")
    }

    refused = clerk.post(f"/documents/{document_id}/submit", data=_form(page, total="20.00", **emptied))

    assert refused.status_code == 422
    assert "It cannot become an invoice yet" in refused.text
    assert _document(world, document_id)["status"] == "needs_review"


def test_a_line_a_person_adds_becomes_part_of_the_invoice(world: ApiWorld, clerk: TestClient) -> None:
    document_id = _upload(world, "acme.pdf", invoice_needing_review("INV-706", issue_date=INVOICE_DATE))
    page = clerk.get(f"/documents/{document_id}")
    added = {
        "lines[1].description": "Hex nut",
        "lines[1].part_number": "HX-002",
        "lines[1].quantity": "1",
        "lines[1].unit_price": "9.20",
        "lines[1].line_total": "9.20",
        "subtotal": "29.20",
        "total": "29.20",
    }

    judged = clerk.post(f"/documents/{document_id}/submit", data=_form(page, **added))

    assert re.search(r'id="verdict-status">ready_to_process<', judged.text), _text(judged.text)[:600]
    entry_id = _document(world, document_id)["invoice"]["entry_id"]
    lines = world.client.get(f"/api/v1/entries/{entry_id}").json()["invoice"]["lines"]
    assert [(line["part_number"], line["line_total"]) for line in lines] == [("HX-001", "20.00"), ("HX-002", "9.20")]


def test_a_form_older_than_the_document_is_refused_and_keeps_what_was_typed(world: ApiWorld, clerk: TestClient) -> None:
    document_id = _upload(world, "acme.pdf", invoice_needing_review("INV-707", issue_date=INVOICE_DATE))
    page = clerk.get(f"/documents/{document_id}")
    other = signed_in(world, "otto", "clerk")
    other_page = other.get(f"/documents/{document_id}")
    assert other.post(f"/documents/{document_id}/fields", data=_form(other_page, total="20.00")).status_code == 200

    stale = clerk.post(f"/documents/{document_id}/fields", data=_form(page, total="19.00"))

    assert stale.status_code == 409
    assert "changed since this page was opened" in stale.text
    assert 'value="19.00"' in _inputs(stale.text)["total"]
    assert _document(world, document_id)["fields"]["total"]["value"] == "20.00"


def test_extracting_again_shows_what_changed(world: ApiWorld, clerk: TestClient) -> None:
    document_id = _upload(world, "acme.pdf", invoice_needing_review("INV-708", issue_date=INVOICE_DATE))
    page = clerk.get(f"/documents/{document_id}")

    asked = clerk.post(
        f"/documents/{document_id}/reextract",
        data={"engine": "ocr", "csrf_token": csrf_of(page)},
        follow_redirects=False,
    )
    assert asked.headers["location"] == f"/documents/{document_id}?done=reextract"
    waiting = clerk.get(asked.headers["location"])
    assert f'hx-get="/documents/{document_id}/status"' in waiting.text
    assert clerk.get(f"/documents/{document_id}/status", headers={"HX-Request": "true"}).status_code == 200
    services: Services = world.client.app_state["services"]
    services.documents.extract_waiting(actor="flow:test")

    done = clerk.get(f"/documents/{document_id}/status", headers={"HX-Request": "true"})
    assert (done.status_code, done.headers.get("HX-Refresh")) == (204, "true")
    after = clerk.get(f"/documents/{document_id}")
    assert _document(world, document_id)["engine"] == "ocr"
    changes = re.search(
        r'<section class="card" aria-labelledby="changes-heading" id="changes">(.*?)</section>', after.text, re.S
    )
    assert changes is not None
    # OCR reads the same page: whatever it read differently is listed, or it says nothing changed
    assert "<table>" in changes.group(1) or "Nothing: it read every field as before." in changes.group(1)


def test_extracting_again_with_an_unknown_engine_is_refused(world: ApiWorld, clerk: TestClient) -> None:
    document_id = _upload(world, "acme.pdf", invoice_needing_review("INV-709", issue_date=INVOICE_DATE))
    page = clerk.get(f"/documents/{document_id}")
    for engine, message in (("gemini", "gemini is not configured here"), ("crystal-ball", "not one we know")):
        refused = clerk.post(
            f"/documents/{document_id}/reextract", data={"engine": engine, "csrf_token": csrf_of(page)}
        )
        assert refused.status_code == 422 and message in refused.text
    assert _document(world, document_id)["status"] == "needs_review"


def test_the_screen_refuses_forms_without_their_token_and_people_without_the_role(
    world: ApiWorld, clerk: TestClient
) -> None:
    pdf = invoice_needing_review("INV-710", issue_date=INVOICE_DATE)
    document_id = _upload(world, "acme.pdf", pdf, note="<script>alert(1)</script>")
    page = clerk.get(f"/documents/{document_id}")
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text
    form = _form(page, total="20.00")
    form.pop("csrf_token")
    assert clerk.post(f"/documents/{document_id}/fields", data=form).status_code == 403
    assert _document(world, document_id)["fields"]["total"]["value"] == "25.00"
    assert clerk.get("/documents/999999").status_code == 404


def test_an_e_invoice_has_no_page_images_and_its_exact_fields_need_nothing(world: ApiWorld, clerk: TestClient) -> None:
    document_id = _upload(world, "invoice.xml", ubl_invoice("INV-711", issue_date=INVOICE_DATE))
    page = clerk.get(f"/documents/{document_id}")
    assert "An XML e-invoice has no pages to show" in page.text
    assert not [path for path, tag in _inputs(page.text).items() if 'tabindex="1"' in tag]
    assert "/pages/1" not in page.text
