"""A person checks a document: its fields as read and corrected, which ones need their eyes first,
what changed when it was extracted again, and, once submitted, the verdict of the rules.

The verification screen and any other client share these: the screen only lays them out.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from connectors.extraction.crosschecks import cross_check
from connectors.store import EarlierVersionDispatchedError, Entry, POLockedError
from connectors.store.document_reads import DocumentEvent, DocumentRecord
from domain.documents import (
    CHARGE_FIELDS,
    HEADER_FIELDS,
    LINE_FIELDS,
    REQUIRED_HEADER_FIELDS,
    Box,
    CheckResult,
    DocumentKind,
    DocumentStatus,
    Engine,
    ExtractedField,
)
from services.document_submission import UPLOAD_SOURCE
from services.documents import DocumentService
from services.judging import JudgingService

HEADER_LABELS = {
    "invoice_number": "Invoice number",
    "issue_date": "Invoice date",
    "due_date": "Due date",
    "currency": "Currency",
    "seller_name": "Seller",
    "seller_vat_id": "Seller VAT id",
    "buyer_name": "Buyer",
    "po_number": "PO number",
    "subtotal": "Subtotal",
    "tax_total": "Tax",
    "total": "Total",
}
LINE_LABELS = {
    "description": "Description",
    "part_number": "Part",
    "quantity": "Qty",
    "unit": "Unit",
    "unit_price": "Unit price",
    "line_total": "Line total",
}
CHARGE_LABELS = {"description": "Charge", "amount": "Amount"}


@dataclass(frozen=True)
class FieldToCheck:
    """One field as the screen shows it: its value now, how sure the engine was, where it was read,
    and whether a person should look at it before anything else."""

    path: str
    label: str
    value: str | None
    confidence: float
    box: Box | None
    corrected: bool
    low_confidence: bool
    failed_check: bool

    @property
    def flagged(self) -> bool:
        return self.low_confidence or self.failed_check


@dataclass(frozen=True)
class FieldChange:
    path: str
    before: str | None
    after: str | None


@dataclass(frozen=True)
class DocumentToCheck:
    document: DocumentRecord
    header: tuple[FieldToCheck, ...]
    lines: tuple[tuple[FieldToCheck, ...], ...]
    charges: tuple[tuple[FieldToCheck, ...], ...]
    # the cross-checks as the fields stand now, corrections included
    checks: tuple[CheckResult, ...]
    # since the last re-extraction a person asked for: what the new run read differently
    changes: tuple[FieldChange, ...] | None

    @property
    def every_field(self) -> tuple[FieldToCheck, ...]:
        return (*self.header, *(f for row in self.lines for f in row), *(f for row in self.charges for f in row))

    @property
    def flagged(self) -> tuple[FieldToCheck, ...]:
        return tuple(found for found in self.every_field if found.flagged)


def document_to_check(document: DocumentRecord, history: list[DocumentEvent], threshold: float) -> DocumentToCheck:
    reviewed = document.reviewed_extraction
    if reviewed is None:
        return DocumentToCheck(document, (), (), (), (), _changes_since_reextraction(document, history))
    # Checked again as the fields stand now: a corrected total clears its check, and the fields a
    # passing check vouches for are as sure as the engine would have been of them.
    reviewed = cross_check(reviewed)
    checks = reviewed.checks
    failing = {path for check in checks if not check.passed for path in check.fields}
    corrected = set(document.corrections)

    def to_check(path: str, label: str, found: ExtractedField, *, required: bool = False) -> FieldToCheck:
        missing = found.value is None and required
        unsure = found.value is not None and found.confidence < threshold and path not in corrected
        return FieldToCheck(
            path=path,
            label=label,
            value=found.value,
            confidence=found.confidence,
            box=found.box,
            corrected=path in corrected,
            low_confidence=missing or unsure,
            failed_check=path in failing,
        )

    header = tuple(
        to_check(name, HEADER_LABELS[name], reviewed.field(name), required=name in REQUIRED_HEADER_FIELDS)
        for name in HEADER_FIELDS
    )
    lines = tuple(
        tuple(to_check(f"lines[{i}].{name}", LINE_LABELS[name], line.field(name)) for name in LINE_FIELDS)
        for i, line in enumerate(reviewed.lines)
    )
    charges = tuple(
        tuple(to_check(f"charges[{i}].{name}", CHARGE_LABELS[name], charge.field(name)) for name in CHARGE_FIELDS)
        for i, charge in enumerate(reviewed.charges)
    )
    return DocumentToCheck(document, header, lines, charges, checks, _changes_since_reextraction(document, history))


def _changes_since_reextraction(
    document: DocumentRecord, history: list[DocumentEvent]
) -> tuple[FieldChange, ...] | None:
    """None unless the document was extracted again at a person's request and that run has ended."""
    asked = next((event for event in reversed(history) if event.action == "reextract"), None)
    if (
        asked is None
        or document.extraction is None
        or document.status in (DocumentStatus.QUEUED, DocumentStatus.EXTRACTING)
    ):
        return None
    before: Mapping[str, str | None] = (asked.details or {}).get("previous") or {}
    after = document.field_values()
    return tuple(
        FieldChange(path, before.get(path), after.get(path))
        for path in _in_screen_order({*before, *after})
        if before.get(path) != after.get(path)
    )


