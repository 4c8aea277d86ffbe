"""Parsing XML from outside without letting it reach anything: no entities, no DTDs, no network.

An uploaded e-invoice is untrusted. A DOCTYPE that declares entities can expand to gigabytes
(billion laughs) or pull in a local file (`file:///etc/passwd`); an external DTD can make the
parser fetch a URL. None of that has a place in an invoice, so such documents are refused
before anything is expanded, and the parser itself is configured to never expand or load.
"""

from lxml import etree


class UnsafeXmlError(ValueError):
    """The XML declares entities or an external DTD: refused, nothing of it resolved."""


class MalformedXmlError(ValueError):
    """The bytes are not well-formed XML."""


# `<!ENTITY` as it appears in the encodings an XML parser detects without a declaration; the
# parsed DOCTYPE is checked as well, so this only spares parsing a document that is refused anyway.
_ENTITY_DECLARATIONS = tuple("<!ENTITY".encode(encoding) for encoding in ("utf-8", "utf-16-le", "utf-16-be"))


def _parser() -> etree.XMLParser:
    # A new parser per call: lxml parsers keep state and are not safe to share between threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_untrusted_xml(data: bytes) -> etree._Element:
    """The root element of `data`, parsed with entities and DTDs refused.

    Raises UnsafeXmlError for entity declarations or an external DTD, MalformedXmlError for anything
    that is not well-formed XML.
    """
    if any(marker in data for marker in _ENTITY_DECLARATIONS):
        raise UnsafeXmlError("the XML declares entities (<!ENTITY ...>): refused, nothing expanded")
    try:
        # Blank lines before the XML declaration are a common producer slip, not a different document.
        root = etree.fromstring(data.lstrip(b" \t\r\n"), _parser())
    except etree.XMLSyntaxError as error:
        raise MalformedXmlError(f"malformed XML: {error}") from error
    docinfo = root.getroottree().docinfo
    if docinfo.system_url or docinfo.public_id:
        raise UnsafeXmlError("the XML refers to an external DTD: refused, not loaded")
    internal = docinfo.internalDTD
    if internal is not None and any(True for _ in internal.iterentities()):
        raise UnsafeXmlError("the XML declares entities in its DOCTYPE: refused, nothing expanded")
    return root
