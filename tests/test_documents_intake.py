"""Taking uploaded files in safely: the kind from the content, safe names, content-addressed storage,
and every kind of bad input refused with a reason, made for real."""

import hashlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest

from connectors.documents import (
    SNIFF_BYTES,
    DocumentStorage,
    TooLargeError,
    UnreadableDocumentError,
    UnsupportedTypeError,
    clean_file_name,
    content_disposition,
    detect_kind,
    inspect_document,
    receive_upload,
    safe_file_name,
    sniff_kind,
)
from domain.documents import DocumentKind
from tests.documents_intake_samples import (
    CATALOG,
    PAGE,
    UBL_INVOICE,
    animated,
    encrypted_pdf,
    image_bytes,
    pdf_with_pages,
    png_claiming,
    raw_pdf,
    tiff_pages,
)

MB = 1 << 20


# --- the kind, from the content -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (pdf_with_pages(1), DocumentKind.PDF),
        (b"\r\n" * 100 + pdf_with_pages(1), DocumentKind.PDF),  # a header after leading bytes, as readers allow
        (image_bytes("PNG"), DocumentKind.PNG),
        (image_bytes("JPEG"), DocumentKind.JPEG),
        (image_bytes("TIFF"), DocumentKind.TIFF),
        (tiff_pages((8, 8)), DocumentKind.TIFF),
        (image_bytes("TIFF")[:2].replace(b"II", b"MM") + b"\x00*", DocumentKind.TIFF),  # big-endian TIFF
        (UBL_INVOICE, DocumentKind.XML),
        (b"\xef\xbb\xbf\n  " + UBL_INVOICE, DocumentKind.XML),
        (UBL_INVOICE.decode().replace("UTF-8", "UTF-16").encode("utf-16"), DocumentKind.XML),
        (b"<rsm:CrossIndustryInvoice xmlns:rsm='urn:x'/>", DocumentKind.XML),
        ("<?xml version='1.0' encoding='ISO-8859-1'?><Invoice>Müller</Invoice>".encode("latin-1"), DocumentKind.XML),
        (b"<!-- " + b"a long comment " * 400 + b"-->", DocumentKind.XML),  # prolog longer than the head read
    ],
    ids=[
        "pdf",
        "pdf-late",
        "png",
        "jpeg",
        "tiff",
        "tiff-multi",
        "tiff-mm",
        "xml",
        "xml-bom",
        "xml-utf16",
        "cii",
        "xml-latin1",
        "xml-long-prolog",
    ],
)
def test_the_kind_comes_from_the_content(content: bytes, kind: DocumentKind) -> None:
    assert sniff_kind(content[:SNIFF_BYTES]) is kind
    assert detect_kind(content[:SNIFF_BYTES], file_name="upload.bin") is kind


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"Dear customer, please find the invoice attached.\n", "not a PDF, PNG, JPEG, TIFF or XML"),
        (b"PK\x03\x04" + b"\x00" * 100, "not a PDF, PNG, JPEG, TIFF or XML"),  # a zip, a .docx
        (b"GIF89a" + b"\x00" * 100, "not a PDF, PNG, JPEG, TIFF or XML"),
        (b" " * 1100 + b"%PDF-1.7", "not a PDF, PNG, JPEG, TIFF or XML"),  # past where a reader looks
        (b"", "the file is empty"),
        (b"<!DOCTYPE html>\n<html><body>Invoice</body></html>", "an HTML page, not an invoice"),
        (b"\xef\xbb\xbf<html lang='en'><head>", "an HTML page, not an invoice"),
        (b'<?xml version="1.0"?>\n<!-- export -->\n<x:html xmlns:x="http://www.w3.org/1999/xhtml">', "an HTML page"),
        (
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10"/>',
            "an SVG drawing, not an invoice",
        ),
        (b"<<< not markup >>>", "starts with '<' but is not XML"),
    ],
    ids=["text", "zip", "gif", "pdf-too-late", "empty", "html-doctype", "html", "xhtml", "svg", "angle-brackets"],
)
def test_a_file_of_no_accepted_kind_is_refused_with_its_reason(content: bytes, reason: str) -> None:
    assert sniff_kind(content) is None
    with pytest.raises(UnsupportedTypeError, match=reason) as refused:
        detect_kind(content, file_name="invoice.pdf")
    assert str(refused.value).startswith("invoice.pdf: ")
    assert refused.value.file_name == "invoice.pdf"


