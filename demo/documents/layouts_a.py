"""Two of the invoice layouts: a classic bordered one and a modern one with a coloured band."""

from decimal import Decimal

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
from demo.documents.model import DemoInvoice


def totals_rows(invoice: DemoInvoice, style: Style) -> list[tuple[str, Decimal]]:
    """Subtotal, charges, one tax row (naming its rate when there is only one) and the total."""
    rates = {line.tax_rate for line in invoice.lines}
    tax = style.label("tax") + (f" {style.percent(next(iter(rates)))}" if len(rates) == 1 else "")
    return [
        (style.label("subtotal"), invoice.subtotal),
        *((charge.description, charge.amount) for charge in invoice.charges),
        (tax, invoice.tax_total),
        (style.label("total"), invoice.total),
    ]


def meta_rows(invoice: DemoInvoice, style: Style) -> list[tuple[str, str]]:
    rows = [(style.label("number"), invoice.number), (style.label("date"), style.date(invoice.issue_date))]
    if invoice.due_date:
        rows.append((style.label("due"), style.date(invoice.due_date)))
    if invoice.po_number:
        rows.append((style.label("po"), invoice.po_number))
    return rows


def _page_number(pdf: FPDF, style: Style, *, y: float = 287, align: str = "R") -> None:
    text(pdf, 18, y, f"{style.label('page')} {pdf.page_no()} / {{nb}}", size=7, width=PAGE_WIDTH - 36, align=align)


def classic(invoice: DemoInvoice, style: Style) -> bytes:
    """Seller top left, a large title right, a bordered meta box, a grid table, totals boxed bottom right."""
    pdf = new_pdf(f"{style.label('title')} {invoice.number}")
    seller = invoice.seller
    y = text(pdf, 18, 16, seller.name, size=13, bold=True)
    vat = [f"{style.label('vat')}: {seller.vat_id}"] if seller.vat_id else []
    lines_of_text(pdf, 18, y + 1.5, [*seller.address, *vat], size=8.5)
    text(pdf, 110, 15, style.label("title").upper(), size=24, bold=True, width=82, align="R", color=(40, 40, 40))
    y = 34.0
    for label, value in meta_rows(invoice, style):
        pdf.set_draw_color(0, 0, 0)
        pdf.rect(122, y, 35, 6)
        pdf.rect(157, y, 35, 6)
        text(pdf, 123.5, y + 1.3, label, size=8, bold=True)
        text(pdf, 158.5, y + 1.3, value, size=8.5, width=32, align="R")
        y += 6
    top = text(pdf, 18, 58, style.label("customer"), size=8, bold=True, color=(90, 90, 90))
    y = lines_of_text(pdf, 18, top + 1, [invoice.buyer.name, *invoice.buyer.address], size=9.5)
    y = max(y, 34 + 6 * 4) + 10

    def new_page() -> float:
        _page_number(pdf, style)
        pdf.add_page()
        text(pdf, 18, 15, f"{seller.name} · {style.label('number')} {invoice.number}", size=8, color=(90, 90, 90))
        return 24.0

    amount_header = f"{style.label('amount')} ({invoice.currency})"
    columns = [
        Column("#", 8, lambda i, _: [str(i + 1)], "C"),
        Column(style.label("part"), 25, lambda _, line: [line.part_number or ""]),
        Column(style.label("description"), 60, lambda _, line: [line.description], wrap=True),
        Column(style.label("quantity"), 19, lambda _, line: [style.number(line.quantity)], "R"),
        Column(style.label("unit"), 13, lambda _, line: [line.unit], "C"),
        Column(style.label("price"), 23, lambda _, line: [style.number(line.unit_price)], "R"),
        Column(amount_header, 25, lambda _, line: [style.number(line.line_total)], "R"),
    ]
    y = draw_table(pdf, 18, y, columns, invoice.lines, TableStyle(), bottom=270, new_page=new_page)
    rows = totals_rows(invoice, style)
    if y + 8 + 7 * len(rows) > 270:
        y = new_page()
    y += 6
    for number, (label, amount) in enumerate(rows):
        last = number == len(rows) - 1
        if last:
            fill_rect(pdf, 120, y, 72, 7, (225, 225, 225))
            pdf.rect(120, y, 72, 7)
        text(pdf, 122, y + 1.5, label, size=9.5 if last else 9, bold=last)
        text(
            pdf,
            150,
            y + 1.5,
            style.money_amount(amount, invoice.currency),
            size=9.5 if last else 9,
            bold=last,
            width=40,
            align="R",
        )
        y += 7
    if invoice.iban:
        text(pdf, 18, 276, f"{style.label('pay')}: {seller.name} · IBAN {invoice.iban}", size=7.5)
    _page_number(pdf, style)
    return finish(pdf)


