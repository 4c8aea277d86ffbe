"""The e-invoice engine reads CII and UBL exactly: every value as the XML states it, confidence 1.0."""

import facturx
import pytest

from connectors.extraction.einvoice import read_einvoice
from connectors.extraction.einvoice_profiles import profile_name
from connectors.extraction.einvoice_values import price_per_unit
from domain.documents import EMPTY, Engine, ExtractedField, ExtractedLine, Extraction
from tests.einvoice_samples import (
    FACTURX_BASIC_WL,
    FACTURX_EN16931,
    FACTURX_MINIMUM,
    VALID_SAMPLES,
    ZUGFERD_1_COMFORT,
)
from tests.einvoice_ubl_samples import PEPPOL_UBL_CREDIT_NOTE, XRECHNUNG_UBL_INVOICE


def exact(**values: str) -> dict[str, ExtractedField]:
    return {name: ExtractedField(value=value, confidence=1.0) for name, value in values.items()}


def line(**values: str) -> ExtractedLine:
    return ExtractedLine(**exact(**values))


@pytest.mark.parametrize("sample", VALID_SAMPLES, ids=str)
def test_every_sample_is_valid_against_its_official_schema(sample: str) -> None:
    xml, flavor = VALID_SAMPLES[sample]
    assert facturx.xml_check_xsd(xml, flavor=flavor)


def test_a_factur_x_en16931_invoice_is_read_exactly() -> None:
    assert read_einvoice(FACTURX_EN16931) == Extraction(
        engine=Engine.EINVOICE,
        engine_reason="Factur-X EN 16931 (CII) XML: read exactly",
        pages=0,
        fields=exact(
            invoice_number="RE-2026-0471",
            issue_date="2026-03-05",
            due_date="2026-04-04",
            currency="EUR",
            seller_name="Lieferant Bürobedarf GmbH",
            seller_vat_id="DE123456789",  # the VAT number, not the tax number (schemeID FC) before it
            buyer_name="Kunden AG Mitte",
            po_number="PO-2026-0042",
            subtotal="543.00",
            tax_total="103.17",
            total="646.17",  # the grand total, not the 546.17 due after 100.00 prepaid
        ),
        lines=(
            line(
                description="Trennblätter A4",
                part_number="TB100A4",
                quantity="20.0000",
                unit="H87",
                unit_price="9.90",
                line_total="198.00",
            ),
            line(
                description="Kopierpapier 80 g/m²",
                part_number="KP-80-500",
                quantity="5000",
                unit="C62",
                unit_price="0.045",  # 45.00 per 1000 sheets
                line_total="225.00",
            ),
            line(
                description="Installation vor Ort",
                quantity="1.5",
                unit="HUR",
                unit_price="80.00",
                line_total="120.00",
            ),
        ),
        notes=("amount due 546.17 differs from the total 646.17 (prepaid or rounded)",),
    )


def test_a_basic_wl_invoice_has_no_lines_and_its_vat_in_the_invoice_currency() -> None:
    extraction = read_einvoice(FACTURX_BASIC_WL)

    assert extraction.engine_reason == "Factur-X BASIC WL (CII) XML: read exactly"
    assert extraction.fields == exact(
        invoice_number="FA-88213",
        issue_date="2026-02-28",
        due_date="2026-03-30",
        currency="USD",
        seller_name="Outillage Lyonnais SARL",
        seller_vat_id="FR32123456789",
        buyer_name="Acme Tools Inc.",
        po_number="4500012345",
        subtotal="1250.00",
        tax_total="250.00",  # in USD; the 231.48 EUR stated first is the tax accounting currency's
        total="1500.00",
    )
    assert extraction.lines == ()
    assert extraction.notes == ()


