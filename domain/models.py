"""The models every package speaks: invoices, purchase orders, findings, verdicts, RPA payloads.

No I/O here. Every model is frozen and rejects garbage with a message that names the field.
"""

import json
import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any, Self

import regex
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from domain.money import Money, NonNegativeMoney, NonNegativeQuantity, Percent, Quantity
from domain.status import EntryStatus


def without_nul(text: str) -> str:
    # PostgreSQL's text and JSONB cannot hold NUL: refuse it as a field error, not a database error later.
    if "\x00" in text:
        raise ValueError("must not contain NUL characters (\\u0000)")
    return text


# The JSON Schema states what is refused, so that clients (and fuzzers) know before sending: no
# NUL anywhere, and a stripped value that is not empty (some character other than white space).
_NO_NUL = Field(json_schema_extra={"pattern": r"^[^\x00]*$"})
_NOT_BLANK = Field(json_schema_extra={"pattern": r"^[^\x00]*[^\s\x00][^\x00]*$"})
FreeText = Annotated[str, AfterValidator(without_nul), _NO_NUL]
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(without_nul),
    _NOT_BLANK,
]
Code = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
    AfterValidator(without_nul),
    _NOT_BLANK,
]
_CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")


def _iso_currency(code: str) -> str:
    code = code.strip().upper()
    if not _CURRENCY_CODE.match(code):
        raise ValueError("must be a three-letter ISO 4217 currency code such as USD")
    return code


CurrencyCode = Annotated[str, AfterValidator(_iso_currency), Field(json_schema_extra={"pattern": r"^[A-Za-z]{3}$"})]
UnitOfMeasure = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=16)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


def load_json_exact(text: str | bytes) -> Any:
    """Parse JSON keeping every number with a fraction as an exact Decimal (json's default is float)."""
    return json.loads(text, parse_float=Decimal)


_ALNUM_RUNS = re.compile(r"[A-Z]+|[0-9]+")
# Every character Unicode calls a dash (en dash, minus sign, non-breaking hyphen...) or white space
# (no-break space, thin space...), and the separators vendors type: none of them tells parts apart.
_PART_NUMBER_NOISE = regex.compile(r"[\p{Dash}\p{White_Space}_./]+")


def _compatible(text: str) -> str:
    """NFKC: full-width letters and digits, ligatures and the like become their plain forms."""
    return unicodedata.normalize("NFKC", text)


@lru_cache(maxsize=65536)  # asked again for every earlier invoice of a vendor, batch after batch
def normalise_invoice_number(number: str) -> str:
    """The form duplicates are compared in: case, spaces, dashes, punctuation and leading zeros ignored.

    "INV-000123", "inv 123", "Inv_0123" and "ＩＮＶ–１２３" are all "INV123"; "A-01-002" is "A12";
    "000" is "0".
    """
    runs = _ALNUM_RUNS.findall(_compatible(number).upper())
    return "".join(run.lstrip("0") or "0" if run.isdigit() else run for run in runs)


DuplicateKey = tuple[str, str, object]


def duplicate_keys(vendor_id: str, normalised_invoice_number: str, total: Decimal) -> tuple[DuplicateKey, DuplicateKey]:
    """What the duplicate rules compare within a vendor: the normalised invoice number, and the total."""
    return (vendor_id, "number", normalised_invoice_number), (vendor_id, "total", total)


@lru_cache(maxsize=65536)  # the same few thousand parts recur on every invoice of a batch
def normalise_part_number(part_number: str) -> str:
    """Part numbers match across vendor and ERP spelling: case, spaces and dashes of any kind ignored."""
    return _PART_NUMBER_NOISE.sub("", _compatible(part_number)).upper()


# ---------------------------------------------------------------- invoices


class ChargeKind(StrEnum):
    FREIGHT = "freight"
    HANDLING = "handling"
    SURCHARGE = "surcharge"
    OTHER = "other"


