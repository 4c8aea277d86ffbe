"""Words into text lines (by vertical overlap) and phrases (by horizontal gaps), keeping their boxes.

Before grouping, a word printed as `Label:value` is split in two, and the groups of a number printed
with spaces between its thousands (`1 234,56`) are joined back into one token.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from statistics import median

from connectors.extraction.layout.text import label_key
from domain.documents import Box, PageText, Word


@dataclass(frozen=True, slots=True)
class Token:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    confidence: float = 1.0

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def key(self) -> str:
        return label_key(self.text)


@dataclass(frozen=True, slots=True, eq=False)
class Line:
    """Tokens side by side on a page; compared by identity (a line is one place on one page)."""

    page: PageText
    index: int  # position among the page's lines, top to bottom
    tokens: tuple[Token, ...]
    top: float = field(init=False)
    bottom: float = field(init=False)
    height: float = field(init=False)  # the median token height: the line's font size, roughly

    def __post_init__(self) -> None:
        object.__setattr__(self, "top", min((token.top for token in self.tokens), default=0.0))
        object.__setattr__(self, "bottom", max((token.bottom for token in self.tokens), default=0.0))
        object.__setattr__(self, "height", median(token.height for token in self.tokens) if self.tokens else 0.0)

    @property
    def text(self) -> str:
        return join_tokens(self.tokens)


def join_tokens(tokens: Sequence[Token]) -> str:
    return " ".join(token.text for token in tokens)


def span_box(page: PageText, tokens: Iterable[Token]) -> Box:
    chosen = list(tokens)
    return page.box(
        min(token.x0 for token in chosen),
        min(token.top for token in chosen),
        max(token.x1 for token in chosen),
        max(token.bottom for token in chosen),
    )


def span_confidence(tokens: Iterable[Token]) -> float:
    values = [token.confidence for token in tokens]
    return sum(values) / len(values) if values else 1.0


def page_lines(page: PageText) -> list[Line]:
    """The page's tokens as lines, top to bottom, each left to right."""
    tokens = sorted((part for word in page.words for part in _split_word(word)), key=lambda token: token.top)
    rows: list[list[Token]] = []
    for token in tokens:
        for row in reversed(rows[-4:]):
            if _overlaps_vertically(row, token):
                row.append(token)
                break
        else:
            rows.append([token])
    rows.sort(key=lambda row: min(token.top for token in row))
    return [
        Line(page, index, tuple(_join_number_groups(sorted(row, key=lambda token: token.x0))))
        for index, row in enumerate(rows)
    ]


def phrases(line: Line, gap_factor: float = 0.8) -> list[tuple[Token, ...]]:
    """Runs of tokens in `line` closer to each other than `gap_factor` times the line's height."""
    groups: list[list[Token]] = []
    limit = gap_factor * line.height
    for token in line.tokens:
        if groups and token.x0 - groups[-1][-1].x1 <= limit:
            groups[-1].append(token)
        else:
            groups.append([token])
    return [tuple(group) for group in groups]


def _overlaps_vertically(row: list[Token], token: Token) -> bool:
    top = min(member.top for member in row)
    bottom = max(member.bottom for member in row)
    overlap = min(bottom, token.bottom) - max(top, token.top)
    # Half the taller of the two: small print under a large title is a line of its own.
    return overlap >= 0.5 * max(bottom - top, token.height)


_LABEL_VALUE = re.compile(r"^([^\W\d][^:]*?):(?!//)(\S.*)$")
_NUMBER_SIGN_VALUE = re.compile(r"^((?:[Nn][°º]|#)\.?)(\w.*)$")


def _split_word(word: Word) -> list[Token]:
    for pattern in (_LABEL_VALUE, _NUMBER_SIGN_VALUE):
        match = pattern.match(word.text)
        if match:
            cut = match.end(1) + (1 if pattern is _LABEL_VALUE else 0)
            share = cut / len(word.text)
            middle = word.x0 + (word.x1 - word.x0) * share
            label = match.group(1) + (":" if pattern is _LABEL_VALUE else "")
            return [
                Token(label, word.x0, word.top, middle, word.bottom, word.confidence),
                *_split_word(Word(match.group(2), middle, word.top, word.x1, word.bottom, word.confidence)),
            ]
    return [Token(word.text, word.x0, word.top, word.x1, word.bottom, word.confidence)]


_LEADING_GROUP = re.compile(r"^[-(€$£]?\d{1,3}$")
_THOUSANDS_GROUP = re.compile(r"^\d{3}(?:[.,]\d{1,4})?(?:[)€$£-])?$|^\d{3}$")


def _join_number_groups(tokens: list[Token]) -> list[Token]:
    """`1` `234,56` printed a thin space apart is one amount; a column gap keeps two numbers apart."""
    joined: list[Token] = []
    for token in tokens:
        previous = joined[-1] if joined else None
        if (
            previous is not None
            and _THOUSANDS_GROUP.match(token.text)
            and re.match(r"^[-(€$£]?\d{1,3}(?: \d{3})*$", previous.text)
            and _LEADING_GROUP.match(previous.text.split(" ")[0])
            and 0 <= token.x0 - previous.x1 <= 0.65 * max(token.height, previous.height)
        ):
            joined[-1] = Token(
                f"{previous.text} {token.text}",
                previous.x0,
                min(previous.top, token.top),
                token.x1,
                max(previous.bottom, token.bottom),
                min(previous.confidence, token.confidence),
            )
        else:
            joined.append(token)
    return joined
