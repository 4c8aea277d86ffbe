"""One invoice written as one document of a kind: a text-layer PDF, a Factur-X PDF, a UBL XML or a scan."""

import random
from dataclasses import dataclass, field
from pathlib import Path

from demo.documents import layouts_a, layouts_b
from demo.documents.cii import facturx_pdf, unit_code
from demo.documents.formats import MONEY_PLACEMENTS, Style
from demo.documents.model import DemoInvoice, Truth, truth_of
from demo.documents.scans import SUFFIXES, save_scan, scan_pages
from demo.documents.ubl import ubl_xml

LAYOUTS = {
    "classic": layouts_a.classic,
    "modern": layouts_a.modern,
    "letter": layouts_b.letter,
    "vat_breakdown": layouts_b.vat_breakdown,
}
KINDS = ("text_pdf", "facturx_pdf", "xml", "scan")
UBL = "ubl"


@dataclass(frozen=True, slots=True)
class RenderedDocument:
    path: Path
    kind: str  # one of KINDS
    layout: str  # a LAYOUTS name; "ubl" for a UBL e-invoice
    language: str
    truth: Truth
    problem: str = field(default="")  # for a demo document: the problem its marketplace invoice plants
    invoice_id: int | None = None  # for a demo document: its marketplace invoice


def random_style(language: str, rng: random.Random) -> Style:
    # English puts a currency symbol before the amount, never after it.
    placements = [p for p in MONEY_PLACEMENTS if language != "en" or p != "symbol_after"]
    return Style(language, rng.randrange(4), rng.randrange(3), rng.choice(placements), rng.random() < 0.5)


def einvoice_truth(invoice: DemoInvoice) -> Truth:
    """An e-invoice's truth: what it says, units as the UN/ECE codes it writes ("C62", not "pcs")."""
    truth = truth_of(invoice)
    truth["lines"] = [line | {"unit": unit_code(line["unit"])} for line in truth["lines"]]
    return truth


def render_document(
    invoice: DemoInvoice, out_dir: Path, stem: str, kind: str, layout: str, style: Style, rng: random.Random
) -> RenderedDocument:
    """Write `invoice` as `out_dir/stem.<suffix>`; a scan picks its image format with `rng`."""
    if kind == "xml":
        path = out_dir / f"{stem}_ubl.xml"
        path.write_bytes(ubl_xml(invoice))
        return RenderedDocument(path, kind, UBL, style.language, einvoice_truth(invoice))
    pdf = LAYOUTS[layout](invoice, style)
    if kind == "text_pdf":
        path = out_dir / f"{stem}_{layout}.pdf"
        path.write_bytes(pdf)
        return RenderedDocument(path, kind, layout, style.language, truth_of(invoice))
    if kind == "facturx_pdf":
        path = out_dir / f"{stem}_{layout}_facturx.pdf"
        path.write_bytes(facturx_pdf(pdf, invoice, style.language))
        return RenderedDocument(path, kind, layout, style.language, einvoice_truth(invoice))
    if kind != "scan":
        raise ValueError(f"unknown document kind {kind!r}")
    pages = scan_pages(pdf, rng)
    image_format = rng.choice(("tiff", "pdf") if len(pages) > 1 else ("png", "jpeg", "tiff", "pdf"))
    path = out_dir / f"{stem}_{layout}_scan{SUFFIXES[image_format]}"
    save_scan(pages, path, image_format)
    return RenderedDocument(path, kind, layout, style.language, truth_of(invoice))
