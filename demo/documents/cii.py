"""The EN 16931 (Factur-X profile EN 16931) CII XML of a demo invoice, and the Factur-X PDF that embeds it."""

from decimal import Decimal

import facturx
from lxml import etree

from demo.documents.model import DemoInvoice, Party, plain

RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
QDT = "urn:un:unece:uncefact:data:standard:QualifiedDataType:100"
EN16931 = "urn:cen.eu:en16931:2017"

# UN/ECE Recommendation 20 codes for the units the demo prints.
UNIT_CODES = {
    "pcs": "C62", "ea": "C62", "EA": "C62", "Stk": "C62", "pièce": "C62", "st": "C62",
    "h": "HUR", "Std": "HUR", "uur": "HUR",
    "kg": "KGM", "KG": "KGM", "m": "MTR", "M": "MTR",
    "box": "XBX", "BOX": "XBX",
}  # fmt: skip


def unit_code(unit: str) -> str:
    return UNIT_CODES.get(unit, "C62")


def _sub(
    parent: etree._Element, namespace: str, tag: str, value: str | None = None, **attributes: str
) -> etree._Element:
    element = etree.SubElement(parent, f"{{{namespace}}}{tag}", attributes)
    if value is not None:
        element.text = value
    return element


def _ram(parent: etree._Element, tag: str, value: str | None = None, **attributes: str) -> etree._Element:
    return _sub(parent, RAM, tag, value, **attributes)


def _date(parent: etree._Element, tag: str, value: str) -> None:
    _sub(_ram(parent, tag), UDT, "DateTimeString", value, format="102")


def _vat_category(rate: Decimal) -> str:
    return "S" if rate > 0 else "Z"


def cii_xml(invoice: DemoInvoice) -> bytes:
    """The invoice as a CrossIndustryInvoice at the EN 16931 profile; one without charges (none are taxed here)."""
    if invoice.charges:
        raise ValueError("an e-invoice of the demo carries no charges: their VAT category is not modelled")
    root = etree.Element(f"{{{RSM}}}CrossIndustryInvoice", nsmap={"rsm": RSM, "ram": RAM, "udt": UDT, "qdt": QDT})
    context = _sub(root, RSM, "ExchangedDocumentContext")
    _ram(_ram(context, "GuidelineSpecifiedDocumentContextParameter"), "ID", EN16931)
    document = _sub(root, RSM, "ExchangedDocument")
    _ram(document, "ID", invoice.number)
    _ram(document, "TypeCode", "380")
    _date(document, "IssueDateTime", f"{invoice.issue_date:%Y%m%d}")
    transaction = _sub(root, RSM, "SupplyChainTradeTransaction")
    for number, line in enumerate(invoice.lines, start=1):
        item = _ram(transaction, "IncludedSupplyChainTradeLineItem")
        _ram(_ram(item, "AssociatedDocumentLineDocument"), "LineID", str(number))
        product = _ram(item, "SpecifiedTradeProduct")
        if line.part_number:
            _ram(product, "SellerAssignedID", line.part_number)
        _ram(product, "Name", line.description)
        price = _ram(_ram(item, "SpecifiedLineTradeAgreement"), "NetPriceProductTradePrice")
        _ram(price, "ChargeAmount", plain(line.unit_price))
        delivery = _ram(item, "SpecifiedLineTradeDelivery")
        _ram(delivery, "BilledQuantity", plain(line.quantity), unitCode=unit_code(line.unit))
        settlement = _ram(item, "SpecifiedLineTradeSettlement")
        tax = _ram(settlement, "ApplicableTradeTax")
        _ram(tax, "TypeCode", "VAT")
        _ram(tax, "CategoryCode", _vat_category(line.tax_rate))
        _ram(tax, "RateApplicablePercent", plain(line.tax_rate))
        summation = _ram(settlement, "SpecifiedTradeSettlementLineMonetarySummation")
        _ram(summation, "LineTotalAmount", plain(line.line_total))
    agreement = _ram(transaction, "ApplicableHeaderTradeAgreement")
    _party(_ram(agreement, "SellerTradeParty"), invoice.seller)
    _party(_ram(agreement, "BuyerTradeParty"), invoice.buyer)
    if invoice.po_number:
        _ram(_ram(agreement, "BuyerOrderReferencedDocument"), "IssuerAssignedID", invoice.po_number)
    _ram(transaction, "ApplicableHeaderTradeDelivery")
    _settlement(_ram(transaction, "ApplicableHeaderTradeSettlement"), invoice)
    xml: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return xml


def _party(element: etree._Element, party: Party) -> None:
    _ram(element, "Name", party.name)
    address = _ram(element, "PostalTradeAddress")
    _ram(address, "LineOne", party.address[0])
    if len(party.address) > 1:
        _ram(address, "CityName", party.address[1])
    _ram(address, "CountryID", party.country)
    if party.vat_id:
        _ram(_ram(element, "SpecifiedTaxRegistration"), "ID", party.vat_id, schemeID="VA")


def _settlement(settlement: etree._Element, invoice: DemoInvoice) -> None:
    _ram(settlement, "InvoiceCurrencyCode", invoice.currency)
    if invoice.iban:
        means = _ram(settlement, "SpecifiedTradeSettlementPaymentMeans")
        _ram(means, "TypeCode", "58")  # SEPA credit transfer
        _ram(_ram(means, "PayeePartyCreditorFinancialAccount"), "IBANID", invoice.iban)
    for rate, base, tax in invoice.tax_breakdown():
        trade_tax = _ram(settlement, "ApplicableTradeTax")
        _ram(trade_tax, "CalculatedAmount", plain(tax))
        _ram(trade_tax, "TypeCode", "VAT")
        _ram(trade_tax, "BasisAmount", plain(base))
        _ram(trade_tax, "CategoryCode", _vat_category(rate))
        _ram(trade_tax, "RateApplicablePercent", plain(rate))
    if invoice.due_date:
        _date(_ram(settlement, "SpecifiedTradePaymentTerms"), "DueDateDateTime", f"{invoice.due_date:%Y%m%d}")
    summation = _ram(settlement, "SpecifiedTradeSettlementHeaderMonetarySummation")
    _ram(summation, "LineTotalAmount", plain(invoice.subtotal))
    _ram(summation, "TaxBasisTotalAmount", plain(invoice.subtotal))
    _ram(summation, "TaxTotalAmount", plain(invoice.tax_total), currencyID=invoice.currency)
    _ram(summation, "GrandTotalAmount", plain(invoice.total))
    _ram(summation, "DuePayableAmount", plain(invoice.total))


def facturx_pdf(pdf: bytes, invoice: DemoInvoice, language: str) -> bytes:
    """`pdf` with the invoice's CII XML embedded as factur-x.xml, checked against the Factur-X XSD."""
    metadata = {
        "author": invoice.seller.name,
        "keywords": "Factur-X, Invoice",
        "title": f"{invoice.seller.name}: Invoice {invoice.number}",
        "subject": f"Factur-X invoice {invoice.number} dated {invoice.issue_date.isoformat()}",
    }
    result: bytes = facturx.generate_from_binary(
        pdf, cii_xml(invoice), flavor="factur-x", level="en16931", check_xsd=True, pdf_metadata=metadata, lang=language
    )
    return result
