"""Drawing helpers the layouts share: an A4 page with Unicode fonts, text at a place, a line table that breaks pages.

The fonts are DejaVu from Debian's fonts-dejavu-core package, so that €, umlauts, accents and the
narrow no-break space French groups thousands with are real characters in the text layer.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF

from demo.documents.model import DemoLine

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
_FONT_FILES = {
    "sans": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    "serif": ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"),
    "mono": ("DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf"),
}
PAGE_WIDTH, PAGE_HEIGHT = 210.0, 297.0
# A fixed creation date keeps equal invoices byte-for-byte equal PDFs.
_CREATED = datetime(2026, 1, 1, tzinfo=UTC)
RGB = tuple[int, int, int]


def new_pdf(title: str, families: tuple[str, ...] = ("sans",)) -> FPDF:
    """A blank A4 page with the DejaVu `families` (of "sans", "serif", "mono") loaded; loading costs time."""
    missing = [name for family in families for name in _FONT_FILES[family] if not (FONT_DIR / name).exists()]
    if missing:
        raise RuntimeError(f"fonts missing from {FONT_DIR} (install Debian's fonts-dejavu-core): {missing}")
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_creation_date(_CREATED)
    pdf.set_title(title)
    pdf.set_auto_page_break(False)
    pdf.set_margins(18, 15, 18)
    for family in families:
        regular, bold = _FONT_FILES[family]
        pdf.add_font(family, "", str(FONT_DIR / regular))
        pdf.add_font(family, "B", str(FONT_DIR / bold))
    pdf.add_page()
    return pdf


def text(
    pdf: FPDF,
    x: float,
    y: float,
    value: str,
    *,
    size: float = 9,
    bold: bool = False,
    family: str = "sans",
    width: float = 0,
    align: str = "L",
    color: RGB = (0, 0, 0),
    height: float | None = None,
) -> float:
    """Write one line at (x, y) mm, top-left; with `width`, aligned in that width. Returns the y below it."""
    pdf.set_font(family, "B" if bold else "", size)
    pdf.set_text_color(*color)
    line_height = height or size * 0.45
    pdf.set_xy(x, y)
    pdf.cell(width or pdf.get_string_width(value) + 0.5, line_height, value, align=align)
    return y + line_height


def lines_of_text(pdf: FPDF, x: float, y: float, values: Sequence[str], **options: object) -> float:
    for value in values:
        y = text(pdf, x, y, value, **options)  # type: ignore[arg-type]
    return y


def wrap(pdf: FPDF, value: str, width: float, *, size: float, family: str = "sans", bold: bool = False) -> list[str]:
    pdf.set_font(family, "B" if bold else "", size)
    lines: list[str] = pdf.multi_cell(width, 4, value, dry_run=True, output="LINES")  # type: ignore[assignment]
    return lines


def fill_rect(pdf: FPDF, x: float, y: float, w: float, h: float, color: RGB) -> None:
    pdf.set_fill_color(*color)
    pdf.rect(x, y, w, h, style="F")


def rule(pdf: FPDF, x0: float, y: float, x1: float, *, color: RGB = (0, 0, 0), width: float = 0.2) -> None:
    pdf.set_draw_color(*color)
    pdf.set_line_width(width)
    pdf.line(x0, y, x1, y)


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    width: float  # mm
    cell: Callable[[int, DemoLine], Sequence[str]]  # the line's text (one or more printed lines) from (index, line)
    align: str = "L"
    wrap: bool = False  # long text folds within the width
    bold_first: bool = False  # the first printed line bold (a part number above its description)


@dataclass(frozen=True, slots=True)
class TableStyle:
    family: str = "sans"
    size: float = 8.5
    borders: str = "grid"  # "grid", "rules" (a line under each row) or "none"
    header_fill: RGB | None = (225, 225, 225)
    header_color: RGB = (0, 0, 0)
    header_rule: RGB | None = None  # a coloured line under the header row
    zebra: RGB | None = None
    padding: float = 1.2


def draw_table(
    pdf: FPDF,
    x: float,
    y: float,
    columns: Sequence[Column],
    lines: Sequence[DemoLine],
    style: TableStyle,
    *,
    bottom: float,
    new_page: Callable[[], float],
) -> float:
    """Draw the header row and every line from (x, y); past `bottom`, `new_page()` starts a page and says where."""
    line_height = style.size * 0.42
    y = _header_row(pdf, x, y, columns, style, line_height)
    for index, item in enumerate(lines):
        cells = [_cell_lines(pdf, column, index, item, style) for column in columns]
        row_height = max(len(cell) for cell in cells) * line_height + 2 * style.padding
        if y + row_height > bottom:
            y = _header_row(pdf, x, new_page(), columns, style, line_height)
        if style.zebra and index % 2 == 1:
            fill_rect(pdf, x, y, sum(c.width for c in columns), row_height, style.zebra)
        left = x
        for column, cell in zip(columns, cells, strict=True):
            for number, value in enumerate(cell):
                top = y + style.padding + number * line_height
                text(
                    pdf,
                    left + style.padding,
                    top,
                    value,
                    size=style.size,
                    family=style.family,
                    width=column.width - 2 * style.padding,
                    align=column.align,
                    height=line_height,
                    bold=column.bold_first and number == 0 and len(cell) > 1,
                )
            if style.borders == "grid":
                pdf.set_draw_color(0, 0, 0)
                pdf.set_line_width(0.2)
                pdf.rect(left, y, column.width, row_height)
            left += column.width
        y += row_height
        if style.borders == "rules":
            rule(pdf, x, y, left, color=(190, 190, 190))
    return y


def _cell_lines(pdf: FPDF, column: Column, index: int, item: DemoLine, style: TableStyle) -> list[str]:
    values = list(column.cell(index, item))
    if not column.wrap:
        return values
    width = column.width - 2 * style.padding
    return [part for value in values for part in wrap(pdf, value, width, size=style.size, family=style.family)]


def _header_row(pdf: FPDF, x: float, y: float, columns: Sequence[Column], style: TableStyle, height: float) -> float:
    """The column headings, folded onto two or more lines where a heading is wider than its column."""
    headings = [
        wrap(pdf, column.header, column.width - 2 * style.padding, size=style.size, family=style.family, bold=True)
        for column in columns
    ]
    row_height = max(len(heading) for heading in headings) * height + 2 * style.padding + 0.6
    width = sum(column.width for column in columns)
    if style.header_fill:
        fill_rect(pdf, x, y, width, row_height, style.header_fill)
    left = x
    for column, heading in zip(columns, headings, strict=True):
        for number, value in enumerate(heading):
            text(
                pdf,
                left + style.padding,
                y + style.padding + 0.3 + number * height,
                value,
                size=style.size,
                bold=True,
                family=style.family,
                width=column.width - 2 * style.padding,
                align=column.align,
                color=style.header_color,
                height=height,
            )
        if style.borders == "grid":
            pdf.set_draw_color(0, 0, 0)
            pdf.rect(left, y, column.width, row_height)
        left += column.width
    if style.header_rule:
        rule(pdf, x, y + row_height, x + width, color=style.header_rule, width=0.6)
    elif style.borders == "rules":
        rule(pdf, x, y + row_height, x + width, width=0.4)
    return y + row_height


def finish(pdf: FPDF) -> bytes:
    pdf.set_xy(0, 0)
    pdf.set_text_color(0, 0, 0)
    return bytes(pdf.output())