def test_a_minimum_invoice_leaves_absent_what_its_profile_does_not_carry() -> None:
    extraction = read_einvoice(FACTURX_MINIMUM)

    assert extraction.engine_reason == "Factur-X MINIMUM (CII) XML: read exactly"
    assert extraction.fields == exact(
        invoice_number="F20260017",
        issue_date="2026-01-15",
        currency="EUR",
        seller_name="Papeterie Dupont",
        seller_vat_id="FR11999999998",
        buyer_name="Ingénierie Martin SAS",
        subtotal="100.00",
        tax_total="20.00",
        total="120.00",
    )
    assert extraction.field("due_date") == EMPTY
    assert extraction.field("po_number") == EMPTY
    assert extraction.lines == ()
    assert extraction.low_confidence(0.9) == []


def test_a_zugferd_1_cross_industry_document_is_read_like_cii() -> None:
    assert read_einvoice(ZUGFERD_1_COMFORT) == Extraction(
        engine=Engine.EINVOICE,
        engine_reason="ZUGFeRD 1.0 COMFORT (CII CrossIndustryDocument) XML: read exactly",
        pages=0,
        fields=exact(
            invoice_number="471102",
            issue_date="2013-03-05",
            due_date="2013-04-04",
            currency="EUR",
            seller_name="Lieferant GmbH",
            seller_vat_id="DE123456789",
            buyer_name="Kunden AG Mitte",
            po_number="AB-312",
            subtotal="198.00",
            tax_total="37.62",
            total="235.62",
        ),
        lines=(
            line(
                description="Trennblätter A4",
                part_number="4012345001235",  # only a GTIN identifies the product
                quantity="20.0000",
                unit="C62",
                unit_price="9.9000",  # per a basis quantity of 1.0000: as written
                line_total="198.00",
            ),
        ),
    )


def test_an_xrechnung_ubl_invoice_is_read_exactly() -> None:
    assert read_einvoice(XRECHNUNG_UBL_INVOICE) == Extraction(
        engine=Engine.EINVOICE,
        engine_reason="XRechnung 3.0 (UBL Invoice) XML: read exactly",
        pages=0,
        fields=exact(
            invoice_number="XR-2026-1187",
            issue_date="2026-02-10",
            due_date="2026-03-12",
            currency="EUR",
            seller_name="Schrauben Weber GmbH & Co. KG",  # the legal name, not the trading name
            seller_vat_id="DE987654321",
            buyer_name="Stadt Musterhausen, Bauamt",
            po_number="BE-2026-77",
            subtotal="250.00",
            tax_total="47.50",
            total="297.50",
        ),
        lines=(
            line(
                description="Sechskantschraube M8x40, verzinkt",
                part_number="SK-M8-40",
                quantity="600",
                unit="H87",
                unit_price="0.25",  # 3.00 per 12
                line_total="150.00",
            ),
            line(
                description="Montage",
                part_number="LEIST-7",
                quantity="2",
                unit="HUR",
                unit_price="50.00",
                line_total="100.00",
            ),
        ),
    )


def test_a_ubl_credit_note_is_read_as_the_xml_states_it_and_said_to_be_one() -> None:
    assert read_einvoice(PEPPOL_UBL_CREDIT_NOTE) == Extraction(
        engine=Engine.EINVOICE,
        engine_reason="Peppol BIS Billing 3.0 (UBL CreditNote) XML: read exactly",
        pages=0,
        fields=exact(
            invoice_number="CN-5521",
            issue_date="2026-03-20",
            due_date="2026-04-19",  # from the payment means: a credit note has no DueDate of its own
            currency="SEK",
            seller_name="Nordic Supplies AB",
            seller_vat_id="SE556732170701",
            buyer_name="Bygg & Co Aktiebolag",
            po_number="PO-9931",
            subtotal="60.00",
            tax_total="15.00",
            total="75.00",
        ),
        lines=(
            line(
                description="Wall plug 8 mm",
                part_number="7312345678901",
                quantity="24",
                unit="C62",
                unit_price="2.50",
                line_total="60.00",
            ),
        ),
        notes=("a credit note (type code 381): amounts and quantities as the XML states them",),
    )