class Charge(_Model):
    """An extra charge on an invoice header: freight, handling, a fuel surcharge..."""

    kind: ChargeKind
    amount: Money
    description: FreeText = ""


class InvoiceLine(_Model):
    line_no: int = Field(ge=1)
    part_number: Code
    description: FreeText = ""
    # Negative only on credit notes; never zero (a zero line is a data-entry slip).
    quantity: Quantity
    uom: UnitOfMeasure = "EA"
    unit_price: NonNegativeMoney
    line_total: Money
    tax_rate: Percent | None = None
    tax_amount: Money | None = None

    @model_validator(mode="after")
    def _quantity_not_zero(self) -> Self:
        if self.quantity == 0:
            raise ValueError("quantity must not be zero")
        return self

    @property
    def normalised_part_number(self) -> str:
        return normalise_part_number(self.part_number)


class InvoiceKey(_Model):
    """Identity of one invoice version: a vendor's correction is a new version, judged again."""

    source: Code
    source_invoice_id: Code
    version: int = Field(ge=1)

    def __str__(self) -> str:
        return f"{self.source}:{self.source_invoice_id}#v{self.version}"


class Invoice(_Model):
    source: Code
    source_invoice_id: Code
    version: int = Field(default=1, ge=1)
    vendor_id: Code
    vendor_name: FreeText = ""
    invoice_number: Code
    invoice_date: date
    due_date: date | None = None
    currency: CurrencyCode
    po_number: Code
    lines: tuple[InvoiceLine, ...] = Field(min_length=1)
    charges: tuple[Charge, ...] = ()
    subtotal: Money
    tax_amount: Money = Decimal("0")
    total: Money

    @model_validator(mode="after")
    def _consistent_shape(self) -> Self:
        line_numbers = [line.line_no for line in self.lines]
        if len(set(line_numbers)) != len(line_numbers):
            raise ValueError(f"lines: line numbers must be unique, got {sorted(line_numbers)}")
        if self.due_date is not None and self.due_date < self.invoice_date:
            raise ValueError("due_date must not be before invoice_date")
        return self

    @property
    def key(self) -> InvoiceKey:
        return InvoiceKey(source=self.source, source_invoice_id=self.source_invoice_id, version=self.version)

    @property
    def is_credit_note(self) -> bool:
        return self.total < 0

    @property
    def normalised_invoice_number(self) -> str:
        return normalise_invoice_number(self.invoice_number)

    @property
    def duplicate_keys(self) -> tuple[DuplicateKey, DuplicateKey]:
        return duplicate_keys(self.vendor_id, self.normalised_invoice_number, self.total)


class FieldError(_Model):
    """One reason a marketplace row could not become an `Invoice`."""

    field: str
    message: str
    value: str | None = None


class IntakeError(_Model):
    """A marketplace invoice that could not be read: recorded with its reasons, never an exception."""

    source: Code
    source_invoice_id: Code
    version: int
    po_number: str | None = None
    vendor_id: str | None = None
    errors: tuple[FieldError, ...] = Field(min_length=1)

    @property
    def key(self) -> InvoiceKey:
        return InvoiceKey(source=self.source, source_invoice_id=self.source_invoice_id, version=self.version)

    @property
    def reason(self) -> str:
        return "; ".join(f"{e.field}: {e.message}" for e in self.errors)


# ---------------------------------------------------------------- ERP side


class POStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    ON_HOLD = "on_hold"


class POLine(_Model):
    line_no: int = Field(ge=1)
    part_number: Code
    erp_item_id: Code
    description: FreeText = ""
    uom: UnitOfMeasure = "EA"
    ordered_qty: NonNegativeQuantity
    # None when the ERP has no goods receipts for this line (two-way match only).
    received_qty: NonNegativeQuantity | None = None
    invoiced_qty: NonNegativeQuantity = Decimal("0")
    unit_price: NonNegativeMoney

    @property
    def normalised_part_number(self) -> str:
        return normalise_part_number(self.part_number)

    @property
    def open_qty(self) -> Decimal:
        """Ordered minus already invoiced in the ERP (what is in flight is subtracted by the rules)."""
        return self.ordered_qty - self.invoiced_qty


