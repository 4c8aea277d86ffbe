"""Uploaded documents and what extraction read from them: fields with confidence and place, lines, checks.

Every engine (e-invoice XML, text layer, OCR, cloud and LLM providers) produces the same
`Extraction`, so the review screen, the cross-checks and the way into the rules never care
which engine ran. No I/O here.

Values are normalised strings, so that they compare exactly and print as the JSON they are:
dates ISO (`2026-03-31`), amounts and quantities exact decimal strings (`1234.56`, `-3`),
currencies ISO 4217 codes (`EUR`), everything else the text as printed, stripped.
"""

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class DocumentStatus(StrEnum):
    QUEUED = "queued"
    EXTRACTING = "extracting"
    EXTRACTED = "extracted"
    NEEDS_REVIEW = "needs_review"
    FAILED = "failed"
    SUBMITTED = "submitted"
    ATTACHED = "attached"  # a supporting file (delivery note, timesheet) kept with its invoice: not extracted


class DocumentKind(StrEnum):
    """What a file is, decided by its content (magic bytes), never by its name."""

    PDF = "pdf"
    PNG = "png"
    JPEG = "jpeg"
    TIFF = "tiff"
    XML = "xml"

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]

    @property
    def is_image(self) -> bool:
        return self in (DocumentKind.PNG, DocumentKind.JPEG, DocumentKind.TIFF)


_MEDIA_TYPES = {
    DocumentKind.PDF: "application/pdf",
    DocumentKind.PNG: "image/png",
    DocumentKind.JPEG: "image/jpeg",
    DocumentKind.TIFF: "image/tiff",
    DocumentKind.XML: "application/xml",
}


class Engine(StrEnum):
    EINVOICE = "einvoice"  # Factur-X / ZUGFeRD / XRechnung / UBL: exact
    TEXT_LAYER = "text_layer"
    OCR = "ocr"
    AZURE = "azure"  # Azure Document Intelligence prebuilt-invoice
    GEMINI = "gemini"
    OPENAI = "openai"  # any OpenAI-compatible chat endpoint (DeepSeek, vLLM, Ollama...)

    @property
    def is_paid(self) -> bool:
        return self in (Engine.AZURE, Engine.GEMINI, Engine.OPENAI)


HEADER_FIELDS = (
    "invoice_number",
    "issue_date",
    "due_date",
    "currency",
    "seller_name",
    "seller_vat_id",
    "buyer_name",
    "po_number",
    "subtotal",
    "tax_total",
    "total",
)
LINE_FIELDS = ("description", "part_number", "quantity", "unit", "unit_price", "line_total")
CHARGE_FIELDS = ("description", "amount")  # freight, handling, a surcharge: billed beside the lines
DATE_FIELDS = frozenset({"issue_date", "due_date"})
AMOUNT_FIELDS = frozenset({"subtotal", "tax_total", "total", "quantity", "unit_price", "line_total", "amount"})

Confidence = Annotated[float, Field(ge=0.0, le=1.0)]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Box(_Model):
    """Where on a page a value was read: fractions of the page's width and height, origin top left."""

    page: int = Field(ge=1)
    x0: Fraction
    y0: Fraction
    x1: Fraction
    y1: Fraction


class ExtractedField(_Model):
    value: str | None = None
    confidence: Confidence = 0.0
    box: Box | None = None


EMPTY = ExtractedField()


class ExtractedLine(_Model):
    description: ExtractedField = EMPTY
    part_number: ExtractedField = EMPTY
    quantity: ExtractedField = EMPTY
    unit: ExtractedField = EMPTY
    unit_price: ExtractedField = EMPTY
    line_total: ExtractedField = EMPTY

    def field(self, name: str) -> ExtractedField:
        if name not in LINE_FIELDS:
            raise KeyError(name)
        value: ExtractedField = getattr(self, name)
        return value


class ExtractedCharge(_Model):
    """An extra charge printed among the totals (shipping, freight, handling, a fuel surcharge)."""

    description: ExtractedField = EMPTY
    amount: ExtractedField = EMPTY

    def field(self, name: str) -> ExtractedField:
        if name not in CHARGE_FIELDS:
            raise KeyError(name)
        value: ExtractedField = getattr(self, name)
        return value


class CheckResult(_Model):
    """One arithmetic cross-check: `fields` are the paths it concerns (`total`, `lines[2].line_total`)."""

    check: str
    passed: bool
    message: str
    fields: tuple[str, ...] = ()


class ProviderCall(_Model):
    """One call to a paid or remote engine: what it cost and how long it took."""

    provider: Engine
    model: str
    input_tokens: int = Field(default=0, ge=0)
    output_tokens: int = Field(default=0, ge=0)
    cost: Decimal | None = None  # None: no price configured for the model
    latency_ms: float = Field(ge=0.0)
    ok: bool
    error: str | None = None


