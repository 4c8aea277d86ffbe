"""A demo invoice as a standalone UBL 2.1 e-invoice (EN 16931 customisation), as a vendor uploads one."""

from decimal import Decimal

from lxml import etree

from demo.documents.cii import EN16931, unit_code
from demo.documents.model import DemoInvoice, Party, plain

INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"


def _cac(parent: etree._Element, tag: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{CAC}}}{tag}")


def _cbc(parent: etree._Element, tag: str, value: str, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{CBC}}}{tag}", attributes)
    element.text = value
    return element


def ubl_xml(invoice: DemoInvoice) -> bytes:
    """The invoice in UBL 2.1; valid against the UBL 2.1 Invoice XSD."""
    if invoice.charges:
        raise ValueError("an e-invoice of the demo carries no charges: their VAT category is not modelled")
    root = etree.Element(f"{{{INVOICE}}}Invoice", nsmap={None: INVOICE, "cac": CAC, "cbc": CBC})
    _cbc(root, "CustomizationID", EN16931)
    _cbc(root, "ID", invoice.number)
    _cbc(root, "IssueDate", invoice.issue_date.isoformat())
    if invoice.due_date:
        _cbc(root, "DueDate", invoice.due_date.isoformat())
    _cbc(root, "InvoiceTypeCode", "380")
    _cbc(root, "DocumentCurrencyCode", invoice.currency)
    if invoice.po_number:
        _cbc(_cac(root, "OrderReference"), "ID", invoice.po_number)
    _party(_cac(root, "AccountingSupplierParty"), invoice.seller)
    _party(_cac(root, "AccountingCustomerParty"), invoice.buyer)
    if invoice.iban:
        means = _cac(root, "PaymentMeans")
        _cbc(means, "PaymentMeansCode", "58")
        _cbc(_cac(means, "PayeeFinancialAccount"), "ID", invoice.iban)
    money = {"currencyID": invoice.currency}
    tax_total = _cac(root, "TaxTotal")
    _cbc(tax_total, "TaxAmount", plain(invoice.tax_total), **money)
    for rate, base, tax in invoice.tax_breakdown():
        subtotal = _cac(tax_total, "TaxSubtotal")
        _cbc(subtotal, "TaxableAmount", plain(base), **money)
        _cbc(subtotal, "TaxAmount", plain(tax), **money)
        _tax_category(_cac(subtotal, "TaxCategory"), rate)
    totals = _cac(root, "LegalMonetaryTotal")
    _cbc(totals, "LineExtensionAmount", plain(invoice.subtotal), **money)
    _cbc(totals, "TaxExclusiveAmount", plain(invoice.subtotal), **money)
    _cbc(totals, "TaxInclusiveAmount", plain(invoice.total), **money)
    _cbc(totals, "PayableAmount", plain(invoice.total), **money)
    for number, line in enumerate(invoice.lines, start=1):
        element = _cac(root, "InvoiceLine")
        _cbc(element, "ID", str(number))
        _cbc(element, "InvoicedQuantity", plain(line.quantity), unitCode=unit_code(line.unit))
        _cbc(element, "LineExtensionAmount", plain(line.line_total), **money)
        item = _cac(element, "Item")
        _cbc(item, "Name", line.description)
        if line.part_number:
            _cbc(_cac(item, "SellersItemIdentification"), "ID", line.part_number)
        _tax_category(_cac(item, "ClassifiedTaxCategory"), line.tax_rate)
        _cbc(_cac(element, "Price"), "PriceAmount", plain(line.unit_price), **money)
    xml: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return xml


def _tax_category(element: etree._Element, rate: Decimal) -> None:
    _cbc(element, "ID", "S" if rate > 0 else "Z")
    _cbc(element, "Percent", plain(rate))
    _cbc(_cac(element, "TaxScheme"), "ID", "VAT")


def _party(element: etree._Element, party: Party) -> None:
    inner = _cac(element, "Party")
    _cbc(_cac(inner, "PartyName"), "Name", party.name)
    address = _cac(inner, "PostalAddress")
    _cbc(address, "StreetName", party.address[0])
    if len(party.address) > 1:
        _cbc(address, "CityName", party.address[1])
    _cbc(_cac(address, "Country"), "IdentificationCode", party.country)
    if party.vat_id:
        scheme = _cac(inner, "PartyTaxScheme")
        _cbc(scheme, "CompanyID", party.vat_id)
        _cbc(_cac(scheme, "TaxScheme"), "ID", "VAT")
    _cbc(_cac(inner, "PartyLegalEntity"), "RegistrationName", party.name)