class PurchaseOrder(_Model):
    po_number: Code
    vendor_id: Code
    currency: CurrencyCode
    status: POStatus
    po_date: date
    lines: tuple[POLine, ...] = ()

    @model_validator(mode="after")
    def _unique_line_numbers(self) -> Self:
        line_numbers = [line.line_no for line in self.lines]
        if len(set(line_numbers)) != len(line_numbers):
            raise ValueError(f"lines: PO line numbers must be unique, got {sorted(line_numbers)}")
        return self


class Vendor(_Model):
    """The ERP's vendor master record."""

    vendor_id: Code
    name: Text
    currency: CurrencyCode | None = None
    active: bool = True


class EnteredInvoice(_Model):
    """An AP invoice already entered in the ERP: what exact and possible duplicates are checked against."""

    erp_document_id: Code
    vendor_id: Code
    invoice_number: Code
    invoice_date: date
    po_number: str | None = None
    currency: CurrencyCode
    total: Money

    @property
    def normalised_invoice_number(self) -> str:
        return normalise_invoice_number(self.invoice_number)


# ---------------------------------------------------------------- judgement


class Severity(StrEnum):
    HARD = "hard"  # → bad_invoice: the vendor must resubmit
    SOFT = "soft"  # → manual_review: AP decides


# A finding's sentence may quote part numbers and amounts: longer than a name.
FINDING_MESSAGE_LENGTH = 1000


class Finding(_Model):
    rule_id: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")]
    severity: Severity
    message: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=FINDING_MESSAGE_LENGTH),
        AfterValidator(without_nul),
    ]
    invoice_line_no: int | None = None
    po_line_no: int | None = None
    expected: str | None = None
    actual: str | None = None


class Verdict(_Model):
    status: EntryStatus
    findings: tuple[Finding, ...] = ()
    rule_set_version: Code

    @model_validator(mode="after")
    def _status_follows_findings(self) -> Self:
        severities = {f.severity for f in self.findings}
        expected = (
            EntryStatus.BAD_INVOICE
            if Severity.HARD in severities
            else EntryStatus.MANUAL_REVIEW
            if Severity.SOFT in severities
            else EntryStatus.READY_TO_PROCESS
        )
        if self.status != expected:
            raise ValueError(f"status {self.status} contradicts the findings' severities (expected {expected})")
        return self


class RpaPayloadLine(_Model):
    invoice_line_no: int = Field(ge=1)
    po_line_no: int = Field(ge=1)
    erp_item_id: Code
    part_number: Code
    description: FreeText = ""
    quantity: Quantity
    uom: UnitOfMeasure
    unit_price: NonNegativeMoney
    amount: Money
    tax_amount: Money | None = None


class RpaPayload(_Model):
    """Everything the RPA bot needs to key one invoice into the ERP without looking anything up.

    One version of an invoice (source, source_invoice_id) is handed to the bot at most: when the
    vendor sends a newer version, an earlier payload not yet claimed is withdrawn (its entry
    becomes `superseded`), and one already claimed is waited for before the newer version is judged.
    """

    source: Code
    source_invoice_id: Code
    version: int = Field(ge=1)
    vendor_id: Code
    vendor_name: FreeText
    po_number: Code
    invoice_number: Code
    invoice_date: date
    due_date: date | None = None
    currency: CurrencyCode
    lines: tuple[RpaPayloadLine, ...] = Field(min_length=1)
    charges: tuple[Charge, ...] = ()
    subtotal: Money
    tax_amount: Money
    total: Money
    rule_set_version: Code
    judged_at: datetime
