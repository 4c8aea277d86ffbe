"""Two vendors with invoices from both sources: V1 (the test ERP's Acme Fasteners, POs PO-1..3) and
V2 (Bolt Works, POs PO-V2 and PO-V3), each with a marketplace invoice judged, and an uploaded
e-invoice judged (V1's on PO-1 refused: a part not on the PO)."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from demo.factories import make_invoice, make_line
from services.runtime import Services
from tests.api_fixtures import INVOICE_DATE, ApiWorld, add_to_erp, api_world, credentials_for
from tests.document_samples import ubl_invoice
from tests.page_fixtures import signed_in


@dataclass(frozen=True)
class VendorSide:
    """One vendor: its user's API headers, a browser-like client signed in to the pages, its ids."""

    vendor_id: str
    headers: dict[str, str]
    pages: TestClient
    marketplace_entry: int
    document: int
    upload_entry: int


@dataclass(frozen=True)
class TwoVendors:
    world: ApiWorld
    v1: VendorSide
    v2: VendorSide


def upload(world: ApiWorld, content: bytes, headers: dict[str, str], **form: Any) -> httpx.Response:
    answer: httpx.Response = world.client.post(
        "/api/v1/documents", files=[("files", ("invoice.xml", content))], data=form, headers=headers
    )
    return answer


def judge_upload(world: ApiWorld, document_id: int) -> int:
    """Extract the waiting documents, submit this one (as a clerk) and judge it now: its entry id."""
    services: Services = world.client.app_state["services"]
    services.documents.extract_waiting(actor="flow:test")
    submitted = world.client.post(f"/api/v1/documents/{document_id}/submit")
    assert submitted.status_code == 202, submitted.text
    invoice_id = submitted.json()["document"]["invoice"]["source_invoice_id"]
    return judged_entry(world.client.post(f"/api/v1/invoices/{invoice_id}/validate", params={"source": "upload"}))


def judged_entry(validated: httpx.Response) -> int:
    """The entry a validate call recorded, accepted (200) or refused (400, the verdict in the details)."""
    assert validated.status_code in (200, 400), validated.text
    body = validated.json()
    entry_id: int = body["entry_id"] if validated.status_code == 200 else body["error"]["details"][0]["entry_id"]
    return entry_id


def _side(world: ApiWorld, vendor_id: str, marketplace_id: int, pos: tuple[str, str], part: str) -> VendorSide:
    """The vendor's marketplace invoice on the first PO, its upload (billing `part`) on the second."""
    name = vendor_id.lower()
    headers = credentials_for(world.settings, "vendor", f"{name}-api", vendor_id=vendor_id)
    pages = signed_in(world, f"{name}-pages", "vendor", vendor_id=vendor_id)
    world.add_invoice(marketplace_id, vendor_id=vendor_id, vendor_name=f"Vendor {vendor_id}", po_number=pos[0])
    marketplace = judged_entry(world.validate(marketplace_id))
    lines = ((part, "2", "10.00"),)
    uploaded = upload(
        world, ubl_invoice(f"UP-{vendor_id}", issue_date=INVOICE_DATE, po_number=pos[1], lines=lines), headers
    )
    [document] = uploaded.json()["documents"]
    return VendorSide(
        vendor_id=vendor_id,
        headers=headers,
        pages=pages,
        marketplace_entry=marketplace,
        document=document["id"],
        upload_entry=judge_upload(world, document["id"]),
    )


@contextmanager
def two_vendors(tmp_path: Path, **setting_values: Any) -> Iterator[TwoVendors]:
    with api_world(tmp_path, **setting_values) as world:
        for po_number in ("PO-V2", "PO-V3"):
            v2_order = make_invoice(
                vendor_id="V2",
                vendor_name="Bolt Works",
                po_number=po_number,
                lines=(
                    make_line(1, part_number="HX-001", unit_price=Decimal("10.00")),
                    make_line(2, part_number="HX-002", unit_price=Decimal("9.20")),
                ),
            )
            add_to_erp(world.settings, v2_order)
        v1 = _side(world, "V1", 1, ("PO-2", "PO-1"), "HX-999")  # a part not on PO-1: refused
        v2 = _side(world, "V2", 2, ("PO-V2", "PO-V3"), "HX-001")
        yield TwoVendors(world, v1, v2)
