"""Sets of rendered demo documents with their truth: the benchmark's set, and the demo's own uploads."""

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from demo.documents import layouts_a
from demo.documents.content import invented_invoice
from demo.documents.formats import LANGUAGES, MONEY_PLACEMENTS, Style
from demo.documents.model import DemoInvoice, Truth, truth_of

Layout = Callable[[DemoInvoice, Style], bytes]
LAYOUTS: dict[str, Layout] = {"classic": layouts_a.classic, "modern": layouts_a.modern}
TRUTH_FILE = "truth.json"


@dataclass(frozen=True, slots=True)
class RenderedDocument:
    path: Path
    kind: str  # "text_pdf", "facturx_pdf", "xml" or "scan"
    layout: str  # the layout's name; "ubl" for a UBL e-invoice
    language: str
    truth: Truth


def render_benchmark_set(out_dir: Path, *, count: int = 48, seed: int = 15) -> list[RenderedDocument]:
    """`count` invented invoices over every layout × language, written to `out_dir` with `truth.json`."""
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    combos = [(layout, language) for layout in LAYOUTS for language in LANGUAGES]
    documents = []
    for index in range(count):
        layout, language = combos[index % len(combos)]
        lines = rng.randint(15, 30) if rng.random() < 0.12 else rng.randint(2, 9)
        invoice = invented_invoice(language, index // len(combos), rng, lines=lines)
        style = random_style(language, rng)
        path = out_dir / f"{index + 1:03d}_{language}_{layout}.pdf"
        path.write_bytes(LAYOUTS[layout](invoice, style))
        documents.append(RenderedDocument(path, "text_pdf", layout, language, truth_of(invoice)))
    write_truth(out_dir, documents)
    return documents


def random_style(language: str, rng: random.Random) -> Style:
    return Style(
        language=language,
        date_format=rng.randrange(4),
        wording=rng.randrange(3),
        # English puts a symbol before the amount, never after it.
        money=rng.choice([p for p in MONEY_PLACEMENTS if language != "en" or p != "symbol_after"]),
        narrow_space=rng.random() < 0.5,
    )


def write_truth(out_dir: Path, documents: list[RenderedDocument]) -> Path:
    path = out_dir / TRUTH_FILE
    truth = {document.path.name: document.truth for document in documents}
    path.write_text(json.dumps(truth, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    return path
