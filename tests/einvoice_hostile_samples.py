"""XML the e-invoice engine must refuse, and PDFs that carry e-invoice XML or none.

Billion laughs, external entities and DTDs, XML of another kind; PDFs made with fpdf2, with
attachments embedded by pypdf as producers do.
"""

import io

from fpdf import FPDF
from pypdf import PdfWriter

from tests.einvoice_ubl_samples import UBL_COMMON_NAMESPACES

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100">
  <rsm:ExchangedDocument>&lol9;</rsm:ExchangedDocument>
</rsm:CrossIndustryInvoice>
"""


def external_entity_invoice(target: str) -> bytes:
    """A UBL invoice whose number is an external entity pointing at `target` (a local file)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE Invoice [<!ENTITY secret SYSTEM "{target}">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" {UBL_COMMON_NAMESPACES}>
  <cbc:ID>&secret;</cbc:ID>
  <cbc:IssueDate>2026-01-01</cbc:IssueDate>
</Invoice>
""".encode()


def external_dtd_invoice(target: str) -> bytes:
    """A UBL invoice that names an external DTD at `target`, for a parser that loads DTDs to fetch."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE Invoice SYSTEM "{target}">
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" {UBL_COMMON_NAMESPACES}>
  <cbc:ID>X-1</cbc:ID>
</Invoice>
""".encode()


RSS_FEED = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
  <channel><title>Vendor news</title><link>https://example.com/</link><description>News</description></channel>
</rss>
"""


def plain_pdf(text: str = "Invoice RE-2026-0471") -> bytes:
    """A one-page PDF with a text layer and no attachment."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())


def pdf_with_attachments(files: dict[str, bytes]) -> bytes:
    """A plain PDF with `files` embedded as attachments under their names (as some producers do it)."""
    writer = PdfWriter(clone_from=io.BytesIO(plain_pdf()))
    for name, content in files.items():
        writer.add_attachment(name, content)
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()