# --- safe names ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("../../etc/passwd", "passwd.pdf"),
        ("..\\..\\Windows\\System32\\config", "config.pdf"),
        ("/etc/shadow.pdf", "shadow.pdf"),
        ("evil.php\x00.pdf", "evil.php.pdf"),
        ("\x00", "document.pdf"),
        ("..", "document.pdf"),
        (".pdf", "document.pdf"),
        ("   ", "document.pdf"),
        ("", "document.pdf"),
        (None, "document.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.pdf"),  # a right-to-left override hiding the real ending
        ("Rechnung\r\nSet-Cookie: a=b.pdf", "Rechnung Set-Cookie_ a=b.pdf"),
        ('inv"oice<1>|?*.pdf', "inv_oice_1____.pdf"),
        ("  Rechnung  März\t2024 .pdf ", "Rechnung März 2024.pdf"),
        ("Me\u0301xico.pdf", "M\u00e9xico.pdf"),  # NFC: one composed é
        ("INV.2024.001", "INV.2024.001.pdf"),  # "001" is part of the name, not an extension
        ("scan", "scan.pdf"),
        ("Invoice.PDF", "Invoice.PDF"),
        ("invoice.png", "invoice.pdf"),  # the extension says what the content is
    ],
)
def test_a_file_name_is_reduced_to_a_safe_one(raw: str | None, safe: str) -> None:
    assert safe_file_name(raw, DocumentKind.PDF) == safe
    assert safe_file_name(safe, DocumentKind.PDF) == safe


@pytest.mark.parametrize(
    ("raw", "kind", "safe"),
    [
        ("invoice.pdf", DocumentKind.PNG, "invoice.png"),
        ("photo.jpeg", DocumentKind.JPEG, "photo.jpeg"),
        ("photo.JPG", DocumentKind.JPEG, "photo.JPG"),
        ("photo.png", DocumentKind.JPEG, "photo.jpg"),
        ("scan.tiff", DocumentKind.TIFF, "scan.tiff"),
        ("scan", DocumentKind.TIFF, "scan.tif"),
        (None, DocumentKind.XML, "document.xml"),
        ("xrechnung.pdf", DocumentKind.XML, "xrechnung.xml"),
    ],
)
def test_the_extension_follows_the_kind(raw: str | None, kind: DocumentKind, safe: str) -> None:
    assert safe_file_name(raw, kind) == safe


def test_a_long_name_is_cut_keeping_its_extension() -> None:
    name = safe_file_name("Rechnung " * 40 + ".pdf", DocumentKind.PDF)
    assert len(name) == 150
    assert name.endswith(".pdf")
    assert name.startswith("Rechnung Rechnung") and not name.removesuffix(".pdf").endswith(" ")


def test_a_name_for_a_refusal_keeps_what_was_sent() -> None:
    assert clean_file_name("../../notes.txt") == "notes.txt"
    assert clean_file_name("\x00\x01") == "document"


@pytest.mark.parametrize(
    "name",
    [
        "Rechnung März 2024.pdf",
        "請求書.pdf",
        'a"b.pdf',
        "x\r\nSet-Cookie: y=1.pdf",
        "full\uff02width\uff3cquote.pdf",
        "100% done; filename=evil.exe.pdf",
    ],
)
def test_content_disposition_carries_the_exact_name_and_cannot_break_the_header(name: str) -> None:
    value = content_disposition(name)
    assert value.isascii()
    assert "\r" not in value and "\n" not in value
    parts = re.fullmatch(r'attachment; filename="[^"\\]*"; filename\*=UTF-8\'\'(?P<exact>[^\s;"]+)', value)
    assert parts is not None, value
    assert unquote(parts["exact"]) == clean_file_name(name)


