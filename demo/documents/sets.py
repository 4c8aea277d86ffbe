"""Sets of rendered documents with their truth: the benchmark's invented invoices, and the demo's own uploads."""

import json
import random
from dataclasses import replace
from pathlib import Path

from demo.documents.content import invented_invoice
from demo.documents.formats import LANGUAGES
from demo.documents.from_demo import LANGUAGE_BY_COUNTRY, demo_invoice, printable, vendor_country
from demo.documents.render import KINDS, LAYOUTS, RenderedDocument, random_style, render_document
from demo.invoices import DraftInvoice

TRUTH_FILE = "truth.json"
# Of every eight documents: four text-layer PDFs, one Factur-X, one UBL and two scans.
_KIND_MIX = ("text_pdf", "scan", "facturx_pdf", "text_pdf", "xml", "text_pdf", "scan", "text_pdf")
_DEMO_PER_PROBLEM = 2
_DEMO_CLEAN = 12


def render_benchmark_set(out_dir: Path, *, count: int = 48, seed: int = 15) -> list[RenderedDocument]:
    """`count` invented invoices over every layout × language and every kind, with `truth.json` beside them.

    Layouts and languages go round in turn (any four documents in a row hold every layout and language);
    kinds are shuffled by `seed` in the mix of `_KIND_MIX`, so any eight documents or more hold every kind.
    About one invoice in eight runs to 15–30 lines.
    """
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    layouts = list(LAYOUTS)
    kinds = [_KIND_MIX[index % len(_KIND_MIX)] for index in range(count)]
    rng.shuffle(kinds)
    documents = []
    for index, kind in enumerate(kinds):
        # Layout and language both change every document; sixteen in a row hold every pair.
        layout = layouts[index % len(layouts)]
        language = LANGUAGES[(index + index // len(layouts)) % len(LANGUAGES)]
        lines = rng.randint(15, 30) if rng.random() < 0.12 else rng.randint(2, 9)
        invoice = invented_invoice(language, index // len(layouts), rng, lines=lines)
        style = random_style(language, rng)
        stem = f"{index + 1:03d}_{language}"
        documents.append(render_document(invoice, out_dir, stem, kind, layout, style, rng))
    write_truth(out_dir, documents)
    return documents


def render_demo_documents(
    out_dir: Path,
    drafts: list[DraftInvoice],
    *,
    seed: int = 15,
    clean: int = _DEMO_CLEAN,
    per_problem: int = _DEMO_PER_PROBLEM,
) -> list[RenderedDocument]:
    """Documents for some of the demo marketplace's invoices: `clean` clean ones and `per_problem` of every problem
    a document can show, each judged against the demo ERP as its marketplace row is.

    Each vendor writes in its country's language; EUR invoices without charges are sometimes Factur-X
    or UBL, and some of every kind are scans.
    """
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    chosen: list[DraftInvoice] = []
    taken: dict[str, int] = {}
    for draft in drafts:
        limit = clean if draft.problem == "clean" else per_problem
        if printable(draft) and taken.get(draft.problem, 0) < limit:
            taken[draft.problem] = taken.get(draft.problem, 0) + 1
            chosen.append(draft)
    documents = []
    for draft in chosen:
        invoice = demo_invoice(draft)
        language = LANGUAGE_BY_COUNTRY[vendor_country(draft.vendor)]
        kind = rng.choice(_KIND_MIX)
        if kind in ("facturx_pdf", "xml") and invoice.charges:
            kind = "text_pdf"
        stem = f"invoice_{draft.invoice_id:05d}_{language}"
        document = render_document(
            invoice, out_dir, stem, kind, rng.choice(list(LAYOUTS)), random_style(language, rng), rng
        )
        documents.append(replace(document, problem=draft.problem, invoice_id=draft.invoice_id))
    write_truth(out_dir, documents)
    return documents


def write_truth(out_dir: Path, documents: list[RenderedDocument]) -> Path:
    """`truth.json`: each file's name → its truth."""
    path = out_dir / TRUTH_FILE
    truth = {document.path.name: document.truth for document in documents}
    path.write_text(json.dumps(truth, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    return path


__all__ = ["KINDS", "LAYOUTS", "RenderedDocument", "render_benchmark_set", "render_demo_documents", "write_truth"]
