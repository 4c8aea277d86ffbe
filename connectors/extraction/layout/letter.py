"""Buyers without a label, found where letters put them.

The sender line: a business letter prints the seller's name and address in small type above the address
window (`Müller & Co. KG · Hauptstraße 1 · 80331 München`), the buyer's address in the window below it
(the DIN 5008 layout). Else, an address block: left-aligned lines near the top with a postcode, not the
seller's own, whose first line is the buyer's name.
"""

import re
from collections.abc import Sequence
from statistics import median

from connectors.extraction.layout.header import Candidate
from connectors.extraction.layout.matching import header_labels
from connectors.extraction.layout.parties import LEGAL_FORM, is_name
from connectors.extraction.layout.words import Line, Token, phrases

_POSTCODE = re.compile(r"\b(?:[A-Z]{1,2}-)?\d{4,5}\b|\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b")
_SEPARATOR = re.compile(r"\s[·•|–-]\s|,\s")
_UPPER_PART = 0.45  # of the first page: where the addresses are
_WINDOW_GAP = 0.08  # of the page's height at most between the sender line and the address
_BLOCK_LINES = range(2, 8)


def window_candidates(lines: Sequence[Line], table_top: float | None) -> list[Candidate]:
    """The seller from a sender line, the buyer from the line below it.

    `lines` are the first page's; only those above the line table (starting at `table_top`) are looked at.
    """
    upper = _upper(lines, table_top)
    if not upper:
        return []
    typical = median(line.height for line in upper)
    found: list[Candidate] = []
    for position, line in enumerate(upper[:-1]):
        sender = phrases(line)[0]
        text = _text(sender)
        # The next line with words (a scan leaves specks and dashes as lines of their own).
        below = next((b for b in upper[position + 1 :] if any(c.isalpha() for c in b.text)), None)
        if below is None:
            continue
        # Separators (`·`) or print clearly smaller than the address's (a scan may lose the dots).
        small = _SEPARATOR.search(text) or line.height <= 0.75 * below.height
        if line.height > 0.9 * typical or not small or not (_POSTCODE.search(text) or LEGAL_FORM.search(text)):
            continue
        # DIN 5008 leaves up to five lines for postal notes between the sender line and the address.
        if below.top - line.bottom > _WINDOW_GAP * line.page.height or below.height < line.height:
            continue
        window = tuple(token for token in below.tokens if token.x1 > sender[0].x0 - 5)
        if not window or abs(window[0].x0 - sender[0].x0) > 3 * line.height:
            continue
        name = phrases(Line(below.page, below.index, window))[0]
        if is_name(name):
            found.append(Candidate("buyer_name", _text(name), 0.8, name, below))
        seller = _first_part(sender)
        if seller and is_name(seller) and not seller[0].text[:1].isdigit():
            found.append(Candidate("seller_name", _text(seller), 0.8, seller, line))
    return found


def address_block_candidates(lines: Sequence[Line], table_top: float | None, seller: str | None) -> list[Candidate]:
    """The first line of the topmost left-aligned address block that is not the seller's."""
    blocks: list[list[tuple[Line, tuple[Token, ...]]]] = []
    for line in _upper(lines, table_top):
        if header_labels(line):
            continue
        for phrase in phrases(line):
            block = next((b for b in blocks if _continues(b[-1], line, phrase)), None)
            if block is None:
                blocks.append([(line, phrase)])
            else:
                block.append((line, phrase))
    for block in blocks:
        if len(block) > 1 and block[0][1][0].height < 0.7 * block[1][1][0].height:
            block = block[1:]  # a sender line in small print above the address
        texts = [_text(phrase) for _, phrase in block]
        if len(block) not in _BLOCK_LINES or not any(_POSTCODE.search(text) for text in texts[1:]):
            continue
        # The seller's own address: its name, or its brand opening the block (`Free Service` of `Free SAS`).
        if seller and (any(seller in text for text in texts) or texts[0].split()[0] == seller.split()[0]):
            continue
        line, first = block[0]
        if is_name(first):
            return [Candidate("buyer_name", texts[0], 0.6, first, line)]
    return []


def _continues(last: tuple[Line, tuple[Token, ...]], line: Line, phrase: tuple[Token, ...]) -> bool:
    """`phrase` is the next line of the block ending in `last`: aligned on its left, close below it."""
    previous = last[1]
    aligned = abs(previous[0].x0 - phrase[0].x0) <= 0.3 * line.height
    gap = min(token.top for token in phrase) - max(token.bottom for token in previous)
    return aligned and -0.3 * line.height <= gap <= 1.2 * line.height


def _upper(lines: Sequence[Line], table_top: float | None) -> list[Line]:
    if not lines:
        return []
    limit = table_top if table_top is not None else _UPPER_PART * lines[0].page.height
    return [line for line in lines if line.bottom <= limit]


def _first_part(tokens: Sequence[Token]) -> tuple[Token, ...]:
    """A sender line up to its first separator or its legal form: the name before the street."""
    part: list[Token] = []
    for token in tokens:
        if token.text in ("·", "•", "|", "–", "-"):
            break
        part.append(token)
        if token.text.endswith(",") or LEGAL_FORM.fullmatch(token.text.rstrip(",")):
            break
    return tuple(part)


def _text(tokens: Sequence[Token]) -> str:
    return " ".join(token.text for token in tokens).strip(" ,;")