def test_content_disposition_falls_back_to_ascii() -> None:
    assert content_disposition("Rechnung März.pdf", inline=True) == (
        "inline; filename=\"Rechnung Marz.pdf\"; filename*=UTF-8''Rechnung%20M%C3%A4rz.pdf"
    )
    assert content_disposition("請求書.pdf").startswith('attachment; filename="document.pdf"; ')


# --- content-addressed storage ------------------------------------------------------------------------------


def stored_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def test_the_same_file_stored_twice_is_one_file(tmp_path: Path) -> None:
    storage = DocumentStorage(tmp_path / "documents")
    content = pdf_with_pages(1)
    first = storage.store(content)
    second = storage.store(content)
    streamed = storage.store_stream(iter([content[:100], content[100:]]), max_bytes=MB)
    sha256 = hashlib.sha256(content).hexdigest()
    assert first.sha256 == second.sha256 == streamed.sha256 == sha256
    assert first.path == tmp_path / "documents" / sha256[:2] / sha256
    assert stored_files(tmp_path) == [first.path]
    assert storage.read(sha256) == content and storage.exists(sha256)
    with storage.open(sha256) as stored:
        assert stored.read() == content


def test_a_stored_file_is_kept_not_rewritten(tmp_path: Path) -> None:
    storage = DocumentStorage(tmp_path)
    stored = storage.store(b"%PDF-1.7 the original")
    os.utime(stored.path, (1_000_000, 1_000_000))
    storage.store(b"%PDF-1.7 the original")
    storage.store_stream([b"%PDF-1.7 the original"], max_bytes=MB)
    assert stored.path.stat().st_mtime == 1_000_000
    assert stored_files(tmp_path) == [stored.path]


@pytest.mark.parametrize(
    "sha256",
    [
        "../x",
        "../../etc/passwd",
        "/etc/passwd",
        "",
        "A" * 64,
        "a" * 63,
        "a" * 65,
        "a" * 64 + "\n",
        "g" * 64,
        "ab/" + "a" * 61,
    ],
)
def test_storage_refuses_anything_but_a_sha256(tmp_path: Path, sha256: str) -> None:
    storage = DocumentStorage(tmp_path)
    for look_up in (storage.path_of, storage.exists, storage.read, storage.open):
        with pytest.raises(ValueError, match="not a SHA-256"):
            look_up(sha256)


def test_a_file_not_stored_is_not_found(tmp_path: Path) -> None:
    storage = DocumentStorage(tmp_path)
    assert not storage.exists("0" * 64)
    with pytest.raises(FileNotFoundError):
        storage.read("0" * 64)


def test_streaming_stops_at_the_limit_and_leaves_nothing(tmp_path: Path) -> None:
    storage = DocumentStorage(tmp_path)
    consumed = []

    def chunks() -> Iterator[bytes]:
        for number in range(1000):  # 1000 MB if it were read to the end
            consumed.append(number)
            yield b"\x00" * MB

    with pytest.raises(TooLargeError, match=r"^scan\.pdf: the file is larger than the 3 MB limit$") as refused:
        storage.store_stream(chunks(), max_bytes=3 * MB, file_name="scan.pdf")
    assert refused.value.limit_bytes == 3 * MB
    assert len(consumed) == 4
    assert stored_files(tmp_path) == []


def test_a_file_of_exactly_the_limit_is_stored(tmp_path: Path) -> None:
    stored = DocumentStorage(tmp_path).store_stream([b"a" * 10, b"b" * 10], max_bytes=20)
    assert stored.size == 20 and stored.path.read_bytes() == b"a" * 10 + b"b" * 10


