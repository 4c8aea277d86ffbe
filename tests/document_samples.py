"""Documents for the API's tests: UBL 2.1 e-invoices billing the test ERP's POs (read exactly, so the
tests are about the service, not the parser), and files that must be refused."""

from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

from pypdf import PdfWriter

UBL_NS = (
    'xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" '
    'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
    'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"'
)


def ubl_invoice(
    invoice_number: str,
    *,
    issue_date: date,
    po_number: str | None = "PO-1",
    currency: str = "USD",
    lines: tuple[tuple[str, str, str], ...] = (("HX-001", "2", "10.00"),),
    seller: str = "Acme Fasteners",
    tax_rate: Decimal = Decimal("0"),
    charges: tuple[tuple[bool, str, str], ...] = (),
) -> bytes:
    """A UBL invoice: `lines` are (part number, quantity, unit price), `charges` (charge or allowance,
    amount, reason) at document level; amounts add up."""
    line_xml = []
    subtotal = Decimal("0")
    for number, (part, quantity, price) in enumerate(lines, start=1):
        amount = (Decimal(quantity) * Decimal(price)).quantize(Decimal("0.01"))
        subtotal += amount
        line_xml.append(
            f"""<cac:InvoiceLine><cbc:ID>{number}</cbc:ID>
<cbc:InvoicedQuantity unitCode="H87">{quantity}</cbc:InvoicedQuantity>
<cbc:LineExtensionAmount currencyID="{currency}">{amount}</cbc:LineExtensionAmount>
<cac:Item><cbc:Name>Part {part}</cbc:Name><cac:SellersItemIdentification><cbc:ID>{part}</cbc:ID>
</cac:SellersItemIdentification></cac:Item>
<cac:Price><cbc:PriceAmount currencyID="{currency}">{price}</cbc:PriceAmount></cac:Price></cac:InvoiceLine>"""
        )
    lines_total = subtotal
    charge_xml = []
    for is_charge, charge_amount, reason in charges:
        subtotal += Decimal(charge_amount) if is_charge else -Decimal(charge_amount)
        charge_xml.append(
            f"""<cac:AllowanceCharge><cbc:ChargeIndicator>{str(is_charge).lower()}</cbc:ChargeIndicator>
<cbc:AllowanceChargeReason>{reason}</cbc:AllowanceChargeReason>
<cbc:Amount currencyID="{currency}">{charge_amount}</cbc:Amount></cac:AllowanceCharge>"""
        )
    tax = (subtotal * tax_rate / 100).quantize(Decimal("0.01"))
    order = f"<cac:OrderReference><cbc:ID>{po_number}</cbc:ID></cac:OrderReference>" if po_number else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Invoice {UBL_NS}>
<cbc:CustomizationID>urn:cen.eu:en16931:2017</cbc:CustomizationID>
<cbc:ID>{invoice_number}</cbc:ID>
<cbc:IssueDate>{issue_date.isoformat()}</cbc:IssueDate>
<cbc:DueDate>{(issue_date + timedelta(days=30)).isoformat()}</cbc:DueDate>
<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
<cbc:DocumentCurrencyCode>{currency}</cbc:DocumentCurrencyCode>
{order}
<cac:AccountingSupplierParty><cac:Party><cac:PartyName><cbc:Name>{seller}</cbc:Name></cac:PartyName>
<cac:PartyTaxScheme><cbc:CompanyID>US123456789</cbc:CompanyID><cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
</cac:PartyTaxScheme></cac:Party></cac:AccountingSupplierParty>
<cac:AccountingCustomerParty><cac:Party><cac:PartyName><cbc:Name>Invoice Automation Test Buyer</cbc:Name>
</cac:PartyName></cac:Party></cac:AccountingCustomerParty>
{"".join(charge_xml)}
<cac:TaxTotal><cbc:TaxAmount currencyID="{currency}">{tax}</cbc:TaxAmount></cac:TaxTotal>
<cac:LegalMonetaryTotal>
<cbc:LineExtensionAmount currencyID="{currency}">{lines_total}</cbc:LineExtensionAmount>
<cbc:TaxExclusiveAmount currencyID="{currency}">{subtotal}</cbc:TaxExclusiveAmount>
<cbc:TaxInclusiveAmount currencyID="{currency}">{subtotal + tax}</cbc:TaxInclusiveAmount>
<cbc:PayableAmount currencyID="{currency}">{subtotal + tax}</cbc:PayableAmount>
</cac:LegalMonetaryTotal>
{"".join(line_xml)}
</Invoice>""".encode()


def external_entity_xml(target: str = "file:///etc/passwd") -> bytes:
    return f"""<?xml version="1.0"?>
<!DOCTYPE Invoice [<!ENTITY secret SYSTEM "{target}">]>
<Invoice {UBL_NS}><cbc:ID>&secret;</cbc:ID></Invoice>""".encode()


def encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt(user_password="secret", owner_password="owner")
    buffer = BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
