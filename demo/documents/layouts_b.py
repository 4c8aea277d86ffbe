"""Two more invoice layouts: a business letter, and a Benelux one with a VAT breakdown per rate."""

from fpdf import FPDF

from demo.documents.canvas import (
    PAGE_WIDTH,
    Column,
    TableStyle,
    draw_table,
    fill_rect,
    finish,
    lines_of_text,
    new_pdf,
    rule,
    text,
)
from demo.documents.formats import Style
from demo.documents.layouts_a import meta_rows, totals_rows
from demo.documents.model import DemoInvoice

_SERIF = "serif"


def letter(invoice: DemoInvoice, style: Style) -> bytes:
    """A letterhead, the buyer in the envelope window, "Label: value" lines, quantity and unit in one cell."""
    pdf = new_pdf(f"{style.label('title')} {invoice.number}", ("serif",))
    seller = invoice.seller
    text(pdf, 18, 14, seller.name, size=16, bold=True, family=_SERIF, width=PAGE_WIDTH - 36, align="C")
    text(pdf, 18, 22, " · ".join(seller.address), size=8, family=_SERIF, width=PAGE_WIDTH - 36, align="C")
    rule(pdf, 18, 28, 192, width=0.4)
    text(pdf, 20, 45, f"{seller.name} · {seller.address[0]}", size=6.5, family=_SERIF, color=(90, 90, 90))
    lines_of_text(pdf, 20, 51, [invoice.buyer.name, *invoice.buyer.address], size=10, family=_SERIF)
    y = 45.0
    rows = meta_rows(invoice, style)
    if seller.vat_id:
        rows.append((style.label("vat"), seller.vat_id))
    for label, value in rows:
        y = text(pdf, 118, y, f"{label}: {value}", size=9, family=_SERIF) + 1
    y = text(pdf, 18, 88, style.label("title"), size=14, bold=True, family=_SERIF) + 6

    def new_page() -> float:
        _page_line(pdf, style)
        pdf.add_page()
        text(pdf, 18, 14, f"{style.label('title')} {invoice.number} — {seller.name}", size=8, family=_SERIF)
        return 24.0

    columns = [
        Column(style.label("part"), 28, lambda _, line: [line.part_number or ""]),
        Column(style.label("description"), 66, lambda _, line: [line.description], wrap=True),
        Column(style.label("quantity"), 24, lambda _, line: [f"{style.number(line.quantity)} {line.unit}"], "R"),
        Column(style.label("price"), 28, lambda _, line: [style.money_amount(line.unit_price, invoice.currency)], "R"),
        Column(style.label("amount"), 28, lambda _, line: [style.number(line.line_total)], "R"),
    ]
    table = TableStyle(family=_SERIF, size=9, borders="rules", header_fill=None, padding=1.5)
    y = draw_table(pdf, 18, y, columns, invoice.lines, table, bottom=265, new_page=new_page)
    totals = totals_rows(invoice, style)
    if y + 30 + 6 * len(totals) > 265:
        y = new_page()
    y += 3
    for number, (label, amount) in enumerate(totals):
        last = number == len(totals) - 1
        if last:
            rule(pdf, 110, y, 192, width=0.4)
            y += 1.2
        text(pdf, 110, y, label, size=10 if last else 9.5, bold=last, family=_SERIF)
        text(
            pdf,
            150,
            y,
            style.money_amount(amount, invoice.currency),
            size=10 if last else 9.5,
            bold=last,
            family=_SERIF,
            width=42,
            align="R",
        )
        y += 6
        if last:
            rule(pdf, 110, y - 1, 192, width=0.4)
            rule(pdf, 110, y - 0.4, 192, width=0.4)
    y += 8
    if invoice.due_date:
        closing = f"{style.label('due')}: {style.date(invoice.due_date)}."
        y = text(pdf, 18, y, closing, size=9.5, family=_SERIF) + 1
    if invoice.iban:
        text(pdf, 18, y, f"{style.label('pay')}: IBAN {invoice.iban}", size=9.5, family=_SERIF)
    _page_line(pdf, style)
    return finish(pdf)


def _page_line(pdf: FPDF, style: Style, family: str = _SERIF) -> None:
    page = f"— {pdf.page_no()} / {{nb}} —" if family == _SERIF else f"{style.label('page')} {pdf.page_no()}/{{nb}}"
    text(pdf, 18, 285, page, size=7.5, family=family, width=PAGE_WIDTH - 36, align="C")


_BLUE = (31, 64, 122)


