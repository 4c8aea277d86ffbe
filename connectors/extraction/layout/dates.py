"""Dates as printed on invoices (numeric, ISO, with month names in EN/DE/FR/NL) read into ISO strings."""

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from itertools import pairwise

from connectors.extraction.layout.text import fold


class DateOrder(StrEnum):
    DAY_FIRST = "dmy"
    MONTH_FIRST = "mdy"


_MONTH_NAMES = {
    1: "january jan januar janner janvier janv januari",
    2: "february feb februar fevrier fevr fev februari",
    3: "march mar marz maerz mrz mars maart mrt",
    4: "april apr avril avr",
    5: "may mai mei",
    6: "june jun juni juin",
    7: "july jul juli juillet juil",
    8: "august aug aout augustus",
    9: "september sept sep septembre",
    10: "october oct oktober okt octobre",
    11: "november nov novembre",
    12: "december dec dezember dez decembre",
}
MONTHS = {name: number for number, names in _MONTH_NAMES.items() for name in names.split()}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))

_ISO = re.compile(r"(?<!\d)(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?!\d)")
_NUMERIC = re.compile(r"(?<![\d/.])(\d{1,2})\s?([./-])\s?(\d{1,2})\s?\2\s?(\d{4}|\d{2})(?![\d/]|\.\d)")
_DAY_MONTH_NAME = re.compile(
    rf"(?<![\d.])(\d{{1,2}})(?:st|nd|rd|th|er|e)?\.?\s*(?:de\s+)?({_MONTH})\b\.?\s*,?\s*(\d{{4}}|\d{{2}})(?!\d)"
)
_MONTH_NAME_DAY = re.compile(rf"\b({_MONTH})\b\.?\s*(\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s*(\d{{4}})(?!\d)")


@dataclass(frozen=True, slots=True)
class DateMatch:
    iso: str
    start: int
    end: int
    # A numeric date whose day and month could be swapped (both ≤ 12), read with the order given.
    ambiguous: bool = False


def find_dates(text: str, order: DateOrder = DateOrder.DAY_FIRST) -> list[DateMatch]:
    """Every date in `text`, in order of position; overlapping readings keep the first pattern's."""
    folded = fold(text)
    found: list[DateMatch] = []

    def free(start: int, end: int) -> bool:
        return all(end <= match.start or start >= match.end for match in found)

    for match in _ISO.finditer(folded):
        iso = _iso(int(match.group(1)), int(match.group(3)), int(match.group(4)))
        if iso and free(match.start(), match.end()):
            found.append(DateMatch(iso, match.start(), match.end()))
    for match in _NUMERIC.finditer(folded):
        first, second, year = int(match.group(1)), int(match.group(3)), _year(match.group(4))
        day, month = (first, second) if order is DateOrder.DAY_FIRST else (second, first)
        iso = _iso(year, month, day) or _iso(year, day, month)
        ambiguous = first <= 12 and second <= 12 and first != second and match.group(2) != "."
        if match.group(2) == ".":  # dotted dates are day-first everywhere
            iso = _iso(year, second, first)
        if iso and free(match.start(), match.end()):
            found.append(DateMatch(iso, match.start(), match.end(), ambiguous))
    for match in _DAY_MONTH_NAME.finditer(folded):
        iso = _iso(_year(match.group(3)), MONTHS[match.group(2)], int(match.group(1)))
        if iso and free(match.start(), match.end()):
            found.append(DateMatch(iso, match.start(), match.end()))
    for match in _MONTH_NAME_DAY.finditer(folded):
        iso = _iso(int(match.group(3)), MONTHS[match.group(1)], int(match.group(2)))
        if iso and free(match.start(), match.end()):
            found.append(DateMatch(iso, match.start(), match.end()))
    return sorted(found, key=lambda match: match.start)


def parse_date(text: str, order: DateOrder = DateOrder.DAY_FIRST) -> str | None:
    """The ISO date when `text` is one date and nothing else of substance."""
    matches = find_dates(text, order)
    if len(matches) != 1:
        return None
    rest = (text[: matches[0].start] + text[matches[0].end :]).strip(" ,.:;()")
    return matches[0].iso if not rest else None


def infer_date_order(texts: list[str], language: str | None, currency: str | None) -> DateOrder:
    """Day or month first for ambiguous numeric dates: a date that only reads one way decides, else the language."""
    votes = {DateOrder.DAY_FIRST: 0, DateOrder.MONTH_FIRST: 0}
    ambiguous: list[tuple[int, int, int]] = []
    for text in texts:
        for match in _NUMERIC.finditer(fold(text)):
            if match.group(2) == ".":
                continue
            first, second = int(match.group(1)), int(match.group(3))
            if first > 12 >= second:
                votes[DateOrder.DAY_FIRST] += 1
            elif second > 12 >= first:
                votes[DateOrder.MONTH_FIRST] += 1
            else:
                ambiguous.append((first, second, _year(match.group(4))))
    if votes[DateOrder.DAY_FIRST] == votes[DateOrder.MONTH_FIRST]:
        # Issued and due a usual payment term apart (30 days, the same day a month on) under one reading only.
        votes = {order: _usual_terms(ambiguous, order) for order in DateOrder}
    if votes[DateOrder.DAY_FIRST] != votes[DateOrder.MONTH_FIRST]:
        return max(votes, key=lambda order: votes[order])
    if language == "en" and currency in (None, "USD"):
        return DateOrder.MONTH_FIRST
    return DateOrder.DAY_FIRST


_USUAL_TERM_DAYS = frozenset({7, 10, 14, 15, 20, 21, 28, 30, 31, 45, 60, 90})


def _usual_terms(dates: list[tuple[int, int, int]], order: DateOrder) -> int:
    read = []
    for first, second, year in dates[:8]:
        day, month = (first, second) if order is DateOrder.DAY_FIRST else (second, first)
        iso = _iso(year, month, day)
        if iso:
            read.append(date.fromisoformat(iso))
    return sum(
        1
        for earlier, later in pairwise(read)
        if later > earlier and ((later.day == earlier.day) or (later - earlier).days in _USUAL_TERM_DAYS)
    )


def _year(text: str) -> int:
    year = int(text)
    if len(text) == 2:
        return 2000 + year if year < 70 else 1900 + year
    return year


def _iso(year: int, month: int, day: int) -> str | None:
    if not 1900 <= year <= 2199:
        return None
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None
