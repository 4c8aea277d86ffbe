"""What a vendor is told of its invoices: statuses, findings and history in the vendor's words.

A clerk's finding speaks of the ERP, rule sets and other vendors' ids; a vendor needs to know what
is wrong with its invoice and what to do about it, and nothing more. Every rule of the registry, the
engine's own finding and the upload's missing-PO finding has a wording here (a test walks the
registry, so a new rule without one fails); only the values a wording allows are shown.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from domain import EntryStatus, Finding, Severity
from domain.documents import DocumentStatus
from rules.engine import ENGINE_RULE_ID
from services.document_submission import NO_PO_NUMBER, NO_PO_RULE


class Stage(StrEnum):
    """Where an invoice stands, as a vendor sees it: several internal statuses may be one stage."""

    ACCEPTED = "accepted"
    ENTERED = "entered"
    CHECKING = "checking"
    REFUSED = "refused"
    REJECTED = "rejected"
    REPLACED = "replaced"

    @property
    def words(self) -> str:
        return _STAGE_WORDS[self]

    @property
    def statuses(self) -> tuple[EntryStatus, ...]:
        return tuple(status for status, stage in _STAGES.items() if stage is self)

    @classmethod
    def of(cls, status: EntryStatus) -> "Stage":
        return _STAGES[status]


_STAGE_WORDS = {
    Stage.ACCEPTED: "Accepted, being entered for payment",
    Stage.ENTERED: "Entered for payment",
    Stage.CHECKING: "Being checked by accounts payable",
    Stage.REFUSED: "Refused: please send a corrected invoice",
    Stage.REJECTED: "Rejected by accounts payable",
    Stage.REPLACED: "Replaced by a newer version",
}
_STAGES = {
    EntryStatus.READY_TO_PROCESS: Stage.ACCEPTED,
    EntryStatus.DISPATCHED: Stage.ACCEPTED,
    EntryStatus.RPA_FAILED: Stage.ACCEPTED,  # the bot's hiccup is AP's business, not the vendor's
    EntryStatus.ENTERED: Stage.ENTERED,
    EntryStatus.MANUAL_REVIEW: Stage.CHECKING,
    EntryStatus.BAD_INVOICE: Stage.REFUSED,
    EntryStatus.REJECTED: Stage.REJECTED,
    EntryStatus.SUPERSEDED: Stage.REPLACED,
}


def status_words(status: EntryStatus) -> str:
    return Stage.of(status).words


@dataclass(frozen=True)
class _Wording:
    """A finding for a vendor: `problem` and `action` are format strings over {line} ("Line 2: " or
    nothing), {po}, {po_line} (" line 3" or nothing), {expected} and {actual}."""

    problem: str
    action: str
    shows_values: bool = True  # False: expected/actual would tell the vendor internals or others' data


_FIX = "Please send a corrected invoice."
_NOTHING_TO_DO = "Nothing to do for now: accounts payable is checking it."

WORDINGS: dict[str, _Wording] = {
    "po.not_found": _Wording(
        "We cannot find purchase order {po}.",
        "Please check the order number your buyer gave you and send a corrected invoice quoting it.",
        shows_values=False,
    ),
    "po.not_open": _Wording(
        "Purchase order {po} is closed: nothing more can be billed against it.",
        "Please ask your buyer for an open purchase order, then send a corrected invoice quoting it.",
        shows_values=False,
    ),
    "po.on_hold": _Wording("Purchase order {po} is on hold on our side.", _NOTHING_TO_DO, shows_values=False),
    "po.unreadable": _Wording(
        "We could not read purchase order {po} completely on our side.", _NOTHING_TO_DO, shows_values=False
    ),
    "vendor.mismatch": _Wording(
        "Purchase order {po} was not issued to your company.",
        "Please check the order number and send a corrected invoice quoting an order issued to you.",
        shows_values=False,
    ),
    "vendor.unknown": _Wording(
        "Your company is not set up as a supplier in our system yet.",
        "Please contact your buyer or accounts payable to complete your supplier registration.",
        shows_values=False,
    ),
    "vendor.inactive": _Wording(
        "Your supplier account is blocked for payment on our side.",
        "Please contact accounts payable.",
        shows_values=False,
    ),
    "currency.mismatch": _Wording(
        "The invoice is in {actual}, but purchase order {po} is in {expected}.",
        "Please send a corrected invoice in {expected}.",
    ),
    "invoice.required_fields": _Wording(
        "The invoice is missing its {field}.", "Please send a corrected invoice with it filled in.", shows_values=False
    ),
    "duplicate.exact": _Wording(
        "You billed invoice number {actual} before (as {expected}).",
        "If this is a new bill, please send it with a new invoice number; if it is the same bill, there is nothing "
        "to do.",
    ),
    "duplicate.possible": _Wording(
        "This invoice is for the same amount as your invoice {actual}, dated close to it.",
        "Nothing to do unless it is the same bill: accounts payable makes sure nothing is paid twice.",
        shows_values=False,
    ),
    "line.part_not_on_po": _Wording(
        "{line}part {actual} is not on purchase order {po}.",
        "Please bill only the parts on the order, or ask your buyer to add it to the order, then send a "
        "corrected invoice.",
    ),
    "line.negative_on_invoice": _Wording(
        "{line}the invoice takes something back (a negative quantity or amount).",
        "Please send returns as a credit note of their own, and the invoice without them.",
        shows_values=False,
    ),
    "uom.unknown_conversion": _Wording(
        "{line}you billed in {actual}, but our purchase order {po}{po_line} orders in {expected}.",
        "Please bill in the order's unit, or accounts payable checks the conversion.",
    ),
    "price.unit_mismatch": _Wording(
        "{line}you billed {actual} per unit; our purchase order {po}{po_line} agreed {expected}.",
        "Please send a corrected invoice at the agreed price, or ask your buyer to change the order.",
    ),
    "qty.over_open": _Wording(
        "{line}you billed {actual}, but only {expected} are still open on our purchase order {po}{po_line}.",
        "Please bill only what is still open, or ask your buyer to increase the order.",
    ),
    "qty.over_received": _Wording(
        "{line}you billed {actual}, but we have received only {expected} not yet billed on purchase order "
        "{po}{po_line}.",
        "Please bill what was delivered; bill the rest once it is delivered.",
    ),
    "line.total_mismatch": _Wording(
        "{line}quantity × unit price is {expected}, but the line total says {actual}.",
        "Please send a corrected invoice with the line total fixed.",
    ),
    "amount.subtotal_mismatch": _Wording(
        "The lines add up to {expected}, but the invoice's subtotal says {actual}.", _FIX
    ),
    "amount.total_mismatch": _Wording(
        "The lines, tax and charges add up to {expected}, but the invoice total says {actual}.", _FIX
    ),
    "tax.rate_mismatch": _Wording(
        "{line}the tax does not match the tax rate: it should be {expected}, the invoice says {actual}.", _FIX
    ),
    "charge.not_allowed": _Wording(
        "The invoice adds an extra charge of {actual} that your order does not allow.",
        "Please send a corrected invoice without it, or ask your buyer to agree it on the order.",
    ),
    "credit_note.review": _Wording(
        "This is a credit note: accounts payable matches it to the invoice it corrects.",
        "Nothing to do.",
        shows_values=False,
    ),
    "date.future": _Wording(
        "The invoice is dated {actual}, in the future.", "Please send it dated the day it was issued."
    ),
    "date.too_old": _Wording(
        "The invoice is dated {actual}, older than we can accept.", "Please contact accounts payable."
    ),
    "date.before_po": _Wording(
        "The invoice is dated {actual}, before purchase order {po} was issued.",
        "Please check the date and the order number, and send a corrected invoice.",
    ),
    ENGINE_RULE_ID: _Wording(
        "We could not check this point of the invoice automatically.", _NOTHING_TO_DO, shows_values=False
    ),
    NO_PO_RULE: _Wording(
        "We could not find our purchase order number on the invoice.",
        "Please send a corrected invoice that quotes our purchase order number.",
        shows_values=False,
    ),
}
# A rule id the wordings above do not know (a finding recorded by a rule since removed).
_UNKNOWN = _Wording("Accounts payable found a point to check on this invoice.", _NOTHING_TO_DO, shows_values=False)
_MISSING_FIELD = re.compile(r"has no (?P<field>[a-z ]+), which")


@dataclass(frozen=True)
class VendorFinding:
    """One finding as the vendor reads it: the problem, what to do, and the invoice line against what
    the purchase order expected (when the vendor may see them)."""

    problem: str
    action: str
    refuses: bool  # the invoice cannot be paid as it is: a corrected one is needed
    invoice_line_no: int | None
    po_line_no: int | None
    expected: str | None
    actual: str | None

    @property
    def sentence(self) -> str:
        return f"{self.problem} {self.action}"


def vendor_finding(finding: Finding, po_number: str) -> VendorFinding:
    wording = WORDINGS.get(finding.rule_id, _UNKNOWN)
    field = _MISSING_FIELD.search(finding.message)
    values = {
        "line": f"Line {finding.invoice_line_no}: " if finding.invoice_line_no is not None else "",
        "po": po_number if po_number != NO_PO_NUMBER else "(none)",
        "po_line": f" line {finding.po_line_no}" if finding.po_line_no is not None else "",
        "expected": finding.expected or "",
        "actual": finding.actual or "",
        "field": field.group("field") if field else "required information",
    }
    shown = wording.shows_values
    return VendorFinding(
        problem=_capitalised(wording.problem.format(**values)),
        action=wording.action.format(**values),
        refuses=finding.severity is Severity.HARD,
        invoice_line_no=finding.invoice_line_no,
        po_line_no=finding.po_line_no if shown else None,
        expected=finding.expected if shown else None,
        actual=finding.actual if shown else None,
    )


def vendor_findings(findings: Iterable[Finding], po_number: str) -> list[VendorFinding]:
    return [vendor_finding(finding, po_number) for finding in findings]


def as_vendor_finding(finding: Finding, po_number: str) -> Finding:
    """The finding with its message and values as the vendor may read them (the documents API's shape)."""
    worded = vendor_finding(finding, po_number)
    return finding.model_copy(
        update={
            "message": worded.sentence,
            "po_line_no": worded.po_line_no,
            "expected": worded.expected,
            "actual": worded.actual,
        }
    )


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class StatusChange:
    """What an audited status change means to a vendor."""

    to_status: EntryStatus
    from_status: EntryStatus | None
    occurred_at: datetime


@dataclass(frozen=True)
class VendorEvent:
    occurred_at: datetime
    words: str


def vendor_history(changes: Sequence[StatusChange]) -> list[VendorEvent]:
    """The invoice's history as the vendor sees it: received and judged, then each change of stage
    (accepted, refused, entered...); moves within one stage (the bot's claims and retries) and who
    made a change are AP's business and left out."""
    history: list[VendorEvent] = []
    shown: Stage | None = None
    for change in changes:
        stage = Stage.of(change.to_status)
        if change.from_status is None:
            history.append(VendorEvent(change.occurred_at, f"Received and checked: {stage.words}"))
        elif stage is not shown:
            history.append(VendorEvent(change.occurred_at, stage.words))
        shown = stage
    return history


def document_status_words(status: DocumentStatus, reason: str | None) -> str:
    """An uploaded document's status for its vendor."""
    if status in (DocumentStatus.QUEUED, DocumentStatus.EXTRACTING):
        return "Being read"
    if status in (DocumentStatus.EXTRACTED, DocumentStatus.NEEDS_REVIEW):
        return "Being checked by accounts payable"
    if status is DocumentStatus.FAILED:
        return f"Could not be read: {reason}" if reason else "Could not be read"
    if status is DocumentStatus.SUBMITTED:
        return "Read and sent for checking"
    return "Kept with its invoice"
