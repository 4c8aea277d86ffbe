"""Invoices drawn with fpdf2 in layouts of their own (not the demo renderer's), with what the parser must read.

`boxed_french_invoice`: labels above their values in a row of boxes, `Facturé à` block, a reference
column, quantity and unit in one cell, thousands grouped by a narrow no-break space, `5 mars 2026`.
`us_two_page_invoice`: US dates (03/05/2026), `Label: value` printed as one word, the seller's name
only in the footer with its legal form, part numbers in brackets before the description, a table that
continues on page 2 under a repeated header, `$1,234.56`.
`din_german_invoice`, `uk_quantity_first_invoice`, `dated_rows_invoice`: see their own docstrings.
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


def din_german_invoice() -> Sample:
    """A German letter: the sender line above the address window (no buyer label), labels with colons,
    `Pos.` and `Art.-Nr.` columns, a discount column, totals with `zzgl. 19 % MwSt.`, dates `05.03.2026`."""
    pdf = _new_pdf()
    _at(pdf, 360, 40, "MÜLLER & CO.", size=20, bold=True)
    _at(pdf, 360, 66, "Werkzeuge und Maschinen", size=8)
    _at(pdf, 56, 125, "Müller & Co. KG · Hauptstraße 1 · 80331 München", size=6)
    for row, value in enumerate(("Schreinerei Holzwurm GmbH", "Herrn Peter Span", "Sägewerkweg 7", "79098 Freiburg")):
        _at(pdf, 56, 140 + row * 12, value, size=10)
    for row, (label, value) in enumerate(
        (
            ("Rechnungsnummer:", "2026-0042"),
            ("Datum:", "05.03.2026"),
            ("Kundennummer:", "K-1187"),
            ("Ihre Bestellung:", "4711-A"),
        )
    ):
        _at(pdf, 360, 140 + row * 13, label, size=8)
        _at(pdf, 0, 140 + row * 13, value, size=8, right=555)
    _at(pdf, 56, 240, "Rechnung", size=14, bold=True)
    _at(pdf, 56, 262, "Sehr geehrter Herr Span, wir berechnen Ihnen wie folgt:", size=9)
    header_y = 290
    columns = (
        (56, "Pos.", None),
        (86, "Art.-Nr.", None),
        (150, "Bezeichnung", None),
        (0, "Menge", 360),
        (366, "Einheit", None),
        (0, "Rabatt", 445),
        (0, "Einzelpreis", 500),
        (0, "Gesamt", 555),
    )
    for x, label, right in columns:
        _at(pdf, x, header_y, label, size=8, bold=True, right=right)
    rows = (
        ("1", "ST-2201", "Stechbeitel-Satz 6-teilig", "2", "Satz", "", "89,90", "179,80"),
        ("2", "HB-0815", "Hobelbank Buche 2000 mm", "1", "Stk", "5 %", "1.249,00", "1.186,55"),
        ("3", "LM-77", "Leim D3 wasserfest", "12,5", "kg", "", "7,40", "92,50"),
    )
    y = header_y + 18
    for position, code, description, quantity, unit, discount, price, total in rows:
        for x, value, right in (
            (56, position, None),
            (86, code, None),
            (150, description, None),
            (0, quantity, 360),
            (366, unit, None),
            (0, discount, 445),
            (0, price, 500),
            (0, total, 555),
        ):
            if value:
                _at(pdf, x, y, value, size=8, right=right)
        y += 14
    for label, value in (
        ("Summe netto", "1.458,85 €"),
        ("zzgl. 19 % MwSt.", "277,18 €"),
        ("Rechnungsbetrag", "1.736,03 €"),
    ):
        y += 14
        _at(pdf, 300, y, label, size=9, bold=label == "Rechnungsbetrag")
        _at(pdf, 0, y, value, size=9, right=555)
    _at(pdf, 56, y + 30, "Zahlbar bis 19.03.2026 ohne Abzug.", size=9)
    _at(pdf, 56, 790, "Müller & Co. KG · Sitz München · HRA 12345 · USt-IdNr. DE 129 273 398", size=6)
    fields: dict[str, str | None] = {
        "invoice_number": "2026-0042",
        "issue_date": "2026-03-05",
        "due_date": "2026-03-19",
        "currency": "EUR",
        "seller_name": "Müller & Co. KG",
        "seller_vat_id": "DE 129 273 398",
        "buyer_name": "Schreinerei Holzwurm GmbH",
        "po_number": "4711-A",
        "subtotal": "1458.85",
        "tax_total": "277.18",
        "total": "1736.03",
    }
    lines = [
        _line(
            description="Stechbeitel-Satz 6-teilig",
            part_number="ST-2201",
            quantity="2",
            unit="Satz",
            unit_price="89.90",
            line_total="179.80",
        ),
        _line(
            description="Hobelbank Buche 2000 mm",
            part_number="HB-0815",
            quantity="1",
            unit="Stk",
            unit_price="1249.00",
            line_total="1186.55",
        ),
        _line(
            description="Leim D3 wasserfest",
            part_number="LM-77",
            quantity="12.5",
            unit="kg",
            unit_price="7.40",
            line_total="92.50",
        ),
    ]
    return Sample(bytes(pdf.output()), fields, lines)


def uk_quantity_first_invoice(*, carriage: bool = False) -> Sample:
    """A UK tax invoice: quantity as the first column, `Net` and `VAT %` columns, `VAT @ 20%` and `Gross`
    totals, a spaced VAT number, the seller's name in the footer with its company number. With
    `carriage`, a `Carriage` charge of £9.50 between the net amount and the VAT."""
    pdf = _new_pdf()
    _at(pdf, 40, 40, "TAX INVOICE", size=18, bold=True)
    _at(pdf, 40, 70, "Invoice To", size=8, bold=True)
    for row, value in enumerate(("Harbour Cafe Ltd", "3 Quay Street", "Bristol BS1 4DJ")):
        _at(pdf, 40, 82 + row * 11, value, size=9)
    for row, (label, value) in enumerate(
        (
            ("Invoice No", "INV-00917"),
            ("Invoice Date / Tax Point", "05/03/2026"),
            ("Account No", "HC-22"),
            ("Payment Due", "04/04/2026"),
            ("VAT Reg No", "GB 123 4567 89"),
        )
    ):
        _at(pdf, 330, 70 + row * 12, label, size=8)
        _at(pdf, 0, 70 + row * 12, value, size=8, right=555)
    header_y = 190
    for x, label, right in (
        (0, "Qty", 70),
        (90, "Description", None),
        (0, "Unit Price", 400),
        (0, "Net", 470),
        (0, "VAT %", 555),
    ):
        _at(pdf, x, header_y, label, size=8, bold=True, right=right)
    rows = (
        ("2", "Espresso machine descaler 1 l", "14.50", "29.00"),
        ("12", "Filter papers, pack of 100", "3.25", "39.00"),
        ("1", "Service visit", "85.00", "85.00"),
    )
    y = header_y + 16
    for quantity, description, price, net in rows:
        for x, value, right in (
            (0, quantity, 70),
            (90, description, None),
            (0, price, 400),
            (0, net, 470),
            (0, "20", 555),
        ):
            _at(pdf, x, y, value, size=8, right=right)
        y += 13
    totals: tuple[tuple[str, str], ...] = (("Net", "£153.00"), ("VAT @ 20%", "£30.60"), ("Gross", "£183.60"))
    if carriage:
        totals = (("Net", "£153.00"), ("Carriage", "£9.50"), ("VAT @ 20%", "£32.50"), ("Gross", "£195.00"))
    for label, value in totals:
        y += 14
        _at(pdf, 330, y, label, size=9, bold=label == "Gross")
        _at(pdf, 0, y, value, size=9, right=555)
    _at(pdf, 40, 790, "Kettle & Bean Supplies Limited. Registered in England No. 01234567.", size=6)
    fields: dict[str, str | None] = {
        "invoice_number": "INV-00917",
        "issue_date": "2026-03-05",
        "due_date": "2026-04-04",
        "currency": "GBP",
        "seller_name": "Kettle & Bean Supplies Limited",
        "seller_vat_id": "GB 123 4567 89",
        "buyer_name": "Harbour Cafe Ltd",
        "po_number": None,
        "subtotal": "153.00",
        "tax_total": "32.50" if carriage else "30.60",
        "total": "195.00" if carriage else "183.60",
    }
    lines = [
        _line(description=description, quantity=quantity, unit_price=price, line_total=net)
        for quantity, description, price, net in rows
    ]
    return Sample(bytes(pdf.output()), fields, lines)


def dated_rows_invoice() -> Sample:
    """A US service invoice: a date column before the activity, labels in capitals stacked left of their
    values, `TERMS Net 30`, `BALANCE DUE`, the seller's name in large type at the top without a legal form."""
    pdf = _new_pdf()
    _at(pdf, 40, 40, "Greenleaf Landscaping", size=20, bold=True)
    _at(pdf, 40, 66, "88 Elm Road, Portland, OR 97205 · (503) 555-0199", size=8)
    _at(pdf, 40, 110, "BILL TO", size=8, bold=True)
    for row, value in enumerate(
        ("Riverside Apartments", "Attn: Property Manager", "1200 River Dr", "Portland, OR 97209")
    ):
        _at(pdf, 40, 122 + row * 11, value, size=9)
    for row, (label, value) in enumerate(
        (("INVOICE #", "1047"), ("DATE", "03/31/2026"), ("DUE DATE", "04/30/2026"), ("TERMS", "Net 30"))
    ):
        _at(pdf, 380, 110 + row * 12, label, size=8, bold=True)
        _at(pdf, 460, 110 + row * 12, value, size=9)
    header_y = 200
    for x, label, right in (
        (40, "DATE", None),
        (110, "ACTIVITY", None),
        (0, "QTY", 420),
        (0, "RATE", 490),
        (0, "AMOUNT", 555),
    ):
        _at(pdf, x, header_y, label, size=8, bold=True, right=right)
    rows = (
        ("03/05/2026", "Lawn mowing, front and back", "4", "45.00", "180.00"),
        ("03/12/2026", "Hedge trimming", "2.5", "60.00", "150.00"),
        ("03/26/2026", "Mulch, delivered and spread", "3", "38.50", "115.50"),
    )
    y = header_y + 18
    for day, activity, quantity, rate, amount in rows:
        for x, value, right in (
            (40, day, None),
            (110, activity, None),
            (0, quantity, 420),
            (0, rate, 490),
            (0, amount, 555),
        ):
            _at(pdf, x, y, value, size=9, right=right)
        y += 14
    for label, value in (("SUBTOTAL", "445.50"), ("TAX", "0.00"), ("TOTAL", "445.50"), ("BALANCE DUE", "$445.50")):
        y += 15
        _at(pdf, 380, y, label, size=9, bold=label == "BALANCE DUE")
        _at(pdf, 0, y, value, size=9, right=555)
    fields: dict[str, str | None] = {
        "invoice_number": "1047",
        "issue_date": "2026-03-31",
        "due_date": "2026-04-30",
        "currency": "USD",
        "seller_name": "Greenleaf Landscaping",
        "seller_vat_id": None,
        "buyer_name": "Riverside Apartments",
        "po_number": None,
        "subtotal": "445.50",
        "tax_total": "0.00",
        "total": "445.50",
    }
    lines = [
        _line(description=activity, quantity=quantity, unit_price=rate, line_total=amount)
        for _, activity, quantity, rate, amount in rows
    ]
    return Sample(bytes(pdf.output()), fields, lines)
