"""The demo's rendered invoices: deterministic, every layout and language, their text and XML say their truth."""

import json
import re
from pathlib import Path

import pdfplumber
import pytest

from demo.documents import RenderedDocument, render_benchmark_set, truth_fields, truth_lines
from demo.documents.formats import LANGUAGES
from demo.documents.sets import LAYOUTS, TRUTH_FILE
from domain.documents import HEADER_FIELDS, LINE_FIELDS

COUNT = 16


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> list[RenderedDocument]:
    return render_benchmark_set(tmp_path_factory.mktemp("set"), count=COUNT, seed=3)


def test_the_same_seed_gives_the_same_truth(rendered: list[RenderedDocument], tmp_path: Path) -> None:
    again = render_benchmark_set(tmp_path, count=COUNT, seed=3)
    first = (rendered[0].path.parent / TRUTH_FILE).read_bytes()
    assert (tmp_path / TRUTH_FILE).read_bytes() == first
    assert [d.path.name for d in again] == [d.path.name for d in rendered]
    assert json.loads(first) == {d.path.name: d.truth for d in rendered}


def test_every_layout_and_language_occurs(rendered: list[RenderedDocument]) -> None:
    assert {d.language for d in rendered} == set(LANGUAGES)
    assert {d.layout for d in rendered} >= set(LAYOUTS)


def test_the_truth_flattens_to_the_shared_field_names(rendered: list[RenderedDocument]) -> None:
    truth = rendered[0].truth
    fields = truth_fields(truth)
    assert tuple(fields) == HEADER_FIELDS
    assert fields["seller_name"] == truth["seller"]["name"]
    assert all(tuple(line) == LINE_FIELDS for line in truth_lines(truth))


def _digits(text: str) -> str:
    return re.sub(r"[\s.,\u202f]", "", text)


def test_text_pdfs_print_the_number_and_the_total(rendered: list[RenderedDocument]) -> None:
    for document in (d for d in rendered if d.kind == "text_pdf"):
        with pdfplumber.open(document.path) as pdf:
            text = "\n".join(page.extract_text() or "" for page in pdf.pages)
        assert document.truth["invoice_number"] in text, document.path.name
        assert _digits(document.truth["total"]) in _digits(text), document.path.name
