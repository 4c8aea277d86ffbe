"""UN/CEFACT Cross Industry Invoice (CII): Factur-X, ZUGFeRD 2, XRechnung CII, and ZUGFeRD 1.

ZUGFeRD 1 is the older CrossIndustryDocument: the same business terms under other element names
and namespaces, so both are read by one reader through a table of the names that differ.
Profiles MINIMUM and BASIC WL carry no lines and fewer header terms: what is absent stays absent.
"""

from dataclasses import dataclass

from lxml import etree

from connectors.extraction.einvoice_profiles import profile_name
from connectors.extraction.einvoice_values import (
    FieldReader,
    clean_text,
    credit_note_notes,
    document_charges,
    in_currency,
)
from domain.documents import Engine, ExtractedLine, Extraction

_RAM_100 = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
_UDT_100 = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"


@dataclass(frozen=True)
class _Dialect:
    """Where one CII generation keeps the terms this reader wants (paths in ElementPath with `rsm:`/`ram:`/`udt:`)."""

    name: str
    namespaces: dict[str, str]
    guideline: str
    document: str
    transaction: str
    agreement: str
    settlement: str
    header_summation: str
    order_reference: str
    line_agreement: str
    line_delivery: str
    line_settlement: str
    line_summation: str


CII_D16B = _Dialect(
    name="CII",
    namespaces={
        "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
        "ram": _RAM_100,
        "udt": _UDT_100,
    },
    guideline="rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID",
    document="rsm:ExchangedDocument",
    transaction="rsm:SupplyChainTradeTransaction",
    agreement="ram:ApplicableHeaderTradeAgreement",
    settlement="ram:ApplicableHeaderTradeSettlement",
    header_summation="ram:SpecifiedTradeSettlementHeaderMonetarySummation",
    order_reference="ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID",
    line_agreement="ram:SpecifiedLineTradeAgreement",
    line_delivery="ram:SpecifiedLineTradeDelivery",
    line_settlement="ram:SpecifiedLineTradeSettlement",
    line_summation="ram:SpecifiedTradeSettlementLineMonetarySummation",
)

ZUGFERD_1 = _Dialect(
    name="CII CrossIndustryDocument",
    namespaces={
        "rsm": "urn:ferd:CrossIndustryDocument:invoice:1p0",
        "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12",
        "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15",
    },
    guideline="rsm:SpecifiedExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID",
    document="rsm:HeaderExchangedDocument",
    transaction="rsm:SpecifiedSupplyChainTradeTransaction",
    agreement="ram:ApplicableSupplyChainTradeAgreement",
    settlement="ram:ApplicableSupplyChainTradeSettlement",
    header_summation="ram:SpecifiedTradeSettlementMonetarySummation",
    order_reference="ram:BuyerOrderReferencedDocument/ram:ID",
    line_agreement="ram:SpecifiedSupplyChainTradeAgreement",
    line_delivery="ram:SpecifiedSupplyChainTradeDelivery",
    line_settlement="ram:SpecifiedSupplyChainTradeSettlement",
    line_summation="ram:SpecifiedTradeSettlementMonetarySummation",
)

CII_ROOTS = {
    f"{{{CII_D16B.namespaces['rsm']}}}CrossIndustryInvoice": CII_D16B,
    f"{{{ZUGFERD_1.namespaces['rsm']}}}CrossIndustryDocument": ZUGFERD_1,
}


class _Reader:
    """Finds paths under one element in a dialect's namespaces; a missing element reads as nothing."""

    def __init__(self, dialect: _Dialect) -> None:
        self.dialect = dialect

    def find(self, element: etree._Element | None, path: str) -> etree._Element | None:
        return None if element is None else element.find(path, self.dialect.namespaces)

    def findall(self, element: etree._Element | None, path: str) -> list[etree._Element]:
        return [] if element is None else element.findall(path, self.dialect.namespaces)

    def text(self, element: etree._Element | None, path: str) -> str | None:
        found = self.find(element, path)
        return None if found is None else clean_text(found.text)

    def date(self, fields: FieldReader, name: str, element: etree._Element | None, path: str) -> None:
        stamp = self.find(element, f"{path}/udt:DateTimeString")
        if stamp is not None:
            fields.date(name, stamp.text, stamp.get("format", "102"))


