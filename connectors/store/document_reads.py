"""What the document store hands out: documents with their extraction and corrections, their events."""

from datetime import datetime
from decimal import Decimal
from typing import Any, Self

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Select, select

from connectors.store.document_tables import DocumentRow
from domain.documents import DocumentKind, DocumentStatus, Engine, ExtractedField, ExtractedLine, Extraction


class DocumentRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    sha256: str
    kind: DocumentKind
    file_name: str
    size: int
    purpose: str
    parent_id: int | None
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

    def field_values(self) -> dict[str, str | None]:
        """Every field's value by path, as read and then corrected by people."""
        read = {} if self.extraction is None else self.extraction.field_paths()
        values = {path: found.value for path, found in read.items()}
        return values | self.corrections

    def reviewed_extraction(self) -> Extraction | None:
        """The extraction with people's corrections applied: a corrected field has confidence 1."""
        if self.extraction is None:
            return None
        if not self.corrections:
            return self.extraction
        fields = dict(self.extraction.fields)
        lines = [dict(line) for line in self.extraction.lines]
        for path, value in self.corrections.items():
            corrected = ExtractedField(value=value, confidence=1.0)
            if path.startswith("lines["):
                index_text, name = path[len("lines[") :].split("].", 1)
                index = int(index_text)
                while len(lines) <= index:
                    lines.append({})
                lines[index][name] = corrected.model_copy(update={"box": _box_of(lines[index].get(name))})
            else:
                fields[path] = corrected.model_copy(update={"box": _box_of(fields.get(path))})
        return self.extraction.model_copy(
            update={"fields": fields, "lines": tuple(_line(line) for line in lines)}, deep=True
        )


def _box_of(found: Any) -> Any:
    return found.box if isinstance(found, ExtractedField) else None


def _line(fields: dict[str, ExtractedField]) -> ExtractedLine:
    return ExtractedLine(**fields)


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
