"""OASIS UBL 2.1 Invoice and CreditNote: XRechnung UBL, Peppol BIS Billing 3, plain EN 16931 UBL."""

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

_NAMESPACES = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
INVOICE = "Invoice"
CREDIT_NOTE = "CreditNote"
UBL_ROOTS = {
    "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice": INVOICE,
    "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote": CREDIT_NOTE,
}
# What each document calls its lines, their quantity and its type code.
_LINE = {INVOICE: "cac:InvoiceLine", CREDIT_NOTE: "cac:CreditNoteLine"}
_QUANTITY = {INVOICE: "cbc:InvoicedQuantity", CREDIT_NOTE: "cbc:CreditedQuantity"}
_TYPE_CODE = {INVOICE: "cbc:InvoiceTypeCode", CREDIT_NOTE: "cbc:CreditNoteTypeCode"}
# The due date: an Invoice's own (BT-9), else the one a payment means or term states.
_DUE_DATES = ("cbc:DueDate", "cac:PaymentMeans/cbc:PaymentDueDate", "cac:PaymentTerms/cbc:PaymentDueDate")


def read_ubl(root: etree._Element, kind: str) -> Extraction:
    """Every header term and line of a UBL Invoice or CreditNote (`kind`), exactly as the XML states them."""
    notes: list[str] = []
    fields = FieldReader(notes)
    seller = root.find("cac:AccountingSupplierParty/cac:Party", _NAMESPACES)
    buyer = root.find("cac:AccountingCustomerParty/cac:Party", _NAMESPACES)
    totals = root.find("cac:LegalMonetaryTotal", _NAMESPACES)
    currency = clean_text(_text(root, "cbc:DocumentCurrencyCode"))

    fields.text("invoice_number", _text(root, "cbc:ID"))
    fields.date("issue_date", _text(root, "cbc:IssueDate"))
    fields.date("due_date", next(filter(None, (_text(root, path) for path in _DUE_DATES)), None))
    fields.text("currency", currency)
    fields.text("seller_name", _party_name(seller))
    fields.text("seller_vat_id", _vat_id(seller))
    fields.text("buyer_name", _party_name(buyer))
    fields.text("po_number", _text(root, "cac:OrderReference/cbc:ID"))
    fields.amount("subtotal", _text(totals, "cbc:TaxExclusiveAmount"))
    fields.amount("tax_total", in_currency(root.findall("cac:TaxTotal/cbc:TaxAmount", _NAMESPACES), currency))
    fields.amount("total", _text(totals, "cbc:TaxInclusiveAmount"))
    fields.amount_due(_text(totals, "cbc:PayableAmount"))

    lines = tuple(
        _read_line(line, kind, FieldReader(notes, f"lines[{index}]."))
        for index, line in enumerate(root.findall(_LINE[kind], _NAMESPACES))
    )
    charges = document_charges(
        [
            (
                _text(charge, "cbc:ChargeIndicator"),
                _text(charge, "cbc:Amount"),
                _text(charge, "cbc:AllowanceChargeReason"),
            )
            for charge in root.findall("cac:AllowanceCharge", _NAMESPACES)
        ],
        notes,
    )
    profile = profile_name(clean_text(_text(root, "cbc:CustomizationID")), bare_en16931="EN 16931")
    notes[:0] = credit_note_notes(_text(root, _TYPE_CODE[kind]), credit_note=kind == CREDIT_NOTE)
    return Extraction(
        engine=Engine.EINVOICE,
        engine_reason=f"{profile} (UBL {kind}) XML: read exactly",
        pages=0,
        fields=fields.found,
        lines=lines,
        charges=charges,
        notes=tuple(notes),
    )


def _read_line(line: etree._Element, kind: str, fields: FieldReader) -> ExtractedLine:
    item = line.find("cac:Item", _NAMESPACES)
    price = line.find("cac:Price", _NAMESPACES)
    quantity = line.find(_QUANTITY[kind], _NAMESPACES)

    fields.text("description", _text(item, "cbc:Name") or _text(item, "cbc:Description"))
    fields.text(
        "part_number",
        _text(item, "cac:SellersItemIdentification/cbc:ID")
        or _text(item, "cac:BuyersItemIdentification/cbc:ID")
        or _text(item, "cac:StandardItemIdentification/cbc:ID"),
    )
    if quantity is not None:
        fields.amount("quantity", quantity.text)
        fields.text("unit", quantity.get("unitCode"))
    fields.price("unit_price", _text(price, "cbc:PriceAmount"), _text(price, "cbc:BaseQuantity"))
    fields.amount("line_total", _text(line, "cbc:LineExtensionAmount"))
    return ExtractedLine(**fields.found)


def _text(element: etree._Element | None, path: str) -> str | None:
    found = None if element is None else element.find(path, _NAMESPACES)
    return None if found is None else clean_text(found.text)


def _party_name(party: etree._Element | None) -> str | None:
    """The legal name (BT-27/BT-44), else the trading name a party is known by."""
    return _text(party, "cac:PartyLegalEntity/cbc:RegistrationName") or _text(party, "cac:PartyName/cbc:Name")


def _vat_id(party: etree._Element | None) -> str | None:
    """The VAT identifier (BT-31): the tax scheme registration whose scheme is VAT, not another tax number."""
    if party is None:
        return None
    for scheme in party.findall("cac:PartyTaxScheme", _NAMESPACES):
        if _text(scheme, "cac:TaxScheme/cbc:ID") == "VAT":
            return _text(scheme, "cbc:CompanyID")
    return None
