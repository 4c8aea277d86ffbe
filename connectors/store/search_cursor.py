"""The work queue's paging cursor: a position in any ordering of the entries, opaque to clients.

A cursor names the last entry of a page, by its id and the time it last changed. Whatever the
sort, the next page starts after that entry: the sort key's value is the one in the cursor
(updated_at, which changes), or read from the entry (its id, invoice date, total and vendor never
change). A cursor from one sort or filter thus stays meaningful under another, and every string
the schema's pattern allows is one `decode_cursor` reads.

Cursors of the first list API ("before:<id>", base64) are still read: the entry's updated_at is
then read from the entry too.
"""

import base64
import binascii
import string
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from connectors.db import MAX_INTEGER_ID

_ALPHABET = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
_DIGITS = string.digits
_PREFIX = "at:"  # 3 bytes: the digits after it start on a base64 group of their own
_ID_DIGITS, _MICROS_DIGITS = 10, 17  # 27 digits: 9 whole groups, no padding
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class CursorPosition(NamedTuple):
    entry_id: int
    updated_at: datetime | None  # None for a cursor of the first API: read from the entry


class InvalidCursorError(ValueError):
    """A cursor this store never issued."""

    def __init__(self, cursor: str) -> None:
        super().__init__("The cursor is not one this API issued; pass next_cursor from the previous page as it was.")
        self.cursor = cursor


def encode_cursor(entry_id: int, updated_at: datetime) -> str:
    micros = (updated_at - _EPOCH) // timedelta(microseconds=1)
    if not (0 <= entry_id < 2 * 10 ** (_ID_DIGITS - 1) and 0 <= micros < 10**_MICROS_DIGITS):
        raise ValueError(f"entry {entry_id} changed at {updated_at} has no cursor")
    text = f"{_PREFIX}{entry_id:0{_ID_DIGITS}d}{micros:0{_MICROS_DIGITS}d}"
    return base64.urlsafe_b64encode(text.encode()).decode()


def decode_cursor(cursor: str) -> CursorPosition:
    """The position a cursor names; InvalidCursorError when it is not one of ours."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCursorError(cursor) from None
    digits = text.removeprefix(_PREFIX)
    if (
        text.startswith(_PREFIX)
        and len(digits) == _ID_DIGITS + _MICROS_DIGITS
        and digits.isascii()
        and digits.isdigit()
    ):
        entry_id = int(digits[:_ID_DIGITS])
        if entry_id <= MAX_INTEGER_ID:
            return CursorPosition(entry_id, _EPOCH + timedelta(microseconds=int(digits[_ID_DIGITS:])))
    prefix, _, before_id = text.partition(":")
    if prefix == "before" and before_id.isascii() and before_id.isdigit() and int(before_id) <= MAX_INTEGER_ID:
        return CursorPosition(int(before_id), None)
    raise InvalidCursorError(cursor)


def _group(first: str, second: str, third: str) -> str:
    """The base64 of three ASCII digits drawn from these sets: the first digit decides the first two
    characters (its high bits and low bits), the second digit the third, the third digit the fourth."""
    leading = "|".join(_ALPHABET[ord(d) >> 2] + _ALPHABET[(ord(d) & 3) << 4 | 3] for d in first)
    middle = "".join(_ALPHABET[(ord(d) & 15) << 2] for d in second)
    last = "".join(_ALPHABET[ord(d) & 63] for d in third)
    return f"({leading})[{middle}][{last}]"


def _legacy_pattern() -> str:
    """The cursors of the first list API, "before:<id>" for ids below 10^9, as a regular expression."""
    codes = [ord(d) for d in _DIGITS]
    leading = "|".join(_ALPHABET[d >> 2] + _ALPHABET[(d & 3) << 4 | 3] for d in codes)  # first of 2 or 3
    lone = "|".join(_ALPHABET[d >> 2] + _ALPHABET[(d & 3) << 4] for d in codes)  # a last digit alone
    middle = "[" + "".join(_ALPHABET[(d & 15) << 2] for d in codes) + "]"  # second of 2 or 3
    last = "[" + "".join(_ALPHABET[d & 63] for d in codes) + "]"  # third of 3
    three, tail = f"({leading}){middle}{last}", f"({lone}|({leading}){middle})"
    # "before" is 8 characters; ":" and the first digit or two make the next group.
    return f"YmVmb3JlOj{middle}({last}({three})?{tail}?|{last}{three}{three}({lone})?)?"


def _position_pattern() -> str:
    # ids of at most 10 digits starting with 0 or 1 stay below 2^31; 17 digits of microseconds reach the year 5138
    groups = [_group("01", _DIGITS, _DIGITS)] + [_group(_DIGITS, _DIGITS, _DIGITS)] * 8
    return base64.urlsafe_b64encode(_PREFIX.encode()).decode() + "".join(groups)


CURSOR_PATTERN = f"^({_position_pattern()}|{_legacy_pattern()})$"