def test_an_upload_broken_off_leaves_nothing(tmp_path: Path) -> None:
    def chunks() -> Iterator[bytes]:
        yield b"%PDF-1.7 first part"
        raise ConnectionResetError("the client went away")

    with pytest.raises(ConnectionResetError):
        DocumentStorage(tmp_path).store_stream(chunks(), max_bytes=MB)
    assert stored_files(tmp_path) == []


# --- one upload in ------------------------------------------------------------------------------------------


def in_chunks(content: bytes, size: int) -> Iterator[bytes]:
    return (content[start : start + size] for start in range(0, len(content), size))


def test_an_upload_is_sniffed_named_and_stored(tmp_path: Path) -> None:
    png = image_bytes("PNG")
    received = receive_upload(in_chunks(png, 7), "../../invoice.pdf", DocumentStorage(tmp_path), max_bytes=MB)
    assert received.kind is DocumentKind.PNG
    assert received.name == "invoice.png"
    assert received.stored.sha256 == hashlib.sha256(png).hexdigest()
    assert received.stored.path.read_bytes() == png


def test_a_text_file_named_pdf_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    text = b"Not an invoice, just text. " * 100
    with pytest.raises(UnsupportedTypeError, match=r"^invoice\.pdf: the content is not a PDF"):
        receive_upload(in_chunks(text, 512), "../invoice.pdf", DocumentStorage(tmp_path), max_bytes=MB)
    assert stored_files(tmp_path) == []


def test_an_oversized_upload_is_refused_naming_the_file(tmp_path: Path) -> None:
    pdf = pdf_with_pages(1) + b"%" * (2 * MB)
    with pytest.raises(TooLargeError, match=r"^big\.pdf: the file is larger than the 1 MB limit$"):
        receive_upload(in_chunks(pdf, 64 * 1024), "big.pdf", DocumentStorage(tmp_path), max_bytes=MB)
    assert stored_files(tmp_path) == []


# --- a first look inside ------------------------------------------------------------------------------------


TOO_MANY_PAGES = "the document has more than the 50 pages accepted"


def inspect(content: bytes, kind: DocumentKind, *, max_pages: int = 50, max_pixels: int = 89_478_485) -> int:
    return inspect_document(content, kind, max_pages=max_pages, max_pixels=max_pixels, file_name="upload").pages


@pytest.mark.parametrize(
    ("content", "kind", "pages"),
    [
        (pdf_with_pages(3), DocumentKind.PDF, 3),
        (pdf_with_pages(50), DocumentKind.PDF, 50),
        (encrypted_pdf(user_password=""), DocumentKind.PDF, 1),  # an owner password only: it opens for anyone
        (raw_pdf(CATALOG, "<< /Type /Pages /Kids [3 0 R] /Count 999999999 >>", PAGE), DocumentKind.PDF, 1),
        (image_bytes("PNG"), DocumentKind.PNG, 1),
        (image_bytes("JPEG"), DocumentKind.JPEG, 1),
        (image_bytes("JPEG", progressive=True), DocumentKind.JPEG, 1),
        (animated("PNG", 3), DocumentKind.PNG, 1),
        (animated("MPO", 2), DocumentKind.JPEG, 1),
        (tiff_pages((100, 100), (100, 100), (100, 100)), DocumentKind.TIFF, 3),
        (UBL_INVOICE, DocumentKind.XML, 1),
    ],
    ids=[
        "pdf",
        "pdf-50",
        "pdf-owner-password",
        "pdf-count-claim",
        "png",
        "jpeg",
        "jpeg-progressive",
        "apng",
        "mpo",
        "tiff-3",
        "xml",
    ],
)
def test_a_readable_document_gives_its_pages(content: bytes, kind: DocumentKind, pages: int) -> None:
    assert inspect(content, kind) == pages


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (encrypted_pdf(user_password="secret"), "the PDF is password-protected"),
        (pdf_with_pages(3)[:400], "the PDF is damaged or incomplete"),
        (b"%PDF-1.7\n" + b"\x00" * 4096, "the PDF is damaged or incomplete"),
        (b"%PDF-1.7\nthis is just text after a PDF header\n", "the PDF is damaged or incomplete"),
        (raw_pdf(CATALOG, "<< /Type /Pages /Kids [] /Count 0 >>"), "the PDF has no pages"),
        (pdf_with_pages(51), "the document has more than the 50 pages accepted"),
        (
            raw_pdf(CATALOG, "<< /Type /Pages /Kids [" + "3 0 R " * 10_000 + "] /Count 10000 >>", PAGE),
            "the document has more than the 50 pages accepted",
        ),
    ],
    ids=["encrypted", "truncated", "zeros", "text", "no-pages", "51-pages", "one-page-10000-times"],
)
def test_an_unreadable_pdf_fails_with_a_reason(content: bytes, reason: str) -> None:
    with pytest.raises(UnreadableDocumentError, match=f"^upload: {reason}") as failed:
        inspect(content, DocumentKind.PDF)
    assert failed.value.reason.startswith(reason)


