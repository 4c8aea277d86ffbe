"""Safe file names for uploaded documents, and the header that serves them back.

A name from an upload is only a label: files are stored by their content's hash, so a name never
reaches the file system. It is still shown and sent back in `Content-Disposition`, so it is cut to
its last path segment, cleared of control and invisible characters (a right-to-left override can
make `fdp.exe` look like `exe.pdf`), of characters no file system accepts, and kept short.
"""

import re
import unicodedata
from urllib.parse import quote

from domain.documents import DocumentKind

MAX_NAME_LENGTH = 150
DEFAULT_STEM = "document"

_EXTENSIONS = {
    DocumentKind.PDF: ("pdf",),
    DocumentKind.PNG: ("png",),
    DocumentKind.JPEG: ("jpg", "jpeg", "jpe"),
    DocumentKind.TIFF: ("tif", "tiff"),
    DocumentKind.XML: ("xml",),
}
# Reserved on Windows or in a quoted header parameter; replaced so the name still reads.
_RESERVED = re.compile(r'[<>:"|?*/\\]')
# What a name's ending must look like to count as an extension: "pdf", "jpeg", "mp4", not "001" or " 12".
_EXTENSION = re.compile(r"[A-Za-z][A-Za-z0-9]{0,4}")
# RFC 5987 attr-char beyond letters and digits: these stay as they are in `filename*`.
_ATTR_CHARS = "!#$&+-.^_`|~"


def clean_file_name(raw: str | None) -> str:
    """The name as sent, made safe to show: last path segment, no control or reserved characters,
    NFC, trimmed, at most `MAX_NAME_LENGTH` characters; `document` when nothing is left.
    For a file whose kind is not known (a refusal); `safe_file_name` once it is."""
    stem, extension = _parts(raw)
    return _join(stem, extension)


def safe_file_name(raw: str | None, kind: DocumentKind) -> str:
    """The name a document of `kind` is kept (in the database) and served as: `clean_file_name`'s stem with an
    extension that says what the content is. `invoice.pdf` holding a PNG becomes `invoice.png`;
    a JPEG keeps `.jpeg` or `.jpg` as sent; no name at all gives `document.<ext>`."""
    stem, extension = _parts(raw)
    accepted = _EXTENSIONS[kind]
    return _join(stem, extension if extension.lower() in accepted else accepted[0])


def content_disposition(name: str, *, inline: bool = False) -> str:
    """A `Content-Disposition` value serving `name`: an ASCII `filename` for old clients and the exact
    name as RFC 5987 `filename*=UTF-8''…`. Neither can break out of the header, whatever `name` holds."""
    exact = clean_file_name(name)
    # NFKD splits `ä` into `a` and a combining mark, dropped as non-ASCII; `＂` becomes `"`, cleaned again.
    fallback = clean_file_name(unicodedata.normalize("NFKD", exact).encode("ascii", "ignore").decode())
    disposition = "inline" if inline else "attachment"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(exact, safe=_ATTR_CHARS)}"


def _parts(raw: str | None) -> tuple[str, str]:
    """The cleaned stem and extension of `raw`; the stem never empty, never starting with a dot."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _RESERVED.sub("_", "".join(_printable(character) for character in name))
    name = " ".join(name.split())
    stem, dot, extension = name.rpartition(".")
    if not (dot and _EXTENSION.fullmatch(extension)):
        stem, extension = name, ""
    # Leading dots hide a file or climb a folder (`..`); trailing dots and spaces vanish on Windows.
    return stem.strip(". ") or DEFAULT_STEM, extension


def _printable(character: str) -> str:
    if character.isspace():  # tabs and line breaks too: they separate words
        return " "
    # Control, format (bidi overrides, zero width), surrogate, private use, unassigned.
    return "" if unicodedata.category(character).startswith("C") else character


def _join(stem: str, extension: str) -> str:
    room = MAX_NAME_LENGTH - (len(extension) + 1 if extension else 0)
    stem = stem[:room].rstrip(". ") or DEFAULT_STEM
    return f"{stem}.{extension}" if extension else stem
