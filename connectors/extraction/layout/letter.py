"""A business letter's address window: the small sender line above it names the seller, the window's first
line the buyer, with no label for either (the DIN 5008 layout, common in German, Swiss and Austrian invoices)."""

import re
from collections.abc import Sequence
from statistics import median

from connectors.extraction.layout.header import Candidate
from connectors.extraction.layout.words import Line, Token, phrases

_POSTCODE = re.compile(r"\b(?:[A-Z]{1,2}-)?\d{4,5}\b")
_SEPARATOR = re.compile(r"\s[·•|–-]\s|,\s")
_UPPER_PART = 0.45  # of the first page: where the window is
_WINDOW_GAP = 0.08  # of the page's height at most between the sender line and the address


def window_candidates(lines: Sequence[Line], table_top: float | None) -> list[Candidate]:
    """The seller from a sender line (`Müller & Co. KG · Hauptstraße 1 · 80331 München`), the buyer below it.

    `lines` are the first page's; only those above the line table (starting at `table_top`) are looked at.
    """
    first_page = [line for line in lines if table_top is None or line.bottom < table_top]
    if not first_page:
        return []
    typical = median(line.height for line in first_page)
    found: list[Candidate] = []
    for position, line in enumerate(first_page):
        if line.bottom > _UPPER_PART * line.page.height or line.height > typical:
            continue
        text = line.text
        if not _POSTCODE.search(text) or len(_SEPARATOR.findall(text)) < 2:
            continue
        below = first_page[position + 1] if position + 1 < len(first_page) else None
        # DIN 5008 leaves up to five lines for postal notes between the sender line and the address.
        if below is None or below.top - line.bottom > _WINDOW_GAP * line.page.height or below.height < line.height:
            continue
        if abs(below.tokens[0].x0 - line.tokens[0].x0) > 3 * line.height:
            continue
        window = [token for token in below.tokens if token.x0 < line.tokens[-1].x1 and token.x1 > line.tokens[0].x0 - 5]
        if not window:
            continue
        name = phrases(Line(below.page, below.index, tuple(window)))[0]
        found.append(Candidate("buyer_name", _text(name), 0.8, name, below))
        sender = _first_part(line)
        if sender:
            found.append(Candidate("seller_name", _text(sender), 0.8, sender, line))
    return found


def _first_part(line: Line) -> tuple[Token, ...]:
    """The sender line up to its first separator: the name before the street."""
    part: list[Token] = []
    for token in line.tokens:
        if token.text in ("·", "•", "|", "–", "-"):
            break
        part.append(token)
        if token.text.endswith(","):
            break
    return tuple(part)


def _text(tokens: Sequence[Token]) -> str:
    return " ".join(token.text for token in tokens).strip(" ,;")
