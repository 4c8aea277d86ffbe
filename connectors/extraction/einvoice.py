"""The e-invoice engine: an invoice read exactly from its structured XML, every value certain.

Handles the EN 16931 syntaxes a European vendor sends: UN/CEFACT CII (Factur-X, ZUGFeRD 2,
XRechnung CII, and the older ZUGFeRD 1) and OASIS UBL 2.1 Invoice and CreditNote (XRechnung UBL,
Peppol BIS). The XML comes on its own or attached to a PDF (Factur-X / ZUGFeRD hybrid invoices).
Untrusted XML is parsed with entities and DTDs refused (see safe_xml).
"""

from io import BytesIO

from lxml import etree
from pypdf import PdfReader

from connectors.extraction.einvoice_cii import CII_ROOTS, read_cii
from connectors.extraction.einvoice_ubl import UBL_ROOTS, read_ubl
from connectors.extraction.pdf_errors import UnreadablePdfError
from connectors.extraction.safe_xml import MalformedXmlError, UnsafeXmlError, parse_untrusted_xml
from domain.documents import Extraction

__all__ = [
    "NotAnEInvoiceError",
    "UnreadablePdfError",
    "UnsafeXmlError",
    "embedded_einvoice_xml",
    "read_einvoice",
]

# The names the hybrid standards give their XML, most specific first: Factur-X and ZUGFeRD 2
# (`factur-x.xml`, `zugferd-invoice.xml`), ZUGFeRD 1 (`ZUGFeRD-invoice.xml`), XRechnung in a PDF.
EINVOICE_FILE_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")


class NotAnEInvoiceError(ValueError):
    """The bytes are not well-formed XML, or XML that is neither a CII nor a UBL invoice."""


def read_einvoice(xml: bytes) -> Extraction:
    """The invoice a CII or UBL XML states, every value exact (confidence 1.0, no box, pages 0).

    Raises UnsafeXmlError for XML declaring entities or an external DTD, NotAnEInvoiceError for
    malformed XML or XML of another kind.
    """
    try:
        root = parse_untrusted_xml(xml)
    except MalformedXmlError as error:
        raise NotAnEInvoiceError(str(error)) from error
    dialect = CII_ROOTS.get(root.tag)
    if dialect is not None:
        return read_cii(root, dialect)
    kind = UBL_ROOTS.get(root.tag)
    if kind is not None:
        return read_ubl(root, kind)
    name = etree.QName(root)
    within = f" in namespace {name.namespace}" if name.namespace else " without a namespace"
    raise NotAnEInvoiceError(
        f"the XML is a <{name.localname}>{within}, not a CII CrossIndustryInvoice or a UBL Invoice or CreditNote"
    )


def embedded_einvoice_xml(pdf: bytes) -> tuple[str, bytes] | None:
    """The e-invoice XML attached to a PDF and its file name, or None when the PDF carries none.

    A file with one of the standard names is taken as it is (read_einvoice then judges it, refusing
    an unsafe one); failing that, any attached `.xml` whose root is a CII or UBL invoice, since some
    producers name the file otherwise. Raises UnreadablePdfError for a PDF that cannot be read.
    """
    attachments = _attachments(pdf)
    for standard_name in EINVOICE_FILE_NAMES:
        for name, content in attachments:
            if name.lower() == standard_name:
                return name, content
    for name, content in attachments:
        if name.lower().endswith(".xml") and _is_einvoice(content):
            return name, content
    return None


def _attachments(pdf: bytes) -> list[tuple[str, bytes]]:
    """The embedded files of a PDF (its EmbeddedFiles name tree, where PDF/A-3 puts the XML), by name."""
    try:
        reader = PdfReader(BytesIO(pdf))
        if reader.is_encrypted:
            # An owner password alone (printing or copying restricted) still opens with the empty user password.
            reader.decrypt("")
        return [(attachment.name, attachment.content) for attachment in reader.attachment_list]
    except Exception as error:
        # pypdf reports a damaged file through its own errors and through whatever the broken structure
        # trips on (KeyError, TypeError, zlib.error...): all of them mean the same thing here.
        raise UnreadablePdfError(f"the PDF cannot be read: {type(error).__name__}: {error}") from error


def _is_einvoice(content: bytes) -> bool:
    try:
        tag = parse_untrusted_xml(content).tag
    except (MalformedXmlError, UnsafeXmlError):
        return False
    return tag in CII_ROOTS or tag in UBL_ROOTS
