"""Text folding for matching: accents, case and punctuation do not matter, positions are kept."""

import re
import unicodedata
from functools import lru_cache


def fold(text: str) -> str:
    """Lower case without accents, one character for each character of `text` (so offsets still match)."""
    return "".join(_fold_char(char) for char in text)


def _fold_char(char: str) -> str:
    base = unicodedata.normalize("NFKD", char)[:1].lower()[:1]
    return base or char


_NUMBER_SIGNS = re.compile(r"n[°º]|[°º#]")
_NOT_ALNUM = re.compile(r"[^0-9a-zß]+")


@lru_cache(maxsize=65536)
def label_key(text: str) -> str:
    """What a label is compared by: `N° de facture:` → `nodefacture`, `Invoice #` → `invoiceno`."""
    folded = _NUMBER_SIGNS.sub("no", fold(text).replace("\u00ba", "°"))
    return _NOT_ALNUM.sub("", folded)
