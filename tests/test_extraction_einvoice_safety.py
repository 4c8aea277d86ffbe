"""The e-invoice engine's doors: the XML found in a PDF, damaged PDFs, hostile and foreign XML refused."""

from pathlib import Path

import facturx
import pytest

from connectors.extraction.einvoice import (
    NotAnEInvoiceError,
    UnreadablePdfError,
    UnsafeXmlError,
    embedded_einvoice_xml,
    read_einvoice,
)
from tests.einvoice_hostile_samples import (
    BILLION_LAUGHS,
    RSS_FEED,
    external_dtd_invoice,
    external_entity_invoice,
    pdf_with_attachments,
    plain_pdf,
)
from tests.einvoice_samples import FACTURX_EN16931, FACTURX_MINIMUM
from tests.einvoice_ubl_samples import XRECHNUNG_UBL_INVOICE


def test_the_xml_of_a_factur_x_pdf_is_found_and_reads_as_the_xml_itself() -> None:
    hybrid = facturx.generate_from_binary(plain_pdf(), FACTURX_EN16931, check_xsd=True)

    found = embedded_einvoice_xml(hybrid)

    assert found == ("factur-x.xml", FACTURX_EN16931)
    assert read_einvoice(found[1]) == read_einvoice(FACTURX_EN16931)


def test_a_pdf_without_xml_carries_no_einvoice() -> None:
    assert embedded_einvoice_xml(plain_pdf()) is None
    assert embedded_einvoice_xml(pdf_with_attachments({"news.xml": RSS_FEED, "terms.txt": b"Pay in 30 days"})) is None


def test_the_standard_file_name_is_preferred_to_another_invoice_xml() -> None:
    pdf = pdf_with_attachments({"copy.xml": FACTURX_MINIMUM, "xrechnung.xml": XRECHNUNG_UBL_INVOICE})

    assert embedded_einvoice_xml(pdf) == ("xrechnung.xml", XRECHNUNG_UBL_INVOICE)


def test_an_invoice_xml_under_another_name_is_found_by_its_root() -> None:
    pdf = pdf_with_attachments({"news.xml": RSS_FEED, "Rechnung_4711.XML": XRECHNUNG_UBL_INVOICE})

    assert embedded_einvoice_xml(pdf) == ("Rechnung_4711.XML", XRECHNUNG_UBL_INVOICE)


def test_an_unsafe_xml_under_another_name_is_not_taken_for_an_invoice() -> None:
    pdf = pdf_with_attachments({"invoice.xml": external_entity_invoice("file:///etc/passwd")})

    assert embedded_einvoice_xml(pdf) is None


@pytest.mark.parametrize("damage", [b"", b"not a pdf at all", b"%PDF-1.7\n1 0 obj << /Type /Catalog"])
def test_a_damaged_pdf_is_said_to_be_unreadable(damage: bytes) -> None:
    with pytest.raises(UnreadablePdfError, match="the PDF cannot be read"):
        embedded_einvoice_xml(damage)


def test_a_truncated_factur_x_pdf_is_said_to_be_unreadable() -> None:
    hybrid = facturx.generate_from_binary(plain_pdf(), FACTURX_MINIMUM)

    with pytest.raises(UnreadablePdfError):
        embedded_einvoice_xml(hybrid[: len(hybrid) // 2])


def test_billion_laughs_is_refused_without_expansion() -> None:
    with pytest.raises(UnsafeXmlError, match="declares entities"):
        read_einvoice(BILLION_LAUGHS)


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-16", "utf-32"]
)  # UTF-32 passes the byte scan: the parsed DOCTYPE is checked
def test_an_external_entity_is_refused_and_the_file_never_read(tmp_path: Path, encoding: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-7781")
    for target in (secret.as_uri(), "file:///etc/passwd"):
        xml = external_entity_invoice(target).decode().replace('encoding="UTF-8"', f'encoding="{encoding}"')

        with pytest.raises(UnsafeXmlError) as refused:
            read_einvoice(xml.encode(encoding))

        said = f"{refused.value} {refused.value.args} {refused.value.__cause__}"
        assert "TOP-SECRET" not in said
        assert "root:" not in said


def test_an_external_entity_in_a_factur_x_pdf_is_refused_when_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-7781")
    pdf = pdf_with_attachments({"factur-x.xml": external_entity_invoice(secret.as_uri())})

    name, xml = embedded_einvoice_xml(pdf) or ("", b"")

    assert name == "factur-x.xml"
    with pytest.raises(UnsafeXmlError):
        read_einvoice(xml)


def test_a_parameter_entity_is_refused() -> None:
    xml = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]><r/>'

    with pytest.raises(UnsafeXmlError):
        read_einvoice(xml)


def test_an_external_dtd_is_refused_and_never_loaded(tmp_path: Path) -> None:
    dtd = tmp_path / "invoice.dtd"
    dtd.write_text('<!ENTITY secret "TOP-SECRET-7781">')
    for target in (dtd.as_uri(), "http://127.0.0.1:9/invoice.dtd"):
        with pytest.raises(UnsafeXmlError, match="external DTD") as refused:
            read_einvoice(external_dtd_invoice(target))

        assert "TOP-SECRET" not in str(refused.value)


def test_a_doctype_declaring_nothing_is_harmless_and_read() -> None:
    with_doctype = FACTURX_MINIMUM.replace(
        b"<rsm:CrossIndustryInvoice", b"<!DOCTYPE rsm:CrossIndustryInvoice>\n<rsm:CrossIndustryInvoice", 1
    )

    assert read_einvoice(with_doctype) == read_einvoice(FACTURX_MINIMUM)


def test_blank_lines_before_the_xml_declaration_are_tolerated() -> None:
    assert read_einvoice(b"\r\n\n  " + FACTURX_MINIMUM) == read_einvoice(FACTURX_MINIMUM)


@pytest.mark.parametrize(
    "broken",
    [b"", b"<Invoice><cbc:ID>1</Invoice>", FACTURX_MINIMUM[:-40], b"\x89PNG\r\n\x1a\n", b"<r>&undeclared;</r>"],
)
def test_malformed_xml_is_not_an_einvoice(broken: bytes) -> None:
    with pytest.raises(NotAnEInvoiceError, match="malformed XML"):
        read_einvoice(broken)


def test_other_xml_is_not_an_einvoice() -> None:
    with pytest.raises(NotAnEInvoiceError, match="<rss> without a namespace"):
        read_einvoice(RSS_FEED)


def test_an_order_in_an_invoice_namespace_family_is_not_an_einvoice() -> None:
    order = b'<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"><ID>1</ID></Order>'

    with pytest.raises(NotAnEInvoiceError, match="Order-2"):
        read_einvoice(order)
