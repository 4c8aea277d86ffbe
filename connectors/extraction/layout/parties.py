"""Who: the seller's name and VAT id, and the buyer's name.

The buyer is the first line under (or beside) a buyer label. The seller is the most telling name
that is not the buyer's: a name with a legal form (GmbH, B.V., SARL, Ltd...), the largest text near
the top of the first page, the name on a sender line above the address window. VAT ids are found by
their pattern; the seller's is the one not in the buyer's block and not labelled as the customer's.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass

from connectors.extraction.layout.header import Candidate
from connectors.extraction.layout.labels import DOCUMENT_TITLES, HEADER_LABELS, STANDALONE_WEIGHT
from connectors.extraction.layout.matching import header_labels
from connectors.extraction.layout.numbers import parse_amount
from connectors.extraction.layout.words import Line, Token, phrases

_VAT_ID = re.compile(
    r"ATU\d{8}|BE[01]\d{9}|BG\d{9,10}|CY\d{8}[A-Z]|CZ\d{8,10}|DE\d{9}|DK\d{8}|EE\d{9}|EL\d{9}|ES[A-Z0-9]\d{7}[A-Z0-9]"
    r"|FI\d{8}|FR[A-Z0-9]{2}\d{9}|HR\d{11}|HU\d{8}|IE\d[A-Z0-9+*]\d{5}[A-Z]{1,2}|IT\d{11}|LT(?:\d{9}|\d{12})|LU\d{8}"
    r"|LV\d{11}|MT\d{8}|NL\d{9}B\d{2}|PL\d{10}|PT\d{9}|RO\d{2,10}|SE\d{10}01|SI\d{8}|SK\d{10}|GB(?:\d{9}|\d{12})"
    r"|XI\d{9}|CHE\d{9}(?:MWST|TVA|IVA)?|NO\d{9}MVA"
)
LEGAL_FORM = re.compile(
    r"(?<![\w])(GmbH(?: & Co\.? KG)?|AG|KG|OHG|UG|e\.\s?K\.|mbH|SE|B\.\s?V\.?|BV|N\.\s?V\.?|NV|V\.O\.F\.|SARL|S\.A\.R\.L\.|SAS|"
    r"S\.A\.S\.|SA|S\.A\.|SNC|EURL|BVBA|SPRL|SRL|S\.r\.l\.|S\.p\.A\.|Ltd\.?|Limited|LLC|L\.L\.C\.|Inc\.?|Corp\.?|"
    r"Corporation|plc|PLC|LLP|Pvt\.? Ltd\.?|Oy|AB|A/S|ApS|AS)(?![\w])"
)
_BUYER_VAT_LABELS = frozenset({"other"})
_BLOCK_LINES = 6
_OPENING = 0.15  # of the page's height: where a letterhead's name stands


@dataclass(frozen=True, slots=True)
class BuyerBlock:
    page: int
    top: float
    bottom: float
    x0: float
    x1: float

    def holds(self, line: Line, token: Token) -> bool:
        return (
            line.page.number == self.page
            and self.top <= token.top <= self.bottom
            and token.x1 > self.x0
            and token.x0 < self.x1
        )


def buyer_candidates(lines: Sequence[Line]) -> tuple[list[Candidate], list[BuyerBlock]]:
    """The first line of text under or beside each buyer label, and the block of lines it opens."""
    found: list[Candidate] = []
    blocks: list[BuyerBlock] = []
    for line in lines:
        hits = header_labels(line)
        for position, hit in enumerate(hits):
            if hit.role != "buyer_name":
                continue
            if hit.weight <= STANDALONE_WEIGHT and hit.start > 0:
                continue  # `An`, `To` only as a label of their own, at the start of a line
            following = hits[position + 1] if position + 1 < len(hits) else None
            right = line.tokens[hit.end : following.start if following else len(line.tokens)]
            right_phrase = phrases(Line(line.page, line.index, right))[0] if right else ()
            if right_phrase and (right_phrase[0].x0 - hit.x1 > 3 * line.height or hit.weight <= STANDALONE_WEIGHT):
                if hit.weight <= STANDALONE_WEIGHT and right_phrase[0].x0 - hit.x1 <= 3 * line.height:
                    continue  # a word like `To` opening a sentence, not a label
                right_phrase = ()  # a column away: not this label's value
            right_edge = following.x0 if following else line.page.width
            column = [
                below
                for below in lines[line.index + 1 : line.index + 1 + _BLOCK_LINES]
                if any(token.x0 < right_edge and token.x1 > hit.x0 - line.height for token in below.tokens)
            ]
            block_lines = [below for below in column if below.top - line.bottom < _BLOCK_LINES * 1.6 * line.height]
            if block_lines:
                blocks.append(
                    BuyerBlock(line.page.number, line.top, block_lines[-1].bottom, hit.x0 - line.height, right_edge)
                )
            if right_phrase and is_name(right_phrase):
                found.append(Candidate("buyer_name", _clean_name(right_phrase), hit.weight, right_phrase, line))
            elif block_lines:
                first = block_lines[0]
                near = tuple(
                    token for token in first.tokens if token.x0 < right_edge and token.x1 > hit.x0 - line.height
                )
                name = phrases(Line(first.page, first.index, near))[0] if near else ()
                if name and is_name(name) and first.top - line.bottom < 3 * line.height:
                    found.append(Candidate("buyer_name", _clean_name(name), hit.weight * 0.95, name, first))
    return found, blocks


def vat_candidates(lines: Sequence[Line], buyer_blocks: Sequence[BuyerBlock]) -> list[Candidate]:
    """EU (and Swiss, Norwegian, UK) VAT ids, printed with or without spaces, scored for being the seller's.

    The pieces of one id are a space apart, and the id is not the start of a longer number (an IBAN).
    A label beside it or right above it says whose it is.
    """
    found: list[Candidate] = []
    for position, line in enumerate(lines):
        hits = header_labels(line)
        tokens = line.tokens
        for start in range(len(tokens)):
            previous = tokens[start - 1] if start > 0 else None
            inside_number = (
                previous is not None and previous.text[-1:].isdigit() and _glued(previous, tokens[start], line)
            )
            if not tokens[start].text[:1].isalpha() or inside_number:
                continue
            compact = ""
            best: tuple[str, int] | None = None
            for end in range(start, min(len(tokens), start + 6)):
                if end > start and not _glued(tokens[end - 1], tokens[end], line):
                    break
                compact += _compact(tokens[end].text)
                if _VAT_ID.fullmatch(compact):
                    best = (compact, end + 1)
            if best is None or (
                best[1] < len(tokens)
                and _glued(tokens[best[1] - 1], tokens[best[1]], line)
                and tokens[best[1]].text[:1].isdigit()
            ):
                continue
            chosen = tokens[start : best[1]]
            label = next((hit for hit in reversed(hits) if hit.end <= start), None)
            if label is None and position > 0:
                label = next(
                    (
                        hit
                        for hit in header_labels(lines[position - 1])
                        if hit.x0 < chosen[-1].x1 and hit.x1 > chosen[0].x0
                    ),
                    None,
                )
            if label is not None and label.role in _BUYER_VAT_LABELS and _is_vat_label(label.tokens):
                continue  # `Your VAT no.`, `Uw BTW nummer`
            if any(block.holds(line, chosen[0]) for block in buyer_blocks):
                score = 0.3
            elif label is not None and label.role == "seller_vat_id":
                score = 1.0
            else:
                score = 0.8
            printed = " ".join(token.text for token in chosen).strip(" ,;")
            found.append(Candidate("seller_vat_id", printed, score, chosen, line))
    return found


def seller_candidates(lines: Sequence[Line], buyer_blocks: Sequence[BuyerBlock]) -> list[Candidate]:
    """Names with a legal form anywhere, and the largest text near the top of the first page."""
    found: list[Candidate] = []
    first_page = [line for line in lines if line.page.number == lines[0].page.number] if lines else []
    heights = sorted(token.height for line in first_page for token in line.tokens)
    typical = heights[len(heights) // 2] if heights else 0.0
    opening = True
    for line in lines:
        for hit in header_labels(line):
            named = _first_phrase(line, hit.end)
            if hit.role == "seller_name" and named and is_name(named):
                found.append(Candidate("seller_name", _clean_name(named), hit.weight, named, line))
        if opening and line.page.number == lines[0].page.number and line.bottom < _OPENING * line.page.height:
            # Letterheads open with the sender's name: the page's first name-like phrase, if nothing better.
            first = _trim_titles(phrases(line)[0])
            blocked = any(block.holds(line, line.tokens[0]) for block in buyer_blocks) or header_labels(line)
            if first and is_name(first) and not blocked:
                found.append(Candidate("seller_name", _clean_name(first), 0.5, first, line))
                opening = False
        for phrase in phrases(line):
            if any(block.holds(line, phrase[0]) for block in buyer_blocks) or _labelled(line, phrase):
                continue
            name = _trim_titles(phrase)
            if not name or not is_name(name):
                continue
            text = " ".join(token.text for token in name)
            legal = LEGAL_FORM.search(text)
            near_top = line.page.number == lines[0].page.number and line.bottom < 0.3 * line.page.height
            if legal:
                through = _tokens_through(name, legal.end())
                cut = _name_before(through, legal.start())
                # Up to the legal form's last character: `Limited.` ends a sentence, `Ltd.` is the form.
                beyond = len(" ".join(token.text for token in through)) - legal.end()
                value = _clean_name(cut)
                if LEGAL_FORM.fullmatch(value):
                    continue  # a legal form alone names nobody: `KG` is as often a unit of weight
                score = 0.85 + (0.1 if near_top else 0.0)
                found.append(
                    Candidate("seller_name", value[: len(value) - beyond] if beyond > 0 else value, score, cut, line)
                )
            elif near_top and typical and name[0].height >= 1.3 * typical:
                found.append(
                    Candidate(
                        "seller_name", _clean_name(name), 0.7 + min(0.2, name[0].height / typical / 20), name, line
                    )
                )
    return found


def _first_phrase(line: Line, start: int) -> tuple[Token, ...]:
    rest = line.tokens[start:]
    return phrases(Line(line.page, line.index, rest))[0] if rest else ()


def _labelled(line: Line, phrase: tuple[Token, ...]) -> bool:
    hits = header_labels(line)
    return any(line.tokens[hit.start] is phrase[0] for hit in hits if hit.role != "buyer_name")


def _trim_titles(phrase: tuple[Token, ...]) -> tuple[Token, ...]:
    tokens = list(phrase)
    while tokens and tokens[0].key in DOCUMENT_TITLES:
        tokens.pop(0)
    while tokens and tokens[-1].key in DOCUMENT_TITLES:
        tokens.pop()
    return tuple(tokens)


_SEPARATORS = frozenset({"·", "|", "-", "–", "—", "•"})
_LONGEST_NAME = 6  # words before the legal form
_NAME_PARTICLES = frozenset(
    {"de", "du", "des", "la", "le", "van", "von", "der", "den", "und", "and", "of", "et", "en", "e"}
)


def _name_before(tokens: tuple[Token, ...], legal_start: int) -> tuple[Token, ...]:
    """The name ending in its legal form, without the sentence or address before it (`Thank you. Acme Inc.`)."""
    position = 0
    first_legal = len(tokens) - 1
    for index, token in enumerate(tokens):
        if position >= legal_start:
            first_legal = index
            break
        position += len(token.text) + 1
    start = max(0, first_legal - _LONGEST_NAME)
    for index in range(first_legal - 1, start - 1, -1):
        text = tokens[index].text
        sentence_end = text[-1:] in ":;·|!?" or (text.endswith(".") and sum(c.isalpha() for c in text) >= 5)
        lower_word = text[:1].islower() and text not in _NAME_PARTICLES and text[1:2] not in ("'", "’")
        if text in _SEPARATORS or sentence_end or lower_word:
            start = index + 1
            break
    return tokens[start:]


def _tokens_through(tokens: tuple[Token, ...], end: int) -> tuple[Token, ...]:
    position = 0
    for index, token in enumerate(tokens):
        position += len(token.text) + 1
        if position > end:
            return tokens[: index + 1]
    return tokens


def is_name(tokens: Sequence[Token]) -> bool:
    text = " ".join(token.text for token in tokens)
    letters = sum(char.isalpha() for char in text)
    if letters < 2 or letters < 0.5 * len(text.replace(" ", "")) or "@" in text or "www." in text.lower():
        return False
    return parse_amount(text) is None and tokens[0].key not in HEADER_LABELS


def _is_vat_label(tokens: Sequence[Token]) -> bool:
    joined = "".join(token.key for token in tokens)
    return any(word in joined for word in ("vat", "btw", "tva", "ust", "mwst", "uid"))


def _glued(left: Token, right: Token, line: Line) -> bool:
    """A space or less apart: pieces of one id (`DE 232 446 240`), not neighbouring columns."""
    return right.x0 - left.x1 <= 0.6 * line.height


def _compact(text: str) -> str:
    return re.sub(r"[\s.\-]", "", text.upper())


def _clean_name(tokens: Sequence[Token]) -> str:
    return " ".join(token.text for token in tokens).strip(" ,;:-–")