def test_the_same_failures_give_the_same_reasons_in_any_order() -> None:
    """PDFium keeps its last error in a global: a damaged PDF after an encrypted one must not read as encrypted."""
    cases = [
        (encrypted_pdf(user_password="x"), "password"),
        (b"%PDF-1.7 broken", "damaged"),
        (pdf_with_pages(1)[:300], "damaged"),
    ]
    for content, reason in cases + cases[::-1]:
        with pytest.raises(UnreadableDocumentError, match=reason):
            inspect(content, DocumentKind.PDF)


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")  # Pillow's word on the garbage TIFF, before it gives up
@pytest.mark.parametrize(
    ("content", "kind", "max_pixels", "reason"),
    [
        (
            png_claiming(50_000, 50_000),
            DocumentKind.PNG,
            89_478_485,
            "the image has more than the 89,478,485 pixels accepted",
        ),
        (
            png_claiming(2_000, 2_000),
            DocumentKind.PNG,
            1_000_000,
            "the image has more than the 1,000,000 pixels accepted",
        ),
        (
            tiff_pages((100, 100), (2_000, 2_000)),
            DocumentKind.TIFF,
            1_000_000,
            "the image has more than the 1,000,000 pixels accepted",
        ),
        (image_bytes("JPEG", (400, 300))[:-600], DocumentKind.JPEG, 89_478_485, "the image is damaged or incomplete"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 200, DocumentKind.JPEG, 89_478_485, "the image is damaged or incomplete"),
        (image_bytes("PNG", (400, 300))[:-30], DocumentKind.PNG, 89_478_485, "the image is damaged or incomplete"),
        (b"II*\x00" + b"\xff" * 100, DocumentKind.TIFF, 89_478_485, "the image is damaged or incomplete"),
        (
            image_bytes("PNG"),
            DocumentKind.JPEG,
            89_478_485,
            "the image is damaged or incomplete",
        ),  # never another format
    ],
    ids=[
        "png-bomb",
        "png-over-limit",
        "tiff-frame-over-limit",
        "jpeg-truncated",
        "jpeg-garbage",
        "png-truncated",
        "tiff-garbage",
        "kind-mismatch",
    ],
)
def test_an_unreadable_image_fails_with_a_reason(
    content: bytes, kind: DocumentKind, max_pixels: int, reason: str
) -> None:
    with pytest.raises(UnreadableDocumentError, match=f"^upload: {reason}"):
        inspect(content, kind, max_pixels=max_pixels)


def test_tiff_frames_count_as_pages() -> None:
    four_pages = tiff_pages(*[(50, 50)] * 4)
    assert inspect(four_pages, DocumentKind.TIFF, max_pages=4) == 4
    with pytest.raises(UnreadableDocumentError, match="more than the 3 pages accepted"):
        inspect(four_pages, DocumentKind.TIFF, max_pages=3)
