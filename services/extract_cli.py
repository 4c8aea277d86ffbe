"""`python -m services.extract_cli FILE...` (`make extract FILES="a.pdf b.png"`): extract invoices from
files offline and print one JSON object per file, one per line, and nothing else.

Each object: the invoice (dates ISO, amounts exact decimal strings; extra charges such as freight under
`charges`), each field's confidence in the
same shape, the engine and why it was chosen, the pages, the timings, and whether a person should
look (`status`: extracted or needs_review). A file that cannot be read prints `{"file", "error"}`
and the exit status is 1. The engines and thresholds are the service's (.env / environment).
"""

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from connectors.documents import detect_kind, inspect_document
from domain.documents import CHARGE_FIELDS, LINE_FIELDS, ExtractedField, Extraction
from services.extraction import ExtractionPolicy, extract
from services.extraction_config import extraction_policy
from settings import get_settings

SNIFF_BYTES = 4096


def invoice_json(extraction: Extraction) -> tuple[dict[str, Any], dict[str, Any]]:
    """The invoice in the command line's shape, and the confidence of each of its fields in the same shape."""

    def pick(name: str) -> ExtractedField:
        return extraction.field(name)

    def shaped(read: Any) -> dict[str, Any]:
        return {
            "invoice_number": read(pick("invoice_number")),
            "issue_date": read(pick("issue_date")),
            "due_date": read(pick("due_date")),
            "currency": read(pick("currency")),
            "seller": {"name": read(pick("seller_name")), "vat_id": read(pick("seller_vat_id"))},
            "buyer": {"name": read(pick("buyer_name"))},
            "po_number": read(pick("po_number")),
            "subtotal": read(pick("subtotal")),
            "tax_total": read(pick("tax_total")),
            "total": read(pick("total")),
            "lines": [{name: read(line.field(name)) for name in LINE_FIELDS} for line in extraction.lines],
            "charges": [{name: read(charge.field(name)) for name in CHARGE_FIELDS} for charge in extraction.charges],
        }

    return shaped(lambda found: found.value), shaped(lambda found: round(found.confidence, 3))


def extract_file(path: Path, policy: ExtractionPolicy) -> dict[str, Any]:
    started = time.perf_counter()
    data = path.read_bytes()
    kind = detect_kind(data[:SNIFF_BYTES], file_name=path.name)
    inspect_document(data, kind, max_pages=policy.max_pages, max_pixels=policy.max_pixels)
    extraction = extract(data, kind, policy)
    invoice, confidence = invoice_json(extraction)
    status, reason = policy.status_of(extraction)
    return {
        "file": str(path),
        **invoice,
        "confidence": confidence,
        "engine": extraction.engine.value,
        "engine_reason": extraction.engine_reason,
        "pages": extraction.pages,
        "status": status.value,
        "review_reason": reason,
        "checks": [check.model_dump(mode="json") for check in extraction.checks],
        "notes": list(extraction.notes),
        "timings_ms": {**extraction.timings_ms, "total": round((time.perf_counter() - started) * 1000, 1)},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.extract_cli", description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path, help="PDF, PNG, JPEG, TIFF or XML e-invoice files")
    args = parser.parse_args(argv)
    logging.disable(logging.CRITICAL)  # nothing but the JSON on standard output, nothing to untangle on stderr
    policy = extraction_policy(get_settings())
    failures = 0
    for path in args.files:
        try:
            result = extract_file(path, policy)
        except (OSError, ValueError, RuntimeError) as error:
            failures += 1
            result = {"file": str(path), "error": str(error)}
        print(json.dumps(result, ensure_ascii=False), flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
