"""The demo's rendered invoices: deterministic, every layout, language and kind, their text and XML say their truth."""

import json
import re
from datetime import date
from pathlib import Path

import facturx
import pdfplumber
import pypdfium2 as pdfium
import pytest
from lxml import etree
from PIL import Image

from demo.documents import (
    RenderedDocument,
    demo_drafts,
    render_benchmark_set,
    render_demo_documents,
    truth_fields,
    truth_lines,
)
from demo.documents.formats import LANGUAGES
from demo.documents.from_demo import printable
from demo.documents.render import KINDS, LAYOUTS
from demo.documents.sets import TRUTH_FILE
from demo.seed import DEFAULT_TODAY, build_demo
from domain.documents import HEADER_FIELDS, LINE_FIELDS

COUNT = 8
_A4_AT_200_DPI = (1654, 2339)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> list[RenderedDocument]:
    return render_benchmark_set(tmp_path_factory.mktemp("set"), count=COUNT, seed=3)


def _of_kind(documents: list[RenderedDocument], kind: str) -> list[RenderedDocument]:
    found = [document for document in documents if document.kind == kind]
    assert found, kind
    return found


def test_the_same_seed_gives_the_same_truth(rendered: list[RenderedDocument], tmp_path: Path) -> None:
    again = render_benchmark_set(tmp_path, count=COUNT, seed=3)
    first = (rendered[0].path.parent / TRUTH_FILE).read_bytes()
    assert (tmp_path / TRUTH_FILE).read_bytes() == first
    assert [d.path.name for d in again] == [d.path.name for d in rendered]
    assert json.loads(first) == {d.path.name: d.truth for d in rendered}
    text_pdfs = [d.path.name for d in rendered if d.kind == "text_pdf"]
    assert all((tmp_path / name).read_bytes() == (rendered[0].path.parent / name).read_bytes() for name in text_pdfs)


def test_every_layout_language_and_kind_occurs(rendered: list[RenderedDocument]) -> None:
    assert {d.language for d in rendered} == set(LANGUAGES)
    assert {d.layout for d in rendered if d.kind != "xml"} == set(LAYOUTS)
    assert {d.kind for d in rendered} == set(KINDS)


def test_the_truth_flattens_to_the_shared_field_names(rendered: list[RenderedDocument]) -> None:
    truth = rendered[0].truth
    fields = truth_fields(truth)
    assert tuple(fields) == HEADER_FIELDS
    assert (fields["seller_name"], fields["buyer_name"]) == (truth["seller"]["name"], truth["buyer"]["name"])
    assert all(tuple(line) == LINE_FIELDS for line in truth_lines(truth))


def _digits(text: str) -> str:
    return re.sub(r"[\s.,\u202f]", "", text)


def _pdf_text(path: Path) -> str:
    with pdfplumber.open(path) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def test_text_pdfs_print_the_number_and_the_total(rendered: list[RenderedDocument]) -> None:
    for document in _of_kind(rendered, "text_pdf"):
        text = _pdf_text(document.path)
        assert document.truth["invoice_number"] in text, document.path.name
        assert _digits(document.truth["total"]) in _digits(text), document.path.name
        assert document.truth["seller"]["name"] in text, document.path.name


def test_facturx_pdfs_embed_their_invoice(rendered: list[RenderedDocument]) -> None:
    for document in _of_kind(rendered, "facturx_pdf"):
        name, xml = facturx.get_xml_from_pdf(document.path.read_bytes(), check_xsd=True)
        root = etree.fromstring(xml)
        assert name == "factur-x.xml"
        assert root.findtext("{*}ExchangedDocument/{*}ID") == document.truth["invoice_number"]
        grand = root.findtext(".//{*}SpecifiedTradeSettlementHeaderMonetarySummation/{*}GrandTotalAmount")
        assert grand == document.truth["total"]
        assert document.truth["invoice_number"] in _pdf_text(document.path)


def test_ubl_invoices_pass_the_xsd_and_say_their_truth(rendered: list[RenderedDocument]) -> None:
    for document in _of_kind(rendered, "xml"):
        xml = document.path.read_bytes()
        assert facturx.xml_check_xsd(xml, flavor="ubl-2.1-invoice")
        root = etree.fromstring(xml)
        assert root.findtext("{*}ID") == document.truth["invoice_number"]
        assert root.findtext("{*}LegalMonetaryTotal/{*}PayableAmount") == document.truth["total"]
        assert len(root.findall("{*}InvoiceLine")) == len(document.truth["lines"])


def test_scans_are_turned_images_without_text(rendered: list[RenderedDocument]) -> None:
    for document in _of_kind(rendered, "scan"):
        if document.path.suffix == ".pdf":
            assert _pdf_text(document.path).strip() == ""
            page = pdfium.PdfDocument(document.path)[0]
            size = page.render(scale=200 / 72).to_pil().size
        else:
            with Image.open(document.path) as image:
                assert image.mode == "L"
                size = image.size
        assert size[0] > _A4_AT_200_DPI[0] + 10 and size[1] > _A4_AT_200_DPI[1] + 10, document.path.name


def test_demo_drafts_are_the_seeded_invoices() -> None:
    drafts = demo_drafts(invoices=60, seed=7, today=DEFAULT_TODAY)
    rows = build_demo(invoices=60, seed=7, today=DEFAULT_TODAY).marketplace
    [invoice_rows] = [table_rows for table, table_rows in rows.items() if table.name == "mp_invoice"]
    seeded = {row["invoice_id"]: row for row in invoice_rows}
    for draft in drafts:
        row = seeded[draft.invoice_id]
        assert row["invoice_number"] == draft.number
        assert row["po_number"] == draft.header_text.get("po_number", draft.po.number)


def test_demo_documents_print_the_demo_invoices(tmp_path: Path) -> None:
    drafts = demo_drafts(invoices=60, seed=7, today=date(2026, 11, 20))
    wanted = ("clean", "price.one_cent_over", "part.not_on_po", "garbled.missing_po")
    sample = [next(draft for draft in drafts if draft.problem == problem) for problem in wanted]
    second_clean = [draft for draft in drafts if draft.problem == "clean"][1]
    documents = render_demo_documents(tmp_path, [*sample, second_clean], seed=1, clean=1, per_problem=1)
    assert [d.problem for d in documents] == [d.problem for d in sample if printable(d)]
    by_id = {draft.invoice_id: draft for draft in sample}
    for document in documents:
        assert document.invoice_id is not None
        draft = by_id[document.invoice_id]
        assert document.truth["po_number"] == draft.po.number
        assert document.truth["total"] == f"{draft.total}"
        parts = [line.item.part_number for line in draft.lines]
        assert [line["part_number"] for line in document.truth["lines"]] == parts
