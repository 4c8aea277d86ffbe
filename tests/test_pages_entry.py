"""The entry page: the invoice beside its PO, and a clerk's decisions taken on it."""

import re
from pathlib import Path

from services.runtime import Services
from tests.api_fixtures import ONE_CENT_OFF
from tests.ocr_samples import invoice_pdf
from tests.page_fixtures import csrf_of, page_world, signed_in


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_a_clerk_approves_a_manual_review_entry_and_sees_its_status_and_history_change(tmp_path: Path) -> None:
    with page_world(tmp_path) as world:
        world.add_invoice(1, lines=ONE_CENT_OFF, subtotal="24.62", total_amount="24.62")
        assert world.validate(1).status_code == 400
        clerk = signed_in(world, "cleo", "clerk")
        page = clerk.get("/entries/1")
        assert page.status_code == 200
        text = _text(page.text)
        assert "manual_review" in text
        assert "price.unit_mismatch" in text
        # the price cell of line 1 is marked, beside PO line 1 at 10.00
        line_one = re.search(r'<tr class="has-findings" data-line="1">(.*?)</tr>', page.text, re.S)
        assert line_one is not None
        assert '<td class="num concerned" rowspan="1">10.01</td>' in line_one.group(1)
        assert '<td class="num">10.00</td>' in line_one.group(1)
        answer = clerk.post(
            "/entries/1/approve",
            data={"reason": "price agreed by phone", "csrf_token": csrf_of(page)},
            follow_redirects=False,
        )
        assert (answer.status_code, answer.headers["location"]) == (303, "/entries/1?done=approve")
        after = _text(clerk.get(answer.headers["location"]).text)
        assert "Approved: it is queued for the bot." in after
        assert "ready_to_process" in after
        assert "manual_review → ready_to_process" in after
        assert "user:cleo" in after and "price agreed by phone" in after
        entry = world.client.get("/api/v1/entries/1").json()
        assert entry["status"] == "ready_to_process"
        assert entry["history"][-1]["actor"] == "user:cleo"


def test_a_refusal_is_shown_as_a_sentence_not_as_json(tmp_path: Path) -> None:
    with page_world(tmp_path) as world:
        world.add_invoice(1, lines=ONE_CENT_OFF, subtotal="24.62", total_amount="24.62")
        world.add_invoice(2)
        assert world.validate(1).status_code == 400  # manual review on PO-1
        assert world.validate(2).status_code == 200  # ready: holds PO-1
        clerk = signed_in(world, "cleo", "clerk")
        page = clerk.get("/entries/1")
        locked = clerk.post("/entries/1/approve", data={"reason": "ok", "csrf_token": csrf_of(page)})
        assert locked.status_code == 409
        assert locked.headers["content-type"].startswith("text/html")
        problem = re.search(r'<p class="alert" role="alert" id="problem">(.*?)</p>', locked.text, re.S)
        assert problem is not None
        assert "PO-1" in problem.group(1) and "entry 2" in problem.group(1)
        assert "ready_to_process" in problem.group(1)
        assert '"error"' not in locked.text
        # the reason typed is kept for the next try
        assert ">ok</textarea>" in locked.text
        illegal = clerk.post("/entries/2/requeue", data={"reason": "again", "csrf_token": csrf_of(page)})
        assert illegal.status_code == 409
        assert "rpa_failed" in _text(illegal.text)
        no_reason = clerk.post("/entries/1/reject", data={"reason": " ", "csrf_token": csrf_of(page)})
        assert no_reason.status_code == 422
        assert "Give a reason" in no_reason.text


def test_user_text_is_shown_as_text(tmp_path: Path) -> None:
    with page_world(tmp_path) as world:
        script = "<script>alert(1)</script>"
        world.add_invoice(
            1, invoice_number=script, vendor_name=script, lines=ONE_CENT_OFF, subtotal="24.62", total_amount="24.62"
        )
        assert world.validate(1).status_code == 400
        clerk = signed_in(world, "cleo", "clerk")
        page = clerk.get("/entries/1")
        assert page.status_code == 200
        assert script not in page.text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_an_unknown_entry_is_a_404_page(tmp_path: Path) -> None:
    with page_world(tmp_path) as world:
        clerk = signed_in(world, "cleo", "clerk")
        answer = clerk.get("/entries/99")
        assert answer.status_code == 404
        assert "99" in _text(answer.text)
        assert clerk.get("/entries/abc").status_code == 422


def test_mailing_without_a_mail_server_says_what_is_missing(tmp_path: Path) -> None:
    with page_world(tmp_path) as world:
        world.add_invoice(1)
        assert world.validate(1).status_code == 200
        clerk = signed_in(world, "cleo", "clerk")
        page = clerk.get("/entries/1")
        assert "Mail the payload to the bot" in page.text
        answer = clerk.post("/entries/1/mail", data={"reason": "", "csrf_token": csrf_of(page)})
        assert answer.status_code == 503
        assert "Mail dispatch needs SMTP_HOST and RPA_MAILBOX in the settings." in answer.text
        assert world.client.get("/api/v1/entries/1").json()["status"] == "ready_to_process"


def test_an_uploaded_invoice_shows_its_document_pages_beside_the_po(tmp_path: Path) -> None:
    with page_world(tmp_path) as world:
        [document] = world.client.post(
            "/api/v1/documents",
            files=[("files", ("scan-1.pdf", invoice_pdf(pages=2)))],
            data={"vendor_id": "V1"},
        ).json()["documents"]
        services: Services = world.client.app_state["services"]
        services.documents.extract_waiting(actor="flow:test")
        # without a PO number the submission is recorded at once, for a clerk to review
        world.client.put(f"/api/v1/documents/{document['id']}/fields", json={"fields": {"po_number": None}})
        submitted = world.client.post(f"/api/v1/documents/{document['id']}/submit")
        assert submitted.status_code == 202, submitted.text
        entry_id = submitted.json()["document"]["invoice"]["entry_id"]
        world.add_invoice(1)
        assert world.validate(1).status_code == 200
        clerk = signed_in(world, "cleo", "clerk")

        uploaded = clerk.get(f"/entries/{entry_id}")
        marketplace = clerk.get("/entries/2" if entry_id == 1 else "/entries/1")

        assert uploaded.status_code == 200
        images = re.findall(r'<img class="page-image" loading="lazy" src="([^"]+)" alt="([^"]+)">', uploaded.text)
        source = f"/api/v1/documents/{document['id']}/pages"
        assert images == [
            (f"{source}/1", "Page 1 of 2 of scan-1.pdf"),
            (f"{source}/2", "Page 2 of 2 of scan-1.pdf"),
        ]
        assert f'<a href="/documents/{document["id"]}">Check the document</a>' in uploaded.text
        assert clerk.get(images[0][0]).headers["content-type"] == "image/png"  # with the page's own cookie
        assert marketplace.status_code == 200
        assert "page-image" not in marketplace.text and "with-document" not in marketplace.text
