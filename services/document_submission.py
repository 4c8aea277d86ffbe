"""A reviewed document becomes an invoice: into the inbox with source `upload`, judged by the same
rules as a marketplace invoice in the next poll (or at once through the validate route).

The invoice's id is the id of its first document; each submission of the same document, or of a
document that replaces it (a corrected upload), is a new version of that invoice, so it replaces
what was judged before, as a vendor's corrected invoice on the marketplace does. An
invoice without a PO number cannot be judged against a PO: it goes to manual review at once, with
a finding saying so.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from pydantic import ValidationError

from connectors.erp import ErpGateway
from connectors.store import Entry, ProcessStore
from connectors.store.document_audit import DocumentStateError
from connectors.store.document_reads import DocumentRecord
from domain import ChargeKind, EntryStatus, Finding, Invoice, InvoiceKey, Severity, Verdict
from domain.documents import LINE_FIELDS, Extraction

UPLOAD_SOURCE = "upload"
NO_PO_RULE = "document.po_number_missing"
NO_PO_NUMBER = "(none)"  # what the entry shows as its PO: it holds no PO and never locks one
UNKNOWN_VENDOR = "(unknown)"


class DocumentIncompleteError(ValueError):
    """Fields an invoice cannot do without are empty: a person fills them in first (422)."""

    def __init__(self, document_id: int, problems: dict[str, str]) -> None:
        listed = "; ".join(f"{path}: {message}" for path, message in problems.items())
        super().__init__(f"Document {document_id} cannot become an invoice yet: {listed}.")
        self.document_id = document_id
        self.problems = problems


@dataclass(frozen=True)
class Submitted:
    document: DocumentRecord
    invoice: Invoice
    entry: Entry | None  # recorded at once (no PO number); otherwise the next poll judges it


def submit_document(
    store: ProcessStore, erp: ErpGateway, document_id: int, *, actor: str, today: date, rule_set_version: str
) -> Submitted:
    document = store.documents.get(document_id)
    extraction = document.reviewed_extraction
    if document.purpose != "invoice" or extraction is None:
        raise DocumentStateError(document.id, document.status, "submitted")
    version = _next_version(store, document)
    po_number = _text(extraction, "po_number") or document.po_number
    vendor_id = document.vendor_id or (_vendor_of_po(erp, po_number, today) if po_number else None)
    invoice = invoice_of(document, extraction, version=version, po_number=po_number, vendor_id=vendor_id)
    entry = None
    if po_number is None:
        verdict = Verdict(
            status=EntryStatus.MANUAL_REVIEW,
            findings=(
                Finding(
                    rule_id=NO_PO_RULE,
                    severity=Severity.SOFT,
                    message="The document shows no purchase order number, so it cannot be matched to a PO: "
                    "correct the document's PO number and submit it again, or reject this entry.",
                    expected="a PO number",
                    actual="none",
                ),
            ),
            rule_set_version=rule_set_version,
        )
        existing = store.entries.find(invoice.key)
        entry = existing or store.verdicts.record_one(invoice, verdict, None, actor=actor, reason="submitted document")
    else:
        # Idempotent per version: a submit that crashed after this line is completed by the next one.
        store.inbox.record_pull(UPLOAD_SOURCE, [invoice], [], None, actor=actor)
    recorded = store.documents.mark_submitted(document.id, version, actor=actor, entry_id=entry.id if entry else None)
    return Submitted(recorded, invoice, entry)


def submitted_key(document: DocumentRecord) -> InvoiceKey | None:
    """The invoice version a document was last submitted as (None: never submitted)."""
    if document.submitted_version is None:
        return None
    return InvoiceKey(
        source=UPLOAD_SOURCE, source_invoice_id=str(document.invoice_document_id), version=document.submitted_version
    )


def invoice_of(
    document: DocumentRecord,
    extraction: Extraction,
    *,
    version: int,
    po_number: str | None,
    vendor_id: str | None,
) -> Invoice:
    """The invoice a document's (reviewed) fields make, or DocumentIncompleteError naming what is missing."""
    problems: dict[str, str] = {}
    lines: list[dict[str, object]] = []
    for index, line in enumerate(extraction.lines):
        if all(line.field(name).value is None for name in LINE_FIELDS):
            continue  # a person emptied a line the engine read by mistake: it is not billed
        path = f"lines[{index}]"
        quantity = _amount(line.quantity.value, f"{path}.quantity", problems)
        unit_price = _amount(line.unit_price.value, f"{path}.unit_price", problems)
        line_total = _amount(line.line_total.value, f"{path}.line_total", problems)
        if not line.part_number.value:
            problems[f"{path}.part_number"] = "missing: the rules match lines to PO lines by part number"
        lines.append(
            {
                "line_no": len(lines) + 1,
                "part_number": line.part_number.value,
                "description": line.description.value or "",
                "quantity": quantity,
                "uom": (line.unit.value or "EA")[:16],
                "unit_price": unit_price,
                "line_total": line_total,
            }
        )
    if not lines:
        problems["lines"] = "no invoice line was read: add the lines"
    charges = []
    for index, charge in enumerate(extraction.charges):
        amount = _amount(charge.amount.value, f"charges[{index}].amount", problems)
        description = charge.description.value or ""
        charges.append({"kind": charge_kind(description), "amount": amount, "description": description})
    total = _amount(_text(extraction, "total"), "total", problems)
    tax = _amount(_text(extraction, "tax_total"), "tax_total", problems, required=False)
    subtotal = _amount(_text(extraction, "subtotal"), "subtotal", problems, required=False)
    if subtotal is None and total is not None:
        subtotal = total - (tax or Decimal("0"))
    for name in ("invoice_number", "issue_date", "currency"):
        if _text(extraction, name) is None:
            problems[name] = "missing"
    if problems:
        raise DocumentIncompleteError(document.id, problems)
    values = {
        "source": UPLOAD_SOURCE,
        "source_invoice_id": str(document.invoice_document_id),
        "version": version,
        "vendor_id": vendor_id or UNKNOWN_VENDOR,
        "vendor_name": _text(extraction, "seller_name") or "",
        "invoice_number": _text(extraction, "invoice_number"),
        "invoice_date": _text(extraction, "issue_date"),
        "due_date": _text(extraction, "due_date"),
        "currency": _text(extraction, "currency"),
        "po_number": po_number or NO_PO_NUMBER,
        "lines": lines,
        "charges": charges,
        "subtotal": subtotal,
        "tax_amount": tax or Decimal("0"),
        "total": total,
    }
    try:
        return Invoice.model_validate(values)
    except ValidationError as invalid:
        problems = {
            ".".join(str(part) for part in error["loc"]) or "invoice": error["msg"] for error in invalid.errors()
        }
        raise DocumentIncompleteError(document.id, problems) from None


