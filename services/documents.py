"""The documents use cases in one place, for the API, the flow and the command line alike:
upload, extract the waiting ones, correct, extract again, submit into the inbox."""

import re
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation

from connectors.documents import DocumentStorage
from connectors.erp import ErpGateway
from connectors.store import ProcessStore
from connectors.store.document_reads import DocumentRecord
from connectors.store.documents import AddedDocument
from domain.clock import Clock
from domain.documents import AMOUNT_FIELDS, CHARGE_FIELDS, DATE_FIELDS, HEADER_FIELDS, LINE_FIELDS, Engine
from services.document_intake import IncomingFile, IntakePolicy, UploadDetails, Uploader, upload
from services.document_submission import Submitted, submit_document
from services.extraction import EngineNotConfiguredError, ExtractionPolicy
from services.extraction_runs import Progress, RunOutcome, RunPolicy, extract_waiting
from services.page_images import CACHE_FOLDER, PageImages

_LINE_PATH = re.compile(r"^lines\[(\d{1,4})\]\.([a-z_]+)$")
_CHARGE_PATH = re.compile(r"^charges\[(\d{1,2})\]\.([a-z_]+)$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_FIELD_LENGTH = 500


class CorrectionError(ValueError):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


class DocumentService:
    def __init__(
        self,
        *,
        store: ProcessStore,
        erp: ErpGateway,
        storage: DocumentStorage,
        intake: IntakePolicy,
        extraction: ExtractionPolicy,
        runs: RunPolicy,
        rule_set_version: str,
        clock: Clock,
    ) -> None:
        self.store = store
        self.erp = erp
        self.storage = storage
        self.intake = intake
        self.extraction = extraction
        self.runs = runs
        self.rule_set_version = rule_set_version
        self._clock = clock
        self.page_images = PageImages(storage, storage.root / CACHE_FOLDER, max_pixels=extraction.max_pixels)

    def upload(self, files: Sequence[IncomingFile], details: UploadDetails, uploader: Uploader) -> list[AddedDocument]:
        return upload(self.store, self.storage, self.intake, files, details, uploader)

    def extract_waiting(
        self, *, actor: str, max_batches: int | None = None, on_document: Progress | None = None
    ) -> RunOutcome:
        return extract_waiting(
            self.store,
            self.storage,
            self.extraction,
            self.runs,
            actor=actor,
            submit=lambda document_id, by: self.submit(document_id, actor=by),
            max_batches=max_batches,
            on_document=on_document,
        )

    def submit(self, document_id: int, *, actor: str) -> Submitted:
        return submit_document(
            self.store,
            self.erp,
            document_id,
            actor=actor,
            today=self._today(),
            rule_set_version=self.rule_set_version,
        )

    def correct(self, document_id: int, changes: Mapping[str, str | None], *, actor: str) -> DocumentRecord:
        checked = {path: corrected_value(path, value) for path, value in changes.items()}
        return self.store.documents.correct(document_id, checked, actor=actor)

    def reextract(self, document_id: int, engine: Engine | None, *, actor: str) -> DocumentRecord:
        provider = self.extraction.provider
        if engine is not None and engine.is_paid and (provider is None or provider.engine is not engine):
            raise EngineNotConfiguredError(engine)
        return self.store.documents.request_reextraction(document_id, engine, actor=actor)

    def _today(self) -> date:
        return self._clock().date()


def corrected_value(path: str, value: str | None) -> str | None:
    """A person's value for a field, normalised as engines write them; CorrectionError names the field."""
    name = _field_name(path)
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > MAX_FIELD_LENGTH or "\x00" in value:
        raise CorrectionError(path, f"at most {MAX_FIELD_LENGTH} characters, and no NUL")
    if name in DATE_FIELDS:
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise CorrectionError(path, f"{value!r} is not a date as YYYY-MM-DD") from None
    if name in AMOUNT_FIELDS:
        try:
            amount = Decimal(value)
        except InvalidOperation:
            raise CorrectionError(path, f"{value!r} is not a number such as 1234.50") from None
        if not amount.is_finite():
            raise CorrectionError(path, f"{value!r} is not a number such as 1234.50")
        return str(amount)
    if name == "currency":
        if not _CURRENCY.match(value.upper()):
            raise CorrectionError(path, f"{value!r} is not a three-letter ISO 4217 code such as EUR")
        return value.upper()
    return value


def _field_name(path: str) -> str:
    if path in HEADER_FIELDS:
        return path
    line = _LINE_PATH.match(path)
    if line is not None and line.group(2) in LINE_FIELDS:
        return line.group(2)
    charge = _CHARGE_PATH.match(path)
    if charge is not None and charge.group(2) in CHARGE_FIELDS:
        return charge.group(2)
    raise CorrectionError(
        path,
        f"not a field: use one of {', '.join(HEADER_FIELDS)}, lines[i].{{{', '.join(LINE_FIELDS)}}} "
        f"or charges[i].{{{', '.join(CHARGE_FIELDS)}}}",
    )
