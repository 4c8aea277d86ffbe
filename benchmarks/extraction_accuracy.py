"""Per-field exact-match accuracy of document extraction against known answers.

`python -m benchmarks.extraction_accuracy DIR` reads every PDF of DIR that has a text layer with the
text-layer engine (of a demo set, not the Factur-X PDFs, whose truth is their XML's) and
compares it with DIR's answers: `truth.json` as `python -m demo.documents` writes it, or one
invoice2data JSON per PDF (the invoice2data comparison set, whose known label errors are listed below
and not counted). Amounts compare by value, VAT ids without spaces, everything else exactly.
"""

import io
import json
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from connectors.extraction.text_layer import extract_text_layer, has_text_layer, read_text_layer
from domain.documents import AMOUNT_FIELDS, HEADER_FIELDS, LINE_FIELDS, Extraction

Answers = dict[str, Any]  # header field → value, and "lines" → list of line field → value


@dataclass(frozen=True, slots=True)
class Accuracy:
    header: dict[str, tuple[int, int]]  # field → (right, counted)
    lines: dict[str, tuple[int, int]]  # line field → (right, counted)
    items: tuple[int, int]  # line items with every field right, of the truth's and the extra predicted ones

    @property
    def header_rate(self) -> float:
        return _rate(self.header.values())

    @property
    def items_rate(self) -> float:
        return self.items[0] / self.items[1] if self.items[1] else 1.0


def same_value(field: str, predicted: str | None, truth: str | None) -> bool:
    if truth is None or predicted is None:
        return truth is None and predicted is None
    if field in AMOUNT_FIELDS:
        try:
            return Decimal(predicted) == Decimal(truth)
        except InvalidOperation:
            return False
    if field == "seller_vat_id":
        return predicted.replace(" ", "").upper() == truth.replace(" ", "").upper()
    return predicted.strip() == truth.strip()


def field_accuracy(results: Sequence[tuple[Answers, Answers]], skip: Sequence[set[str]] = ()) -> Accuracy:
    """Compare (predicted, truth) pairs: each header field in the truth, and the lines by position.

    `skip[i]` names the fields of result i not to count (known label errors).
    """
    header: dict[str, list[int]] = {name: [0, 0] for name in HEADER_FIELDS}
    lines: dict[str, list[int]] = {name: [0, 0] for name in LINE_FIELDS}
    items = [0, 0]
    for index, (predicted, truth) in enumerate(results):
        skipped = skip[index] if index < len(skip) else set()
        for name in HEADER_FIELDS:
            if name in truth and name not in skipped:
                header[name][1] += 1
                header[name][0] += same_value(name, predicted.get(name), truth[name])
        if "lines" not in truth or "lines" in skipped:
            continue
        truth_lines, predicted_lines = truth["lines"], predicted.get("lines", [])
        for position in range(max(len(truth_lines), len(predicted_lines))):
            want = truth_lines[position] if position < len(truth_lines) else {}
            got = predicted_lines[position] if position < len(predicted_lines) else {}
            right = True
            for name in LINE_FIELDS:
                if name not in want and want:
                    continue
                lines[name][1] += 1
                same = same_value(name, got.get(name), want.get(name))
                lines[name][0] += same
                right = right and same
            items[0] += right and bool(want)
            items[1] += 1
    return Accuracy(
        {name: (right, counted) for name, (right, counted) in header.items() if counted},
        {name: (right, counted) for name, (right, counted) in lines.items() if counted},
        (items[0], items[1]),
    )


def answers_of(extraction: Extraction) -> Answers:
    """An extraction as plain answers, to compare with a truth."""
    answers: Answers = {name: extraction.field(name).value for name in HEADER_FIELDS}
    answers["lines"] = [{name: line.field(name).value for name in LINE_FIELDS} for line in extraction.lines]
    return answers


def demo_truth(truth: Mapping[str, Any]) -> Answers:
    """A `demo.documents` truth flattened to header field names."""
    flat = {name: truth[name] for name in HEADER_FIELDS if name in truth}
    flat["seller_name"] = truth["seller"]["name"]
    flat["seller_vat_id"] = truth["seller"]["vat_id"]
    flat["buyer_name"] = truth["buyer"]["name"]
    flat["lines"] = truth["lines"]
    return flat


_INVOICE2DATA_NAMES = {
    "invoice_number": "invoice_number",
    "date": "issue_date",
    "date_due": "due_date",
    "currency": "currency",
    "amount": "total",
    "amount_untaxed": "subtotal",
    "amount_tax": "tax_total",
    "issuer": "seller_name",
    "vat": "seller_vat_id",
    "static_vat": "seller_vat_id",
}

