"""A vendor's own invoices (role vendor only): from the marketplace and from its uploads, each
version with its status, findings and history in the vendor's words. Another vendor's invoice
answers 404, as one that does not exist; AP staff use /api/v1/entries (403 here)."""

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import EntryIdPath, StoreDep
from api.errors import error_responses
from api.security import VendorDep
from api.vendor_schemas import VendorInvoiceDetail, VendorInvoiceItem, VendorInvoicePageResponse
from connectors.store import CURSOR_PATTERN
from services.vendor_invoices import invoice_of_vendor, invoice_page
from services.vendor_words import Stage

router = APIRouter(prefix="/vendor/invoices", tags=["vendor"])

MAX_PAGE_SIZE = 200


@router.get(
    "",
    response_model=VendorInvoicePageResponse,
    summary="Your invoices, newest first",
    responses=error_responses({422: "A query parameter is invalid (invalid_request, invalid_cursor)."}),
)
def list_vendor_invoices(
    vendor: VendorDep,
    store: StoreDep,
    stage: Annotated[Stage | None, Query(description="Only invoices at this stage.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
    cursor: Annotated[
        str | None,
        Query(
            description="next_cursor of the previous page.",
            json_schema_extra={"minLength": 1, "pattern": CURSOR_PATTERN},
        ),
    ] = None,
) -> VendorInvoicePageResponse:
    page = invoice_page(store, _vendor_id(vendor.vendor_id), stage=stage, limit=limit, after=cursor)
    return VendorInvoicePageResponse(
        items=[VendorInvoiceItem.model_validate(row) for row in page.rows], next_cursor=page.next_cursor
    )


@router.get(
    "/{entry_id}",
    response_model=VendorInvoiceDetail,
    summary="One of your invoices: its status, what is wrong with it and what to do, its history",
    responses=error_responses({404: "No such invoice, or another vendor's (entry_not_found)."}),
)
def get_vendor_invoice(entry_id: EntryIdPath, vendor: VendorDep, store: StoreDep) -> VendorInvoiceDetail:
    return VendorInvoiceDetail.of_invoice(invoice_of_vendor(store, _vendor_id(vendor.vendor_id), entry_id))


def _vendor_id(vendor_id: str | None) -> str:
    # The users table holds a vendor id for every vendor user; an empty one would match no invoice.
    return vendor_id or ""
