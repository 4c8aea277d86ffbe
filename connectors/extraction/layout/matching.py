"""Labels found on a line: the longest run of tokens whose joined key is in a vocabulary, left to right."""

from dataclasses import dataclass
from functools import lru_cache

from connectors.extraction.layout.labels import HEADER_LABELS, OTHER_LABELS, Vocabulary
from connectors.extraction.layout.words import Line, Token

_LONGEST_LABEL = 7  # tokens
_FUZZY_LENGTH = 7  # letters a label needs before one misread letter is forgiven
_TRAILING_FILLER = frozenset({"", "no", "nr"})


@dataclass(frozen=True, slots=True)
class LabelHit:
    line: Line
    start: int  # token slice of the label within its line
    end: int
    role: str
    weight: float

    @property
    def tokens(self) -> tuple[Token, ...]:
        return self.line.tokens[self.start : self.end]

    @property
    def x0(self) -> float:
        return self.line.tokens[self.start].x0

    @property
    def x1(self) -> float:
        return self.line.tokens[self.end - 1].x1


@lru_cache(maxsize=4096)
def header_labels(line: Line) -> list[LabelHit]:
    """The header-field and other labels of `line` (asked for by several finders, so kept)."""
    return find_labels(line, HEADER_LABELS, OTHER_LABELS)


def find_labels(line: Line, *vocabularies: Vocabulary) -> list[LabelHit]:
    """Labels of `line`, not overlapping, each the longest match starting at its first token.

    A label's tokens must be close together (a column gap ends a label) so that `Total` in one
    column and `EUR` in the next are not read as `Total EUR`.
    """
    hits: list[LabelHit] = []
    tokens = line.tokens
    index = 0
    while index < len(tokens):
        best: LabelHit | None = None
        key = ""
        for end in range(index + 1, min(len(tokens), index + _LONGEST_LABEL) + 1):
            # OCR boxes are as tall as the letters, not the font: the same space is wider against them.
            scanned = tokens[end - 1].confidence < 1.0
            if end > index + 1 and tokens[end - 1].x0 - tokens[end - 2].x1 > (1.6 if scanned else 1.2) * line.height:
                break
            key += tokens[end - 1].key
            if not key:
                continue
            # OCR drops or confuses a letter (`NVOICE NUMBER`): its words may match a long label one letter off.
            misread = any(token.confidence < 1.0 for token in tokens[index:end])
            for vocabulary in vocabularies:
                found = vocabulary.get(key) or (_one_letter_off(key, vocabulary) if misread else None)
                if found:
                    best = LabelHit(line, index, end, found[0], found[1])
                    break
        if best is None:
            index += 1
            continue
        # `Invoice No : #` is one label: filler right after a label belongs to it.
        end = best.end
        while (
            end < len(tokens)
            and tokens[end].key in _TRAILING_FILLER
            and tokens[end].x0 - tokens[end - 1].x1 < line.height
        ):
            end += 1
        hits.append(LabelHit(line, best.start, end, best.role, best.weight))
        index = end
    return hits


def _one_letter_off(key: str, vocabulary: Vocabulary) -> tuple[str, float] | None:
    """The label `key` is one letter away from (dropped, added or misread), its weight a little lower."""
    if len(key) < _FUZZY_LENGTH:
        return None
    index = _deletions(id(vocabulary), vocabulary)
    candidates = {key[:position] + key[position + 1 :] for position in range(len(key))}
    for variant in (key, *candidates):
        label = index.get(variant)  # key misses a letter (variant is the label less one), or has one too many
        if label is None and variant in vocabulary and variant != key:
            label = variant
        if label is not None:
            role, weight = vocabulary[label]
            return role, weight * 0.9
    return None


_DELETION_INDEXES: dict[int, dict[str, str]] = {}


def _deletions(identity: int, vocabulary: Vocabulary) -> dict[str, str]:
    """Each long label less one letter → the label (the vocabularies are module constants, indexed once)."""
    if identity not in _DELETION_INDEXES:
        _DELETION_INDEXES[identity] = {
            label[:position] + label[position + 1 :]: label
            for label in vocabulary
            if len(label) >= _FUZZY_LENGTH
            for position in range(len(label))
        }
    return _DELETION_INDEXES[identity]