class PageTurn(_Model):
    """How a page was turned before it was read (by the OCR engine, or a text layer printed sideways), so
    that its boxes (fractions of the page as read) line up with an image turned the same way: first rotated
    about its centre by `skew_degrees` clockwise (the small skew the page had counter-clockwise, straightened;
    same size, white where it turned in), then `quarter_turns` quarter turns clockwise (a page lying
    sideways or upside down)."""

    page: int = Field(ge=1)
    quarter_turns: int = Field(default=0, ge=0, le=3)
    skew_degrees: float = Field(default=0.0, ge=-45.0, le=45.0)


class Extraction(_Model):
    engine: Engine
    engine_reason: str
    pages: int = Field(ge=0)
    fields: dict[str, ExtractedField] = Field(default_factory=dict)
    lines: tuple[ExtractedLine, ...] = ()
    charges: tuple[ExtractedCharge, ...] = ()
    checks: tuple[CheckResult, ...] = ()
    timings_ms: dict[str, float] = Field(default_factory=dict)
    calls: tuple[ProviderCall, ...] = ()
    notes: tuple[str, ...] = ()
    # Pages turned before they were read (by OCR, or a text layer printed sideways): their boxes are in the
    # turned frame. None for the others, whose boxes are in the frame of the file's page.
    page_turns: tuple[PageTurn, ...] = ()

    def field(self, name: str) -> ExtractedField:
        if name not in HEADER_FIELDS:
            raise KeyError(name)
        return self.fields.get(name, EMPTY)

    def turn_of(self, page: int) -> PageTurn | None:
        """How page `page` was turned before it was read, when it was."""
        return next((turn for turn in self.page_turns if turn.page == page), None)

    @property
    def cost(self) -> Decimal | None:
        priced = [call.cost for call in self.calls if call.cost is not None]
        return sum(priced, Decimal("0")) if priced else None

    def field_paths(self) -> dict[str, ExtractedField]:
        """Every field by its path: header names, then `lines[i].name` and `charges[i].name` (i from 0)."""
        paths = {name: self.field(name) for name in HEADER_FIELDS}
        for index, line in enumerate(self.lines):
            for name in LINE_FIELDS:
                paths[f"lines[{index}].{name}"] = line.field(name)
        for index, charge in enumerate(self.charges):
            for name in CHARGE_FIELDS:
                paths[f"charges[{index}].{name}"] = charge.field(name)
        return paths

    def low_confidence(self, threshold: float, *, judged_only: bool = False) -> list[str]:
        """Paths of fields read with a value below `threshold`, and of required header fields not found;
        `judged_only`: of the fields that become the invoice the rules judge (not `INFORMATIVE_FIELDS`)."""
        paths = []
        for path, found in self.field_paths().items():
            if judged_only and path in INFORMATIVE_FIELDS:
                continue
            if found.value is None:
                if path in REQUIRED_HEADER_FIELDS:
                    paths.append(path)
            elif found.confidence < threshold:
                paths.append(path)
        return paths

    @property
    def failed_checks(self) -> list[CheckResult]:
        return [check for check in self.checks if not check.passed]


# Without these an invoice cannot be judged at all; the rest may be missing on a real invoice.
REQUIRED_HEADER_FIELDS = frozenset({"invoice_number", "issue_date", "currency", "total"})
# Read and shown with their confidence, but not part of the invoice the rules judge (the vendor is
# named at upload or is the PO's; the buyer is AP's own company): they send no document to review.
INFORMATIVE_FIELDS = frozenset({"seller_vat_id", "buyer_name"})


@dataclass(frozen=True, slots=True)
class Word:
    """One word on a page, in the page's own units (PDF points, or pixels for an image), origin top left."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    confidence: float = 1.0  # what the OCR engine said of it; 1 for a text layer


@dataclass(frozen=True, slots=True)
class PageText:
    """The words of one page as a text layer or OCR found them: what the layout parser reads."""

    number: int  # from 1
    width: float
    height: float
    words: tuple[Word, ...]
    # Quarter turns clockwise the page was turned to read its words upright (a text layer printed
    # sideways): its words and size are in the turned frame, as PageTurn.quarter_turns says of OCR.
    quarter_turns: int = 0

    def box(self, x0: float, top: float, x1: float, bottom: float) -> Box:
        return Box(
            page=self.number,
            x0=_clamp(x0 / self.width),
            y0=_clamp(top / self.height),
            x1=_clamp(x1 / self.width),
            y1=_clamp(bottom / self.height),
        )


def _clamp(fraction: float) -> float:
    return min(1.0, max(0.0, fraction))
