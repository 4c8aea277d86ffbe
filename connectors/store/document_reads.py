"""What the document store hands out: documents with their extraction and corrections, their events."""

import re
from datetime import datetime
from decimal import Decimal
from functools import cached_property
from typing import Any, Self

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Select, select

from connectors.store.document_tables import DocumentRow
from domain.documents import (
    DocumentKind,
    DocumentStatus,
    Engine,
    ExtractedCharge,
    ExtractedField,
    ExtractedLine,
    Extraction,
)

_LISTED = re.compile(r"^(lines|charges)\[(\d+)\]\.(\w+)$")


class DocumentRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    sha256: str
    kind: DocumentKind
    file_name: str
    size: int
    purpose: str
    parent_id: int | None
    replaces_id: int | None
    original_id: int | None
    status: DocumentStatus
    status_reason: str | None
    pages: int | None
    pages_done: int
    vendor_id: str | None
    po_number: str | None
    note: str | None
    uploaded_by: str
    uploaded_at: datetime
    updated_at: datetime
    requested_engine: Engine | None
    extraction: Extraction | None
    corrections: dict[str, str | None]
    cost: Decimal | None
    attempts: int
    claim_token: str | None
    submitted_version: int | None
    submitted_at: datetime | None

    @classmethod
    def from_row(cls, row: DocumentRow) -> Self:
        values = {name: getattr(row, name) for name in cls.model_fields}
        values["extraction"] = None if row.extraction is None else Extraction.model_validate(row.extraction)
        return cls.model_validate(values)

    @property
    def invoice_document_id(self) -> int:
        """The first document of the invoice this one is a version of: its id is the invoice's source invoice id."""
        return self.original_id or self.id

    def field_values(self) -> dict[str, str | None]:
        """Every field's value by path, as read and then corrected by people."""
        read = {} if self.extraction is None else self.extraction.field_paths()
        values = {path: found.value for path, found in read.items()}
        return values | self.corrections

    @cached_property  # the API's summary and detail of one document both ask for it
    def reviewed_extraction(self) -> Extraction | None:
        """The extraction with people's corrections applied: a corrected field has confidence 1."""
        if self.extraction is None:
            return None
        if not self.corrections:
            return self.extraction
        fields = dict(self.extraction.fields)
        rows = {
            "lines": [dict(line) for line in self.extraction.lines],
            "charges": [dict(charge) for charge in self.extraction.charges],
        }
        for path, value in self.corrections.items():
            corrected = ExtractedField(value=value, confidence=1.0)
            listed = _LISTED.match(path)
            if listed is not None:
                kind, index, name = listed.group(1), int(listed.group(2)), listed.group(3)
                while len(rows[kind]) <= index:
                    rows[kind].append({})
                rows[kind][index][name] = corrected.model_copy(update={"box": _box_of(rows[kind][index].get(name))})
            else:
                fields[path] = corrected.model_copy(update={"box": _box_of(fields.get(path))})
        return self.extraction.model_copy(
            update={
                "fields": fields,
                "lines": tuple(ExtractedLine(**line) for line in rows["lines"]),
                "charges": tuple(ExtractedCharge(**charge) for charge in rows["charges"]),
            },
            deep=True,
        )


def _box_of(found: Any) -> Any:
    return found.box if isinstance(found, ExtractedField) else None


class DocumentEvent(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    document_id: int
    occurred_at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str | None
    details: dict[str, Any] | None


def document_query() -> Select[tuple[DocumentRow]]:
    return select(DocumentRow)
