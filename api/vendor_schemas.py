"""What the vendor API answers: a vendor's invoices in its own words (services.vendor_words), with
nothing of AP's internals: no rule set, no ERP ids, no payload, no names of AP's people."""

from datetime import date, datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field

from domain import EntryStatus, Invoice
from domain.money import Money
from services.vendor_invoices import VendorInvoice
from services.vendor_words import Stage


class _Read(BaseModel):
    # Read from the service's objects (services.vendor_invoices, services.vendor_words), attribute by attribute.
    model_config = ConfigDict(from_attributes=True)


class VendorInvoiceItem(_Read):
    entry_id: int = Field(description="This version's id: GET /api/v1/vendor/invoices/{entry_id}.")
    invoice_number: str
    po_number: str
    invoice_date: date
    total: Money
    currency: str
    source: str = Field(description="marketplace, or upload (a document you uploaded).")
    version: int
    status: EntryStatus
    stage: Stage = Field(description="Where it stands for you; `status_words` says it in a sentence.")
    status_words: str
    is_latest: bool = Field(description="False: you sent a newer version of this invoice since.")


class VendorInvoicePageResponse(BaseModel):
    items: list[VendorInvoiceItem]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last one.")


class VendorFindingView(_Read):
    problem: str
    action: str = Field(description="What to do about it.")
    refuses: bool = Field(description="The invoice cannot be paid as it is: send a corrected one.")
    invoice_line_no: int | None
    po_line_no: int | None
    expected: str | None = Field(description="What the purchase order expects, when it can be shown.")
    actual: str | None = Field(description="What the invoice says.")


class VendorEventView(_Read):
    occurred_at: datetime
    words: str


class VendorInvoiceDetail(VendorInvoiceItem):
    invoice: Invoice = Field(description="The invoice as it was received.")
    findings: list[VendorFindingView]
    history: list[VendorEventView]
    document_id: int | None = Field(description="The uploaded document it was read from (source upload).")
    how_to_correct: str

    @classmethod
    def of_invoice(cls, found: VendorInvoice) -> Self:
        return cls.model_validate(
            {
                **VendorInvoiceItem.model_validate(found.row).model_dump(),
                "invoice": found.invoice,
                "findings": found.findings,
                "history": found.history,
                "document_id": found.document_id,
                "how_to_correct": found.how_to_correct,
            }
        )