def read_cii(root: etree._Element, dialect: _Dialect) -> Extraction:
    """Every header term and line of a CII invoice, exactly as the XML states them."""
    reader = _Reader(dialect)
    notes: list[str] = []
    fields = FieldReader(notes)
    document = reader.find(root, dialect.document)
    transaction = reader.find(root, dialect.transaction)
    agreement = reader.find(transaction, dialect.agreement)
    settlement = reader.find(transaction, dialect.settlement)
    summation = reader.find(settlement, dialect.header_summation)
    currency = reader.text(settlement, "ram:InvoiceCurrencyCode")

    fields.text("invoice_number", reader.text(document, "ram:ID"))
    reader.date(fields, "issue_date", document, "ram:IssueDateTime")
    reader.date(fields, "due_date", settlement, "ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime")
    fields.text("currency", currency)
    fields.text("seller_name", reader.text(agreement, "ram:SellerTradeParty/ram:Name"))
    fields.text(
        "seller_vat_id",
        reader.text(agreement, "ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID[@schemeID='VA']"),
    )
    fields.text("buyer_name", reader.text(agreement, "ram:BuyerTradeParty/ram:Name"))
    fields.text("po_number", reader.text(agreement, dialect.order_reference))
    fields.amount("subtotal", reader.text(summation, "ram:TaxBasisTotalAmount"))
    fields.amount("tax_total", in_currency(reader.findall(summation, "ram:TaxTotalAmount"), currency))
    fields.amount("total", reader.text(summation, "ram:GrandTotalAmount"))
    fields.amount_due(reader.text(summation, "ram:DuePayableAmount"))

    lines = tuple(
        _read_line(reader, item, FieldReader(notes, f"lines[{index}]."))
        for index, item in enumerate(reader.findall(transaction, "ram:IncludedSupplyChainTradeLineItem"))
    )
    charges = document_charges(
        [
            (
                reader.text(charge, "ram:ChargeIndicator/udt:Indicator"),
                reader.text(charge, "ram:ActualAmount"),
                reader.text(charge, "ram:Reason"),
            )
            for charge in reader.findall(settlement, "ram:SpecifiedTradeAllowanceCharge")
        ],
        notes,
    )
    profile = profile_name(reader.text(root, dialect.guideline), bare_en16931="Factur-X EN 16931")
    notes[:0] = credit_note_notes(reader.text(document, "ram:TypeCode"), credit_note=False)
    return Extraction(
        engine=Engine.EINVOICE,
        engine_reason=f"{profile} ({dialect.name}) XML: read exactly",
        pages=0,
        fields=fields.found,
        lines=lines,
        charges=charges,
        notes=tuple(notes),
    )


def _read_line(reader: _Reader, item: etree._Element, fields: FieldReader) -> ExtractedLine:
    dialect = reader.dialect
    product = reader.find(item, "ram:SpecifiedTradeProduct")
    net_price = reader.find(item, f"{dialect.line_agreement}/ram:NetPriceProductTradePrice")
    quantity = reader.find(item, f"{dialect.line_delivery}/ram:BilledQuantity")

    fields.text("description", reader.text(product, "ram:Name") or reader.text(product, "ram:Description"))
    fields.text(
        "part_number",
        reader.text(product, "ram:SellerAssignedID")
        or reader.text(product, "ram:BuyerAssignedID")
        or reader.text(product, "ram:GlobalID"),
    )
    if quantity is not None:
        fields.amount("quantity", quantity.text)
        fields.text("unit", quantity.get("unitCode"))
    fields.amount(
        "line_total", reader.text(item, f"{dialect.line_settlement}/{dialect.line_summation}/ram:LineTotalAmount")
    )
    fields.price("unit_price", reader.text(net_price, "ram:ChargeAmount"), reader.text(net_price, "ram:BasisQuantity"))
    return ExtractedLine(**fields.found)
