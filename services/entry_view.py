"""One entry as a clerk works it: the invoice beside its PO as the ERP has it now, each invoice
line beside the PO lines it bills, the fields the findings concern, and the history."""

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError

from connectors.erp import ErpGateway
from connectors.store import Entry, EntryEvent, ErpDocument, ProcessStore
from connectors.store.document_audit import DocumentNotFoundError
from connectors.store.document_reads import DocumentRecord
from domain import Finding, InvoiceLine, POLine, PurchaseOrder, normalise_part_number
from rules.fields import FIELDS_CONCERNED, HEADER, LINE


@dataclass(frozen=True)
class LineBeside:
    """An invoice line, the PO lines it bills (by its findings, else by part number), and which of
    its fields the findings concern."""

    line: InvoiceLine
    po_lines: tuple[POLine, ...]
    concerned: frozenset[str]
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class EntryView:
    entry: Entry
    history: list[EntryEvent]
    erp_documents: list[ErpDocument]
    purchase_order: PurchaseOrder | None
    po_problem: str | None  # why the PO is not shown (not in the ERP, unreadable, ERP not answering)
    lines: tuple[LineBeside, ...]
    concerned_header_fields: frozenset[str]
    # PO lines no invoice line bills: what else is on the order
    unbilled_po_lines: tuple[POLine, ...] = field(default=())
    # The uploaded document the invoice was read from (source `upload`), shown beside the PO
    document: DocumentRecord | None = None


def entry_beside_po(store: ProcessStore, erp: ErpGateway, entry_id: int) -> EntryView:
    """Raises EntryNotFoundError for an unknown id; an ERP that does not answer leaves the PO out."""
    entry = store.entries.get(entry_id)
    history = store.entries.history(entry_id)
    documents = store.entries.erp_documents(entry_id)
    purchase_order, problem = _purchase_order(erp, entry.po_number)
    lines = _lines_beside(entry, purchase_order)
    billed = {po_line.line_no for line in lines for po_line in line.po_lines}
    unbilled = tuple(line for line in purchase_order.lines if line.line_no not in billed) if purchase_order else ()
    header_fields = frozenset(
        name for finding in entry.findings for kind, name in FIELDS_CONCERNED.get(finding.rule_id, ()) if kind == HEADER
    )
    return EntryView(
        entry, history, documents, purchase_order, problem, lines, header_fields, unbilled, _document_of(store, entry)
    )


def _document_of(store: ProcessStore, entry: Entry) -> DocumentRecord | None:
    """The document an uploaded invoice was read from; none for a marketplace invoice or one that is gone."""
    if entry.source != "upload" or not entry.source_invoice_id.isdigit():
        return None
    try:
        return store.documents.get(int(entry.source_invoice_id))
    except DocumentNotFoundError:
        return None


def _purchase_order(erp: ErpGateway, po_number: str) -> tuple[PurchaseOrder | None, str | None]:
    try:
        found, unreadable = erp.fetch_purchase_orders([po_number])
    except SQLAlchemyError as error:
        return None, f"The ERP did not answer, so the PO is not shown ({type(error).__name__})."
    if unreadable:
        return None, "; ".join(unreadable.values())
    if not found:
        return None, f"The ERP has no purchase order {po_number}."
    return next(iter(found.values())), None


def _lines_beside(entry: Entry, purchase_order: PurchaseOrder | None) -> tuple[LineBeside, ...]:
    po_lines = {line.line_no: line for line in purchase_order.lines} if purchase_order else {}
    by_part: dict[str, list[POLine]] = defaultdict(list)
    for po_line in po_lines.values():
        by_part[po_line.normalised_part_number].append(po_line)
    findings_of: dict[int, list[Finding]] = defaultdict(list)
    for finding in entry.findings:
        if finding.invoice_line_no is not None:
            findings_of[finding.invoice_line_no].append(finding)
    beside = []
    for line in entry.invoice.lines:
        findings = tuple(findings_of[line.line_no])
        named = [po_lines[f.po_line_no] for f in findings if f.po_line_no in po_lines]
        matched = named or by_part.get(normalise_part_number(line.part_number), [])
        concerned = frozenset(
            name for f in findings for kind, name in FIELDS_CONCERNED.get(f.rule_id, ()) if kind == LINE
        )
        beside.append(LineBeside(line, tuple(dict.fromkeys(matched)), concerned, findings))
    return tuple(beside)
