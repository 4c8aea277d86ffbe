"""Real and hostile files for the intake tests: PDFs from fpdf2 and pypdf, images from Pillow, crafted bytes."""

import io
import struct
import zlib

from fpdf import FPDF
from PIL import Image
from pypdf import PdfReader, PdfWriter


def pdf_with_pages(count: int) -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for number in range(1, count + 1):
        pdf.add_page()
        pdf.cell(text=f"Invoice page {number}")
    return bytes(pdf.output())


def encrypted_pdf(*, user_password: str, owner_password: str = "owner-secret") -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_with_pages(1))))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def raw_pdf(*objects: str) -> bytes:
    """A PDF of exactly these objects (numbered from 1, the first the catalog) with a correct cross-reference
    table, so that a reader takes it as written rather than repairing it."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


CATALOG = "<< /Type /Catalog /Pages 2 0 R >>"
PAGE = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"


def image_bytes(image_format: str, size: tuple[int, int] = (40, 30), **options: object) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "white").save(out, image_format, **options)
    return out.getvalue()


def animated(image_format: str, frames: int) -> bytes:
    """An animated PNG or a multi-picture JPEG (MPO, as phones write): several frames, one page."""
    images = [Image.new("RGB", (40, 30), (number * 40, 0, 0)) for number in range(frames)]
    out = io.BytesIO()
    images[0].save(out, image_format, save_all=True, append_images=images[1:])
    return out.getvalue()


def tiff_pages(*sizes: tuple[int, int]) -> bytes:
    """A multi-page TIFF, one frame per size (bilevel, Group 4: a large frame stays a few bytes)."""
    frames = [Image.new("1", size, 1) for size in sizes]
    out = io.BytesIO()
    frames[0].save(out, "TIFF", save_all=True, append_images=frames[1:], compression="group4")
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header (IHDR, correct CRC) claims `width` × `height` pixels: a decompression bomb's
    announcement without the bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00")) + chunk(b"IEND", b"")


UBL_INVOICE = b"""<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
         xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:ID>INV-1001</cbc:ID>
</Invoice>
"""