def test_a_cii_credit_note_is_said_to_be_one_by_its_type_code() -> None:
    credit_note = FACTURX_MINIMUM.replace(b"<ram:TypeCode>380</ram:TypeCode>", b"<ram:TypeCode>381</ram:TypeCode>")

    extraction = read_einvoice(credit_note)

    assert extraction.notes == ("a credit note (type code 381): amounts and quantities as the XML states them",)
    assert extraction.fields == read_einvoice(FACTURX_MINIMUM).fields


def test_a_line_without_a_name_is_described_by_its_description() -> None:
    unnamed = PEPPOL_UBL_CREDIT_NOTE.replace(b"<cbc:Name>Wall plug 8 mm</cbc:Name>", b"")

    assert read_einvoice(unnamed).lines[0].description == ExtractedField(
        value="Wall plug 8 mm, box damaged", confidence=1.0
    )


def test_values_the_schema_does_not_allow_are_left_out_and_said() -> None:
    damaged = (
        FACTURX_EN16931.replace(b"<ram:GrandTotalAmount>646.17<", b"<ram:GrandTotalAmount>646,17<")
        .replace(b'format="102">20260404<', b'format="610">202604<')
        .replace(
            b"<ram:ChargeAmount>80.00</ram:ChargeAmount>",
            b'<ram:ChargeAmount>240.00</ram:ChargeAmount><ram:BasisQuantity unitCode="HUR">7</ram:BasisQuantity>',
        )
    )

    extraction = read_einvoice(damaged)

    assert extraction.field("total") == EMPTY
    assert extraction.field("due_date") == EMPTY
    assert extraction.lines[2].unit_price == ExtractedField(value="34.285714", confidence=1.0)
    assert extraction.notes == (
        "due_date: '202604' is not a date in format 610; left out",
        "total: '646,17' is not a decimal number; left out",
        "lines[2].unit_price: 240.00 per 7 units, rounded to 34.285714",
    )


@pytest.mark.parametrize(
    ("price", "basis", "expected"),
    [
        ("9.90", None, ("9.90", False)),
        ("9.9000", "1.0000", ("9.9000", False)),
        ("25.00", "10", ("2.50", False)),
        ("45.00", "1000", ("0.045", False)),
        ("100", "0.5", ("200", False)),
        ("10.00", "3", ("3.333333", True)),
    ],
)
def test_a_price_for_a_basis_quantity_is_the_price_of_one_unit(
    price: str, basis: str | None, expected: tuple[str, bool]
) -> None:
    assert price_per_unit(price, basis) == expected


def test_a_price_for_a_basis_of_zero_is_refused() -> None:
    with pytest.raises(ValueError, match="basis quantity of 0"):
        price_per_unit("10.00", "0")


@pytest.mark.parametrize(
    ("identifier", "name"),
    [
        ("urn:cen.eu:en16931:2017#compliant#urn:xoev-de:kosit:standard:xrechnung_2.3", "XRechnung 2.3"),
        (
            "urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0"
            "#conformant#urn:xeinkauf.de:kosit:extension:xrechnung_3.0",
            "XRechnung 3.0 extension",
        ),
        ("urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic", "Factur-X BASIC"),
        ("urn:cen.eu:en16931:2017#conformant#urn:factur-x.eu:1p0:extended", "Factur-X EXTENDED"),
        ("urn:zugferd.de:2p0:basicwl", "ZUGFeRD 2.0 BASIC WL"),
        ("urn:cen.eu:en16931:2017", "bare"),
        ("urn:example:own-profile", "profile urn:example:own-profile"),
        (None, "no profile named"),
    ],
)
def test_a_profile_is_named_by_its_identifier(identifier: str | None, name: str) -> None:
    assert profile_name(identifier, bare_en16931="bare") == name
