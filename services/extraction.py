"""Which engine reads a document, and what the reading is worth.

Per document: e-invoice XML when there is some (a plain XML upload, or Factur-X / ZUGFeRD /
XRechnung attached to the PDF: exact), else the PDF's text layer, else OCR (scans and images).
A paid provider, when configured, reads documents without XML too, always or only when the
offline result needs review; when it fails, the offline result stands and the document says so.
Every result goes through the same cross-checks, and the confidence threshold decides between
`extracted` and `needs_review`.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from connectors.documents import inspect_document
from connectors.extraction.crosschecks import cross_check
from connectors.extraction.einvoice import NotAnEInvoiceError, UnsafeXmlError, embedded_einvoice_xml, read_einvoice
from connectors.extraction.layout.words import page_lines
from connectors.extraction.ocr import ocr_document
from connectors.extraction.providers import ProviderConfig, ProviderError, extract_with_provider
from connectors.extraction.text_layer import extraction_from_words, has_text_layer, read_text_layer
from domain.documents import DocumentKind, DocumentStatus, Engine, Extraction, PageText, PageTurn

OFFLINE_ENGINES = frozenset({Engine.EINVOICE, Engine.TEXT_LAYER, Engine.OCR})


@dataclass(frozen=True)
class ExtractionPolicy:
    confidence: float
    max_pages: int
    max_pixels: int
    ocr_languages: str
    ocr_dpi: int
    provider: ProviderConfig | None = None
    provider_always: bool = False  # False: only when the offline result needs review

    def status_of(self, extraction: Extraction) -> tuple[DocumentStatus, str | None]:
        """extracted, or needs_review with the reason: low-confidence or missing fields, failed checks."""
        reasons = []
        low = extraction.low_confidence(self.confidence, judged_only=True)
        if low:
            reasons.append(f"below {self.confidence:.0%} confidence or missing: {', '.join(low[:12])}")
            if len(low) > 12:
                reasons[-1] += f" and {len(low) - 12} more"
        failed = extraction.failed_checks
        if failed:
            reasons.append("; ".join(check.message for check in failed))
        if not reasons:
            return DocumentStatus.EXTRACTED, None
        return DocumentStatus.NEEDS_REVIEW, "; ".join(reasons)


class EngineNotConfiguredError(ValueError):
    def __init__(self, engine: Engine) -> None:
        super().__init__(f"engine: {engine.value} is not configured here (EXTRACTION_PROVIDER and its key)")
        self.engine = engine


Progress = Callable[[int, int], None]  # pages done, pages in all


def extract(
    data: bytes,
    kind: DocumentKind,
    policy: ExtractionPolicy,
    *,
    requested: Engine | None = None,
    http: httpx.Client | None = None,
    progress: Progress | None = None,
) -> Extraction:
    """Read one document; raises ValueError subclasses (with a reason a person understands) when it
    cannot be read at all, and OcrUnavailableError when a scan needs OCR that is not installed."""
    if requested is not None and requested.is_paid and (policy.provider is None or policy.provider.engine != requested):
        raise EngineNotConfiguredError(requested)
    offline, words = _offline(data, kind, policy, requested, progress)
    if offline.engine is Engine.EINVOICE or policy.provider is None:
        return offline
    wanted = requested is not None and requested.is_paid
    automatic = requested is None and (
        policy.provider_always or policy.status_of(offline)[0] is DocumentStatus.NEEDS_REVIEW
    )
    if not (wanted or automatic):
        return offline
    return _with_provider(data, kind, policy.provider, offline, words, http)


def _offline(
    data: bytes, kind: DocumentKind, policy: ExtractionPolicy, requested: Engine | None, progress: Progress | None
) -> tuple[Extraction, list[PageText]]:
    """The offline engines' result, and the words it was read from (none for XML)."""
    if kind is DocumentKind.XML:
        return cross_check(read_einvoice(data)), []
    started = time.perf_counter()
    notes: tuple[str, ...] = ()
    if kind is DocumentKind.PDF and requested in (None, Engine.EINVOICE):
        attached = embedded_einvoice_xml(data)
        if attached is not None:
            name, xml = attached
            try:
                read = read_einvoice(xml)
            except (UnsafeXmlError, NotAnEInvoiceError) as unreadable:
                # The attachment is broken, not the invoice: what is printed is still there to read.
                notes = (f"the attached {name} cannot be read ({unreadable}): the PDF's text was read instead",)
            else:
                count = inspect_document(data, kind, max_pages=policy.max_pages, max_pixels=policy.max_pixels).pages
                reason = f"the PDF carries e-invoice XML ({name}): {read.engine_reason}"
                return cross_check(read.model_copy(update={"engine_reason": reason, "pages": count})), []
        elif requested is Engine.EINVOICE:
            raise ValueError("engine: this PDF carries no e-invoice XML (Factur-X, ZUGFeRD or XRechnung)")
    if kind is DocumentKind.PDF and requested is not Engine.OCR:
        pages = read_text_layer(data, max_pages=policy.max_pages)
        text_ms = (time.perf_counter() - started) * 1000
        if has_text_layer(pages) or requested is Engine.TEXT_LAYER:
            if progress:
                progress(len(pages), len(pages))
            reason = "the PDF has a text layer" + ("" if requested is None else " (asked for)")
            read = extraction_from_words(pages, Engine.TEXT_LAYER, reason)
            timings = {"text_layer": round(text_ms, 1), **read.timings_ms}
            # extraction_from_words has cross-checked it; timings and notes change no check
            # a page printed sideways was read turned upright: its image is shown turned alike
            turns = tuple(
                PageTurn(page=page.number, quarter_turns=page.quarter_turns) for page in pages if page.quarter_turns
            )
            read = read.model_copy(update={"timings_ms": timings, "notes": (*notes, *read.notes), "page_turns": turns})
            return read, pages
    scanned, timings, turns = ocr_document(
        data,
        kind,
        max_pages=policy.max_pages,
        max_pixels=policy.max_pixels,
        dpi=policy.ocr_dpi,
        languages=policy.ocr_languages,
    )
    if progress:
        progress(len(scanned), len(scanned))
    reason = {
        True: "the document is an image: read by OCR",
        False: "the PDF has no text layer (a scan): read by OCR",
    }[kind.is_image]
    if requested is Engine.OCR:
        reason = "OCR, as asked for"
    read = extraction_from_words(scanned, Engine.OCR, reason)
    timings = {**timings, **read.timings_ms}
    read = read.model_copy(update={"timings_ms": timings, "notes": (*notes, *read.notes), "page_turns": turns})
    return read, scanned


def _with_provider(
    data: bytes,
    kind: DocumentKind,
    config: ProviderConfig,
    offline: Extraction,
    words: list[PageText],
    http: httpx.Client | None,
) -> Extraction:
    client = http or httpx.Client(timeout=config.timeout_seconds)
    try:
        read = extract_with_provider(config, data, kind, text=_text_of(words) or None, client=client)
    except ProviderError as failed:
        note = f"{config.engine.value} failed ({failed}); the {offline.engine.value} result stands"
        return offline.model_copy(update={"calls": (*offline.calls, failed.call), "notes": (*offline.notes, note)})
    finally:
        if http is None:
            client.close()
    checked = cross_check(read.model_copy(update={"pages": read.pages or offline.pages}))
    timings = {**offline.timings_ms, **checked.timings_ms}
    return checked.model_copy(update={"timings_ms": timings})


def _text_of(pages: list[PageText]) -> str:
    """The words in reading order, a line per text line as the layout parser sees them: what an LLM
    without PDF input is given."""
    return "\n".join(line.text for page in pages for line in page_lines(page))