_BAND = (22, 78, 99)
_ACCENT = (231, 111, 81)


def modern(invoice: DemoInvoice, style: Style) -> bytes:
    """A coloured band with the seller, meta as labelled columns, a borderless striped table, totals as a list."""
    pdf = new_pdf(f"{style.label('title')} {invoice.number}")
    seller = invoice.seller
    fill_rect(pdf, 0, 0, PAGE_WIDTH, 32, _BAND)
    text(pdf, 18, 10, seller.name, size=15, bold=True, color=(255, 255, 255))
    text(pdf, 18, 19, ", ".join(seller.address), size=8, color=(210, 230, 235))
    text(pdf, 120, 11, style.label("title"), size=20, width=72, align="R", color=(255, 255, 255))
    x, y = 18.0, 40.0
    for label, value in meta_rows(invoice, style):
        text(pdf, x, y, label.upper(), size=6.5, color=(120, 120, 120))
        text(pdf, x, y + 4, value, size=10, bold=True)
        x += 44
    y = text(pdf, 18, 56, style.label("customer"), size=7, color=(120, 120, 120))
    y = lines_of_text(pdf, 18, y + 1, [invoice.buyer.name, *invoice.buyer.address], size=9)
    if seller.vat_id:
        text(pdf, 120, 56, style.label("vat"), size=7, color=(120, 120, 120), width=72, align="R")
        text(pdf, 120, 60, seller.vat_id, size=9, width=72, align="R")
    y += 10

    def new_page() -> float:
        _footer(pdf, invoice, style)
        pdf.add_page()
        fill_rect(pdf, 0, 0, PAGE_WIDTH, 12, _BAND)
        text(pdf, 18, 4, f"{seller.name} — {invoice.number}", size=8, color=(255, 255, 255))
        return 20.0

    symbol = style.money_amount(Decimal(0), invoice.currency).replace("0", "").strip()
    columns = [
        Column(style.label("description"), 74, lambda _, line: [line.description], wrap=True),
        Column(style.label("part"), 28, lambda _, line: [line.part_number or "—"]),
        Column(style.label("quantity"), 16, lambda _, line: [style.number(line.quantity)], "R"),
        Column(style.label("unit"), 12, lambda _, line: [line.unit]),
        Column(f"{style.label('price')} {symbol}", 21, lambda _, line: [style.number(line.unit_price)], "R"),
        Column(f"{style.label('amount')} {symbol}", 23, lambda _, line: [style.number(line.line_total)], "R"),
    ]
    table = TableStyle(borders="none", header_fill=None, header_color=_BAND, header_rule=_ACCENT, zebra=(242, 246, 247))
    y = draw_table(pdf, 18, y, columns, invoice.lines, table, bottom=268, new_page=new_page)
    rows = totals_rows(invoice, style)
    if y + 10 + 6 * len(rows) > 268:
        y = new_page()
    y += 5
    for number, (label, amount) in enumerate(rows):
        last = number == len(rows) - 1
        if last:
            y += 1.5
            fill_rect(pdf, 112, y - 1.5, 80, 8, _BAND)
        color = (255, 255, 255) if last else (0, 0, 0)
        text(pdf, 112, y, label, size=10 if last else 9, bold=last, color=color, width=44, align="R")
        text(
            pdf,
            156,
            y,
            style.money_amount(amount, invoice.currency),
            size=10 if last else 9,
            bold=last,
            color=color,
            width=34,
            align="R",
        )
        y += 6
    _footer(pdf, invoice, style)
    return finish(pdf)


def _footer(pdf: FPDF, invoice: DemoInvoice, style: Style) -> None:
    rule(pdf, 18, 278, 192, color=(200, 200, 200))
    parts = [invoice.seller.name, *(f"IBAN {invoice.iban}" for _ in [invoice.iban] if invoice.iban)]
    text(pdf, 18, 280, " · ".join(parts), size=7, color=(110, 110, 110))
    _page_number(pdf, style, y=280)
