"""Invoices drawn with fpdf2 in layouts of their own (not the demo renderer's), with what the parser must read.

`boxed_french_invoice`: labels above their values in a row of boxes, `Facturé à` block, a reference
column, quantity and unit in one cell, thousands grouped by a narrow no-break space, `5 mars 2026`.
`us_two_page_invoice`: US dates (03/05/2026), `Label: value` printed as one word, the seller's name
only in the footer with its legal form, part numbers in brackets before the description, a table that
continues on page 2 under a repeated header, `$1,234.56`.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fpdf import FPDF

_FONTS = Path("/usr/share/fonts/truetype/dejavu")
NNBSP = "\u202f"


@dataclass
class Sample:
    pdf: bytes
    fields: dict[str, str | None]
    lines: list[dict[str, str | None]] = field(default_factory=list)


def _new_pdf() -> FPDF:
    pdf = FPDF(unit="pt", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("sans", "", str(_FONTS / "DejaVuSans.ttf"))
    pdf.add_font("sans", "B", str(_FONTS / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    return pdf


def _at(
    pdf: FPDF, x: float, y: float, value: str, size: float = 9, bold: bool = False, right: float | None = None
) -> None:
    """Text with its top-left at (x, y) points, or right-aligned to end at `right`."""
    pdf.set_font("sans", "B" if bold else "", size)
    width = pdf.get_string_width(value)
    pdf.set_xy(right - width if right is not None else x, y)
    pdf.cell(width + 0.1, size * 1.2, value)


def _line(**values: Any) -> dict[str, str | None]:
    keys = ("description", "part_number", "quantity", "unit", "unit_price", "line_total")
    return {key: values.get(key) for key in keys}


def boxed_french_invoice() -> Sample:
    pdf = _new_pdf()
    _at(pdf, 360, 40, "Atelier Lumière SARL", size=16, bold=True)
    for row, value in enumerate(("12 avenue des Tilleuls", "33000 Bordeaux", "TVA : FR12345678901")):
        _at(pdf, 360, 64 + row * 12, value, size=8)
    _at(pdf, 40, 40, "FACTURE", size=22, bold=True)
    for column, (label, value) in enumerate(
        (
            ("N° de facture", "F-2026-0153"),
            ("Date", "5 mars 2026"),
            ("Échéance", "4 avril 2026"),
            ("Votre commande", "BC-77812"),
        )
    ):
        _at(pdf, 40 + column * 125, 130, label, size=8, bold=True)
        _at(pdf, 40 + column * 125, 144, value, size=10)
    _at(pdf, 40, 185, "Facturé à :", size=8, bold=True)
    for row, value in enumerate(("Boulangerie Martin SAS", "4 rue du Four", "69002 Lyon")):
        _at(pdf, 40, 198 + row * 12, value)
    header_y = 270
    for x, label, right in (
        (40, "Réf.", None),
        (110, "Désignation", None),
        (0, "Qté", 370),
        (0, "Prix unitaire HT", 470),
        (0, "Total HT", 555),
    ):
        _at(pdf, x, header_y, label, bold=True, right=right)
    rows = (
        (
            "LP-200",
            ["Lampe suspendue laiton", "finition brossée, câble 2 m"],
            "3 pièces",
            f"1{NNBSP}234,50",
            f"3{NNBSP}703,50",
        ),
        ("AMP-E27", ["Ampoule LED E27 8 W"], "24 pièces", "4,20", "100,80"),
        ("POSE", ["Pose et raccordement"], "2,5 h", "48,00", "120,00"),
    )
    y = header_y + 22
    for code, description, quantity, price, total in rows:
        _at(pdf, 40, y, code)
        for offset, text in enumerate(description):
            _at(pdf, 110, y + offset * 12, text)
        _at(pdf, 0, y, quantity, right=370)
        _at(pdf, 0, y, f"{price} €", right=470)
        _at(pdf, 0, y, f"{total} €", right=555)
        y += 12 * len(description) + 8
    for label, value, bold in (
        ("Total HT", f"3{NNBSP}924,30 €", False),
        ("TVA 20 %", "784,86 €", False),
        ("Total TTC", f"4{NNBSP}709,16 €", True),
    ):
        y += 16
        _at(pdf, 380, y, label, bold=bold)
        _at(pdf, 0, y, value, bold=bold, right=555)
    _at(pdf, 40, 780, "Pénalités de retard : trois fois le taux d'intérêt légal. Indemnité forfaitaire : 40 €.", size=7)
    fields: dict[str, str | None] = {
        "invoice_number": "F-2026-0153",
        "issue_date": "2026-03-05",
        "due_date": "2026-04-04",
        "currency": "EUR",
        "seller_name": "Atelier Lumière SARL",
        "seller_vat_id": "FR12345678901",
        "buyer_name": "Boulangerie Martin SAS",
        "po_number": "BC-77812",
        "subtotal": "3924.30",
        "tax_total": "784.86",
        "total": "4709.16",
    }
    lines = [
        _line(
            description="Lampe suspendue laiton finition brossée, câble 2 m",
            part_number="LP-200",
            quantity="3",
            unit="pièces",
            unit_price="1234.50",
            line_total="3703.50",
        ),
        _line(
            description="Ampoule LED E27 8 W",
            part_number="AMP-E27",
            quantity="24",
            unit="pièces",
            unit_price="4.20",
            line_total="100.80",
        ),
        _line(
            description="Pose et raccordement",
            part_number="POSE",
            quantity="2.5",
            unit="h",
            unit_price="48.00",
            line_total="120.00",
        ),
    ]
    return Sample(bytes(pdf.output()), fields, lines)


_US_ITEMS = [
    (f"HX-{100 + index}", f"Hex bolt M{6 + index % 4} zinc plated, box {index + 1}", index % 5 + 1, f"{12 + index}.25")
    for index in range(48)
]


def us_two_page_invoice() -> Sample:
    pdf = _new_pdf()
    _at(pdf, 40, 40, "INVOICE", size=26, bold=True)
    for row, value in enumerate(("Invoice#:10234", "Date:03/05/2026", "Due Date:04/04/2026", "P.O.#:4500123")):
        _at(pdf, 400, 40 + row * 13, value)
    _at(pdf, 40, 110, "Bill To:", bold=True)
    for row, value in enumerate(("Northwind Traders LLC", "500 Market Street", "Springfield, IL 62701")):
        _at(pdf, 40, 124 + row * 12, value)

    def header(y: float) -> None:
        for x, label, right in ((40, "Description", None), (0, "Qty", 400), (0, "Rate", 480), (0, "Amount", 555)):
            _at(pdf, x, y, label, bold=True, right=right)

    y = 200.0
    header(y)
    subtotal = 0
    lines = []
    for code, description, quantity, rate in _US_ITEMS:
        y += 16
        if y > 760:
            _at(pdf, 40, 800, "Continued on next page", size=7)
            pdf.add_page()
            y = 60.0
            header(y)
            y += 16
        cents = quantity * int(rate.replace(".", ""))
        amount = f"{cents // 100:,}.{cents % 100:02d}"
        subtotal += cents
        _at(pdf, 40, y, f"[{code}] {description}")
        _at(pdf, 0, y, str(quantity), right=400)
        _at(pdf, 0, y, f"${rate}", right=480)
        _at(pdf, 0, y, f"${amount}", right=555)
        lines.append(
            _line(
                description=description,
                part_number=code,
                quantity=str(quantity),
                unit_price=rate,
                line_total=amount.replace(",", ""),
            )
        )
    tax = subtotal * 825 // 10000
    for label, cents in (("Subtotal", subtotal), ("Sales Tax (8.25%)", tax), ("Total Due", subtotal + tax)):
        y += 18
        _at(pdf, 380, y, label, bold=True)
        _at(pdf, 0, y, f"${cents // 100:,}.{cents % 100:02d}", right=555)
    _at(pdf, 40, 790, "Thank you for your business. Acme Fasteners Inc. · 12 Industrial Way · Dayton, OH 45402", size=7)

    def plain(cents: int) -> str:
        return f"{cents // 100}.{cents % 100:02d}"

    fields = {
        "invoice_number": "10234",
        "issue_date": "2026-03-05",
        "due_date": "2026-04-04",
        "currency": "USD",
        "seller_name": "Acme Fasteners Inc.",
        "seller_vat_id": None,
        "buyer_name": "Northwind Traders LLC",
        "po_number": "4500123",
        "subtotal": plain(subtotal),
        "tax_total": plain(tax),
        "total": plain(subtotal + tax),
    }
    return Sample(bytes(pdf.output()), fields, lines)
