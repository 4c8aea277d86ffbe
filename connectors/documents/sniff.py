"""What a file is, from its first bytes (magic numbers), never from its name.

Read at least `SNIFF_BYTES` from the start of the file. A PDF's `%PDF-` header may come after
some leading bytes (PDF readers accept it within the first 1024); images have fixed signatures;
XML is text that starts, after an optional byte order mark and white space, with a declaration,
a comment, a processing instruction, a document type or an element. An HTML page or an SVG
drawing is markup too, but never an invoice: refused here with a reason.
"""

import codecs
import re

from connectors.documents.errors import UnsupportedTypeError
from domain.documents import DocumentKind

SNIFF_BYTES = 1024
_TEXT_BYTES = 4 * SNIFF_BYTES  # enough of a longer head to see past an XML prolog, bounded for the regexes

_PDF_HEADER = b"%PDF-"
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", DocumentKind.PNG),
    (b"\xff\xd8\xff", DocumentKind.JPEG),
    (b"II*\x00", DocumentKind.TIFF),
    (b"MM\x00*", DocumentKind.TIFF),
)
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# What may come before the root element: declarations, comments, processing instructions, a DOCTYPE.
_PROLOG_ITEM = re.compile(
    r"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE\s+(?P<doctype>[^\s>\[]+)[^>\[]*(?:\[.*?\])?\s*>)", re.S
)
_ROOT_ELEMENT = re.compile(r"\s*<(?P<name>[^\W\d][\w.\-]*(?::[^\W\d][\w.\-]*)?)")
_NOT_INVOICES = {"html": "an HTML page", "svg": "an SVG drawing"}


def sniff_kind(head: bytes) -> DocumentKind | None:
    """The kind of the file starting with `head` (its first `SNIFF_BYTES` or more), or None when it is none
    of the accepted kinds (HTML and SVG included)."""
    return _kind_and_refusal(head)[0]


def detect_kind(head: bytes, *, file_name: str) -> DocumentKind:
    """Like `sniff_kind`, but a refusal raises `UnsupportedTypeError` naming `file_name` and saying why."""
    kind, refusal = _kind_and_refusal(head)
    if kind is None:
        raise UnsupportedTypeError(file_name, refusal)
    return kind


def _kind_and_refusal(head: bytes) -> tuple[DocumentKind | None, str]:
    if not head:
        return None, "the file is empty"
    for signature, kind in _SIGNATURES:
        if head.startswith(signature):
            return kind, ""
    text = _as_text(head)
    if text.lstrip().startswith("<"):
        markup = _markup_refusal(text)
        return (None, markup) if markup else (DocumentKind.XML, "")
    if _PDF_HEADER in head[:SNIFF_BYTES]:
        return DocumentKind.PDF, ""
    return None, "the content is not a PDF, PNG, JPEG, TIFF or XML e-invoice, whatever the file's name says"


def _as_text(head: bytes) -> str:
    """The start of the file as text: after a byte order mark in its encoding, else as UTF-8 with anything
    undecodable replaced (markup reads the same in Latin-1 or any other encoding that keeps ASCII)."""
    encoding, start = "utf-8", 0
    for mark, marked_encoding in _BYTE_ORDER_MARKS:
        if head.startswith(mark):
            encoding, start = marked_encoding, len(mark)
            break
    # Incremental, not final: a character cut at the end of the head read is left out, not replaced.
    return codecs.getincrementaldecoder(encoding)(errors="replace").decode(head[start:_TEXT_BYTES], final=False)


def _markup_refusal(text: str) -> str:
    """Why text that starts with `<` is no invoice (HTML, SVG, not XML at all), or "" when it may be one."""
    position, doctype = 0, None
    while match := _PROLOG_ITEM.match(text, position):
        doctype = match["doctype"] or doctype
        position = match.end()
    root = _ROOT_ELEMENT.match(text, position)
    for name in (doctype, root["name"] if root else None):
        local_name = (name or "").rpartition(":")[2].lower()
        if local_name in _NOT_INVOICES:
            return f"the file is {_NOT_INVOICES[local_name]}, not an invoice"
    rest = text[position:].lstrip()
    # A prolog item longer than the head read is cut, not wrong: the XML reader judges the whole file.
    if root is None and rest and not rest.startswith(("<?", "<!")):
        return "the file starts with '<' but is not XML"
    return ""
