"""Scanned invoices made here: an invoice-like page drawn with fpdf2, rasterised, turned, soiled, saved as files.

The page carries known values (`SAMPLE`) so OCR tests can look for them among the words read.
"""

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
from fpdf import FPDF
from PIL import Image

_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


@dataclass(frozen=True)
class SampleInvoice:
    seller: str
    invoice_number: str
    issue_date: str
    po_number: str
    total: str
    umlaut_word: str


SAMPLE = SampleInvoice(
    seller="Müller Werkzeugbau GmbH",
    invoice_number="RE-2026-00417",
    issue_date="14.03.2026",
    po_number="PO-88123",
    total="1.487,50",
    umlaut_word="Gebühren",
)

_LINES = (
    ("Schraube M8 verzinkt", "SK-1008", "200", "0,45", "90,00"),
    ("Kugellager 6204", "KL-6204", "25", "12,80", "320,00"),
    ("Hydraulikschlauch 2 m", "HS-2000", "10", "64,50", "645,00"),
    ("Montage vor Ort", "SV-01", "2", "95,00", "190,00"),
)


def _font(pdf: FPDF) -> str:
    """DejaVu when installed (umlauts in a TrueType font), else a core font that still has them in latin-1."""
    if (_DEJAVU / "DejaVuSans.ttf").exists():
        pdf.add_font("DejaVu", "", str(_DEJAVU / "DejaVuSans.ttf"))
        pdf.add_font("DejaVu", "B", str(_DEJAVU / "DejaVuSans-Bold.ttf"))
        return "DejaVu"
    return "Helvetica"


def invoice_pdf(sample: SampleInvoice = SAMPLE, *, pages: int = 1) -> bytes:
    """A German A4 invoice with a header, a line table and totals; extra pages repeat it."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(auto=False)
    family = _font(pdf)
    for _ in range(pages):
        pdf.add_page()
        pdf.set_font(family, "B", 16)
        pdf.text(20, 25, sample.seller)
        pdf.set_font(family, "", 10)
        pdf.text(20, 31, "Industriestraße 12, 70565 Stuttgart")
        pdf.text(20, 36, "USt-IdNr. DE123456789")
        pdf.text(20, 55, "Kunde: Nordlicht Anlagen AG, Hafenweg 3, 20457 Hamburg")
        pdf.set_font(family, "B", 14)
        pdf.text(20, 75, "Rechnung")
        pdf.set_font(family, "", 10)
        for row, (label, value) in enumerate(
            (
                ("Rechnungsnummer:", sample.invoice_number),
                ("Rechnungsdatum:", sample.issue_date),
                ("Bestellnummer:", sample.po_number),
                ("Fällig am:", "13.04.2026"),
            )
        ):
            pdf.text(120, 70 + row * 6, label)
            pdf.text(160, 70 + row * 6, value)
        pdf.set_font(family, "B", 10)
        columns = (20, 85, 115, 140, 170)
        for x, title in zip(columns, ("Beschreibung", "Artikel", "Menge", "Preis", "Betrag"), strict=True):
            pdf.text(x, 105, title)
        pdf.line(20, 107, 190, 107)
        pdf.set_font(family, "", 10)
        for row, cells in enumerate(_LINES):
            for x, cell in zip(columns, cells, strict=True):
                pdf.text(x, 114 + row * 7, cell)
        pdf.line(20, 145, 190, 145)
        for row, (label, value) in enumerate(
            (("Zwischensumme", "1.245,00"), ("Versand und " + sample.umlaut_word, "5,00"), ("MwSt. 19 %", "237,50"))
        ):
            pdf.text(120, 153 + row * 6, label)
            pdf.text(170, 153 + row * 6, value)
        pdf.set_font(family, "B", 11)
        pdf.text(120, 175, "Gesamtbetrag EUR")
        pdf.text(170, 175, sample.total)
        pdf.set_font(family, "", 9)
        pdf.text(20, 270, "Zahlbar innerhalb von 30 Tagen ohne Abzug. Bankverbindung: IBAN DE89 3704 0044 0532 0130 00")
    return bytes(pdf.output())


def rasterise(pdf: bytes, *, dpi: int) -> list[Image.Image]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L") for page in document]
    finally:
        document.close()


def scan(page: Image.Image, *, angle: float = 0.0, noise: float = 0.0, seed: int = 7) -> Image.Image:
    """The page turned counter-clockwise by `angle` degrees, white where it turned in, speckled with `noise`."""
    turned = page.rotate(angle, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=255) if angle else page
    if not noise:
        return turned
    pixels = np.asarray(turned, dtype=np.int16)
    grain = np.random.default_rng(seed).normal(0.0, 255 * noise, pixels.shape)
    return Image.fromarray(np.clip(pixels + grain, 0, 255).astype(np.uint8), mode="L")


def image_bytes(images: list[Image.Image], fmt: str, *, dpi: int) -> bytes:
    """The images saved as one file: PNG/JPEG (first image), TIFF (every image a frame) or an image-only PDF."""
    out = io.BytesIO()
    first, rest = images[0], images[1:]
    if fmt == "TIFF":
        first.save(out, "TIFF", save_all=True, append_images=rest, compression="tiff_lzw", dpi=(dpi, dpi))
    elif fmt == "PDF":
        first.save(out, "PDF", save_all=True, append_images=rest, resolution=float(dpi))
    elif fmt == "JPEG":
        first.save(out, "JPEG", quality=85, dpi=(dpi, dpi))
    else:
        first.save(out, fmt, dpi=(dpi, dpi))
    return out.getvalue()