def vat_breakdown(invoice: DemoInvoice, style: Style) -> bytes:
    """Seller right beside a logo, meta in a grid of boxes, part numbers above descriptions, a VAT table per rate."""
    pdf = new_pdf(f"{style.label('title')} {invoice.number}")
    seller = invoice.seller
    initials = "".join(word[0] for word in seller.name.split()[:2] if word[0].isalpha())
    fill_rect(pdf, 18, 14, 18, 18, _BLUE)
    text(pdf, 18, 19.5, initials, size=14, bold=True, color=(255, 255, 255), width=18, align="C")
    y = text(pdf, 100, 14, seller.name, size=11, bold=True, width=92, align="R", color=_BLUE)
    details = [*seller.address, *([f"{style.label('vat')} {seller.vat_id}"] if seller.vat_id else [])]
    for value in details:
        y = text(pdf, 100, y + 0.5, value, size=8, width=92, align="R")
    text(pdf, 18, 40, style.label("title").upper(), size=18, bold=True, color=_BLUE)
    y = lines_of_text(pdf, 18, 52, [invoice.buyer.name, *invoice.buyer.address], size=9)
    cells = meta_rows(invoice, style)
    for number, (label, value) in enumerate(cells):
        left, top = 112.0 + 40 * (number % 2), 48.0 + 13 * (number // 2)
        pdf.set_draw_color(*_BLUE)
        pdf.rect(left, top, 40, 13)
        text(pdf, left + 2, top + 1.5, label, size=6.5, color=(90, 90, 90))
        text(pdf, left + 2, top + 6.5, value, size=9, bold=True)
    y = max(y, 48 + 13 * ((len(cells) + 1) // 2)) + 10

    def new_page() -> float:
        _page_line(pdf, style, "sans")
        pdf.add_page()
        text(pdf, 18, 14, f"{seller.name} — {style.label('number')} {invoice.number}", size=8, color=_BLUE)
        return 24.0

    columns = [
        Column(
            style.label("description"),
            78,
            lambda _, line: [line.part_number, line.description] if line.part_number else [line.description],
            wrap=True,
            bold_first=True,
        ),
        Column(style.label("quantity"), 17, lambda _, line: [style.number(line.quantity)], "R"),
        Column(style.label("unit"), 13, lambda _, line: [line.unit]),
        Column(style.label("price"), 22, lambda _, line: [style.number(line.unit_price)], "R"),
        Column("%", 14, lambda _, line: [style.percent(line.tax_rate)], "R"),
        Column(f"{style.label('amount')} {invoice.currency}", 30, lambda _, line: [style.number(line.line_total)], "R"),
    ]
    table = TableStyle(borders="rules", header_fill=(221, 229, 242), header_color=_BLUE)
    y = draw_table(pdf, 18, y, columns, invoice.lines, table, bottom=262, new_page=new_page)
    breakdown = invoice.tax_breakdown()
    if y + 30 + 5 * len(breakdown) + 6 * (3 + len(invoice.charges)) > 262:
        y = new_page()
    y += 6
    tax_columns = ((style.label("rate"), 22), (style.label("base"), 32), (style.label("tax"), 28))
    left = 18.0
    for heading, width in tax_columns:
        text(pdf, left, y, heading, size=7.5, bold=True, width=width, align="R", color=_BLUE)
        left += width
    y += 4.5
    for rate, base, tax in breakdown:
        rule(pdf, 18, y - 0.5, 100, color=(200, 200, 200))
        values = (style.percent(rate), style.number(base), style.number(tax))
        for (_, width), value, column_left in zip(tax_columns, values, (18.0, 40.0, 72.0), strict=True):
            text(pdf, column_left, y, value, size=8, width=width, align="R")
        y += 4.5
    y_totals = y - 4.5 * (len(breakdown) + 1)
    for number, (label, amount) in enumerate(totals_rows(invoice, style)):
        last = number == len(invoice.charges) + 2
        if last:
            fill_rect(pdf, 120, y_totals - 1.2, 72, 7, (221, 229, 242))
        text(pdf, 122, y_totals, label, size=9.5 if last else 8.5, bold=last)
        text(
            pdf,
            150,
            y_totals,
            style.money_amount(amount, invoice.currency),
            size=9.5 if last else 8.5,
            bold=last,
            width=40,
            align="R",
        )
        y_totals += 6
    if invoice.iban:
        text(pdf, 18, 272, f"{style.label('pay')}: IBAN {invoice.iban} · {seller.name}", size=7.5)
    _page_line(pdf, style, "sans")
    return finish(pdf)