# Labels of the invoice2data set that are not what the PDF says (the template's output, not a reading).
INVOICE2DATA_LABEL_ERRORS: dict[str, dict[str, str]] = {
    "AmazonWebServices": {
        "subtotal": "no net amount is printed; the label copies the total",
        "seller_name": "the invoice prints 'Amazon Web Services, Inc.'; the label drops the legal form",
    },
    "AzureInterior": {"seller_name": "an Odoo demo whose printed seller is ambiguous (Azure Interior is the customer)"},
    "FlipkartInvoice": {
        "invoice_number": "the label keeps the '#' printed before the number",
        "seller_name": "the seller printed is 'WS Retail Services Pvt. Ltd.'; Flipkart is the marketplace",
    },
    "oyo": {
        "invoice_number": "a payment receipt without an invoice number; the label is the booking id",
        "seller_name": "the company printed is 'Oravel Stays Pvt. Ltd.'; OYO is the brand",
    },
    "QualityHosting": {"subtotal": "no net amount is printed; the label copies the total"},
    "SammyMaystoneLinesTest": {"seller_name": "'- For Lines testing' is the template's note, not printed"},
    "free_fiber": {"seller_name": "the invoice prints the legal name 'Free SAS'; the label drops the legal form"},
}


def invoice2data_truth(labels: Mapping[str, Any]) -> Answers:
    """An invoice2data label as answers (amounts as decimal strings, dates as they are)."""
    flat: Answers = {}
    for source, name in _INVOICE2DATA_NAMES.items():
        if source in labels and not (name == "seller_vat_id" and not str(labels[source])[:2].isalpha()):
            value = labels[source]
            flat[name] = format(Decimal(str(value)), "f") if isinstance(value, float | int) else str(value)
    return flat


def evaluate(directory: Path) -> tuple[Accuracy, float]:
    """The text-layer engine's accuracy on `directory` and its mean milliseconds per page."""
    results: list[tuple[Answers, Answers]] = []
    skip: list[set[str]] = []
    pages = 0
    started = time.perf_counter()
    truth_file = directory / "truth.json"
    if truth_file.exists():
        truths = {name: demo_truth(truth) for name, truth in json.loads(truth_file.read_text()).items()}
    else:
        truths = {}
        for labels_file in sorted(directory.glob("*.json")):
            if labels_file.with_suffix(".pdf").exists():
                truths[labels_file.with_suffix(".pdf").name] = invoice2data_truth(
                    json.loads(labels_file.read_text())[0]
                )
    for name, truth in sorted(truths.items()):
        path = directory / name
        if path.suffix != ".pdf" or not path.exists():
            continue
        pdf = path.read_bytes()
        if not has_text_layer(read_text_layer(pdf, max_pages=1)):
            continue  # a scan: OCR's to read
        if truth_file.exists() and _carries_xml(pdf):
            continue  # a demo Factur-X PDF: the e-invoice engine's, its truth has the XML's unit codes
        extraction = extract_text_layer(pdf)
        pages += extraction.pages
        results.append((answers_of(extraction), truth))
        skip.append(set(INVOICE2DATA_LABEL_ERRORS.get(path.stem, {})) if not truth_file.exists() else set())
    elapsed_ms = (time.perf_counter() - started) * 1000
    return field_accuracy(results, skip), elapsed_ms / pages if pages else 0.0


def _carries_xml(pdf: bytes) -> bool:
    return any(name.lower().endswith(".xml") for name in PdfReader(io.BytesIO(pdf)).attachments)


def report(accuracy: Accuracy, ms_per_page: float) -> str:
    rows = [f"{'field':16} {'right':>6} {'of':>4} {'rate':>7}"]
    for name, (right, counted) in {**accuracy.header, **{f"lines.{k}": v for k, v in accuracy.lines.items()}}.items():
        rows.append(f"{name:16} {right:6} {counted:4} {right / counted:7.1%}")
    rows.append(f"header fields: {accuracy.header_rate:.1%}")
    if accuracy.items[1]:
        rows.append(f"line items entirely right: {accuracy.items[0]}/{accuracy.items[1]} = {accuracy.items_rate:.1%}")
    rows.append(f"{ms_per_page:.0f} ms a page (read and parse)")
    return "\n".join(rows)


def _rate(pairs: Any) -> float:
    right = sum(pair[0] for pair in pairs)
    counted = sum(pair[1] for pair in pairs)
    return right / counted if counted else 1.0


if __name__ == "__main__":
    accuracy, ms_per_page = evaluate(Path(sys.argv[1]))
    print(report(accuracy, ms_per_page))
