"""A text-layer PDF invoice for the test world's PO-1 (vendor V1, part HX-001 at 10.00), with
its printed total deliberately wrong: the totals check fails, so it needs review, and a person
who corrects the total can submit it to a clean verdict."""

from datetime import date, timedelta
from decimal import Decimal

from fpdf import FPDF


def invoice_needing_review(
    invoice_number: str,
    *,
    issue_date: date,
    po_number: str = "PO-1",
    quantity: int = 2,
    unit_price: Decimal = Decimal("10.00"),
    printed_total: Decimal = Decimal("25.00"),
) -> bytes:
    amount = quantity * unit_price
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.text(20, 25, "Acme Fasteners Ltd")
    pdf.set_font("Helvetica", "", 10)
    pdf.text(20, 31, "12 Mill Road, Leeds LS1 4AB")
    pdf.text(20, 55, "Bill to: Northwind Plant Services, 3 Harbour Way, Hull")
    pdf.set_font("Helvetica", "B", 14)
    pdf.text(20, 75, "INVOICE")
    pdf.set_font("Helvetica", "", 10)
    for row, (label, value) in enumerate(
        (
            ("Invoice number:", invoice_number),
            ("Invoice date:", issue_date.strftime("%d/%m/%Y")),
            ("Due date:", (issue_date + timedelta(days=30)).strftime("%d/%m/%Y")),
            ("PO number:", po_number),
            ("Currency:", "USD"),
        )
    ):
        pdf.text(120, 64 + row * 6, label)
        pdf.text(160, 64 + row * 6, value)
    pdf.set_font("Helvetica", "B", 10)
    columns = (20, 85, 120, 145, 172)
    for x, title in zip(columns, ("Description", "Part number", "Qty", "Unit price", "Amount"), strict=True):
        pdf.text(x, 105, title)
    pdf.line(20, 107, 190, 107)
    pdf.set_font("Helvetica", "", 10)
    for x, cell in zip(
        columns, ("Hex bolt M8", "HX-001", str(quantity), f"{unit_price:.2f}", f"{amount:.2f}"), strict=True
    ):
        pdf.text(x, 114, cell)
    pdf.line(20, 120, 190, 120)
    for row, (label, value) in enumerate((("Subtotal", f"{amount:.2f}"), ("Tax 0%", "0.00"))):
        pdf.text(130, 128 + row * 6, label)
        pdf.text(172, 128 + row * 6, value)
    pdf.set_font("Helvetica", "B", 11)
    pdf.text(130, 142, "Total USD")
    pdf.text(172, 142, f"{printed_total:.2f}")
    return bytes(pdf.output())