def _in_screen_order(paths: set[str]) -> list[str]:
    """Header fields, then each line's, then each charge's, in the order the form shows them."""

    def key(path: str) -> tuple[int, int, int]:
        if "[" not in path:
            return (0, 0, _position(HEADER_FIELDS, path))
        kind, _, rest = path.partition("[")
        index, _, name = rest.partition("].")
        fields = LINE_FIELDS if kind == "lines" else CHARGE_FIELDS
        return (1 if kind == "lines" else 2, int(index) if index.isdigit() else 0, _position(fields, name))

    return sorted(paths, key=key)


def _position(names: tuple[str, ...], name: str) -> int:
    return names.index(name) if name in names else len(names)


def engines_to_try(document: DocumentRecord, provider: Engine | None) -> list[Engine]:
    """The engines a person may ask to read the document again: those that can read its kind (an
    e-invoice XML only its reader; an image OCR), and the configured provider, if any. The e-invoice
    reader is offered for a PDF that was read by it: asked of a PDF without XML, it fails the document."""
    if document.kind is DocumentKind.XML:
        return []
    engines = [Engine.OCR] if document.kind.is_image else [Engine.TEXT_LAYER, Engine.OCR]
    if document.extraction is not None and document.extraction.engine is Engine.EINVOICE:
        engines.append(Engine.EINVOICE)
    return engines + ([provider] if provider is not None else [])


def changed_values(document: DocumentRecord, submitted: Mapping[str, str]) -> dict[str, str | None]:
    """The fields of a submitted form whose value differs from the document's now (blank = empty):
    what to record as corrections, so an untouched field stays the engine's with its confidence."""
    now = document.field_values()
    changes: dict[str, str | None] = {}
    for path, value in submitted.items():
        wanted = value.strip() or None
        if wanted != (now.get(path) or None):
            changes[path] = wanted
    return changes


@dataclass(frozen=True)
class SubmittedVerdict:
    """A submitted document and, when it could be judged at once, the entry the rules recorded."""

    document: DocumentRecord
    entry: Entry | None
    waiting: str | None  # why it was not judged now: it waits in the inbox for the next poll


def submit_and_judge(
    documents: DocumentService, judging: JudgingService, document_id: int, *, actor: str
) -> SubmittedVerdict:
    """Submit the document as an invoice and judge it now, as `validate?source=upload` does: the person
    who checked it sees the verdict at once. A PO locked by another invoice, or an earlier version with
    the bot, leaves it waiting in the inbox: the next poll judges it."""
    submitted = documents.submit(document_id, actor=actor)
    if submitted.entry is not None:
        return SubmittedVerdict(submitted.document, submitted.entry, None)
    try:
        # a corrected upload is a new version of the invoice its first document started
        recorded = judging.validate_inbox_invoice(UPLOAD_SOURCE, submitted.invoice.source_invoice_id, actor=actor)
    except (POLockedError, EarlierVersionDispatchedError) as waiting:
        return SubmittedVerdict(submitted.document, None, f"{waiting} The next poll judges it.")
    return SubmittedVerdict(submitted.document, recorded.entry, None)