_CHARGE_KINDS = (
    (
        ChargeKind.FREIGHT,
        (
            "freight",
            "shipping",
            "delivery",
            "carriage",
            "postage",
            "versand",
            "fracht",
            "porto",
            "port",
            "livraison",
            "transport",
            "expedition",
            "expédition",
            "verzend",
            "vracht",
        ),
    ),
    (
        ChargeKind.HANDLING,
        (
            "handling",
            "packing",
            "packaging",
            "bearbeitung",
            "verpackung",
            "manutention",
            "emballage",
            "behandeling",
            "verpakking",
            "administratie",
        ),
    ),
    (ChargeKind.SURCHARGE, ("surcharge", "zuschlag", "supplément", "supplement", "toeslag")),
)


def charge_kind(description: str) -> ChargeKind:
    """Which kind of charge the words printed for it name (the charge policy allows kinds, not words)."""
    words = description.lower()
    for kind, stems in _CHARGE_KINDS:
        if any(stem in words for stem in stems):
            return kind
    return ChargeKind.OTHER


def _next_version(store: ProcessStore, document: DocumentRecord) -> int:
    """The version after the newest any document of the invoice was submitted as. Counted from the
    documents' own record, so a submit that crashed before recording it takes the same version again."""
    versions = [each.submitted_version or 0 for each in store.documents.invoice_documents(document.invoice_document_id)]
    return max(versions, default=0) + 1


def _text(extraction: Extraction, name: str) -> str | None:
    value = extraction.field(name).value
    return value.strip() or None if value is not None else None


def _amount(value: str | None, path: str, problems: dict[str, str], *, required: bool = True) -> Decimal | None:
    if value is None or not value.strip():
        if required:
            problems[path] = "missing"
        return None
    try:
        return Decimal(value.strip())
    except InvalidOperation:
        problems[path] = f"{value!r} is not a number"
        return None


def _vendor_of_po(erp: ErpGateway, po_number: str, today: date) -> str | None:
    """Without a vendor named at upload, the PO's vendor in the ERP (an AP clerk's upload vouches for it)."""
    snapshot = erp.fetch_snapshot({po_number}, set(), today=today)
    order = snapshot.purchase_orders.get(snapshot.po_number_as_in_erp(po_number))
    return order.vendor_id if order else None
